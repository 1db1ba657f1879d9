using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SuperRes.Deploy.Engines.Imaging;

/// <summary>
/// Reads a PNG file one row at a time: the chunks before the image data are read when the reader is created, then the
/// IDAT data is inflated incrementally as rows are asked for and each scanline is unfiltered against the previous one.
/// Memory stays at a few scanlines plus zlib's window, whatever the image height.
/// </summary>
/// <remarks>
/// <para>Samples, channels and bit depth are exactly those of <see cref="Png.Decode"/> (the same header, palette,
/// transparency, unfiltering and sample conversion code). Every chunk's CRC is checked as the chunk is passed; a
/// damaged ancillary chunk is skipped as by <see cref="Png.Decode"/>.</para>
/// <para>Adam7-interlaced images cannot be produced row by row (the last pass fills every other row): for them the
/// reader rewinds the stream, decodes the whole image with <see cref="Png.Decode"/> and serves its rows
/// (<see cref="IsStreaming"/> is false). Their memory use is that of the whole image.</para>
/// <para>Differences from the whole-file decoder: a problem after the image data (a missing IEND, a damaged chunk after
/// the last IDAT) is only found by <see cref="Finish"/>; a truncated IDAT stream is found at the row where it ends.</para>
/// </remarks>
public sealed class PngRowReader : IImageRowReader
{
    private const int MaxStoredChunk = 1 << 16;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly long _origin;
    private readonly PngDecoder _decoder;
    private readonly Image? _whole;
    private readonly IdatStream? _idat;
    private readonly ZLibStream? _zlib;
    private readonly float[]? _scale;
    private byte[] _previous = [];
    private byte[] _current = [];
    private long _position; // offset in the PNG file of the next byte to read from _stream
    private bool _finished;

    /// <summary>Opens a PNG file.</summary>
    /// <exception cref="DeployException">BadInput: the file is missing, unreadable or its header chunks are malformed.</exception>
    public static PngRowReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var reader = ImageRowFiles.OpenRead(path);
        if (reader is PngRowReader png)
        {
            return png;
        }

        reader.Dispose();
        throw DeployException.BadInput($"{path}: not a PNG file");
    }

    /// <summary>
    /// Reads the signature and the chunks up to the first IDAT from <paramref name="stream"/> (positioned at the
    /// signature). Interlaced images need a seekable stream.
    /// </summary>
    /// <exception cref="DeployException">BadInput: the header chunks are malformed.</exception>
    public PngRowReader(Stream stream, string sourceName, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        _stream = stream;
        _leaveOpen = leaveOpen;
        SourceName = sourceName;
        _decoder = new PngDecoder(sourceName);
        _origin = stream.CanSeek ? stream.Position : 0;
        try
        {
            Span<byte> signature = stackalloc byte[8];
            var got = ReadUpTo(signature);
            if (!Png.HasSignature(signature[..got]))
            {
                throw _decoder.Fail(got < 8 ? "not a PNG file (too short for the signature)" : "not a PNG file (bad signature)");
            }

            var first = ReadChunksUntilImageData();
            Width = _decoder.Width;
            Height = _decoder.Height;
            Channels = _decoder.Channels;
            BitDepth = _decoder.ImageBitDepth;
            if (_decoder.Interlaced)
            {
                _whole = DecodeWhole();
                return;
            }

            _scale = _decoder.ScaleTable();
            _previous = new byte[_decoder.Stride];
            _current = new byte[_decoder.Stride];
            _idat = new IdatStream(this, first);
            _zlib = new ZLibStream(_idat, CompressionMode.Decompress, leaveOpen: true);
        }
        catch
        {
            if (!leaveOpen)
            {
                stream.Dispose();
            }

            throw;
        }
    }

    /// <inheritdoc />
    public string SourceName { get; }

    /// <inheritdoc />
    public int Width { get; }

    /// <inheritdoc />
    public int Height { get; }

    /// <inheritdoc />
    public int Channels { get; }

    /// <inheritdoc />
    public int BitDepth { get; }

    /// <inheritdoc />
    public bool IsStreaming => _whole is null;

    /// <inheritdoc />
    public int RowsRead { get; private set; }

    /// <inheritdoc />
    public void ReadRow(Span<float> planarRow)
    {
        if (RowsRead >= Height)
        {
            throw new InvalidOperationException($"all {Height} rows of {SourceName} have been read");
        }

        if (planarRow.Length < Width * Channels)
        {
            throw new ArgumentException($"a row of {Channels}×{Width} needs {Width * Channels} samples", nameof(planarRow));
        }

        if (_whole is not null)
        {
            ImageRowReader.CopyRow(_whole, RowsRead++, planarRow);
            return;
        }

        var stride = _current.Length;
        int filter;
        var filled = 0;
        try
        {
            filter = _zlib!.ReadByte();
            if (filter >= 0)
            {
                filled = 1;
                while (filled < stride + 1)
                {
                    var read = _zlib.Read(_current, filled - 1, stride + 1 - filled);
                    if (read == 0)
                    {
                        break;
                    }

                    filled += read;
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw _decoder.Fail($"corrupt compressed image data (IDAT): {PngDecoder.OneLine(e.Message)}");
        }

        if (filled < stride + 1)
        {
            var expected = (long)Height * (stride + 1);
            throw _decoder.Fail($"truncated image data (IDAT): {((long)RowsRead * (stride + 1)) + filled} of {expected} bytes of scanlines");
        }

        _decoder.Unfilter((byte)filter, _current, _previous, _decoder.FilterBytesPerPixel, RowsRead);
        _decoder.StoreRow(_current, planarRow, Width, 0, RowsRead, 0, 1, Width, _scale);
        (_previous, _current) = (_current, _previous);
        RowsRead++;
    }

    /// <inheritdoc />
    public void Finish()
    {
        if (_finished || _whole is not null)
        {
            _finished = true;
            return;
        }

        // The rest of the image data (zlib's checksum, padding) is not needed; the chunks carrying it are CRC-checked.
        var next = _idat!.SkipToEnd();
        while (true)
        {
            if (next.Type == "IEND")
            {
                _decoder.CheckHeaderSeen(next.Type);
                ReadChunkData(next, store: false);
                _finished = true;
                return;
            }

            if (next.Type == "IDAT")
            {
                ReadChunkData(next, store: false); // IDAT after other chunks: the whole-file decoder would join it; nothing is left to decode
            }
            else if (ReadChunkData(next, store: true) is { } data)
            {
                _decoder.AcceptChunk(next.Type, data, next.Critical);
            }

            next = ReadChunkHeader() ?? throw _decoder.Fail("truncated file: no IEND chunk");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _zlib?.Dispose();
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private Image DecodeWhole()
    {
        if (!_stream.CanSeek)
        {
            throw _decoder.Fail("an interlaced image needs a seekable stream to be read row by row");
        }

        _stream.Position = _origin;
        using var buffer = new MemoryStream();
        _stream.CopyTo(buffer);
        return Png.Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), SourceName);
    }

    /// <summary>Reads chunks until the first IDAT header; returns it (its data not yet read).</summary>
    private ChunkHeader ReadChunksUntilImageData()
    {
        while (true)
        {
            var header = ReadChunkHeader() ?? throw _decoder.Fail(_decoder.SawHeader ? "truncated file: no IEND chunk" : "truncated file: no IHDR chunk");
            switch (header.Type)
            {
                case "IDAT":
                    _decoder.CheckHeaderSeen(header.Type);
                    _decoder.CheckReadyForData();
                    return header;
                case "IEND":
                    _decoder.CheckHeaderSeen(header.Type);
                    ReadChunkData(header, store: false);
                    throw _decoder.Fail("no IDAT chunk (no image data)");
                default:
                    if (ReadChunkData(header, store: true) is { } data)
                    {
                        _decoder.AcceptChunk(header.Type, data, header.Critical);
                    }

                    break;
            }
        }
    }

    /// <summary>The next chunk's length and type, or null at the end of the stream.</summary>
    private ChunkHeader? ReadChunkHeader()
    {
        Span<byte> bytes = stackalloc byte[8];
        var offset = _position;
        var got = ReadUpTo(bytes);
        if (got == 0)
        {
            return null;
        }

        if (got < 8)
        {
            throw _decoder.Fail($"truncated file: chunk header at offset {offset} is cut short");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        var typeBytes = bytes.Slice(4, 4);
        if (!PngDecoder.IsChunkType(typeBytes))
        {
            throw _decoder.Fail($"invalid chunk type bytes at offset {offset} (not letters; corrupt or not a PNG)");
        }

        var type = Encoding.ASCII.GetString(typeBytes);
        if (length > int.MaxValue)
        {
            throw _decoder.Fail($"chunk '{type}' at offset {offset} declares an invalid length {length}");
        }

        if (_stream.CanSeek)
        {
            var remaining = _stream.Length - _stream.Position - 4;
            if (length > remaining)
            {
                throw _decoder.Fail($"truncated file: chunk '{type}' at offset {offset} declares {length} bytes, only {Math.Max(0, remaining)} remain");
            }
        }

        return new ChunkHeader(type, (int)length, offset, char.IsUpper(type[0]));
    }

    /// <summary>
    /// Reads a chunk's data and CRC. Returns the data when <paramref name="store"/> and the chunk is small enough to be
    /// one the decoder reads (IHDR, PLTE, tRNS are tiny); null when the data was only checked (or the chunk was an
    /// ancillary one with a bad CRC, which is skipped).
    /// </summary>
    private byte[]? ReadChunkData(ChunkHeader header, bool store)
    {
        var crc = Crc32.Append(Crc32.Start, Encoding.ASCII.GetBytes(header.Type));
        byte[]? data = null;
        if (store && header.Length <= MaxStoredChunk)
        {
            data = new byte[header.Length];
            ReadExactly(data, header);
            crc = Crc32.Append(crc, data);
        }
        else
        {
            if (store && header.Type is "IHDR" or "PLTE")
            {
                throw _decoder.Fail(header.Type == "IHDR"
                    ? $"IHDR chunk has {header.Length} bytes, not 13"
                    : $"PLTE chunk has an invalid length {header.Length}");
            }

            var buffer = new byte[Math.Min(header.Length, 1 << 16)];
            var left = header.Length;
            while (left > 0)
            {
                var part = buffer.AsSpan(0, Math.Min(left, buffer.Length));
                ReadExactly(part, header);
                crc = Crc32.Append(crc, part);
                left -= part.Length;
            }
        }

        if (!CheckCrc(crc, header))
        {
            return null;
        }

        return data;
    }

    /// <summary>Reads the stored CRC and compares it: a mismatch is fatal in a critical chunk, and makes an ancillary one skipped (false).</summary>
    private bool CheckCrc(uint runningCrc, ChunkHeader header)
    {
        Span<byte> stored = stackalloc byte[4];
        ReadExactly(stored, header);
        if (Crc32.Finish(runningCrc) == BinaryPrimitives.ReadUInt32BigEndian(stored))
        {
            return true;
        }

        if (header.Critical)
        {
            throw _decoder.Fail($"CRC mismatch in chunk '{header.Type}' at offset {header.Offset}");
        }

        return false;
    }

    private void ReadExactly(Span<byte> buffer, ChunkHeader header)
    {
        var got = ReadUpTo(buffer);
        if (got < buffer.Length)
        {
            throw _decoder.Fail($"truncated file: chunk '{header.Type}' at offset {header.Offset} declares {header.Length} bytes, the file ends first");
        }
    }

    private int ReadUpTo(Span<byte> buffer)
    {
        var got = _stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        _position += got;
        return got;
    }

    private readonly record struct ChunkHeader(string Type, int Length, long Offset, bool Critical);

    /// <summary>The concatenated data of consecutive IDAT chunks, read on demand, each chunk's CRC checked at its end.</summary>
    private sealed class IdatStream(PngRowReader owner, ChunkHeader first) : Stream
    {
        private ChunkHeader _chunk = first;
        private int _left = first.Length;
        private uint _crc = Crc32.Append(Crc32.Start, "IDAT"u8);
        private long _total;
        private ChunkHeader? _after; // the first chunk after the image data, once reached

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }

            while (_left == 0)
            {
                if (!NextChunk())
                {
                    if (_total == 0)
                    {
                        throw owner._decoder.Fail("IDAT chunks hold no data (zero-length IDAT)");
                    }

                    return 0;
                }
            }

            var part = buffer[..Math.Min(buffer.Length, _left)];
            owner.ReadExactly(part, _chunk);
            _crc = Crc32.Append(_crc, part);
            _left -= part.Length;
            _total += part.Length;
            return part.Length;
        }

        /// <summary>Reads and checks the rest of the image data; returns the header of the chunk that follows it.</summary>
        public ChunkHeader SkipToEnd()
        {
            var scratch = new byte[1 << 16];
            while (_after is null)
            {
                while (_left > 0)
                {
                    var part = scratch.AsSpan(0, Math.Min(_left, scratch.Length));
                    owner.ReadExactly(part, _chunk);
                    _crc = Crc32.Append(_crc, part);
                    _left -= part.Length;
                }

                NextChunk();
            }

            return _after.Value;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        /// <summary>Ends the current chunk (CRC) and starts the next IDAT; false when the image data has ended.</summary>
        private bool NextChunk()
        {
            if (_after is not null)
            {
                return false;
            }

            owner.CheckCrc(_crc, _chunk);
            var next = owner.ReadChunkHeader() ?? throw owner._decoder.Fail("truncated file: no IEND chunk");
            if (next.Type != "IDAT")
            {
                _after = next;
                return false;
            }

            _chunk = next;
            _left = next.Length;
            _crc = Crc32.Append(Crc32.Start, "IDAT"u8);
            return true;
        }
    }
}
