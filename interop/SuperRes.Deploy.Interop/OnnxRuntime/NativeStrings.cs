using System.Runtime.InteropServices;

namespace SuperRes.Deploy.Interop.OnnxRuntime;

/// <summary>A NUL-terminated UTF-8 copy of a string in native memory, for the length of one call.</summary>
internal readonly unsafe struct Utf8String : IDisposable
{
    public Utf8String(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Pointer = (byte*)Marshal.StringToCoTaskMemUTF8(text);
    }

    public byte* Pointer { get; }

    public void Dispose() => Marshal.FreeCoTaskMem((nint)Pointer);
}

/// <summary>
/// An ORTCHAR_T path for the length of one call: UTF-8 on Linux and macOS, UTF-16 on Windows (the C API's
/// <c>ORTCHAR_T</c> is <c>wchar_t</c> there).
/// </summary>
internal readonly unsafe struct NativePath : IDisposable
{
    public NativePath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Pointer = OperatingSystem.IsWindows() ? (void*)Marshal.StringToHGlobalUni(path) : (void*)Marshal.StringToCoTaskMemUTF8(path);
    }

    public void* Pointer { get; }

    public void Dispose()
    {
        if (OperatingSystem.IsWindows())
        {
            Marshal.FreeHGlobal((nint)Pointer);
        }
        else
        {
            Marshal.FreeCoTaskMem((nint)Pointer);
        }
    }
}

/// <summary>An array of NUL-terminated UTF-8 strings in native memory (<c>const char* const*</c>), freed on Dispose.</summary>
internal sealed unsafe class Utf8StringArray : IDisposable
{
    private readonly nint[] _strings;
    private nint _array;

    public Utf8StringArray(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        _strings = new nint[texts.Count];
        _array = Marshal.AllocCoTaskMem(Math.Max(1, texts.Count) * sizeof(nint));
        try
        {
            for (var i = 0; i < texts.Count; i++)
            {
                _strings[i] = Marshal.StringToCoTaskMemUTF8(texts[i] ?? throw new ArgumentException($"name {i} is null", nameof(texts)));
                ((nint*)_array)[i] = _strings[i];
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public byte** Pointers => (byte**)_array;

    public void Dispose()
    {
        foreach (var s in _strings)
        {
            Marshal.FreeCoTaskMem(s);
        }

        Array.Clear(_strings);
        Marshal.FreeCoTaskMem(_array);
        _array = 0;
    }
}
