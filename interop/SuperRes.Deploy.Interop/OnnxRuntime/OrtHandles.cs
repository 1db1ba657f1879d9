using System.Buffers;
using System.Runtime.InteropServices;

namespace SuperRes.Deploy.Interop.OnnxRuntime;

/// <summary>
/// Base of the SafeHandles over ONNX Runtime objects: one subclass per native type, each releasing through that type's
/// Release slot. A handle is allocated before the native create call and attached after it succeeds, so nothing is lost
/// between the two; the runtime releases it once, on Dispose or finalization, after the last lease is returned.
/// </summary>
internal abstract class OrtHandle : SafeHandle
{
    protected OrtHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>Takes ownership of a pointer a create call just returned.</summary>
    public void Attach(nint pointer) => SetHandle(pointer);

    /// <summary>Borrows the pointer for one native call; the handle cannot be released until the lease is disposed.</summary>
    public HandleLease Lease() => new(this);
}

/// <summary>
/// Keeps a SafeHandle alive (and not released by a concurrent Dispose) while native code uses its pointer.
/// Leasing a disposed handle throws <see cref="ObjectDisposedException"/>.
/// </summary>
internal readonly struct HandleLease : IDisposable
{
    private readonly SafeHandle? _handle;

    public HandleLease(SafeHandle handle)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        _handle = handle;
    }

    public nint Pointer => _handle?.DangerousGetHandle() ?? 0;

    public void Dispose() => _handle?.DangerousRelease();
}

/// <summary><c>OrtEnv*</c>; the process-wide env is never released (see <see cref="OrtEnvironment"/>).</summary>
internal sealed unsafe class OrtEnvHandle : OrtHandle
{
    protected override bool ReleaseHandle()
    {
        OrtLibrary.Api.ReleaseEnv(handle);
        return true;
    }
}

/// <summary><c>OrtSessionOptions*</c>, released with ReleaseSessionOptions.</summary>
internal sealed unsafe class OrtSessionOptionsHandle : OrtHandle
{
    protected override bool ReleaseHandle()
    {
        OrtLibrary.Api.ReleaseSessionOptions(handle);
        return true;
    }
}

/// <summary>
/// <c>OrtSession*</c>, released with ReleaseSession. It holds a reference on the options it was created with, dropped only
/// after the session is released: libraries registered on the options (custom ops) stay loaded while the session lives,
/// whatever order the managed objects are disposed or finalized in.
/// </summary>
internal sealed unsafe class OrtSessionHandle : OrtHandle
{
    private SafeHandle? _options;

    /// <summary>Keeps <paramref name="options"/> from being released until this session is.</summary>
    public void HoldOptions(SafeHandle options)
    {
        var added = false;
        options.DangerousAddRef(ref added);
        _options = options;
    }

    protected override bool ReleaseHandle()
    {
        OrtLibrary.Api.ReleaseSession(handle);
        _options?.DangerousRelease();
        return true;
    }
}

/// <summary>
/// <c>OrtValue*</c>, released with ReleaseValue. A value created over a managed buffer owns the pin on that buffer and
/// unpins it only after ReleaseValue, so the runtime never sees a buffer the GC may move.
/// </summary>
internal sealed unsafe class OrtValueHandle : OrtHandle
{
    private MemoryHandle _pin;

    /// <summary>Hands the pin of the wrapped buffer to this handle; it is released after the value.</summary>
    public void HoldPin(MemoryHandle pin) => _pin = pin;

    protected override bool ReleaseHandle()
    {
        OrtLibrary.Api.ReleaseValue(handle);
        _pin.Dispose();
        return true;
    }
}

/// <summary><c>OrtTypeInfo*</c>, released with ReleaseTypeInfo. Its tensor info (CastTypeInfoToTensorInfo) is borrowed.</summary>
internal sealed unsafe class OrtTypeInfoHandle : OrtHandle
{
    protected override bool ReleaseHandle()
    {
        OrtLibrary.Api.ReleaseTypeInfo(handle);
        return true;
    }
}

/// <summary><c>OrtTensorTypeAndShapeInfo*</c> from GetTensorTypeAndShape, released with ReleaseTensorTypeAndShapeInfo.</summary>
internal sealed unsafe class OrtTensorTypeAndShapeInfoHandle : OrtHandle
{
    protected override bool ReleaseHandle()
    {
        OrtLibrary.Api.ReleaseTensorTypeAndShapeInfo(handle);
        return true;
    }
}

/// <summary><c>OrtMemoryInfo*</c>, released with ReleaseMemoryInfo.</summary>
internal sealed unsafe class OrtMemoryInfoHandle : OrtHandle
{
    protected override bool ReleaseHandle()
    {
        OrtLibrary.Api.ReleaseMemoryInfo(handle);
        return true;
    }
}

/// <summary><c>OrtRunOptions*</c>, released with ReleaseRunOptions.</summary>
internal sealed unsafe class OrtRunOptionsHandle : OrtHandle
{
    protected override bool ReleaseHandle()
    {
        OrtLibrary.Api.ReleaseRunOptions(handle);
        return true;
    }
}

/// <summary><c>OrtModelMetadata*</c>, released with ReleaseModelMetadata.</summary>
internal sealed unsafe class OrtModelMetadataHandle : OrtHandle
{
    protected override bool ReleaseHandle()
    {
        OrtLibrary.Api.ReleaseModelMetadata(handle);
        return true;
    }
}
