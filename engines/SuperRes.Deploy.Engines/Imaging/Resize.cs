namespace SuperRes.Deploy.Engines.Imaging;

/// <summary>
/// MATLAB-compatible bicubic <c>imresize</c>: the reference resampler of SR datasets (their LR inputs are MATLAB
/// <c>imresize(HR, 1/scale, 'bicubic')</c>) and the "bicubic" baseline of SR tables (<c>imresize(LR, scale, 'bicubic')</c>).
/// </summary>
/// <remarks>
/// <para>Per output sample, as MATLAB's <c>contributions</c>: the Keys cubic kernel with a = −0.5 and support 4; when
/// shrinking (scale &lt; 1) the kernel is widened to 4 / scale and scaled by scale (antialiasing). Output position
/// x = 1…n maps to input u = x / scale + 0.5 × (1 − 1 / scale); the taps are floor(u − width / 2) + 0…ceil(width) + 1,
/// weighted by kernel(u − tap), normalised to sum 1; taps outside the image are mirrored symmetrically (the edge sample
/// repeated: … 2 1 | 1 2 … n | n n−1 …). Computation is in double; results are stored as float without clamping or
/// rounding (quantise with <see cref="Image.Quantized"/> to get MATLAB's uint8 output).</para>
/// <para>The two dimensions are resized one after the other, the one with the smaller scale first (rows first on a tie),
/// as MATLAB does. MATLAB rounds to uint8 between the two passes when its input is uint8; this implementation keeps full
/// precision between passes, which reproduces the Set5 LR images made from double input (see the tests for the match rate).</para>
/// </remarks>
public static class Resize
{
    private const double KernelWidth = 4.0;

    /// <summary>
    /// <c>imresize(image, scale, 'bicubic')</c>: both sides multiplied by <paramref name="scale"/>, rounded up
    /// (MATLAB's <c>ceil(scale × size)</c>); the kernel uses <paramref name="scale"/> itself, not the ratio of sizes.
    /// </summary>
    public static Image Imresize(Image image, double scale)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!(scale > 0) || double.IsInfinity(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "scale must be a positive finite number");
        }

        var height = OutputLength(image.Height, scale);
        var width = OutputLength(image.Width, scale);
        return Run(image, height, width, scale, scale);
    }

    /// <summary><c>imresize(image, [height width], 'bicubic')</c>: the scale of each dimension is output / input size.</summary>
    public static Image Imresize(Image image, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        return Run(image, height, width, height / (double)image.Height, width / (double)image.Width);
    }

    /// <summary>
    /// The bicubic baseline of SR evaluation: <c>imresize(lr, scale, 'bicubic')</c> quantised to 8 bits, as the
    /// MATLAB scripts of SR papers produce it from a uint8 LR image.
    /// </summary>
    public static Image BicubicBaseline(Image lowResolution, int scale)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        return Imresize(lowResolution, scale).Quantized(8);
    }

    private static int OutputLength(int input, double scale)
    {
        var length = Math.Ceiling(input * scale);
        if (length < 1 || length > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, $"scaling {input} by {scale} gives {length} samples");
        }

        return (int)length;
    }

    private static Image Run(Image image, int height, int width, double scaleY, double scaleX)
    {
        Image.ValidateShape(width, height, image.Channels);
        var rows = Contributions.Compute(image.Height, height, scaleY);
        var columns = Contributions.Compute(image.Width, width, scaleX);
        var result = new Image(width, height, image.Channels, image.BitDepth);
        var rowsFirst = scaleY <= scaleX;
        var source = new double[image.PlaneLength];
        var output = new double[(long)height * width];
        var middle = new double[rowsFirst ? (long)height * image.Width : (long)image.Height * width];
        for (var c = 0; c < image.Channels; c++)
        {
            var plane = image.Plane(c);
            for (var i = 0; i < source.Length; i++)
            {
                source[i] = plane[i];
            }

            if (rowsFirst)
            {
                AlongColumns(source, image.Width, rows, middle);
                AlongRows(middle, image.Width, height, columns, output);
            }
            else
            {
                AlongRows(source, image.Width, image.Height, columns, middle);
                AlongColumns(middle, width, rows, output);
            }

            var target = result.Plane(c);
            for (var i = 0; i < output.Length; i++)
            {
                target[i] = (float)output[i];
            }
        }

        return result;
    }

    /// <summary>Resamples along y: each output row is a weighted sum of input rows.</summary>
    private static void AlongColumns(ReadOnlySpan<double> source, int width, Contributions rows, Span<double> target)
    {
        for (var y = 0; y < rows.OutputLength; y++)
        {
            var row = target.Slice(y * width, width);
            row.Clear();
            for (var k = 0; k < rows.Taps; k++)
            {
                var weight = rows.Weight(y, k);
                if (weight == 0)
                {
                    continue; // MATLAB drops all-zero taps; skipping them changes nothing
                }

                var from = source.Slice(rows.Index(y, k) * width, width);
                for (var x = 0; x < width; x++)
                {
                    row[x] += weight * from[x];
                }
            }
        }
    }

    /// <summary>Resamples along x: each output column is a weighted sum of input columns.</summary>
    private static void AlongRows(ReadOnlySpan<double> source, int width, int height, Contributions columns, Span<double> target)
    {
        var outputWidth = columns.OutputLength;
        for (var y = 0; y < height; y++)
        {
            var line = source.Slice(y * width, width);
            var row = target.Slice(y * outputWidth, outputWidth);
            for (var x = 0; x < outputWidth; x++)
            {
                double sum = 0;
                for (var k = 0; k < columns.Taps; k++)
                {
                    sum += columns.Weight(x, k) * line[columns.Index(x, k)];
                }

                row[x] = sum;
            }
        }
    }

    /// <summary>Keys' cubic convolution kernel with a = −0.5 (MATLAB's <c>cubic</c>).</summary>
    internal static double Cubic(double x)
    {
        var ax = Math.Abs(x);
        var ax2 = ax * ax;
        var ax3 = ax2 * ax;
        if (ax <= 1)
        {
            return (1.5 * ax3) - (2.5 * ax2) + 1;
        }

        return ax <= 2 ? (-0.5 * ax3) + (2.5 * ax2) - (4 * ax) + 2 : 0;
    }

    /// <summary>Weights and (mirrored, 0-based) input indices of every output sample along one dimension.</summary>
    internal sealed class Contributions
    {
        private readonly double[] _weights;
        private readonly int[] _indices;

        private Contributions(int outputLength, int taps, double[] weights, int[] indices)
        {
            OutputLength = outputLength;
            Taps = taps;
            _weights = weights;
            _indices = indices;
        }

        public int OutputLength { get; }

        public int Taps { get; }

        public double Weight(int output, int tap) => _weights[(output * Taps) + tap];

        public int Index(int output, int tap) => _indices[(output * Taps) + tap];

        public static Contributions Compute(int inputLength, int outputLength, double scale)
        {
            var antialias = scale < 1;
            var kernelWidth = antialias ? KernelWidth / scale : KernelWidth;
            var taps = (int)Math.Ceiling(kernelWidth) + 2;
            var weights = new double[(long)outputLength * taps];
            var indices = new int[(long)outputLength * taps];
            var period = 2L * inputLength;
            for (var o = 0; o < outputLength; o++)
            {
                var u = ((o + 1) / scale) + (0.5 * (1 - (1 / scale)));
                var left = Math.Floor(u - (kernelWidth / 2));
                double sum = 0;
                for (var k = 0; k < taps; k++)
                {
                    var tap = left + k; // 1-based, as in MATLAB
                    var weight = antialias ? scale * Cubic(scale * (u - tap)) : Cubic(u - tap);
                    weights[(o * taps) + k] = weight;
                    sum += weight;

                    // Symmetric mirror of the 1-based tap into 1..n: aux = [1..n, n..1], index = aux(mod(tap - 1, 2n) + 1).
                    var m = (long)((((tap - 1) % period) + period) % period);
                    indices[(o * taps) + k] = (int)(m < inputLength ? m : period - 1 - m);
                }

                for (var k = 0; k < taps; k++)
                {
                    weights[(o * taps) + k] /= sum;
                }
            }

            return new Contributions(outputLength, taps, weights, indices);
        }
    }
}
