using System.Buffers.Binary;
using System.IO.Compression;

namespace SuperRes.Deploy.Engines.Imaging;

/// <summary>
/// Writes a non-interlaced PNG one row at a time: the signature and IHDR when created, then each scanline filtered (the
/// filter per row chosen by the minimum sum of absolute signed bytes, or <see cref="ImageWriteOptions.RowFilter"/> for
/// every row) and deflated into IDAT chunks of at most 256 KiB as it comes, and IEND by <see cref="Complete"/>. Memory is a
/// few scanlines plus zlib's state, whatever the image height.
/// </summary>
public sealed class PngRowWriter : IScanlineWriter
{
    private readonly Stream _destination;
    private readonly Png.IdatStream _idat;
    private readonly ZLibStream _zlib;
    private readonly int _bytesPerPixel;
    private readonly int? _fixedFilter;
    private readonly byte[][] _candidates = new byte[5][];
    private byte[] _previous;
    private byte[] _current;
    private bool _completed;

    /// <summary>Writes the signature and IHDR of a <paramref name="width"/> × <paramref name="height"/> image.</summary>
    /// <param name="destination">Where the file goes (not closed by this writer).</param>
    /// <param name="width">Columns.</param>
    /// <param name="height">Rows.</param>
    /// <param name="channels">1 grey, 2 grey + alpha, 3 RGB, 4 RGBA.</param>
    /// <param name="options">Bit depth (8 or 16) and zlib level.</param>
    public PngRowWriter(Stream destination, int width, int height, int channels, ImageWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        options ??= ImageWriteOptions.Default;
        options.Validate();
        Image.ValidateShape(width, 1, channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        _destination = destination;
        Width = width;
        Height = height;
        Channels = channels;
        BitDepth = options.BitDepth;
        _bytesPerPixel = channels * (BitDepth / 8);
        _fixedFilter = options.RowFilter;
        var stride = Scanlines.Length(width, channels, BitDepth);
        _previous = new byte[stride];
        _current = new byte[stride];
        for (var f = 0; f < 5; f++)
        {
            _candidates[f] = new byte[stride + 1];
            _candidates[f][0] = (byte)f;
        }

        Png.WriteSignature(destination);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)height);
        header[8] = (byte)BitDepth;
        header[9] = (byte)Png.ColorTypeFor(channels);
        header[10] = 0; // deflate
        header[11] = 0; // adaptive filtering
        header[12] = 0; // not interlaced
        Png.WriteChunk(destination, "IHDR"u8, header);
        _idat = new Png.IdatStream(destination);
        _zlib = new ZLibStream(_idat, new ZLibCompressionOptions { CompressionLevel = options.CompressionLevel }, leaveOpen: true);
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

        if (scanline.Length != _current.Length)
        {
            throw new ArgumentException($"a scanline has {_current.Length} bytes, got {scanline.Length}", nameof(scanline));
        }

        scanline.CopyTo(_current);
        // Adaptive: all five filters tried; fixed (RowFilter): only that one.
        var first = _fixedFilter ?? 0;
        var last = _fixedFilter ?? 4;
        var best = first;
        var bestCost = long.MaxValue;
        for (var f = first; f <= last; f++)
        {
            var cost = Png.FilterRow(f, _current, _previous, _bytesPerPixel, _candidates[f].AsSpan(1));
            if (cost < bestCost)
            {
                bestCost = cost;
                best = f;
            }
        }

        _zlib.Write(_candidates[best]);
        (_previous, _current) = (_current, _previous);
        RowsWritten++;
    }

    /// <inheritdoc />
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (RowsWritten != Height)
        {
            throw new InvalidOperationException($"{RowsWritten} of {Height} rows written; a PNG needs them all");
        }

        _zlib.Dispose(); // flushes the deflate stream into the last IDAT chunks
        _idat.Dispose();
        Png.WriteChunk(_destination, "IEND"u8, []);
        _completed = true;
    }

    /// <summary>Releases zlib's state. Without <see cref="Complete"/> the file is left unfinished (and must be discarded).</summary>
    public void Dispose()
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        try
        {
            _zlib.Dispose();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The file is unfinished and will be discarded; a failing flush must not hide the error that stopped the writing.
        }
    }
}
