using System.Buffers.Binary;
using Google.Protobuf;
using Onnx;

namespace SuperRes.Deploy.Engines.Onnx;

/// <summary>Reads and rewrites where a <see cref="TensorProto"/> keeps its payload (raw_data, typed fields, external file).</summary>
public static class TensorData
{
    /// <summary>Bytes per element of an ONNX tensor element type (TensorProto.DataType value); 0 for strings and unknown types.</summary>
    public static int ElementSize(int dataType) => (TensorProto.Types.DataType)dataType switch
    {
        TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Uint32 => 4,
        TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Uint64
            or TensorProto.Types.DataType.Complex64 => 8,
        TensorProto.Types.DataType.Complex128 => 16,
        TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16 or TensorProto.Types.DataType.Int16
            or TensorProto.Types.DataType.Uint16 => 2,
        TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool => 1,
        _ => 0,
    };

    /// <summary>The number of elements the tensor's dims describe (1 for a scalar).</summary>
    public static long ElementCount(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        long count = 1;
        foreach (var d in tensor.Dims)
        {
            count = checked(count * d);
        }

        return count;
    }

    /// <summary>The payload size in bytes implied by dims and element type (0 for string tensors).</summary>
    public static long ByteSize(TensorProto tensor) => ElementCount(tensor) * ElementSize(tensor.DataType);

    public static bool IsExternal(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.HasDataLocation && tensor.DataLocation == TensorProto.Types.DataLocation.External;
    }

    /// <summary>Where an external tensor's bytes are: the resolved file, the offset and the length. Validates all three.</summary>
    public static (string File, long Offset, long Length) ResolveExternal(TensorProto tensor, string? baseDirectory, string modelName)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        string? location = null;
        long offset = 0;
        long? length = null;
        foreach (var entry in tensor.ExternalData)
        {
            switch (entry.Key)
            {
                case "location":
                    location = entry.Value;
                    break;
                case "offset":
                    offset = ParseNonNegative(entry.Value, "offset", tensor, modelName);
                    break;
                case "length":
                    length = ParseNonNegative(entry.Value, "length", tensor, modelName);
                    break;
            }
        }

        if (string.IsNullOrEmpty(location))
        {
            throw DeployException.BadInput($"{modelName}: tensor '{tensor.Name}' is marked external but has no location");
        }

        if (Path.IsPathRooted(location) || location.Split('/', '\\').Contains(".."))
        {
            throw DeployException.BadInput($"{modelName}: tensor '{tensor.Name}' has external location '{location}' outside the model's folder");
        }

        if (baseDirectory is null)
        {
            throw DeployException.BadInput($"{modelName}: tensor '{tensor.Name}' uses external data but the model has no folder to resolve '{location}' against");
        }

        var file = Path.Combine(baseDirectory, location);
        if (!File.Exists(file))
        {
            throw DeployException.BadInput($"{modelName}: external data file '{location}' (tensor '{tensor.Name}') not found in {baseDirectory}");
        }

        var fileLength = new FileInfo(file).Length;
        var expected = ByteSize(tensor);
        var actualLength = length ?? (tensor.DataType == (int)TensorProto.Types.DataType.String ? fileLength - offset : expected);
        if (offset + actualLength > fileLength)
        {
            throw DeployException.BadInput(
                $"{modelName}: external data file '{location}' is {fileLength} bytes, too short for tensor '{tensor.Name}' (offset {offset}, length {actualLength})");
        }

        if (expected > 0 && actualLength != expected)
        {
            throw DeployException.BadInput(
                $"{modelName}: tensor '{tensor.Name}' declares {actualLength} external bytes but its shape and type need {expected}");
        }

        return (file, offset, actualLength);
    }

    /// <summary>The tensor's payload as little-endian bytes, converting the typed repeated fields when raw_data is not used.</summary>
    public static byte[] ReadBytes(TensorProto tensor, string? baseDirectory, string modelName)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (IsExternal(tensor))
        {
            var (file, offset, length) = ResolveExternal(tensor, baseDirectory, modelName);
            if (length > Array.MaxLength)
            {
                throw DeployException.BadInput($"{modelName}: tensor '{tensor.Name}' is {length} bytes, larger than one managed array can hold");
            }

            var bytes = new byte[length];
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            stream.Seek(offset, SeekOrigin.Begin);
            stream.ReadExactly(bytes);
            return bytes;
        }

        if (!tensor.RawData.IsEmpty)
        {
            return tensor.RawData.ToByteArray();
        }

        return FromTypedFields(tensor, modelName);
    }

    /// <summary>Stores <paramref name="bytes"/> as the tensor's raw_data and drops every other storage field.</summary>
    public static void MakeInline(TensorProto tensor, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.ExternalData.Clear();
        tensor.ClearDataLocation();
        ClearTypedFields(tensor);
        tensor.RawData = ByteString.CopyFrom(bytes);
    }

    /// <summary>Marks the tensor external at the given location, offset and length, dropping inline storage.</summary>
    public static void MakeExternal(TensorProto tensor, string location, long offset, long length)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ClearTypedFields(tensor);
        tensor.RawData = ByteString.Empty;
        tensor.ExternalData.Clear();
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        tensor.DataLocation = TensorProto.Types.DataLocation.External;
    }

    private static void ClearTypedFields(TensorProto tensor)
    {
        tensor.FloatData.Clear();
        tensor.Int32Data.Clear();
        tensor.Int64Data.Clear();
        tensor.DoubleData.Clear();
        tensor.Uint64Data.Clear();
        tensor.StringData.Clear();
    }

    private static long ParseNonNegative(string text, string key, TensorProto tensor, string modelName)
    {
        if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            throw DeployException.BadInput($"{modelName}: tensor '{tensor.Name}' has an invalid external-data {key} '{text}'");
        }

        return value;
    }

    private static byte[] FromTypedFields(TensorProto tensor, string modelName)
    {
        var type = (TensorProto.Types.DataType)tensor.DataType;
        var count = ElementCount(tensor);
        var size = ElementSize(tensor.DataType);
        if (size == 0)
        {
            throw DeployException.BadInput($"{modelName}: tensor '{tensor.Name}' has element type {type}, which has no byte layout");
        }

        var bytes = new byte[checked(count * size)];
        var span = bytes.AsSpan();
        switch (type)
        {
            case TensorProto.Types.DataType.Float:
                Check(tensor.FloatData.Count);
                for (var i = 0; i < count; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(span[(i * 4)..], tensor.FloatData[i]);
                }

                break;
            case TensorProto.Types.DataType.Double:
                Check(tensor.DoubleData.Count);
                for (var i = 0; i < count; i++)
                {
                    BinaryPrimitives.WriteDoubleLittleEndian(span[(i * 8)..], tensor.DoubleData[i]);
                }

                break;
            case TensorProto.Types.DataType.Int64:
                Check(tensor.Int64Data.Count);
                for (var i = 0; i < count; i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(span[(i * 8)..], tensor.Int64Data[i]);
                }

                break;
            case TensorProto.Types.DataType.Uint32 or TensorProto.Types.DataType.Uint64:
                Check(tensor.Uint64Data.Count);
                for (var i = 0; i < count; i++)
                {
                    if (size == 4)
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(span[(i * 4)..], (uint)tensor.Uint64Data[i]);
                    }
                    else
                    {
                        BinaryPrimitives.WriteUInt64LittleEndian(span[(i * 8)..], tensor.Uint64Data[i]);
                    }
                }

                break;
            default:
                // INT32 and every narrower type (INT8/16, UINT8/16, BOOL, FLOAT16, BFLOAT16) keep one element per int32_data entry.
                Check(tensor.Int32Data.Count);
                for (var i = 0; i < count; i++)
                {
                    var v = tensor.Int32Data[i];
                    switch (size)
                    {
                        case 4:
                            BinaryPrimitives.WriteInt32LittleEndian(span[(i * 4)..], v);
                            break;
                        case 2:
                            BinaryPrimitives.WriteUInt16LittleEndian(span[(i * 2)..], unchecked((ushort)v));
                            break;
                        default:
                            span[i] = unchecked((byte)v);
                            break;
                    }
                }

                break;
        }

        return bytes;

        void Check(int available)
        {
            if (available != count)
            {
                throw DeployException.BadInput($"{modelName}: tensor '{tensor.Name}' has {available} stored values but its shape needs {count}");
            }
        }
    }
}
