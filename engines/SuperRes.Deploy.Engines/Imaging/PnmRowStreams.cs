using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace SuperRes.Deploy.Engines.Imaging;

/// <summary>
/// Reads a binary PGM/PPM (P5/P6) one row at a time, with the sample values of <see cref="Pnm.Decode"/> (q / maxval).
/// ASCII files (P2/P3) have no fixed row length; they are decoded whole with <see cref="Pnm.Decode"/> and served from
/// memory (<see cref="IsStreaming"/> false).
/// </summary>
public sealed class PnmRowReader : IImageRowReader
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly Image? _whole;
    private readonly float[] _scale = [];
    private readonly byte[] _raster = [];
    private readonly int _maxValue;
    private readonly int _bytesPerSample;

    /// <summary>Reads the header from <paramref name="stream"/> (positioned at the "P5"/"P6" magic).</summary>
    /// <exception cref="DeployException">BadInput: the header is malformed.</exception>
    public PnmRowReader(Stream stream, string sourceName, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        _stream = stream;
        _leaveOpen = leaveOpen;
        SourceName = sourceName;
        try
        {
            var magic = new byte[2];
            var got = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            if (!Pnm.HasSignature(magic.AsSpan(0, got)))
            {
                throw Fail("not a PGM/PPM file (expected P2, P3, P5 or P6)");
            }

            if (magic[1] is (byte)'2' or (byte)'3')
            {
                using var buffer = new MemoryStream();
                buffer.Write(magic);
                stream.CopyTo(buffer);
                _whole = Pnm.Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), sourceName);
                (Width, Height, Channels, BitDepth) = (_whole.Width, _whole.Height, _whole.Channels, _whole.BitDepth);
                return;
            }

            var width = ReadHeaderNumber("width");
            var height = ReadHeaderNumber("height");
            var maxValue = ReadHeaderNumber("maxval");
            if (width == 0 || height == 0)
            {
                throw Fail($"invalid dimensions {width}×{height}");
            }

            if (maxValue is 0 or > 65535)
            {
                throw Fail($"maxval {maxValue} is outside 1..65535");
            }

            Channels = magic[1] == (byte)'6' ? 3 : 1;
            if (width * height > Png.MaxPixels || width * Channels > Array.MaxLength / 2)
            {
                throw Fail($"image too large: {width}×{height}");
            }

            // Exactly one whitespace byte separates maxval from the raster; ReadHeaderNumber consumed it.
            (Width, Height) = ((int)width, (int)height);
            _maxValue = (int)maxValue;
            BitDepth = maxValue > 255 ? 16 : 8;
            _bytesPerSample = maxValue > 255 ? 2 : 1;
            _scale = new float[maxValue + 1];
            for (var q = 0; q <= maxValue; q++)
            {
                _scale[q] = q / (float)maxValue; // the value Pnm.Decode gives
            }

            _raster = new byte[Width * Channels * _bytesPerSample];
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

        if (_whole is not null)
        {
            ImageRowReader.CopyRow(_whole, RowsRead++, planarRow);
            return;
        }

        if (planarRow.Length < Width * Channels)
        {
            throw new ArgumentException($"a row of {Channels}×{Width} needs {Width * Channels} samples", nameof(planarRow));
        }

        var got = _stream.ReadAtLeast(_raster, _raster.Length, throwOnEndOfStream: false);
        if (got < _raster.Length)
        {
            var total = (long)_raster.Length * Height;
            throw Fail($"truncated raster: {((long)RowsRead * _raster.Length) + got} of {total} bytes");
        }

        var count = Width * Channels;
        for (var i = 0; i < count; i++)
        {
            var q = _bytesPerSample == 1 ? _raster[i] : BinaryPrimitives.ReadUInt16BigEndian(_raster.AsSpan(i * 2));
            if (q > _maxValue)
            {
                throw Fail($"sample {q} exceeds maxval {_maxValue}");
            }

            planarRow[((i % Channels) * Width) + (i / Channels)] = _scale[q];
        }

        RowsRead++;
    }

    /// <inheritdoc />
    public void Finish()
    {
        // Bytes after the raster (further images of a multi-image file) are ignored, as by Pnm.Decode.
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private DeployException Fail(string problem) => DeployException.BadInput($"{SourceName}: PNM: {problem}");

    /// <summary>Skips whitespace and comments, reads a decimal number and the one byte that ends it.</summary>
    private long ReadHeaderNumber(string what)
    {
        var b = _stream.ReadByte();
        while (true)
        {
            if (b == '#')
            {
                while (b >= 0 && b is not ('\n' or '\r'))
                {
                    b = _stream.ReadByte();
                }
            }
            else if (b >= 0 && IsWhitespace(b))
            {
                b = _stream.ReadByte();
            }
            else
            {
                break;
            }
        }

        if (b < 0)
        {
            throw Fail($"truncated header: no {what}");
        }

        if (!char.IsAsciiDigit((char)b))
        {
            throw Fail($"invalid {what} in header");
        }

        long value = 0;
        while (b >= 0 && char.IsAsciiDigit((char)b))
        {
            value = (value * 10) + (b - '0');
            if (value > int.MaxValue)
            {
                throw Fail($"invalid {what} in header");
            }

            b = _stream.ReadByte();
        }

        if (what == "maxval" && (b < 0 || !IsWhitespace(b)))
        {
            throw Fail("missing whitespace after maxval");
        }

        if (b >= 0 && !IsWhitespace(b) && b != '#')
        {
            throw Fail($"invalid {what} in header");
        }

        if (b == '#')
        {
            while (b >= 0 && b is not ('\n' or '\r'))
            {
                b = _stream.ReadByte();
            }
        }

        return value;
    }

    private static bool IsWhitespace(int b) => b is ' ' or '\t' or '\n' or '\r' or 0x0B or 0x0C;
}

/// <summary>
/// Writes a binary PGM (P5, one channel) or PPM (P6, three channels) one row at a time from PNG-layout scanlines (the
/// same interleaved, big-endian 16-bit layout Netpbm stores). With forceColor, grey rows are written as P6 (R = G = B).
/// Netpbm has no alpha.
/// </summary>
public sealed class PnmRowWriter : IScanlineWriter
{
    private readonly Stream _destination;
    private readonly bool _expandGrey;
    private readonly byte[] _expanded = [];
    private bool _completed;

    /// <summary>Writes the header.</summary>
    public PnmRowWriter(Stream destination, int width, int height, int channels, ImageWriteOptions? options = null, bool forceColor = false)
    {
        ArgumentNullException.ThrowIfNull(destination);
        options ??= ImageWriteOptions.Default;
        options.Validate();
        if (channels is not (1 or 3))
        {
            throw DeployException.Usage("PGM/PPM cannot store an alpha channel; write PNG instead");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        _destination = destination;
        Width = width;
        Height = height;
        Channels = channels;
        BitDepth = options.BitDepth;
        _expandGrey = forceColor && channels == 1;
        var outputChannels = _expandGrey ? 3 : channels;
        if (_expandGrey)
        {
            _expanded = new byte[Scanlines.Length(width, 3, BitDepth)];
        }

        var header = string.Create(CultureInfo.InvariantCulture,
            $"P{(outputChannels == 3 ? 6 : 5)}\n{width} {height}\n{(BitDepth == 8 ? 255 : 65535)}\n");
        destination.Write(Encoding.ASCII.GetBytes(header));
    }

    /// <inheritdoc />
    public int Width { get; }

    /// <inheritdoc />
    public int Height { get; }

    /// <inheritdoc />
    public int Channels { get; }

    /// <inheritdoc />
    public int BitDepth { get; }

    /// <inheritdoc />
    public int RowsWritten { get; private set; }

    /// <inheritdoc />
    public void WriteScanline(ReadOnlySpan<byte> scanline)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (RowsWritten >= Height)
        {
            throw new InvalidOperationException($"all {Height} rows have been written");
        }

        var length = Scanlines.Length(Width, Channels, BitDepth);
        if (scanline.Length != length)
        {
            throw new ArgumentException($"a scanline has {length} bytes, got {scanline.Length}", nameof(scanline));
        }

        if (_expandGrey)
        {
            var bytes = BitDepth / 8;
            for (var x = 0; x < Width; x++)
            {
                var sample = scanline.Slice(x * bytes, bytes);
                for (var c = 0; c < 3; c++)
                {
                    sample.CopyTo(_expanded.AsSpan(((x * 3) + c) * bytes));
                }
            }

            _destination.Write(_expanded);
        }
        else
        {
            _destination.Write(scanline);
        }

        RowsWritten++;
    }

    /// <inheritdoc />
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (RowsWritten != Height)
        {
            throw new InvalidOperationException($"{RowsWritten} of {Height} rows written");
        }

        _completed = true;
    }

    /// <inheritdoc />
    public void Dispose() => _completed = true;
}
