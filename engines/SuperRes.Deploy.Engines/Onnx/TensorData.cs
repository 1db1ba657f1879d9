using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace SuperRes.Deploy.Engines.Onnx;

/// <summary>
/// Reads and rewrites where a <see cref="TensorProto"/> keeps its payload: raw_data, the typed repeated fields
/// (float_data, int32_data, int64_data, double_data, uint64_data, string_data) or an external data file.
/// Payloads are always little-endian bytes in ONNX's element layout, whatever the storage form.
/// </summary>
public static class TensorData
{
    // Element types newer than the schema this project is generated from (onnx 1.12). data_type is a plain int32 in
    // the protobuf, so models from newer exporters parse fine; these values come from later onnx.proto versions.
    private const int Float8E4M3Fn = 17;
    private const int Float8E4M3Fnuz = 18;
    private const int Float8E5M2 = 19;
    private const int Float8E5M2Fnuz = 20;
    private const int Uint4 = 21;
    private const int Int4 = 22;
    private const int Float4E2M1 = 23;

    /// <summary>Chunk size for streamed copies; large enough to amortise system calls, small enough to stay off the LOH churn.</summary>
    internal const int CopyChunkBytes = 1 << 20;

    /// <summary>
    /// Bytes per element of an ONNX tensor element type (TensorProto.DataType value); 0 for strings, for the packed
    /// 4-bit types (two elements per byte: use <see cref="ByteSize"/>) and for unknown types.
    /// </summary>
    public static int ElementSize(int dataType) => dataType switch
    {
        (int)TensorProto.Types.DataType.Float or (int)TensorProto.Types.DataType.Int32 or (int)TensorProto.Types.DataType.Uint32 => 4,
        (int)TensorProto.Types.DataType.Double or (int)TensorProto.Types.DataType.Int64 or (int)TensorProto.Types.DataType.Uint64
            or (int)TensorProto.Types.DataType.Complex64 => 8,
        (int)TensorProto.Types.DataType.Complex128 => 16,
        (int)TensorProto.Types.DataType.Float16 or (int)TensorProto.Types.DataType.Bfloat16 or (int)TensorProto.Types.DataType.Int16
            or (int)TensorProto.Types.DataType.Uint16 => 2,
        (int)TensorProto.Types.DataType.Int8 or (int)TensorProto.Types.DataType.Uint8 or (int)TensorProto.Types.DataType.Bool
            or Float8E4M3Fn or Float8E4M3Fnuz or Float8E5M2 or Float8E5M2Fnuz => 1,
        _ => 0,
    };

    /// <summary>The number of elements the tensor's dims describe (1 for a scalar).</summary>
    public static long ElementCount(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        long count = 1;
        foreach (var d in tensor.Dims)
        {
            if (d < 0)
            {
                throw DeployException.BadInput($"tensor '{tensor.Name}' has a negative dimension ({d})");
            }

            if (d > 0 && count > long.MaxValue / d)
            {
                throw DeployException.BadInput($"tensor '{tensor.Name}' has dimensions whose product overflows 64 bits");
            }

            count *= d;
        }

        return count;
    }

    /// <summary>The payload size in bytes implied by dims and element type (0 for string tensors and unknown types).</summary>
    public static long ByteSize(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var count = ElementCount(tensor);
        if (IsPackedFourBit(tensor.DataType))
        {
            return (count / 2) + (count % 2);
        }

        var size = ElementSize(tensor.DataType);
        if (size > 0 && count > long.MaxValue / size)
        {
            throw DeployException.BadInput($"tensor '{tensor.Name}' is larger than 2^63 bytes");
        }

        return count * size;
    }

    /// <summary>Whether the tensor's payload lives in an external data file (data_location = EXTERNAL).</summary>
    public static bool IsExternal(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.HasDataLocation && tensor.DataLocation == TensorProto.Types.DataLocation.External;
    }

    /// <summary>
    /// Where an external tensor's bytes are: the resolved file, the offset and the length. Validates the location (it
    /// must stay inside <paramref name="baseDirectory"/>), the offset and length, and that the file exists and is long
    /// enough. Every failure is a one-line <see cref="DeployException"/> (bad input).
    /// </summary>
    public static (string File, long Offset, long Length) ResolveExternal(TensorProto tensor, string? baseDirectory, string modelName)
    {
        var reference = ExternalReference.Parse(tensor, baseDirectory, modelName);
        reference.Verify();
        return (reference.File, reference.Offset, reference.Length);
    }

    /// <summary>
    /// The tensor's payload as little-endian bytes, converting the typed repeated fields when raw_data is not used.
    /// External payloads are read now; one of 2 GiB or more cannot be a managed array: stream it with <see cref="OpenRead"/>.
    /// </summary>
    public static byte[] ReadBytes(TensorProto tensor, string? baseDirectory, string modelName)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (IsExternal(tensor))
        {
            var reference = ExternalReference.Parse(tensor, baseDirectory, modelName);
            using var handle = reference.OpenHandle();
            return reference.ReadAll(handle, bytesRead: null);
        }

        return InlineBytes(tensor, modelName);
    }

    /// <summary>
    /// A read-only, seekable stream over the tensor's payload (little-endian bytes, <see cref="Stream.Length"/> = payload
    /// size). External payloads are read from the file as the stream is read, so any size works, 2 GiB and more included.
    /// </summary>
    public static Stream OpenRead(TensorProto tensor, string? baseDirectory, string modelName)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (IsExternal(tensor))
        {
            var reference = ExternalReference.Parse(tensor, baseDirectory, modelName);
            var handle = reference.OpenHandle();
            try
            {
                reference.CheckFits(RandomAccess.GetLength(handle));
                return new FileSegmentStream(handle, ownsHandle: true, reference.Offset, reference.Length, bytesRead: null);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        return InlineStream(tensor, modelName);
    }

    /// <summary>Stores a copy of <paramref name="bytes"/> as the tensor's raw_data and drops every other storage field.</summary>
    public static void MakeInline(TensorProto tensor, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        SetRawData(tensor, ByteString.CopyFrom(bytes));
    }

    /// <summary>Marks the tensor external at the given location, offset and length, dropping inline storage.</summary>
    public static void MakeExternal(TensorProto tensor, string location, long offset, long length)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentException.ThrowIfNullOrEmpty(location);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ClearTypedFields(tensor);
        tensor.ClearRawData();
        tensor.ExternalData.Clear();
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(CultureInfo.InvariantCulture) });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(CultureInfo.InvariantCulture) });
        tensor.DataLocation = TensorProto.Types.DataLocation.External;
    }

    /// <summary>Stores <paramref name="rawData"/> (shared, not copied) as the tensor's raw_data, dropping other storage.</summary>
    internal static void SetRawData(TensorProto tensor, ByteString rawData)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.ExternalData.Clear();
        tensor.ClearDataLocation();
        ClearTypedFields(tensor);
        tensor.RawData = rawData;
    }

    /// <summary>The payload of a tensor that is not external: raw_data as is, or the typed fields converted.</summary>
    internal static byte[] InlineBytes(TensorProto tensor, string modelName)
    {
        if (tensor.HasRawData)
        {
            CheckRawLength(tensor, modelName);
            return tensor.RawData.ToByteArray();
        }

        return FromTypedFields(tensor, modelName);
    }

    /// <summary>A stream over an inline payload, sharing raw_data's memory instead of copying it.</summary>
    internal static Stream InlineStream(TensorProto tensor, string modelName)
    {
        if (tensor.HasRawData)
        {
            CheckRawLength(tensor, modelName);
            if (MemoryMarshal.TryGetArray(tensor.RawData.Memory, out var segment))
            {
                return new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false);
            }

            return new MemoryStream(tensor.RawData.ToByteArray(), writable: false);
        }

        return new MemoryStream(FromTypedFields(tensor, modelName), writable: false);
    }

    /// <summary>The payload size a tensor actually stores: the raw_data length, the declared external length, or the size its typed fields convert to.</summary>
    internal static long StoredByteSize(TensorProto tensor)
    {
        if (IsExternal(tensor))
        {
            foreach (var entry in tensor.ExternalData)
            {
                if (entry.Key == "length" && long.TryParse(entry.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
                {
                    return length;
                }
            }

            return ByteSize(tensor);
        }

        if (tensor.HasRawData)
        {
            return tensor.RawData.Length;
        }

        if (tensor.DataType == (int)TensorProto.Types.DataType.String)
        {
            return tensor.StringData.Sum(s => (long)s.Length);
        }

        return ByteSize(tensor);
    }

    private static bool IsPackedFourBit(int dataType) => dataType is Uint4 or Int4 or Float4E2M1;

    private static void CheckRawLength(TensorProto tensor, string modelName)
    {
        var expected = ByteSize(tensor);
        if (expected > 0 && tensor.RawData.Length != expected)
        {
            throw DeployException.BadInput(
                $"{modelName}: tensor '{tensor.Name}' has {tensor.RawData.Length} bytes of raw_data but its shape and type need {expected}");
        }
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

    private static byte[] FromTypedFields(TensorProto tensor, string modelName)
    {
        var type = tensor.DataType;
        var count = ElementCount(tensor);
        if (type == (int)TensorProto.Types.DataType.String)
        {
            throw DeployException.BadInput($"{modelName}: tensor '{tensor.Name}' holds strings, which have no byte layout");
        }

        var size = ElementSize(type);
        if (size == 0 && !IsPackedFourBit(type))
        {
            throw DeployException.BadInput($"{modelName}: tensor '{tensor.Name}' has element type {type}, which this tool does not know");
        }

        var bytes = new byte[ByteSize(tensor)];
        var span = bytes.AsSpan();
        switch (type)
        {
            case (int)TensorProto.Types.DataType.Float or (int)TensorProto.Types.DataType.Complex64:
                // COMPLEX64 keeps two floats (real, imaginary) per element in float_data.
                CheckCount(tensor.FloatData.Count, bytes.Length / 4);
                for (var i = 0; i < tensor.FloatData.Count; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(span[(i * 4)..], tensor.FloatData[i]);
                }

                break;
            case (int)TensorProto.Types.DataType.Double or (int)TensorProto.Types.DataType.Complex128:
                CheckCount(tensor.DoubleData.Count, bytes.Length / 8);
                for (var i = 0; i < tensor.DoubleData.Count; i++)
                {
                    BinaryPrimitives.WriteDoubleLittleEndian(span[(i * 8)..], tensor.DoubleData[i]);
                }

                break;
            case (int)TensorProto.Types.DataType.Int64:
                CheckCount(tensor.Int64Data.Count, count);
                for (var i = 0; i < tensor.Int64Data.Count; i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(span[(i * 8)..], tensor.Int64Data[i]);
                }

                break;
            case (int)TensorProto.Types.DataType.Uint64:
                CheckCount(tensor.Uint64Data.Count, count);
                for (var i = 0; i < tensor.Uint64Data.Count; i++)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(span[(i * 8)..], tensor.Uint64Data[i]);
                }

                break;
            case (int)TensorProto.Types.DataType.Uint32:
                // UINT32 shares uint64_data with UINT64, one element per entry.
                CheckCount(tensor.Uint64Data.Count, count);
                for (var i = 0; i < tensor.Uint64Data.Count; i++)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(span[(i * 4)..], unchecked((uint)tensor.Uint64Data[i]));
                }

                break;
            default:
                // INT32 and every narrower type (INT8/16, UINT8/16, BOOL, FLOAT16 and BFLOAT16 as bit patterns, the FLOAT8
                // types) keep one element per int32_data entry; the packed 4-bit types keep one byte (two elements) per entry.
                var entries = IsPackedFourBit(type) ? bytes.Length : count;
                CheckCount(tensor.Int32Data.Count, entries);
                var width = IsPackedFourBit(type) ? 1 : size;
                for (var i = 0; i < tensor.Int32Data.Count; i++)
                {
                    var v = tensor.Int32Data[i];
                    switch (width)
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

        void CheckCount(int available, long needed)
        {
            if (available != needed)
            {
                throw DeployException.BadInput($"{modelName}: tensor '{tensor.Name}' has {available} stored values but its shape needs {needed}");
            }
        }
    }
}
