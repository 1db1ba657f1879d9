using System.Globalization;

namespace SuperRes.Deploy.Engines.Runtime;

/// <summary>
/// A dense, row-major tensor held in a typed managed array (<c>float[]</c> for Float32, <c>Half[]</c> for Float16,
/// <c>long[]</c> for Int64...). The array is used as given, never copied: runners read inputs from it in place (ONNX Runtime
/// wraps it pinned), so do not change it while a run uses it.
/// </summary>
public sealed class Tensor
{
    private readonly long[] _shape;

    private Tensor(TensorElementType elementType, Array data, long[] shape)
    {
        ElementType = elementType;
        Data = data;
        _shape = shape;
    }

    /// <summary>The element type; <see cref="Data"/> is an array of <see cref="TensorElementTypes.ClrType"/> of it.</summary>
    public TensorElementType ElementType { get; }

    /// <summary>The size of each axis.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>The number of axes.</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements (the product of <see cref="Shape"/>; 1 for a scalar).</summary>
    public int ElementCount => Data.Length;

    /// <summary>The elements, row-major, as a typed array (<c>float[]</c>, <c>Half[]</c>, <c>long[]</c>...).</summary>
    public Array Data { get; }

    /// <summary>Wraps a float32 array (no copy).</summary>
    public static Tensor FromArray(float[] data, params long[] shape) => Create(data, shape);

    /// <summary>Wraps a float16 array (no copy).</summary>
    public static Tensor FromArray(Half[] data, params long[] shape) => Create(data, shape);

    /// <summary>Wraps a float64 array (no copy).</summary>
    public static Tensor FromArray(double[] data, params long[] shape) => Create(data, shape);

    /// <summary>Wraps an int8 array (no copy).</summary>
    public static Tensor FromArray(sbyte[] data, params long[] shape) => Create(data, shape);

    /// <summary>Wraps a uint8 array (no copy).</summary>
    public static Tensor FromArray(byte[] data, params long[] shape) => Create(data, shape);

    /// <summary>Wraps an int32 array (no copy).</summary>
    public static Tensor FromArray(int[] data, params long[] shape) => Create(data, shape);

    /// <summary>Wraps an int64 array (no copy).</summary>
    public static Tensor FromArray(long[] data, params long[] shape) => Create(data, shape);

    /// <summary>Wraps a bool array (no copy).</summary>
    public static Tensor FromArray(bool[] data, params long[] shape) => Create(data, shape);

    /// <summary>Wraps an array of any supported element type (no copy).</summary>
    /// <exception cref="ArgumentException">An axis is negative, or the shape's element count differs from the array length.</exception>
    public static Tensor Create<T>(T[] data, params long[] shape)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        var count = ElementCountOf(shape);
        if (count != data.Length)
        {
            throw new ArgumentException(
                $"shape {Format(shape)} holds {count} elements but the array has {data.Length}", nameof(shape));
        }

        return new Tensor(TensorElementTypes.Of<T>(), data, (long[])shape.Clone());
    }

    /// <summary>A zero-filled tensor.</summary>
    public static Tensor Zeros(TensorElementType elementType, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var count = ElementCountOf(shape);
        if (count > Array.MaxLength)
        {
            throw new ArgumentException($"shape {Format(shape)} holds {count} elements, more than an array can", nameof(shape));
        }

        return new Tensor(elementType, Array.CreateInstance(elementType.ClrType(), count), (long[])shape.Clone());
    }

    /// <summary>The elements as a span over the backing array.</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> is not the backing type of <see cref="ElementType"/>.</exception>
    public Span<T> AsSpan<T>()
        where T : unmanaged => TypedData<T>();

    /// <summary>The elements as memory over the backing array (for pinning).</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> is not the backing type of <see cref="ElementType"/>.</exception>
    public Memory<T> AsMemory<T>()
        where T : unmanaged => TypedData<T>();

    /// <summary>E.g. <c>float32[1,3,64,64]</c>.</summary>
    public override string ToString() => $"{ElementType.Name()}{Format(_shape)}";

    /// <summary>Formats a shape as <c>[1,3,64,64]</c>.</summary>
    public static string Format(IEnumerable<long> shape) =>
        $"[{string.Join(",", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))}]";

    private T[] TypedData<T>()
        where T : unmanaged =>
        Data as T[] ?? throw new InvalidOperationException($"the tensor holds {ElementType.Name()} elements, not {typeof(T).Name}");

    private static long ElementCountOf(long[] shape)
    {
        long count = 1;
        foreach (var axis in shape)
        {
            if (axis < 0)
            {
                throw new ArgumentException($"shape {Format(shape)} has a negative axis", nameof(shape));
            }

            count = checked(count * axis);
        }

        return count;
    }
}
