using System.Buffers;
using Google.Protobuf;
using Onnx;

namespace SuperRes.Deploy.Engines.Onnx;

/// <summary>
/// Parses a <see cref="ModelProto"/> from a stream so that every initializer's raw_data is read from the file straight
/// into its final array: one copy, no whole-file buffer. Google.Protobuf's own stream parser reads any bytes field
/// larger than its 4 KiB buffer as a list of 4 KiB chunks and then concatenates them (twice the memory, many small
/// allocations); parsing from one span would need the whole file in memory first.
/// </summary>
/// <remarks>
/// Only three places are parsed by hand: ModelProto.graph (field 7), GraphProto.initializer (field 5) and
/// TensorProto.raw_data (field 9). Every other field is copied as wire bytes and merged with Google.Protobuf's
/// generated MergeFrom. Parsing a message equals merging its fields one by one (protobuf's merge rules: repeated
/// fields append, singular scalars take the last value, singular messages merge), so the result is the message
/// <c>ModelProto.Parser.ParseFrom</c> would give, unknown fields included.
/// </remarks>
internal static class OnnxModelReader
{
    private const uint ModelGraphTag = (7 << 3) | WireLengthDelimited;
    private const uint GraphInitializerTag = (5 << 3) | WireLengthDelimited;
    private const uint TensorRawDataTag = (9 << 3) | WireLengthDelimited;

    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLengthDelimited = 2;
    private const int WireStartGroup = 3;
    private const int WireEndGroup = 4;
    private const int WireFixed32 = 5;

    /// <summary>Nesting limit for groups copied by hand (protobuf's own limit for messages is 100).</summary>
    private const int MaxGroupDepth = 100;

    public static ModelProto Read(Stream stream, long length)
    {
        var reader = new WireReader(stream, length);
        var model = new ModelProto();
        var rest = new ArrayBufferWriter<byte>();
        while (reader.Position < length)
        {
            var tag = reader.ReadTag();
            if (tag == ModelGraphTag)
            {
                var end = reader.ReadLengthEnd(length);
                var graph = ReadGraph(reader, end);
                if (model.Graph is null)
                {
                    model.Graph = graph;
                }
                else
                {
                    model.Graph.MergeFrom(graph);
                }
            }
            else
            {
                reader.CopyField(tag, rest, length, depth: 0);
            }
        }

        model.MergeFrom(rest.WrittenSpan);
        return model;
    }

    private static GraphProto ReadGraph(WireReader reader, long end)
    {
        var graph = new GraphProto();
        var rest = new ArrayBufferWriter<byte>();
        while (reader.Position < end)
        {
            var tag = reader.ReadTag();
            if (tag == GraphInitializerTag)
            {
                var tensorEnd = reader.ReadLengthEnd(end);
                graph.Initializer.Add(ReadTensor(reader, tensorEnd));
            }
            else
            {
                reader.CopyField(tag, rest, end, depth: 0);
            }
        }

        reader.ExpectPosition(end);
        graph.MergeFrom(rest.WrittenSpan);
        return graph;
    }

    private static TensorProto ReadTensor(WireReader reader, long end)
    {
        var tensor = new TensorProto();
        var rest = new ArrayBufferWriter<byte>();
        ByteString? raw = null;
        while (reader.Position < end)
        {
            var tag = reader.ReadTag();
            if (tag == TensorRawDataTag)
            {
                var rawEnd = reader.ReadLengthEnd(end);
                var bytes = GC.AllocateUninitializedArray<byte>((int)(rawEnd - reader.Position));
                reader.ReadExactly(bytes);
                // The array is referenced by nothing else, so the ByteString may wrap it instead of copying it.
                raw = UnsafeByteOperations.UnsafeWrap(bytes);
            }
            else
            {
                reader.CopyField(tag, rest, end, depth: 0);
            }
        }

        reader.ExpectPosition(end);
        tensor.MergeFrom(rest.WrittenSpan);
        if (raw is not null)
        {
            tensor.RawData = raw;
        }

        return tensor;
    }

    /// <summary>Protobuf wire-format reading over a stream with its own buffer; large payloads bypass the buffer.</summary>
    private sealed class WireReader(Stream stream, long length)
    {
        private const int BufferBytes = 64 << 10;
        private readonly byte[] _buffer = new byte[BufferBytes];
        private long _bufferStart;
        private int _position;
        private int _count;

        public long Position => _bufferStart + _position;

        public uint ReadTag()
        {
            var tag = ReadVarint();
            if (tag > uint.MaxValue || (tag >> 3) == 0)
            {
                throw new MalformedProtobufException(truncated: false, $"invalid field tag {tag} at byte {Position}");
            }

            return (uint)tag;
        }

        /// <summary>Reads a length prefix and returns where the field ends, checking it ends within <paramref name="limit"/>.</summary>
        public long ReadLengthEnd(long limit)
        {
            var value = ReadVarint();
            if (value > int.MaxValue)
            {
                throw new MalformedProtobufException(truncated: false, $"field length {value} at byte {Position} is over 2 GiB");
            }

            var end = Position + (long)value;
            if (end > limit)
            {
                throw limit == length
                    ? new MalformedProtobufException(truncated: true, $"a field at byte {Position} needs {value} bytes but the file ends at byte {length}")
                    : new MalformedProtobufException(truncated: false, $"a field at byte {Position} claims {value} bytes, past the end of its message");
            }

            return end;
        }

        public void ExpectPosition(long end)
        {
            if (Position != end)
            {
                throw new MalformedProtobufException(truncated: false, $"a field crosses the end of its message at byte {end}");
            }
        }

        public ulong ReadVarint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = ReadByte();
                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return result;
                }
            }

            throw new MalformedProtobufException(truncated: false, $"malformed varint before byte {Position}");
        }

        public void ReadExactly(Span<byte> destination)
        {
            var buffered = Math.Min(destination.Length, _count - _position);
            _buffer.AsSpan(_position, buffered).CopyTo(destination);
            _position += buffered;
            destination = destination[buffered..];
            if (destination.IsEmpty)
            {
                return;
            }

            if (destination.Length >= BufferBytes)
            {
                // Large payloads go from the file to their destination directly.
                _bufferStart += _count;
                _position = _count = 0;
                while (!destination.IsEmpty)
                {
                    var n = stream.Read(destination);
                    if (n == 0)
                    {
                        throw new MalformedProtobufException(truncated: true, "the file ends in the middle of a field");
                    }

                    _bufferStart += n;
                    destination = destination[n..];
                }

                return;
            }

            while (!destination.IsEmpty)
            {
                Fill();
                var n = Math.Min(destination.Length, _count - _position);
                _buffer.AsSpan(_position, n).CopyTo(destination);
                _position += n;
                destination = destination[n..];
            }
        }

        /// <summary>Copies one field (tag and value) as wire bytes to <paramref name="output"/>.</summary>
        public void CopyField(uint tag, ArrayBufferWriter<byte> output, long limit, int depth)
        {
            WriteVarint(output, tag);
            switch ((int)(tag & 7))
            {
                case WireVarint:
                    WriteVarint(output, ReadVarint());
                    break;
                case WireFixed64:
                    ReadExactly(output.GetSpan(8)[..8]);
                    output.Advance(8);
                    break;
                case WireFixed32:
                    ReadExactly(output.GetSpan(4)[..4]);
                    output.Advance(4);
                    break;
                case WireLengthDelimited:
                    var end = ReadLengthEnd(limit);
                    var size = (int)(end - Position);
                    WriteVarint(output, (ulong)size);
                    ReadExactly(output.GetSpan(size)[..size]);
                    output.Advance(size);
                    break;
                case WireStartGroup:
                    if (depth >= MaxGroupDepth)
                    {
                        throw new MalformedProtobufException(truncated: false, "groups nested too deeply");
                    }

                    var endTag = (tag & ~7u) | WireEndGroup;
                    while (true)
                    {
                        var inner = ReadTag();
                        if (inner == endTag)
                        {
                            WriteVarint(output, inner);
                            break;
                        }

                        CopyField(inner, output, limit, depth + 1);
                    }

                    break;
                default:
                    throw new MalformedProtobufException(truncated: false, $"invalid wire type {tag & 7} at byte {Position}");
            }

            if (Position > limit)
            {
                throw new MalformedProtobufException(truncated: limit == length, $"a field crosses the end of its message at byte {limit}");
            }
        }

        private static void WriteVarint(ArrayBufferWriter<byte> output, ulong value)
        {
            var span = output.GetSpan(10);
            var i = 0;
            while (value >= 0x80)
            {
                span[i++] = (byte)(value | 0x80);
                value >>= 7;
            }

            span[i++] = (byte)value;
            output.Advance(i);
        }

        private byte ReadByte()
        {
            if (_position == _count)
            {
                Fill();
            }

            return _buffer[_position++];
        }

        private void Fill()
        {
            if (_position < _count)
            {
                return;
            }

            _bufferStart += _count;
            _position = 0;
            _count = stream.Read(_buffer, 0, (int)Math.Min(BufferBytes, Math.Max(0, length - _bufferStart)));
            if (_count == 0)
            {
                throw new MalformedProtobufException(truncated: true, "the file ends in the middle of a field");
            }
        }
    }
}

/// <summary>The model file is not well-formed protobuf; <see cref="Truncated"/> when it ends in the middle of a field.</summary>
internal sealed class MalformedProtobufException(bool truncated, string detail) : Exception(detail)
{
    public bool Truncated { get; } = truncated;
}
