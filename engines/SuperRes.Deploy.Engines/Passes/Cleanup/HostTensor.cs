using System.Buffers.Binary;
using Onnx;
using SuperRes.Deploy.Engines.Graph;
using DataType = Onnx.TensorProto.Types.DataType;

namespace SuperRes.Deploy.Engines.Passes.Cleanup;

/// <summary>
/// A small constant tensor for the folding evaluator: integer and bool elements as <c>long</c> (exact), float32 elements
/// as <c>float</c>. Only int64, int32, bool and float32 are represented; other types are not folded.
/// </summary>
internal sealed class HostTensor
{
    private HostTensor(int type, long[] shape, long[]? ints, float[]? floats)
    {
        Type = type;
        Shape = shape;
        Ints = ints;
        Floats = floats;
    }

    /// <summary>ONNX element type: Int64, Int32, Bool or Float.</summary>
    public int Type { get; }

    public long[] Shape { get; }

    public long[]? Ints { get; }

    public float[]? Floats { get; }

    public int Count => Ints?.Length ?? Floats!.Length;

    public int Rank => Shape.Length;

    public bool IsFloat => Floats is not null;

    public long ByteSize => (long)Count * (Type == (int)DataType.Int64 ? 8 : Type == (int)DataType.Bool ? 1 : 4);

    public static bool Supports(int type) =>
        type is (int)DataType.Int64 or (int)DataType.Int32 or (int)DataType.Bool or (int)DataType.Float;

    public static HostTensor OfInts(int type, long[] shape, long[] values)
    {
        if (type == (int)DataType.Bool)
        {
            values = [.. values.Select(v => v != 0 ? 1L : 0L)];
        }
        else if (type == (int)DataType.Int32)
        {
            values = [.. values.Select(v => (long)unchecked((int)v))];
        }

        return new HostTensor(type, shape, values, null);
    }

    public static HostTensor OfFloats(long[] shape, float[] values) => new((int)DataType.Float, shape, null, values);

    /// <summary>Decodes a constant; null for unsupported types or tensors over <paramref name="maxBytes"/>.</summary>
    public static HostTensor? From(ConstantTensor constant, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(constant);
        var type = constant.ElementType;
        if (!Supports(type) || constant.ElementCount * 8 > maxBytes || constant.ElementCount > int.MaxValue / 8)
        {
            return null;
        }

        var shape = constant.Shape.ToArray();
        var count = (int)constant.ElementCount;
        if (type == (int)DataType.Float)
        {
            var bytes = constant.ReadBytes();
            if (bytes.Length < count * 4)
            {
                return null;
            }

            var floats = new float[count];
            for (var i = 0; i < count; i++)
            {
                floats[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
            }

            return OfFloats(shape, floats);
        }

        return constant.TryGetInt64s(out var ints, count) ? OfInts(type, shape, ints) : null;
    }

    /// <summary>The tensor as an initializer named <paramref name="name"/>.</summary>
    public TensorProto ToTensorProto(string name)
    {
        byte[] bytes;
        if (Floats is not null)
        {
            bytes = new byte[Floats.Length * 4];
            for (var i = 0; i < Floats.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), Floats[i]);
            }
        }
        else if (Type == (int)DataType.Int64)
        {
            bytes = new byte[Ints!.Length * 8];
            for (var i = 0; i < Ints.Length; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), Ints[i]);
            }
        }
        else if (Type == (int)DataType.Int32)
        {
            bytes = new byte[Ints!.Length * 4];
            for (var i = 0; i < Ints.Length; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), (int)Ints[i]);
            }
        }
        else
        {
            bytes = [.. Ints!.Select(v => (byte)(v != 0 ? 1 : 0))];
        }

        return Tensors.Make(name, (DataType)Type, Shape, bytes);
    }

    public static long Product(IEnumerable<long> dims) => dims.Aggregate(1L, (a, b) => checked(a * b));

    public static long[] Strides(long[] shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }

        return strides;
    }

    /// <summary>A tensor of this type with elements picked by <paramref name="source"/> (index map).</summary>
    public HostTensor Gather(long[] shape, long[] source) =>
        Floats is not null
            ? OfFloats(shape, [.. source.Select(i => Floats[i])])
            : new HostTensor(Type, shape, [.. source.Select(i => Ints![i])], null);

    public HostTensor WithShape(long[] shape) => new(Type, shape, Ints, Floats);
}
