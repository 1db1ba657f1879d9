using System.Runtime.InteropServices;

namespace SuperRes.Deploy.Interop.OnnxRuntime;

/// <summary>One log line from ONNX Runtime.</summary>
/// <param name="Level">Severity.</param>
/// <param name="Category">ORT's log category (e.g. "onnxruntime").</param>
/// <param name="LogId">The env's or session's log id.</param>
/// <param name="CodeLocation">Where in ORT's sources the line was logged.</param>
/// <param name="Message">The text.</param>
public readonly record struct OrtLogMessage(OrtLogLevel Level, string Category, string LogId, string CodeLocation, string Message);

/// <summary>
/// The process-wide ONNX Runtime environment (<c>OrtEnv</c>; ORT keeps one per process anyway). Created on first use with
/// a logging callback that forwards to <see cref="LogSink"/>, at minimum level <see cref="OrtLogLevel.Warning"/>; a session
/// can lower its own level (<see cref="OrtSessionOptions.SetLogSeverity"/>). The env lives until the process exits and is
/// deliberately never released: sessions anywhere in the process may still use it, and ORT tears it down at exit.
/// </summary>
public static unsafe class OrtEnvironment
{
    /// <summary>The env's log id.</summary>
    public const string LogId = "srdeploy";

    private static readonly Lock _gate = new();
    private static OrtEnvHandle? _env;
    private static volatile Action<OrtLogMessage>? _logSink;

    /// <summary>
    /// Receives ORT's log messages; null drops them. Called on ORT's threads, so it must be thread-safe; an exception it
    /// throws is swallowed (it cannot cross into native code).
    /// </summary>
    public static Action<OrtLogMessage>? LogSink
    {
        get => _logSink;
        set => _logSink = value;
    }

    /// <summary>The env, created on first use.</summary>
    internal static OrtEnvHandle Handle
    {
        get
        {
            lock (_gate)
            {
                if (_env is null)
                {
                    var api = OrtLibrary.Api;
                    var env = new OrtEnvHandle();
                    using var logId = new Utf8String(LogId);
                    nint raw = 0;
                    delegate* unmanaged<nint, int, byte*, byte*, byte*, byte*, void> callback = &OnLog;
                    OrtStatus.Check(api.CreateEnvWithCustomLogger((nint)callback, 0, (int)OrtLogLevel.Warning, logId.Pointer, &raw));
                    env.Attach(raw);
                    _env = env;
                }

                return _env;
            }
        }
    }

    /// <summary>ORT's <c>OrtLoggingFunction</c>: (param, severity, category, logid, code location, message). Never throws.</summary>
    [UnmanagedCallersOnly]
    private static void OnLog(nint param, int severity, byte* category, byte* logId, byte* codeLocation, byte* message)
    {
        var sink = _logSink;
        if (sink is null)
        {
            return;
        }

        try
        {
            sink(new OrtLogMessage(
                (OrtLogLevel)severity,
                Marshal.PtrToStringUTF8((nint)category) ?? string.Empty,
                Marshal.PtrToStringUTF8((nint)logId) ?? string.Empty,
                Marshal.PtrToStringUTF8((nint)codeLocation) ?? string.Empty,
                Marshal.PtrToStringUTF8((nint)message) ?? string.Empty));
        }
#pragma warning disable CA1031 // An exception must not unwind into ORT's native frames; a failing sink loses one line.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
