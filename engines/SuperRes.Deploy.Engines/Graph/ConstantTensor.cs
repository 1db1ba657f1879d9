using System.Buffers.Binary;
using Google.Protobuf;
using Onnx;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Engines.Graph;

/// <summary>
/// The data of a value fixed in the model (an initializer or a Constant node's tensor), decoded on request. Large
/// tensors are never decoded unless asked for; the <c>maxElements</c> guards keep analysis cheap.
/// </summary>
public sealed class ConstantTensor
{
    private readonly Func<TensorProto, byte[]> _reader;
    private byte[]? _bytes;

    internal ConstantTensor(TensorProto proto, Func<TensorProto, byte[]> reader)
    {
        Proto = proto;
        _reader = reader;
    }

    public TensorProto Proto { get; }

    /// <summary>ONNX element type (TensorProto.DataType value).</summary>
    public int ElementType => Proto.DataType;

    public IReadOnlyList<long> Shape => Proto.Dims;

    public long ElementCount => TensorData.ElementCount(Proto);

    /// <summary>The payload as little-endian bytes.</summary>
    public byte[] ReadBytes() => _bytes ??= _reader(Proto);

    /// <summary>The values as int64 for integer and bool tensors of at most <paramref name="maxElements"/> elements.</summary>
    public bool TryGetInt64s(out long[] values, long maxElements = 4096)
    {
        values = [];
        var type = (TensorProto.Types.DataType)ElementType;
        if (ElementCount > maxElements || !IsInteger(type))
        {
            return false;
        }

        var bytes = ReadBytes();
        var count = (int)ElementCount;
        var size = TensorData.ElementSize(ElementType);
        if (bytes.Length < count * size)
        {
            return false;
        }

        values = new long[count];
        for (var i = 0; i < count; i++)
        {
            var span = bytes.AsSpan(i * size, size);
            values[i] = type switch
            {
                TensorProto.Types.DataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(span),
                TensorProto.Types.DataType.Uint64 => unchecked((long)BinaryPrimitives.ReadUInt64LittleEndian(span)),
                TensorProto.Types.DataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(span),
                TensorProto.Types.DataType.Uint32 => BinaryPrimitives.ReadUInt32LittleEndian(span),
                TensorProto.Types.DataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(span),
                TensorProto.Types.DataType.Uint16 => BinaryPrimitives.ReadUInt16LittleEndian(span),
                TensorProto.Types.DataType.Int8 => unchecked((sbyte)span[0]),
                _ => span[0],
            };
        }

        return true;
    }

    /// <summary>The values as doubles for numeric tensors of at most <paramref name="maxElements"/> elements.</summary>
    public bool TryGetDoubles(out double[] values, long maxElements = 4096)
    {
        values = [];
        var type = (TensorProto.Types.DataType)ElementType;
        if (ElementCount > maxElements)
        {
            return false;
        }

        if (IsInteger(type))
        {
            if (!TryGetInt64s(out var ints, maxElements))
            {
                return false;
            }

            values = [.. ints.Select(i => (double)i)];
            return true;
        }

        var size = TensorData.ElementSize(ElementType);
        if (type is not (TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16))
        {
            return false;
        }

        var bytes = ReadBytes();
        var count = (int)ElementCount;
        if (bytes.Length < count * size)
        {
            return false;
        }

        values = new double[count];
        for (var i = 0; i < count; i++)
        {
            var span = bytes.AsSpan(i * size, size);
            values[i] = type switch
            {
                TensorProto.Types.DataType.Float => BinaryPrimitives.ReadSingleLittleEndian(span),
                TensorProto.Types.DataType.Double => BinaryPrimitives.ReadDoubleLittleEndian(span),
                TensorProto.Types.DataType.Float16 => (double)BinaryPrimitives.ReadHalfLittleEndian(span),
                _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(span) << 16),
            };
        }

        return true;
    }

    /// <summary>The single value of a one-element numeric tensor.</summary>
    public bool TryGetScalar(out double value)
    {
        value = 0;
        if (ElementCount != 1 || !TryGetDoubles(out var values, 1))
        {
            return false;
        }

        value = values[0];
        return true;
    }

    public static bool IsInteger(TensorProto.Types.DataType type) => type is TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Int32
        or TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint64
        or TensorProto.Types.DataType.Uint32 or TensorProto.Types.DataType.Uint16 or TensorProto.Types.DataType.Uint8
        or TensorProto.Types.DataType.Bool;

    /// <summary>The tensor a Constant node carries, whichever attribute holds it (value, value_float(s), value_int(s)).</summary>
    public static TensorProto? FromConstantNode(NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(node);
        foreach (var a in node.Attribute)
        {
            switch (a.Name)
            {
                case "value" when a.T is not null:
                    return a.T;
                case "value_float":
                    return Tensors.FromFloats([], [a.F]);
                case "value_floats":
                    return Tensors.FromFloats([a.Floats.Count], [.. a.Floats]);
                case "value_int":
                    return Tensors.FromInt64s([], [a.I]);
                case "value_ints":
                    return Tensors.FromInt64s([a.Ints.Count], [.. a.Ints]);
            }
        }

        return null;
    }
}

/// <summary>Factories for small tensors (initializers and Constant values created by passes and tests).</summary>
public static class Tensors
{
    public static TensorProto FromInt64s(long[] dims, long[] values, string name = "")
    {
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(values);
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        }

        return Make(name, TensorProto.Types.DataType.Int64, dims, bytes);
    }

    public static TensorProto FromFloats(long[] dims, float[] values, string name = "")
    {
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(values);
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return Make(name, TensorProto.Types.DataType.Float, dims, bytes);
    }

    /// <summary>A float tensor of the given shape filled by <paramref name="fill"/>(index) (weights for test models).</summary>
    public static TensorProto FromFloats(long[] dims, Func<long, float> fill, string name = "")
    {
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(fill);
        var count = dims.Aggregate(1L, (a, b) => a * b);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = fill(i);
        }

        return FromFloats(dims, values, name);
    }

    public static TensorProto Make(string name, TensorProto.Types.DataType type, long[] dims, byte[] rawData)
    {
        ArgumentNullException.ThrowIfNull(dims);
        var t = new TensorProto { Name = name ?? string.Empty, DataType = (int)type, RawData = ByteString.CopyFrom(rawData) };
        t.Dims.AddRange(dims);
        return t;
    }
}
