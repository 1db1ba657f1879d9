using System.Diagnostics;
using System.Globalization;
using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Engines.Upscaling;

/// <summary>Progress of one image: tiles run and output rows finished.</summary>
public sealed record UpscaleProgress(int TilesDone, int TileCount, int RowsDone, int RowCount, TimeSpan Elapsed);

/// <summary>What one upscale did.</summary>
/// <param name="Plan">The tiles.</param>
/// <param name="OutputWidth">Output columns.</param>
/// <param name="OutputHeight">Output rows.</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="InferenceTime">Time spent in the runner.</param>
/// <param name="SourceStreamed">Whether the source was decoded row by row (false: decoded whole first).</param>
/// <param name="PeakSourceRows">The most source rows held at once.</param>
/// <param name="PendingFloatRows">Output rows held as float accumulators where bands overlap.</param>
public sealed record UpscaleResult(
    TilePlan Plan,
    int OutputWidth,
    int OutputHeight,
    TimeSpan Elapsed,
    TimeSpan InferenceTime,
    bool SourceStreamed,
    int PeakSourceRows,
    int PendingFloatRows);

/// <summary>
/// Upscales images with a model in tiles, streaming: the source is read row by row, one horizontal band of tiles is run
/// at a time, and output rows are handed to an <see cref="IUpscaleSink"/> as soon as no later tile touches them.
/// </summary>
/// <remarks>
/// <para><b>Tiles.</b> <see cref="TilePlanner"/> chooses them inside the model's limits: origins and sizes on the
/// model's alignment grid, the image padded by reflection (numpy "reflect", as DITN and Swin pad themselves) to the
/// grid at its right and bottom edges, the padding cropped from the output.</para>
/// <para><b>Blending.</b> Each tile's output is weighted by a separable window (<see cref="AxisTiling.Weights"/>): across
/// its overlap with each neighbour, 0 on the outer quarter, a raised-cosine ramp over the middle half (the neighbour's
/// ramp is the complement), 1 elsewhere; weights are normalised per output pixel, so any overlap pattern blends
/// without seams. Horizontally the normalisation happens within a band as tiles arrive
/// (only the overlap with the next tile is kept); vertically only the rows a band shares with the next one are kept, as
/// float accumulators one output row wide.</para>
/// <para><b>Memory.</b> Source rows of one band (+ the overlap), one tile's input and output, the float accumulators
/// for the band overlap, and the sink's finished rows of one band. None of it depends on the image height; the band
/// buffers grow with the width.</para>
/// </remarks>
public sealed class TiledUpscaler
{
    private readonly IInferenceRunner _runner;

    /// <param name="runner">The model (not disposed by the upscaler).</param>
    /// <param name="model">Its I/O and size rules.</param>
    /// <param name="tiles">Tile size and overlap.</param>
    public TiledUpscaler(IInferenceRunner runner, UpscaleModelInfo model, TileSettings tiles)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tiles);
        tiles.Validate();
        _runner = runner;
        Model = model;
        Tiles = tiles;
    }

    /// <summary>The model's I/O and size rules (with the scale once known).</summary>
    public UpscaleModelInfo Model { get; private set; }

    /// <summary>Tile size and overlap.</summary>
    public TileSettings Tiles { get; }

    /// <summary>The tiles for a <paramref name="width"/> × <paramref name="height"/> image (runs a probe tile first when the scale is unknown).</summary>
    public TilePlan Plan(int width, int height, CancellationToken cancellationToken = default) =>
        TilePlanner.Plan(width, height, Model.Height, Model.Width, EnsureScale(cancellationToken), Tiles);

    /// <summary>
    /// Upscales an image held in memory and returns the model's output as floats, before quantisation: RGB for colour
    /// sources, grey (<see cref="OutputColor.Luma"/>) for grey ones, with the source's alpha resized by
    /// <see cref="Image.WithAlphaFrom"/>. Quantising it gives exactly what <see cref="UpscaleFile"/> writes.
    /// </summary>
    public Image Upscale(Image image, IProgress<UpscaleProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var sink = new ImageUpscaleSink();
        using var rows = new ImageRowReader(image);
        Run(rows, sink, progress, cancellationToken);
        var result = image.ColorChannels == 1 ? OutputColor.ToGrey(sink.Image) : sink.Image;
        return result.WithAlphaFrom(image);
    }

    /// <summary>
    /// Upscales the image file <paramref name="inputPath"/> into <paramref name="outputPath"/> (format by extension:
    /// PNG, PPM/PGM/PNM), streaming both; the output appears only when complete (<see cref="AtomicFile"/>).
    /// </summary>
    /// <param name="inputPath">A PNG or PGM/PPM file.</param>
    /// <param name="outputPath">Where to write.</param>
    /// <param name="output">Bit depth (null = 16 for 16-bit sources, else 8), zlib level, spill threshold.</param>
    /// <param name="progress">Receives progress after every tile.</param>
    /// <param name="cancellationToken">Stops between tiles.</param>
    /// <exception cref="DeployException">BadInput: unreadable source, model failure. Usage: unwritable format.</exception>
    public UpscaleResult UpscaleFile(string inputPath, string outputPath, UpscaleOutputOptions? output = null, IProgress<UpscaleProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(inputPath);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        output ??= new UpscaleOutputOptions();
        using var reader = ImageRowFiles.OpenRead(inputPath);
        var channels = ScanlineUpscaleSink.OutputChannels(reader.Channels);
        ImageRowFiles.CheckWritable(outputPath, channels);
        var bitDepth = output.BitDepth ?? (reader.BitDepth == 16 ? 16 : 8);
        var writeOptions = new ImageWriteOptions { BitDepth = bitDepth, CompressionLevel = output.CompressionLevel };
        UpscaleResult? result = null;
        var spillDirectory = Path.GetDirectoryName(Path.GetFullPath(outputPath));
        AtomicFile.Write(outputPath, stream =>
        {
            using var sink = new ScanlineUpscaleSink(
                reader.Channels,
                bitDepth,
                (w, h, c) => ImageRowFiles.CreateWriter(outputPath, stream, w, h, c, writeOptions),
                spillDirectory) { SpillThresholdBytes = output.SpillThresholdBytes };
            result = Run(reader, sink, progress, cancellationToken);
            reader.Finish();
            sink.Complete();
        });
        return result!;
    }

    /// <summary>Runs every tile of <paramref name="source"/> and hands the finished pixels to <paramref name="sink"/>.</summary>
    public UpscaleResult Run(IImageRowReader source, IUpscaleSink sink, IProgress<UpscaleProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sink);
        var clock = Stopwatch.StartNew();
        var plan = Plan(source.Width, source.Height, cancellationToken);
        CheckSize(source, plan);
        var run = new ImageRun(this, source, sink, plan, progress, clock, cancellationToken);
        run.Execute();
        return new UpscaleResult(plan, source.Width * plan.Scale, source.Height * plan.Scale, clock.Elapsed, run.InferenceTime,
            source.IsStreaming, run.PeakSourceRows, run.PendingFloatRows);
    }

    /// <summary>Refuses images whose output or band buffers cannot be held in .NET arrays (absurdly wide or large outputs).</summary>
    private static void CheckSize(IImageRowReader source, TilePlan plan)
    {
        var outWidth = (long)source.Width * plan.Scale;
        var outHeight = (long)source.Height * plan.Scale;
        var overlapRows = (long)plan.Scale * plan.Rows.TileLength;
        if (outWidth > int.MaxValue || outHeight > int.MaxValue || 4 * overlapRows * outWidth > Array.MaxLength)
        {
            throw DeployException.BadInput(string.Create(CultureInfo.InvariantCulture,
                $"{source.SourceName}: a {source.Width}×{source.Height} image at scale {plan.Scale} gives a {outWidth}×{outHeight} output, too large to write"));
        }
    }

    /// <summary>Mirrors <paramref name="position"/> into [0, <paramref name="length"/>) without repeating the edge (numpy "reflect"), periodically for any distance.</summary>
    internal static int Reflect(int position, int length)
    {
        if (length == 1)
        {
            return 0;
        }

        var period = 2 * (length - 1);
        var m = position % period;
        if (m < 0)
        {
            m += period;
        }

        return m < length ? m : period - m;
    }

    private int EnsureScale(CancellationToken cancellationToken)
    {
        if (Model.Scale is { } known)
        {
            return known;
        }

        // Unknown scale (a plan without its ONNX): run one small tile and measure.
        var height = ProbeSize(Model.Height);
        var width = ProbeSize(Model.Width);
        var input = new float[3 * height * width];
        Array.Fill(input, 0.5f);
        var outputs = _runner.Run(new Dictionary<string, Tensor> { [Model.InputName] = Tensor.FromArray(input, 1, 3, height, width) }, cancellationToken);
        var shape = Output(outputs).Shape;
        if (shape.Count != 4 || shape[2] % height != 0 || shape[3] % width != 0 || shape[2] / height != shape[3] / width)
        {
            throw DeployException.BadInput(
                $"cannot find the model's scale: a {width}×{height} input gave output '{Model.OutputName}' of shape {Tensor.Format(shape)}");
        }

        Model = Model with { Scale = (int)(shape[2] / height) };
        return Model.Scale!.Value;
    }

    private static int ProbeSize(AxisLimits limits)
    {
        var size = AxisTiling.RoundUp(Math.Max(limits.Minimum, 16), limits.Alignment);
        return limits.Maximum is { } max && size > max ? AxisTiling.RoundDown(max, limits.Alignment) : size;
    }

    private Tensor Output(IReadOnlyDictionary<string, Tensor> outputs) =>
        outputs.TryGetValue(Model.OutputName, out var tensor)
            ? tensor
            : throw DeployException.BadInput($"the model returned no output '{Model.OutputName}'");

    /// <summary>One run over an image: the state that lives for the whole image.</summary>
    private sealed class ImageRun
    {
        private static readonly int[] RgbOrder = [0, 1, 2];
        private static readonly int[] BgrOrder = [2, 1, 0];

        private readonly TiledUpscaler _owner;
        private readonly IImageRowReader _source;
        private readonly IUpscaleSink _sink;
        private readonly TilePlan _plan;
        private readonly IProgress<UpscaleProgress>? _progress;
        private readonly Stopwatch _clock;
        private readonly CancellationToken _cancellation;
        private readonly int _scale;
        private readonly int _colorChannels;
        private readonly int _outWidth;
        private readonly int _outHeight;
        private readonly RowRing _window;
        private readonly float[] _sourceRow;
        private readonly float[][] _columnWeights;
        private readonly float[][] _rowWeights;
        private readonly float[] _input;
        private readonly float[] _horizontalPending;
        private readonly float[] _ring; // [channel][ring row][output column]: band-overlap accumulators
        private readonly int _ringRows;
        private readonly float[][] _emit = [[], [], []];
        private readonly int[] _columnMap;
        private int _rowsRead;
        private int _tilesDone;
        private int _rowsDone;

        public ImageRun(TiledUpscaler owner, IImageRowReader source, IUpscaleSink sink, TilePlan plan, IProgress<UpscaleProgress>? progress, Stopwatch clock, CancellationToken cancellation)
        {
            _owner = owner;
            _source = source;
            _sink = sink;
            _plan = plan;
            _progress = progress;
            _clock = clock;
            _cancellation = cancellation;
            _scale = plan.Scale;
            _colorChannels = source.Channels is 1 or 2 ? 1 : 3;
            _outWidth = source.Width * _scale;
            _outHeight = source.Height * _scale;
            var rows = plan.Rows;
            var columns = plan.Columns;
            _columnWeights = NormalisedWeights(columns, _scale);
            _rowWeights = NormalisedWeights(rows, _scale);
            _window = new RowRing(_colorChannels * source.Width);
            _window.Reserve(SourceRowsPerBand());
            _sourceRow = new float[source.Channels * source.Width];
            _input = new float[3 * rows.TileLength * columns.TileLength];
            _columnMap = new int[columns.TileLength];
            var tileOutRows = _scale * rows.TileLength;
            var tileOutColumns = _scale * columns.TileLength;
            _horizontalPending = new float[3 * tileOutRows * tileOutColumns];
            for (var b = 0; b + 1 < rows.Origins.Count; b++)
            {
                _ringRows = Math.Max(_ringRows, _scale * rows.OverlapAfter(b));
            }

            // Rows of the overlap that lie in the vertical padding are never stored.
            _ringRows = Math.Min(_ringRows, _outHeight);
            _ring = new float[3L * _ringRows * _outWidth];
            for (var c = 0; c < 3; c++)
            {
                _emit[c] = new float[tileOutColumns];
            }
        }

        public TimeSpan InferenceTime { get; private set; }

        public int PeakSourceRows => _window.PeakCount;

        public int PendingFloatRows => _ringRows;

        public void Execute()
        {
            var rows = _plan.Rows;
            var bands = rows.Origins.Count;
            var commits = new int[bands];
            var maxPending = 0;
            for (var b = 0; b < bands; b++)
            {
                commits[b] = b + 1 < bands ? Math.Min(_scale * rows.Origins[b + 1], _outHeight) : _outHeight;
                maxPending = Math.Max(maxPending, commits[b] - (b > 0 ? commits[b - 1] : 0));
            }

            _sink.Begin(new UpscaleGeometry(_source.Width, _source.Height, _scale, maxPending));
            var needLow = new int[bands + 1];
            needLow[bands] = _source.Height;
            for (var b = bands - 1; b >= 0; b--)
            {
                needLow[b] = Math.Min(needLow[b + 1], SourceRange(b).Low);
            }

            for (var b = 0; b < bands; b++)
            {
                ReadUpTo(SourceRange(b).High);
                RunBand(b);
                ReadUpTo(_sink.SourceRowsNeeded(commits[b]));
                _sink.Commit(commits[b]);
                _rowsDone = commits[b];
                Report();
                _window.ReleaseBelow(needLow[b + 1]);
            }

            ReadUpTo(_source.Height);
        }

        private int SourceRowsPerBand()
        {
            var most = 0;
            for (var b = 0; b < _plan.Rows.Origins.Count; b++)
            {
                var (low, high) = SourceRange(b);
                most = Math.Max(most, high - low);
            }

            return most;
        }

        /// <summary>The source rows band <paramref name="band"/> reads (padding rows mirrored back into the image).</summary>
        private (int Low, int High) SourceRange(int band)
        {
            var start = _plan.Rows.Origins[band];
            var low = int.MaxValue;
            var high = 0;
            for (var y = start; y < start + _plan.Rows.TileLength; y++)
            {
                var source = Reflect(y, _source.Height);
                low = Math.Min(low, source);
                high = Math.Max(high, source + 1);
            }

            return (low, high);
        }

        private void ReadUpTo(int rows)
        {
            rows = Math.Min(rows, _source.Height);
            var width = _source.Width;
            while (_rowsRead < rows)
            {
                _source.ReadRow(_sourceRow);
                _sourceRow.AsSpan(0, _colorChannels * width).CopyTo(_window.Append());
                _sink.AcceptSourceRow(_rowsRead, _sourceRow);
                _rowsRead++;
            }
        }

        private void RunBand(int band)
        {
            var rows = _plan.Rows;
            var columns = _plan.Columns;
            var tileOutRows = _scale * rows.TileLength;
            var tileOutColumns = _scale * columns.TileLength;
            var bandTop = _scale * rows.Origins[band];
            var previousEnd = band > 0 ? _scale * (rows.Origins[band - 1] + rows.TileLength) : bandTop;
            var nextStart = band + 1 < rows.Origins.Count ? _scale * rows.Origins[band + 1] : int.MaxValue;
            var pendingWidth = 0;
            for (var i = 0; i < columns.Origins.Count; i++)
            {
                _cancellation.ThrowIfCancellationRequested();
                var output = RunTile(rows.Origins[band], columns.Origins[i]);
                var left = _scale * columns.Origins[i];
                var next = i + 1 < columns.Origins.Count ? _scale * columns.Origins[i + 1] : left + tileOutColumns;
                var finished = next - left;
                var weights = _columnWeights[i];
                var plane = tileOutRows * tileOutColumns;

                // Weight the tile, add what earlier tiles left for these columns, keep what the next tile will add to.
                for (var c = 0; c < 3; c++)
                {
                    for (var r = 0; r < tileOutRows; r++)
                    {
                        var row = output.AsSpan((c * plane) + (r * tileOutColumns), tileOutColumns);
                        var pending = _horizontalPending.AsSpan((c * plane) + (r * tileOutColumns), tileOutColumns);
                        for (var x = 0; x < tileOutColumns; x++)
                        {
                            row[x] *= weights[x];
                        }

                        for (var x = 0; x < pendingWidth; x++)
                        {
                            row[x] += pending[x];
                        }

                        row[finished..].CopyTo(pending);
                    }
                }

                pendingWidth = tileOutColumns - finished;
                Vertical(band, output, plane, tileOutColumns, left, finished, bandTop, previousEnd, nextStart);
                _tilesDone++;
                Report();
            }
        }

        /// <summary>Hands horizontally finished columns [left, left + count) of the band down: finished rows to the sink, shared rows to the ring.</summary>
        private void Vertical(int band, float[] tile, int plane, int tileOutColumns, int left, int count, int bandTop, int previousEnd, int nextStart)
        {
            var columns = Math.Min(count, _outWidth - left);
            if (columns <= 0)
            {
                return;
            }

            var weights = _rowWeights[band];
            var order = _owner.Model.Bgr ? BgrOrder : RgbOrder;
            for (var r = 0; r < weights.Length; r++)
            {
                var row = bandTop + r;
                if (row >= _outHeight)
                {
                    break;
                }

                var weight = weights[r];
                var accumulated = row < previousEnd;
                var final = row < nextStart;
                for (var c = 0; c < 3; c++)
                {
                    var values = tile.AsSpan((order[c] * plane) + (r * tileOutColumns), columns);
                    var ring = _ringRows > 0
                        ? _ring.AsSpan((int)((((long)c * _ringRows) + (row % _ringRows)) * _outWidth) + left, columns)
                        : [];
                    var target = final ? _emit[c].AsSpan(0, columns) : ring;
                    for (var x = 0; x < columns; x++)
                    {
                        var v = weight * values[x];
                        target[x] = accumulated ? v + ring[x] : v;
                    }
                }

                if (final)
                {
                    _sink.Put(row, left, _emit[0].AsSpan(0, columns), _emit[1].AsSpan(0, columns), _emit[2].AsSpan(0, columns));
                }
            }
        }

        /// <summary>Runs the tile at (<paramref name="top"/>, <paramref name="left"/>) of the padded image; returns its output in [0, 1] terms.</summary>
        private float[] RunTile(int top, int left)
        {
            var model = _owner.Model;
            var tileRows = _plan.Rows.TileLength;
            var tileColumns = _plan.Columns.TileLength;
            var width = _source.Width;
            var plane = tileRows * tileColumns;
            var (low, high) = model.ValueRange;
            var span = (float)(high - low);
            var offset = (float)low;
            var identity = low == 0 && high == 1;
            for (var x = 0; x < tileColumns; x++)
            {
                _columnMap[x] = Reflect(left + x, width);
            }

            for (var r = 0; r < tileRows; r++)
            {
                var source = _window.Row(Reflect(top + r, _source.Height));
                for (var c = 0; c < 3; c++)
                {
                    var from = _colorChannels == 1 ? 0 : model.Bgr ? 2 - c : c;
                    var sourcePlane = source.Slice(from * width, width);
                    var target = _input.AsSpan((c * plane) + (r * tileColumns), tileColumns);
                    for (var x = 0; x < tileColumns; x++)
                    {
                        var v = sourcePlane[_columnMap[x]];
                        target[x] = identity ? v : (v * span) + offset;
                    }
                }
            }

            var started = Stopwatch.GetTimestamp();
            var outputs = _owner._runner.Run(
                new Dictionary<string, Tensor> { [model.InputName] = Tensor.FromArray(_input, 1, 3, tileRows, tileColumns) }, _cancellation);
            InferenceTime += Stopwatch.GetElapsedTime(started);
            var tensor = _owner.Output(outputs);
            long[] expected = [1, 3, _scale * tileRows, _scale * tileColumns];
            if (tensor.ElementType != TensorElementType.Float32 || !tensor.Shape.SequenceEqual(expected))
            {
                throw DeployException.BadInput(string.Create(CultureInfo.InvariantCulture,
                    $"model output '{model.OutputName}' is {tensor}; a {tileColumns}×{tileRows} tile at scale {_scale} should give float32{Tensor.Format(expected)}"));
            }

            var data = tensor.AsSpan<float>();
            if (!identity)
            {
                for (var i = 0; i < data.Length; i++)
                {
                    data[i] = (data[i] - offset) / span;
                }
            }

            return (float[])tensor.Data;
        }

        private void Report() =>
            _progress?.Report(new UpscaleProgress(_tilesDone, _plan.TileCount, _rowsDone, _outHeight, _clock.Elapsed));

        /// <summary>Each tile's weights divided by the sum of all tiles' weights at the same output position.</summary>
        private static float[][] NormalisedWeights(AxisTiling axis, int scale)
        {
            var tiles = axis.Origins.Count;
            var raw = Enumerable.Range(0, tiles).Select(i => axis.Weights(i, scale)).ToArray();
            var total = new double[scale * axis.PaddedLength];
            for (var i = 0; i < tiles; i++)
            {
                var start = scale * axis.Origins[i];
                for (var x = 0; x < raw[i].Length; x++)
                {
                    total[start + x] += raw[i][x];
                }
            }

            if (Array.IndexOf(total, 0.0) is var uncovered and >= 0)
            {
                throw new InvalidOperationException($"no tile has weight at output position {uncovered} of {axis}");
            }

            for (var i = 0; i < tiles; i++)
            {
                var start = scale * axis.Origins[i];
                for (var x = 0; x < raw[i].Length; x++)
                {
                    raw[i][x] = (float)(raw[i][x] / total[start + x]);
                }
            }

            return raw;
        }
    }
}

/// <summary>How <see cref="TiledUpscaler.UpscaleFile"/> writes.</summary>
public sealed record UpscaleOutputOptions
{
    /// <summary>8 or 16; null = 16 when the source has 16-bit samples, else 8.</summary>
    public int? BitDepth { get; init; }

    /// <summary>PNG zlib level 0..9.</summary>
    public int CompressionLevel { get; init; } = 6;

    /// <summary>Finished rows waiting for their band go to a temporary file beside the output above this many bytes.</summary>
    public long SpillThresholdBytes { get; init; } = 16L << 20;
}
