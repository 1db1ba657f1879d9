using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SuperRes.Deploy.Interop.OnnxRuntime;

/// <summary>
/// The one place where an <c>OrtStatus*</c> becomes an exception. Every binding call that returns a status passes it
/// through <see cref="Check"/>; a failed status is read (code, message) and released in <c>finally</c>, so no status
/// leaks whatever happens while reading it.
/// </summary>
internal static unsafe class OrtStatus
{
    /// <summary>Returns when <paramref name="status"/> is NULL (success); otherwise throws <see cref="OrtException"/>.</summary>
    public static void Check(nint status)
    {
        if (status != 0)
        {
            ThrowFor(status);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFor(nint status)
    {
        var api = OrtLibrary.Api;
        OrtErrorCode code;
        string message;
        try
        {
            var raw = api.GetErrorCode(status);
            // Codes added by later runtimes are reported as a generic failure.
            code = Enum.IsDefined((OrtErrorCode)raw) && raw != 0 ? (OrtErrorCode)raw : OrtErrorCode.Fail;
            message = Marshal.PtrToStringUTF8((nint)api.GetErrorMessage(status)) ?? string.Empty;
        }
        finally
        {
            api.ReleaseStatus(status);
        }

        throw new OrtException(code, message.Trim());
    }
}
