namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>TensorRT's INetworkDefinition, filled by <see cref="TrtOnnxParser"/>.</summary>
public sealed unsafe class TrtNetwork : IDisposable
{
    internal TrtNetwork(TrtNetworkHandle handle) => Handle = handle;

    internal TrtNetworkHandle Handle { get; }

    public bool IsStronglyTyped
    {
        get
        {
            var value = 0;
            using var network = Handle.Borrow();
            TrtNative.Check(SrdTrtNative.srd_network_get_strongly_typed(network.Pointer, &value),
                nameof(SrdTrtNative.srd_network_get_strongly_typed));
            return value != 0;
        }
    }

    public int LayerCount
    {
        get
        {
            var value = 0;
            using var network = Handle.Borrow();
            TrtNative.Check(SrdTrtNative.srd_network_get_nb_layers(network.Pointer, &value),
                nameof(SrdTrtNative.srd_network_get_nb_layers));
            return value;
        }
    }

    public IReadOnlyList<TrtTensorInfo> GetInputs() => GetTensors(TrtTensorIoMode.Input);

    public IReadOnlyList<TrtTensorInfo> GetOutputs() => GetTensors(TrtTensorIoMode.Output);

    private List<TrtTensorInfo> GetTensors(TrtTensorIoMode mode)
    {
        using var network = Handle.Borrow();
        var pointer = network.Pointer;
        var count = 0;
        TrtNative.Check(SrdTrtNative.srd_network_get_nb_tensors(pointer, mode, &count),
            nameof(SrdTrtNative.srd_network_get_nb_tensors));
        var tensors = new List<TrtTensorInfo>(count);
        for (var i = 0; i < count; i++)
        {
            var index = i;
            var name = TrtNative.ReadString(nameof(SrdTrtNative.srd_network_get_tensor_name),
                (buffer, size, required) => SrdTrtNative.srd_network_get_tensor_name(pointer, mode, index, buffer, size, required));
            srd_tensor_info info;
            TrtNative.Check(SrdTrtNative.srd_network_get_tensor_info(pointer, mode, i, &info),
                nameof(SrdTrtNative.srd_network_get_tensor_info));
            tensors.Add(new TrtTensorInfo(name, info.io_mode, info.data_type, TrtDims.FromNative(info.shape)));
        }

        return tensors;
    }

    public void Dispose() => Handle.Dispose();
}
