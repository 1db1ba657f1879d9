using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Tests;

/// <summary>
/// The test-only controls of the recording TensorRT double (tests/native/trt_double/srd_trt_double.h), called through
/// function pointers read from the loaded library: no DllImport resolver is registered, so any test assembly can use
/// this beside its own bindings. <see cref="Use"/> points the TensorRT wrapper at the double (once per process).
/// </summary>
internal static unsafe class TrtDoubleControl
{
    private static readonly Lazy<IntPtr> Handle = new(() =>
    {
        if (!File.Exists(DoublePath))
        {
            throw new InvalidOperationException(
                $"{DoublePath} is missing: build the native tests first (cmake --preset default && cmake --build --preset default, or scripts/setup)");
        }

        return NativeLibrary.Load(DoublePath);
    });

    /// <summary>The double's file (override the folder with SRDEPLOY_TEST_NATIVE_LIB_DIR).</summary>
    public static string DoublePath =>
        Path.Combine(Environment.GetEnvironmentVariable("SRDEPLOY_TEST_NATIVE_LIB_DIR") is { Length: > 0 } dir
            ? dir
            : RepoPaths.Combine("artifacts", "native", "test-lib"), "libsrd_trt_test_double.so");

    /// <summary>Makes the TensorRT wrapper load the double (must precede any other TensorRT call of the process).</summary>
    public static void Use()
    {
        _ = Handle.Value;
        TrtShimLibrary.UseLibrary(DoublePath);
        TrtShimLibrary.EnsureLoaded();
    }

    public static void Reset() => Ok(((delegate* unmanaged[Cdecl]<TrtStatus>)Export("srd_double_reset"))());

    /// <summary>The simulated TensorRT version, major*10000 + minor*100 + patch (default 10.16.0 build 72).</summary>
    public static void SetTensorRtVersion(int version, int build = 1) =>
        Ok(((delegate* unmanaged[Cdecl]<int, int, TrtStatus>)Export("srd_double_set_tensorrt_version"))(version, build));

    public static void SetLibraryMissing(bool missing) =>
        Ok(((delegate* unmanaged[Cdecl]<int, TrtStatus>)Export("srd_double_set_library_missing"))(missing ? 1 : 0));

    /// <summary>The next call of <paramref name="function"/> fails with the status and message.</summary>
    public static void FailNext(string function, TrtStatus status, string message)
    {
        var f = Utf8(function);
        var m = Utf8(message);
        fixed (byte* pf = f)
        fixed (byte* pm = m)
        {
            Ok(((delegate* unmanaged[Cdecl]<byte*, TrtStatus, byte*, TrtStatus>)Export("srd_double_fail_next"))(pf, status, pm));
        }
    }

    public static void AddParserError(int code, string description, int nodeIndex, string nodeName, string nodeOperator)
    {
        var d = Utf8(description);
        var n = Utf8(nodeName);
        var o = Utf8(nodeOperator);
        fixed (byte* pd = d)
        fixed (byte* pn = n)
        fixed (byte* po = o)
        {
            Ok(((delegate* unmanaged[Cdecl]<int, byte*, int, byte*, byte*, TrtStatus>)Export("srd_double_add_parser_error"))(code, pd, nodeIndex, pn, po));
        }
    }

    /// <summary>created, destroyed, live, double destroys, unknown handles, use after destroy.</summary>
    public static (long Created, long Destroyed, long Live, long DoubleDestroys, long UnknownHandles, long UseAfterDestroy) Counts()
    {
        var counts = stackalloc long[6];
        Ok(((delegate* unmanaged[Cdecl]<long*, TrtStatus>)Export("srd_double_get_handle_counts"))(counts));
        return (counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
    }

    /// <summary>Asserts every handle the double handed out was destroyed exactly once and none was misused.</summary>
    public static void AssertAllReleasedOnce()
    {
        var c = Counts();
        Assert.True(c.Created > 0, "the double created no handle: nothing was exercised");
        Assert.Equal(c.Created, c.Destroyed);
        Assert.Equal(0, c.Live);
        Assert.Equal(0, c.DoubleDestroys);
        Assert.Equal(0, c.UnknownHandles);
        Assert.Equal(0, c.UseAfterDestroy);
    }

    /// <summary>The recorded calls in order (each: function, args, status, message).</summary>
    public static List<JsonElement> Calls()
    {
        var get = (delegate* unmanaged[Cdecl]<byte*, ulong, ulong*, TrtStatus>)Export("srd_double_get_log");
        ulong required = 0;
        Ok(get(null, 0, &required));
        var buffer = new byte[required];
        fixed (byte* p = buffer)
        {
            Ok(get(p, required, &required));
        }

        using var log = JsonDocument.Parse(Encoding.UTF8.GetString(buffer, 0, (int)required - 1));
        return [.. log.RootElement.GetProperty("calls").EnumerateArray().Select(c => c.Clone())];
    }

    /// <summary>The recorded calls of one function, in order.</summary>
    public static List<JsonElement> Calls(string function) =>
        [.. Calls().Where(c => c.GetProperty("function").GetString() == function)];

    /// <summary>The arguments of the only call of <paramref name="function"/>.</summary>
    public static JsonElement Args(string function) => Assert.Single(Calls(function)).GetProperty("args");

    /// <summary>The build inputs the double embeds at the end of every plan it builds ([json][u32 length][u64
    /// digest]["SRDDBLv1"]): network typing and source, flags, memory pools, levels, plugins, timing cache entries and
    /// each profile's min/opt/max per input.</summary>
    public static JsonElement PlanBuildInputs(ReadOnlySpan<byte> plan)
    {
        Assert.True(plan.Length > 52, "plan too short for the double's trailer");
        Assert.Equal("SRDDBLv1", Encoding.ASCII.GetString(plan[^8..]));
        var length = (int)BitConverter.ToUInt32(plan[^20..^16]);
        using var json = JsonDocument.Parse(Encoding.UTF8.GetString(plan[^(20 + length)..^20]));
        return json.RootElement.Clone();
    }

    /// <summary>FNV-1a 64 as the double records digests of byte buffers (lower-case hex, 16 digits).</summary>
    public static string Fnv1a64Hex(ReadOnlySpan<byte> data)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in data)
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }

        return hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static IntPtr Export(string name) => NativeLibrary.GetExport(Handle.Value, name);

    private static byte[] Utf8(string value) => Encoding.UTF8.GetBytes(value + "\0");

    private static void Ok(TrtStatus status) => Assert.Equal(TrtStatus.Ok, status);
}

/// <summary>Points the TensorRT wrapper at the recording double for every test of the collection.</summary>
public sealed class TrtDoubleProcessFixture
{
    public TrtDoubleProcessFixture() => TrtDoubleControl.Use();
}

/// <summary>Tests sharing the double's process-wide state (its log, counters, injections) run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class TrtDoubleBuildTests : ICollectionFixture<TrtDoubleProcessFixture>
{
    public const string Name = "TensorRT shim double (build)";
}
