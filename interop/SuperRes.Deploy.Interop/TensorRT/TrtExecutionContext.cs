using System.Buffers;
using System.Runtime.InteropServices;

namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>
/// TensorRT's IExecutionContext with host-buffer execution: the shim owns a CUDA stream and the device buffers, copies
/// inputs in and outputs out, and waits. Select the profile, set every input shape, then <see cref="Execute"/>.
/// </summary>
public sealed unsafe class TrtExecutionContext : IDisposable
{
    private readonly TrtExecutionContextHandle _handle;

    internal TrtExecutionContext(TrtExecutionContextHandle handle) => _handle = handle;

    public void SetOptimizationProfile(int profileIndex)
    {
        using var context = _handle.Borrow();
        TrtNative.Check(SrdTrtNative.srd_execution_context_set_optimization_profile(context.Pointer, profileIndex),
            nameof(SrdTrtNative.srd_execution_context_set_optimization_profile));
    }

    public void SetInputShape(string inputName, TrtDims shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var name = TrtNative.Utf8(inputName, nameof(inputName));
        var dims = shape.ToNative();
        using var context = _handle.Borrow();
        fixed (byte* n = name)
        {
            TrtNative.Check(SrdTrtNative.srd_execution_context_set_input_shape(context.Pointer, n, &dims),
                nameof(SrdTrtNative.srd_execution_context_set_input_shape));
        }
    }

    /// <summary>The resolved shape of a tensor (outputs: once every input shape is set).</summary>
    public TrtDims GetTensorShape(string tensorName)
    {
        var name = TrtNative.Utf8(tensorName, nameof(tensorName));
        srd_dims dims;
        using var context = _handle.Borrow();
        fixed (byte* n = name)
        {
            TrtNative.Check(SrdTrtNative.srd_execution_context_get_tensor_shape(context.Pointer, n, &dims),
                nameof(SrdTrtNative.srd_execution_context_get_tensor_shape));
        }

        return TrtDims.FromNative(dims);
    }

    /// <summary>Runs once. Every engine I/O tensor needs exactly one buffer; buffers are pinned only for the call.
    /// Sets <see cref="TrtHostTensor.BytesWritten"/> on success.</summary>
    public void Execute(IReadOnlyList<TrtHostTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var pins = new MemoryHandle[tensors.Count];
        var names = new IntPtr[tensors.Count];
        var native = new srd_host_tensor[tensors.Count];
        try
        {
            for (var i = 0; i < tensors.Count; i++)
            {
                var tensor = tensors[i] ?? throw new ArgumentException($"tensors[{i}] is null", nameof(tensors));
                pins[i] = tensor.Buffer.Pin();
                names[i] = Marshal.StringToCoTaskMemUTF8(tensor.Name);
                native[i].name = (byte*)names[i];
                native[i].data = pins[i].Pointer;
                native[i].size_bytes = (ulong)tensor.Buffer.Length;
            }

            using var context = _handle.Borrow();
            fixed (srd_host_tensor* array = native)
            {
                TrtNative.Check(SrdTrtNative.srd_execution_context_execute_host(context.Pointer, array, native.Length),
                    nameof(SrdTrtNative.srd_execution_context_execute_host));
            }

            for (var i = 0; i < tensors.Count; i++)
            {
                tensors[i].BytesWritten = native[i].written_bytes;
            }
        }
        finally
        {
            for (var i = 0; i < tensors.Count; i++)
            {
                pins[i].Dispose();
                Marshal.FreeCoTaskMem(names[i]);
            }
        }
    }

    public void Dispose() => _handle.Dispose();
}
