using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Engines.Validation;

/// <summary>Element conversions for comparing tensors of any element type in float32, as Polygraphy compares.</summary>
internal static class TensorValues
{
    /// <summary>The elements as float32: the backing array itself for a float32 tensor, a converted copy otherwise.</summary>
    public static float[] ToFloat(Tensor tensor) => tensor.ElementType switch
    {
        TensorElementType.Float32 => (float[])tensor.Data,
        TensorElementType.Float16 => Map((Half[])tensor.Data, v => (float)v),
        TensorElementType.Float64 => Map((double[])tensor.Data, v => (float)v),
        TensorElementType.Int8 => Map((sbyte[])tensor.Data, v => (float)v),
        TensorElementType.UInt8 => Map((byte[])tensor.Data, v => (float)v),
        TensorElementType.Int32 => Map((int[])tensor.Data, v => (float)v),
        TensorElementType.Int64 => Map((long[])tensor.Data, v => (float)v),
        TensorElementType.Bool => Map((bool[])tensor.Data, v => v ? 1f : 0f),
        _ => throw new ArgumentOutOfRangeException(nameof(tensor), tensor.ElementType, "unknown element type"),
    };

    /// <summary>The elements as doubles (a copy).</summary>
    public static double[] ToDouble(Tensor tensor) => tensor.ElementType switch
    {
        TensorElementType.Float32 => Map((float[])tensor.Data, v => (double)v),
        TensorElementType.Float16 => Map((Half[])tensor.Data, v => (double)v),
        TensorElementType.Float64 => (double[])((double[])tensor.Data).Clone(),
        TensorElementType.Int8 => Map((sbyte[])tensor.Data, v => (double)v),
        TensorElementType.UInt8 => Map((byte[])tensor.Data, v => (double)v),
        TensorElementType.Int32 => Map((int[])tensor.Data, v => (double)v),
        TensorElementType.Int64 => Map((long[])tensor.Data, v => (double)v),
        TensorElementType.Bool => Map((bool[])tensor.Data, v => v ? 1d : 0d),
        _ => throw new ArgumentOutOfRangeException(nameof(tensor), tensor.ElementType, "unknown element type"),
    };

    private static TOut[] Map<TIn, TOut>(TIn[] source, Func<TIn, TOut> convert)
    {
        var result = new TOut[source.Length];
        for (var i = 0; i < source.Length; i++)
        {
            result[i] = convert(source[i]);
        }

        return result;
    }
}
