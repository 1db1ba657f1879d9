namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>TensorRT's ICudaEngine: I/O tensors, optimization profiles, inspector JSON, execution contexts.</summary>
public sealed unsafe class TrtEngine : IDisposable
{
    internal TrtEngine(TrtEngineHandle handle) => Handle = handle;

    internal TrtEngineHandle Handle { get; }

    public IReadOnlyList<TrtTensorInfo> GetIOTensors()
    {
        using var engine = Handle.Borrow();
        var pointer = engine.Pointer;
        var count = 0;
        TrtNative.Check(SrdTrtNative.srd_engine_get_nb_io_tensors(pointer, &count),
            nameof(SrdTrtNative.srd_engine_get_nb_io_tensors));
        var tensors = new List<TrtTensorInfo>(count);
        for (var i = 0; i < count; i++)
        {
            var index = i;
            var name = TrtNative.ReadString(nameof(SrdTrtNative.srd_engine_get_io_tensor_name),
                (buffer, size, required) => SrdTrtNative.srd_engine_get_io_tensor_name(pointer, index, buffer, size, required));
            tensors.Add(GetTensorInfo(pointer, name));
        }

        return tensors;
    }

    public TrtTensorInfo GetTensorInfo(string name)
    {
        using var engine = Handle.Borrow();
        return GetTensorInfo(engine.Pointer, name);
    }

    public int OptimizationProfileCount
    {
        get
        {
            var count = 0;
            using var engine = Handle.Borrow();
            TrtNative.Check(SrdTrtNative.srd_engine_get_nb_optimization_profiles(engine.Pointer, &count),
                nameof(SrdTrtNative.srd_engine_get_nb_optimization_profiles));
            return count;
        }
    }

    /// <summary>Min/opt/max of an input in one profile, as built into the engine.</summary>
    public TrtProfileShape GetProfileShape(string inputName, int profileIndex)
    {
        var name = TrtNative.Utf8(inputName, nameof(inputName));
        using var engine = Handle.Borrow();
        fixed (byte* n = name)
        {
            return new TrtProfileShape(
                ProfileDims(engine.Pointer, n, profileIndex, TrtProfileSelector.Min),
                ProfileDims(engine.Pointer, n, profileIndex, TrtProfileSelector.Opt),
                ProfileDims(engine.Pointer, n, profileIndex, TrtProfileSelector.Max));
        }
    }

    /// <summary>IEngineInspector's engine information as JSON (layer detail needs a DETAILED profiling verbosity at
    /// build time).</summary>
    public string GetInformationJson()
    {
        using var engine = Handle.Borrow();
        var pointer = engine.Pointer;
        return TrtNative.ReadString(nameof(SrdTrtNative.srd_engine_get_information_json),
            (buffer, size, required) => SrdTrtNative.srd_engine_get_information_json(pointer, buffer, size, required));
    }

    public TrtExecutionContext CreateExecutionContext()
    {
        srd_execution_context* context = null;
        using (var engine = Handle.Borrow())
        {
            TrtNative.Check(SrdTrtNative.srd_execution_context_create(engine.Pointer, &context),
                nameof(SrdTrtNative.srd_execution_context_create));
        }

        var handle = new TrtExecutionContextHandle();
        handle.Adopt(context);
        return new TrtExecutionContext(handle);
    }

    public void Dispose() => Handle.Dispose();

    private static TrtTensorInfo GetTensorInfo(srd_engine* engine, string name)
    {
        var utf8 = TrtNative.Utf8(name, nameof(name));
        srd_tensor_info info;
        fixed (byte* n = utf8)
        {
            TrtNative.Check(SrdTrtNative.srd_engine_get_tensor_info(engine, n, &info),
                nameof(SrdTrtNative.srd_engine_get_tensor_info));
        }

        return new TrtTensorInfo(name, info.io_mode, info.data_type, TrtDims.FromNative(info.shape));
    }

    private static TrtDims ProfileDims(srd_engine* engine, byte* name, int profileIndex, TrtProfileSelector selector)
    {
        srd_dims dims;
        TrtNative.Check(SrdTrtNative.srd_engine_get_profile_shape(engine, name, profileIndex, selector, &dims),
            nameof(SrdTrtNative.srd_engine_get_profile_shape));
        return TrtDims.FromNative(dims);
    }
}
