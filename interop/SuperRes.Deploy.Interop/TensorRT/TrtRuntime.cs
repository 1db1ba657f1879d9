namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>TensorRT's IRuntime: turns plans into engines. Load the plugin libraries a plan uses first
/// (<see cref="TrtPluginLibrary"/>).</summary>
public sealed unsafe class TrtRuntime : IDisposable
{
    private readonly TrtRuntimeHandle _handle;

    private TrtRuntime(TrtRuntimeHandle handle) => _handle = handle;

    public static TrtRuntime Create()
    {
        TrtShimLibrary.EnsureLoaded();
        srd_runtime* runtime = null;
        TrtNative.Check(SrdTrtNative.srd_runtime_create(&runtime), nameof(SrdTrtNative.srd_runtime_create));
        var handle = new TrtRuntimeHandle();
        handle.Adopt(runtime);
        return new TrtRuntime(handle);
    }

    /// <summary>Needed for version-compatible plans that embed a lean runtime.</summary>
    public void SetEngineHostCodeAllowed(bool allowed)
    {
        using var runtime = _handle.Borrow();
        TrtNative.Check(SrdTrtNative.srd_runtime_set_engine_host_code_allowed(runtime.Pointer, allowed ? 1 : 0),
            nameof(SrdTrtNative.srd_runtime_set_engine_host_code_allowed));
    }

    public TrtEngine Deserialize(ReadOnlySpan<byte> plan)
    {
        srd_engine* engine = null;
        using (var runtime = _handle.Borrow())
        {
            fixed (byte* data = plan)
            {
                TrtNative.Check(SrdTrtNative.srd_runtime_deserialize(runtime.Pointer, data, (ulong)plan.Length, &engine),
                    nameof(SrdTrtNative.srd_runtime_deserialize));
            }
        }

        var handle = new TrtEngineHandle();
        handle.Adopt(engine);
        return new TrtEngine(handle);
    }

    public void Dispose() => _handle.Dispose();
}
