using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>
/// Receives TensorRT's log messages (and the shim's) at or above a minimum severity, from any thread, while it is
/// alive. TensorRT keeps one logger per process, so every builder, runtime and parser logs to every live
/// <see cref="TrtLogger"/>. The native side calls a static <c>[UnmanagedCallersOnly]</c> function with a GCHandle to
/// the sink as its <c>user</c> pointer: no delegate is marshalled, and the GCHandle is freed only after the native
/// sink is unregistered (Dispose, or the finalizer of the handle when Dispose was forgotten).
/// </summary>
public sealed unsafe class TrtLogger : IDisposable
{
    private readonly TrtLoggerHandle _handle;

    /// <param name="sink">Called with each message; must be thread-safe. Exceptions it throws are swallowed (they
    /// must not cross into native code).</param>
    public TrtLogger(Action<TrtLogSeverity, string> sink, TrtLogSeverity minimumSeverity = TrtLogSeverity.Warning)
    {
        ArgumentNullException.ThrowIfNull(sink);
        TrtShimLibrary.EnsureLoaded();
        var target = GCHandle.Alloc(new Sink(sink));
        try
        {
            srd_logger* logger = null;
            TrtNative.Check(
                SrdTrtNative.srd_logger_create(&OnMessage, (void*)GCHandle.ToIntPtr(target), minimumSeverity, &logger),
                nameof(SrdTrtNative.srd_logger_create));
            _handle = new TrtLoggerHandle();
            _handle.AttachSink(target);
            _handle.Adopt(logger);
        }
        catch
        {
            target.Free();
            throw;
        }
    }

    /// <summary>Messages whose sink threw (they are dropped, not rethrown into native code).</summary>
    public static long DroppedMessages => Interlocked.Read(ref _droppedMessages);

    private static long _droppedMessages;

    public void Dispose() => _handle.Dispose();

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnMessage(void* user, int severity, byte* message)
    {
        try
        {
            if (GCHandle.FromIntPtr((IntPtr)user).Target is Sink sink)
            {
                sink.Deliver((TrtLogSeverity)severity, TrtNative.FromUtf8(message));
            }
        }
#pragma warning disable CA1031 // Nothing may propagate into the native caller; the message is counted as dropped.
        catch (Exception)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _droppedMessages);
        }
    }

    /// <summary>The object the GCHandle points at; holds only the user's callback, not the logger.</summary>
    private sealed class Sink(Action<TrtLogSeverity, string> deliver)
    {
        public void Deliver(TrtLogSeverity severity, string message) => deliver(severity, message);
    }
}
