using System.Runtime.InteropServices;

namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>
/// Owns one shim handle of type <typeparamref name="T"/>; <see cref="SafeHandle.ReleaseHandle"/> calls the matching
/// <c>srd_*_destroy</c> exactly once (Dispose, or the finalizer when a wrapper was never disposed). Calls borrow the
/// pointer through <see cref="Borrow"/>, which keeps the handle from being released during the call.
/// </summary>
internal abstract unsafe class TrtSafeHandle<T> : SafeHandle
    where T : unmanaged
{
    protected TrtSafeHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>The native pointer, valid until the returned lease is disposed.</summary>
    internal Lease Borrow()
    {
        var added = false;
        DangerousAddRef(ref added);
        return new Lease(this, (T*)handle);
    }

    /// <summary>Takes ownership of a pointer a create call returned.</summary>
    internal void Adopt(T* pointer) => SetHandle((IntPtr)pointer);

    /// <summary>A borrowed pointer; releases the reference taken by <see cref="Borrow"/>.</summary>
    internal readonly ref struct Lease
    {
        private readonly SafeHandle _owner;

        internal Lease(SafeHandle owner, T* pointer)
        {
            _owner = owner;
            Pointer = pointer;
        }

        public T* Pointer { get; }

        public void Dispose() => _owner.DangerousRelease();
    }
}

internal sealed unsafe class TrtLoggerHandle : TrtSafeHandle<srd_logger>
{
    /// <summary>The GCHandle of the managed sink the native callback reaches through its <c>user</c> pointer.
    /// Freed after srd_logger_destroy, which guarantees no callback is running or will run.</summary>
    private GCHandle _sink;

    internal void AttachSink(GCHandle sink) => _sink = sink;

    protected override bool ReleaseHandle()
    {
        var status = SrdTrtNative.srd_logger_destroy((srd_logger*)handle);
        if (status == TrtStatus.Ok && _sink.IsAllocated)
        {
            _sink.Free();
        }

        return status == TrtStatus.Ok;
    }
}

internal sealed unsafe class TrtPluginLibraryHandle : TrtSafeHandle<srd_plugin_library>
{
    protected override bool ReleaseHandle() =>
        SrdTrtNative.srd_plugin_library_destroy((srd_plugin_library*)handle) == TrtStatus.Ok;
}

internal sealed unsafe class TrtBuilderHandle : TrtSafeHandle<srd_builder>
{
    protected override bool ReleaseHandle() => SrdTrtNative.srd_builder_destroy((srd_builder*)handle) == TrtStatus.Ok;
}

internal sealed unsafe class TrtNetworkHandle : TrtSafeHandle<srd_network>
{
    protected override bool ReleaseHandle() => SrdTrtNative.srd_network_destroy((srd_network*)handle) == TrtStatus.Ok;
}

internal sealed unsafe class TrtOnnxParserHandle : TrtSafeHandle<srd_onnx_parser>
{
    protected override bool ReleaseHandle() =>
        SrdTrtNative.srd_onnx_parser_destroy((srd_onnx_parser*)handle) == TrtStatus.Ok;
}

internal sealed unsafe class TrtBuilderConfigHandle : TrtSafeHandle<srd_builder_config>
{
    protected override bool ReleaseHandle() =>
        SrdTrtNative.srd_builder_config_destroy((srd_builder_config*)handle) == TrtStatus.Ok;
}

internal sealed unsafe class TrtOptimizationProfileHandle : TrtSafeHandle<srd_optimization_profile>
{
    protected override bool ReleaseHandle() =>
        SrdTrtNative.srd_optimization_profile_destroy((srd_optimization_profile*)handle) == TrtStatus.Ok;
}

internal sealed unsafe class TrtHostMemoryHandle : TrtSafeHandle<srd_host_memory>
{
    protected override bool ReleaseHandle() =>
        SrdTrtNative.srd_host_memory_destroy((srd_host_memory*)handle) == TrtStatus.Ok;
}

internal sealed unsafe class TrtRuntimeHandle : TrtSafeHandle<srd_runtime>
{
    protected override bool ReleaseHandle() => SrdTrtNative.srd_runtime_destroy((srd_runtime*)handle) == TrtStatus.Ok;
}

internal sealed unsafe class TrtEngineHandle : TrtSafeHandle<srd_engine>
{
    protected override bool ReleaseHandle() => SrdTrtNative.srd_engine_destroy((srd_engine*)handle) == TrtStatus.Ok;
}

internal sealed unsafe class TrtExecutionContextHandle : TrtSafeHandle<srd_execution_context>
{
    protected override bool ReleaseHandle() =>
        SrdTrtNative.srd_execution_context_destroy((srd_execution_context*)handle) == TrtStatus.Ok;
}
