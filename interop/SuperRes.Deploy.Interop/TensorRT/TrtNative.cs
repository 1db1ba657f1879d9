using System.Runtime.InteropServices;
using System.Text;

namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>
/// The one place native statuses become exceptions, plus the string conventions of srd_trt.h (UTF-8 in, two-call
/// strings out).
/// </summary>
internal static unsafe class TrtNative
{
    /// <summary>A native two-call string function with its leading arguments bound.</summary>
    internal delegate TrtStatus StringCall(byte* buffer, ulong bufferSize, ulong* required);

    /// <summary>Throws <see cref="TrtException"/> unless <paramref name="status"/> is OK. Must run right after the
    /// failing call, on the same thread: the message comes from the shim's thread-local last error.</summary>
    internal static void Check(TrtStatus status, string function)
    {
        if (status != TrtStatus.Ok)
        {
            throw new TrtException(status, function, LastErrorMessage());
        }
    }

    /// <summary>The shim's last error on this thread (empty when unavailable).</summary>
    internal static string LastErrorMessage()
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            ulong required = 0;
            if (SrdTrtNative.srd_error_get_last_message(null, 0, &required) != TrtStatus.Ok || required == 0)
            {
                return string.Empty;
            }

            var buffer = new byte[required];
            fixed (byte* pointer = buffer)
            {
                var again = required;
                if (SrdTrtNative.srd_error_get_last_message(pointer, required, &again) == TrtStatus.Ok)
                {
                    return Encoding.UTF8.GetString(buffer, 0, checked((int)again - 1));
                }
            }
        }

        return string.Empty;
    }

    /// <summary>Reads a two-call string: asks the size, then fills a buffer (asking again if it grew meanwhile).</summary>
    internal static string ReadString(string function, StringCall call)
    {
        ulong required = 0;
        Check(call(null, 0, &required), function);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var buffer = new byte[required];
            TrtStatus status;
            var again = required;
            fixed (byte* pointer = buffer)
            {
                status = call(pointer, required, &again);
            }

            if (status == TrtStatus.Ok)
            {
                return Encoding.UTF8.GetString(buffer, 0, checked((int)again - 1));
            }

            if (status != TrtStatus.BufferTooSmall)
            {
                Check(status, function);
            }

            required = again;
        }

        throw new TrtException(TrtStatus.Internal, function, $"{function}: the string kept growing between calls");
    }

    /// <summary>A NUL-terminated UTF-8 copy of <paramref name="value"/> for passing as <c>char const*</c>.</summary>
    internal static byte[] Utf8(string value, string argumentName)
    {
        ArgumentNullException.ThrowIfNull(value, argumentName);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("must not contain NUL characters", argumentName);
        }

        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    /// <summary>A string the shim returned as <c>char const*</c> (NULL becomes empty).</summary>
    internal static string FromUtf8(byte* value) => Marshal.PtrToStringUTF8((IntPtr)value) ?? string.Empty;
}
