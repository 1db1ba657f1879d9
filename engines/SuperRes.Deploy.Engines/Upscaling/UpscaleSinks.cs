using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using SuperRes.Deploy.Engines.Imaging;

namespace SuperRes.Deploy.Engines.Upscaling;

/// <summary>
/// Where <see cref="TiledUpscaler"/> puts finished output pixels. Rows arrive in pieces (one tile's columns at a time)
/// and become complete in order: after <see cref="Commit"/>(n) no row below n is touched again. Every source row is
/// shown to the sink as it is read (for the alpha channel, which is resized apart from the model).
/// </summary>
public interface IUpscaleSink
{
    /// <summary>The source and output sizes and the most rows in flight between two commits; called once before anything else.</summary>
    void Begin(UpscaleGeometry geometry);

    /// <summary>Source row <paramref name="y"/> (planar, the source's channels), in order, as it is read.</summary>
    void AcceptSourceRow(int y, ReadOnlySpan<float> planarRow);

    /// <summary>How many source rows must have been read before rows below <paramref name="rowsDone"/> can be committed.</summary>
    int SourceRowsNeeded(int rowsDone);

    /// <summary>
    /// Final model colour samples (RGB, not clamped) of output row <paramref name="row"/>, columns
    /// [<paramref name="column"/>, <paramref name="column"/> + length).
    /// </summary>
    void Put(int row, int column, ReadOnlySpan<float> red, ReadOnlySpan<float> green, ReadOnlySpan<float> blue);

    /// <summary>Every row below <paramref name="rowsDone"/> is complete.</summary>
    void Commit(int rowsDone);
}

/// <summary>The sizes of one upscale run, given to <see cref="IUpscaleSink.Begin"/>.</summary>
/// <param name="SourceWidth">Source columns.</param>
/// <param name="SourceHeight">Source rows.</param>
/// <param name="Scale">The model's scale factor.</param>
/// <param name="MaxPendingRows">The most output rows put between two commits (one band's finished rows).</param>
public sealed record UpscaleGeometry(int SourceWidth, int SourceHeight, int Scale, int MaxPendingRows)
{
    /// <summary>Output columns.</summary>
    public int OutputWidth => SourceWidth * Scale;

    /// <summary>Output rows.</summary>
    public int OutputHeight => SourceHeight * Scale;
}

/// <summary>How output colour is derived from the model's RGB.</summary>
public static class OutputColor
{
    /// <summary>
    /// Grey from the model's RGB for images that came in grey: luma with the BT.601 weights on full-range values,
    /// Y = 0.299 R + 0.587 G + 0.114 B (as PIL's "L" and OpenCV's RGB2GRAY, which Real-ESRGAN uses for grey input).
    /// </summary>
    public static float Luma(float red, float green, float blue) => (float)((0.299 * red) + (0.587 * green) + (0.114 * blue));

    /// <summary>A grey image from an RGB one with <see cref="Luma"/>.</summary>
    public static Image ToGrey(Image rgb)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.Channels != 3)
        {
            throw new ArgumentException("expected an RGB image", nameof(rgb));
        }

        var grey = new Image(rgb.Width, rgb.Height, 1, rgb.BitDepth);
        var r = rgb.Plane(0);
        var g = rgb.Plane(1);
        var b = rgb.Plane(2);
        var y = grey.Plane(0);
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = Luma(r[i], g[i], b[i]);
        }

        return grey;
    }
}

/// <summary>Collects the model's RGB output in a float <see cref="Image"/> (whole image in memory; for tests and callers holding images).</summary>
public sealed class ImageUpscaleSink : IUpscaleSink
{
    private Image? _image;

    /// <summary>The output, available after the run.</summary>
    public Image Image => _image ?? throw new InvalidOperationException("the sink has not been started");

    /// <inheritdoc />
    public void Begin(UpscaleGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        _image = new Image(geometry.OutputWidth, geometry.OutputHeight, 3);
    }

    /// <inheritdoc />
    public void AcceptSourceRow(int y, ReadOnlySpan<float> planarRow)
    {
    }

    /// <inheritdoc />
    public int SourceRowsNeeded(int rowsDone) => 0;

    /// <inheritdoc />
    public void Put(int row, int column, ReadOnlySpan<float> red, ReadOnlySpan<float> green, ReadOnlySpan<float> blue)
    {
        var image = Image;
        var offset = (row * image.Width) + column;
        red.CopyTo(image.Plane(0)[offset..]);
        green.CopyTo(image.Plane(1)[offset..]);
        blue.CopyTo(image.Plane(2)[offset..]);
    }

    /// <inheritdoc />
    public void Commit(int rowsDone)
    {
    }
}

/// <summary>
/// Quantises finished pixels straight into scanlines (grey for grey sources, the source's alpha resized alongside) and
/// writes each row to an <see cref="IScanlineWriter"/> as soon as it is complete. Rows waiting for the rest of their
/// band are held as 8/16-bit scanline bytes, in memory or, past <see cref="SpillThresholdBytes"/>, in a temporary file.
/// </summary>
public sealed class ScanlineUpscaleSink : IUpscaleSink, IDisposable
{
    private readonly int _sourceChannels;
    private readonly Func<int, int, int, IScanlineWriter> _createWriter;
    private readonly string? _spillDirectory;
    private IScanlineWriter? _writer;
    private IPendingRows? _pending;
    private AlphaResampler? _alpha;
    private byte[] _segment = [];
    private byte[] _scanline = [];
    private float[] _alphaRow = [];
    private int _committed;
    private int _capacity;
    private int _width;

    /// <param name="sourceChannels">The source image's channels (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA).</param>
    /// <param name="bitDepth">8 or 16.</param>
    /// <param name="createWriter">Makes the writer from (width, height, channels) once the output size is known.</param>
    /// <param name="spillDirectory">Where rows waiting for their band may be kept when they exceed the threshold; null = always in memory.</param>
    public ScanlineUpscaleSink(int sourceChannels, int bitDepth, Func<int, int, int, IScanlineWriter> createWriter, string? spillDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(createWriter);
        if (bitDepth is not (8 or 16))
        {
            throw DeployException.Usage($"output bit depth must be 8 or 16, not {bitDepth}");
        }

        _sourceChannels = sourceChannels;
        BitDepth = bitDepth;
        _createWriter = createWriter;
        _spillDirectory = spillDirectory;
        Channels = OutputChannels(sourceChannels);
    }

    /// <summary>Output channels for a source's channels: grey stays grey, colour stays colour, alpha is kept.</summary>
    public static int OutputChannels(int sourceChannels) => sourceChannels switch
    {
        1 => 1,
        2 => 2,
        3 => 3,
        4 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(sourceChannels), sourceChannels, "an image has 1 to 4 channels"),
    };

    /// <summary>Pending rows above this many bytes go to a temporary file (default 16 MiB).</summary>
    public long SpillThresholdBytes { get; init; } = 16L << 20;

    /// <summary>Channels written.</summary>
    public int Channels { get; }

    /// <summary>8 or 16.</summary>
    public int BitDepth { get; }

    /// <summary>Whether the pending rows were kept in a temporary file.</summary>
    public bool Spilled => _pending is FilePendingRows;

    /// <summary>Bytes reserved for rows waiting for their band (memory or file).</summary>
    public long PendingBytes { get; private set; }

    private bool HasAlpha => _sourceChannels is 2 or 4;

    private int ColorChannels => HasAlpha ? Channels - 1 : Channels;

    private int BytesPerSample => BitDepth / 8;

    /// <inheritdoc />
    public void Begin(UpscaleGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        var width = geometry.OutputWidth;
        _width = width;
        _writer = _createWriter(width, geometry.OutputHeight, Channels);
        var rowBytes = Scanlines.Length(width, Channels, BitDepth);
        _capacity = Math.Max(1, geometry.MaxPendingRows);
        PendingBytes = (long)rowBytes * _capacity;
        _pending = _spillDirectory is not null && PendingBytes > SpillThresholdBytes
            ? new FilePendingRows(_spillDirectory, rowBytes, _capacity)
            : new MemoryPendingRows(rowBytes, _capacity);
        _scanline = new byte[rowBytes];
        if (HasAlpha)
        {
            _alpha = new AlphaResampler(geometry, _sourceChannels);
            _alphaRow = new float[width];
        }
    }

    /// <inheritdoc />
    public void AcceptSourceRow(int y, ReadOnlySpan<float> planarRow) => _alpha?.Add(y, planarRow);

    /// <inheritdoc />
    public int SourceRowsNeeded(int rowsDone) => _alpha is null || rowsDone == 0 ? 0 : _alpha.SourceRowsNeeded(rowsDone - 1);

    /// <inheritdoc />
    public void Put(int row, int column, ReadOnlySpan<float> red, ReadOnlySpan<float> green, ReadOnlySpan<float> blue)
    {
        if (row < _committed || row >= _committed + _capacity)
        {
            throw new InvalidOperationException($"row {row} is outside the pending rows {_committed}..{_committed + _capacity - 1}");
        }

        var count = red.Length;
        var pixelBytes = Channels * BytesPerSample;
        if (_segment.Length < count * pixelBytes)
        {
            _segment = new byte[count * pixelBytes];
        }

        var segment = _segment.AsSpan(0, count * pixelBytes);
        for (var x = 0; x < count; x++)
        {
            var at = x * pixelBytes;
            if (ColorChannels == 1)
            {
                Store(segment, at, OutputColor.Luma(red[x], green[x], blue[x]));
            }
            else
            {
                Store(segment, at, red[x]);
                Store(segment, at + BytesPerSample, green[x]);
                Store(segment, at + (2 * BytesPerSample), blue[x]);
            }
        }

        // Alpha samples of the segment are left as they are; they are filled in when the row is written.
        _pending!.Write(row % _capacity, column * pixelBytes, segment);
    }

    /// <inheritdoc />
    public void Commit(int rowsDone)
    {
        var writer = _writer ?? throw new InvalidOperationException("the sink has not been started");
        for (var row = _committed; row < rowsDone; row++)
        {
            _pending!.Read(row % _capacity, _scanline);
            if (_alpha is not null)
            {
                _alpha.OutputRow(row, _alphaRow);
                var pixelBytes = Channels * BytesPerSample;
                var at = ColorChannels * BytesPerSample;
                for (var x = 0; x < _width; x++)
                {
                    Store(_scanline, (x * pixelBytes) + at, _alphaRow[x]);
                }
            }

            writer.WriteScanline(_scanline);
        }

        _committed = Math.Max(_committed, rowsDone);
    }

    /// <summary>Ends the file (every row must have been committed).</summary>
    public void Complete() => (_writer ?? throw new InvalidOperationException("the sink has not been started")).Complete();

    /// <inheritdoc />
    public void Dispose()
    {
        _writer?.Dispose();
        _pending?.Dispose();
    }

    private void Store(Span<byte> target, int at, float value)
    {
        if (BitDepth == 8)
        {
            target[at] = Quantization.ToUInt8(value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(target[at..], Quantization.ToUInt16(value));
        }
    }

    private interface IPendingRows : IDisposable
    {
        void Write(int slot, int offset, ReadOnlySpan<byte> bytes);

        void Read(int slot, Span<byte> row);
    }

    private sealed class MemoryPendingRows(int rowBytes, int rows) : IPendingRows
    {
        private readonly byte[][] _rows = Enumerable.Range(0, rows).Select(_ => new byte[rowBytes]).ToArray();

        public void Write(int slot, int offset, ReadOnlySpan<byte> bytes) => bytes.CopyTo(_rows[slot].AsSpan(offset));

        public void Read(int slot, Span<byte> row) => _rows[slot].CopyTo(row);

        public void Dispose()
        {
        }
    }

    /// <summary>Pending rows in a temporary file (deleted on close): the process keeps only the row being written.</summary>
    private sealed class FilePendingRows : IPendingRows
    {
        private readonly SafeFileHandle _file;
        private readonly int _rowBytes;

        public FilePendingRows(string directory, int rowBytes, int rows)
        {
            _rowBytes = rowBytes;
            var path = Path.Combine(directory, $".srdeploy-rows.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            _file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Delete, FileOptions.DeleteOnClose, (long)rowBytes * rows);
            try
            {
                // Unlinked at once where the system allows it (Unix): even a killed process leaves no file behind.
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Deleted on close instead.
            }
        }

        public void Write(int slot, int offset, ReadOnlySpan<byte> bytes) => RandomAccess.Write(_file, bytes, ((long)slot * _rowBytes) + offset);

        public void Read(int slot, Span<byte> row)
        {
            var read = RandomAccess.Read(_file, row, (long)slot * _rowBytes);
            if (read != row.Length)
            {
                throw new IOException($"temporary row file: read {read} of {row.Length} bytes");
            }
        }

        public void Dispose() => _file.Dispose();
    }
}

/// <summary>
/// The source's alpha plane resized by the scale, row by row, with exactly the arithmetic of
/// <see cref="Image.WithAlphaFrom"/> (MATLAB bicubic <see cref="Resize.Imresize(Image, int, int)"/>, columns first,
/// clamped to [0, 1]): source rows are kept only while an output row still needs them.
/// </summary>
internal sealed class AlphaResampler
{
    private readonly Resize.Contributions _rows;
    private readonly Resize.Contributions _columns;
    private readonly int _sourceWidth;
    private readonly int _alphaOffset;
    private readonly RowRing _source;
    private readonly double[] _middle;

    public AlphaResampler(UpscaleGeometry geometry, int sourceChannels)
    {
        _sourceWidth = geometry.SourceWidth;
        _alphaOffset = (sourceChannels - 1) * geometry.SourceWidth;
        _rows = Resize.Contributions.Compute(geometry.SourceHeight, geometry.OutputHeight, geometry.OutputHeight / (double)geometry.SourceHeight);
        _columns = Resize.Contributions.Compute(geometry.SourceWidth, geometry.OutputWidth, geometry.OutputWidth / (double)geometry.SourceWidth);
        _source = new RowRing(geometry.SourceWidth);
        _middle = new double[geometry.SourceWidth];
    }

    /// <summary>Keeps source row <paramref name="y"/>'s alpha plane (rows arrive in order).</summary>
    public void Add(int y, ReadOnlySpan<float> planarRow)
    {
        if (y != _source.End)
        {
            throw new InvalidOperationException($"source row {y} arrived out of order (expected {_source.End})");
        }

        planarRow.Slice(_alphaOffset, _sourceWidth).CopyTo(_source.Append());
    }

    /// <summary>Source rows that must be present to compute output row <paramref name="outputRow"/>.</summary>
    public int SourceRowsNeeded(int outputRow)
    {
        var last = 0;
        for (var k = 0; k < _rows.Taps; k++)
        {
            if (_rows.Weight(outputRow, k) != 0)
            {
                last = Math.Max(last, _rows.Index(outputRow, k));
            }
        }

        return last + 1;
    }

    /// <summary>Output row <paramref name="outputRow"/> (rows asked for in increasing order); releases source rows no later row needs.</summary>
    public void OutputRow(int outputRow, Span<float> target)
    {
        // Along columns first, then along the row, summing in the order Resize does, so the result is bit-identical.
        Array.Clear(_middle);
        for (var k = 0; k < _rows.Taps; k++)
        {
            var weight = _rows.Weight(outputRow, k);
            if (weight == 0)
            {
                continue;
            }

            var from = _source.Row(_rows.Index(outputRow, k));
            for (var x = 0; x < _sourceWidth; x++)
            {
                _middle[x] += weight * from[x];
            }
        }

        for (var x = 0; x < target.Length; x++)
        {
            double sum = 0;
            for (var k = 0; k < _columns.Taps; k++)
            {
                sum += _columns.Weight(x, k) * _middle[_columns.Index(x, k)];
            }

            target[x] = Math.Clamp((float)sum, 0f, 1f);
        }

        if (outputRow + 1 < _rows.OutputLength)
        {
            var lowest = int.MaxValue;
            for (var k = 0; k < _rows.Taps; k++)
            {
                if (_rows.Weight(outputRow + 1, k) != 0)
                {
                    lowest = Math.Min(lowest, _rows.Index(outputRow + 1, k));
                }
            }

            _source.ReleaseBelow(lowest);
        }
    }
}
