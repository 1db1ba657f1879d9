using System.Runtime.CompilerServices;
using SuperRes.Deploy.Engines.Imaging;

namespace SuperRes.Deploy.Engines.Validation.Reports;

/// <summary>
/// Makes the preview images of an image-shaped output ([N, 1|3, H, W], batch element 0): the reference and the candidate
/// mapped from the value range to 8 bits, and a heat map of the per-pixel error (the largest |candidate − reference| over
/// the channels), colour-mapped linearly from black (0) through purple, red and orange to pale yellow (the largest
/// finite error); NaN or infinite errors are magenta. Outputs larger than <see cref="MaxSide"/> on a side are reduced
/// by an integer factor k: images by averaging each k×k block, the heat map by keeping each block's maximum (so an
/// isolated bad pixel stays visible).
/// </summary>
public static class OutputPreviews
{
    /// <summary>The longest side of a preview before it is downsampled.</summary>
    public const int MaxSide = 512;

    // Previews are for looking at, not archiving: the fastest zlib level and one row filter instead of trying all five.
    // Up (2) is as cheap as None and, measured on a 512x512 photo, as small as the adaptive choice at that level
    // (565 kB vs 564 kB, 11 ms vs 22 ms).
    private static readonly ImageWriteOptions Fast = new() { CompressionLevel = 1, RowFilter = 2 };

    // A perceptually ordered ramp (inferno-like), RGB in [0, 1].
    private static readonly (double T, double R, double G, double B)[] Ramp =
    [
        (0.00, 0.000, 0.000, 0.016),
        (0.25, 0.341, 0.063, 0.431),
        (0.50, 0.737, 0.216, 0.329),
        (0.75, 0.976, 0.557, 0.035),
        (1.00, 0.988, 1.000, 0.643),
    ];

    /// <summary>Whether previews can be made for an output of this shape.</summary>
    public static bool Supports(IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.Count == 4 && shape[0] >= 1 && shape[1] is 1 or 3 && shape[2] >= 1 && shape[3] >= 1;
    }

    /// <summary>The previews of batch element 0, or null when the shape is not image-like.</summary>
    // Runs once per output in a short-lived process: optimized from the first call instead of starting in tier-0 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static OutputPreview? Create(
        ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate, IReadOnlyList<long> shape, (double Min, double Max) valueRange, int maxSide = MaxSide)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSide, 1);
        if (!Supports(shape) || reference.Length != candidate.Length)
        {
            return null;
        }

        var channels = (int)shape[1];
        var height = (int)shape[2];
        var width = (int)shape[3];
        var k = Math.Max(1, (int)Math.Ceiling(Math.Max(height, width) / (double)maxSide));
        var previewHeight = (height + k - 1) / k;
        var previewWidth = (width + k - 1) / k;
        var plane = height * width;
        var previewPlane = previewHeight * previewWidth;
        var sums = new double[2 * channels * previewPlane];
        var heat = new double[previewPlane];

        // One row-major pass over batch element 0: block sums of both images, and the largest error of each block
        // (a maximum over channels and pixels, so the order does not matter).
        for (var c = 0; c < channels; c++)
        {
            var referenceSums = sums.AsSpan(2 * c * previewPlane, previewPlane);
            var candidateSums = sums.AsSpan(((2 * c) + 1) * previewPlane, previewPlane);
            for (var y = 0; y < height; y++)
            {
                var row = (c * plane) + (y * width);
                var referenceRow = reference.Slice(row, width);
                var candidateRow = candidate.Slice(row, width);
                var previewRow = y / k * previewWidth;
                for (var x = 0; x < width; x++)
                {
                    var r = referenceRow[x];
                    var d = candidateRow[x];
                    var index = previewRow + (x / k);
                    referenceSums[index] += float.IsFinite(r) ? r : 0;
                    candidateSums[index] += float.IsFinite(d) ? d : 0;
                    var error = MathF.Abs(d - r);
                    if (!(error <= heat[index]))
                    {
                        // NaN (a NaN or ∞ − ∞ on either side) and ∞ errors become +∞ and are drawn magenta.
                        heat[index] = float.IsFinite(error) ? error : double.PositiveInfinity;
                    }
                }
            }
        }

        var referenceImage = new float[channels * previewPlane];
        var candidateImage = new float[referenceImage.Length];
        var scale = 1 / (valueRange.Max - valueRange.Min);
        var offset = valueRange.Min;
        for (var c = 0; c < channels; c++)
        {
            for (var py = 0; py < previewHeight; py++)
            {
                var rows = Math.Min(height, (py + 1) * k) - (py * k);
                for (var px = 0; px < previewWidth; px++)
                {
                    var count = rows * (Math.Min(width, (px + 1) * k) - (px * k));
                    var index = (py * previewWidth) + px;
                    referenceImage[(c * previewPlane) + index] = (float)(((sums[(2 * c * previewPlane) + index] / count) - offset) * scale);
                    candidateImage[(c * previewPlane) + index] = (float)(((sums[(((2 * c) + 1) * previewPlane) + index] / count) - offset) * scale);
                }
            }
        }

        var heatMax = heat.Where(double.IsFinite).DefaultIfEmpty(0).Max();
        var heatImage = new float[3 * heat.Length];
        for (var i = 0; i < heat.Length; i++)
        {
            var (r, g, b) = double.IsFinite(heat[i]) ? Colour(heatMax > 0 ? heat[i] / heatMax : 0) : (1.0, 0.0, 1.0);
            heatImage[i] = (float)r;
            heatImage[heat.Length + i] = (float)g;
            heatImage[(2 * heat.Length) + i] = (float)b;
        }

        // PNG encoding is most of the cost (the encoder tries every row filter): the three images are independent.
        byte[]? referencePng = null, candidatePng = null, heatPng = null;
        Parallel.Invoke(
            () => referencePng = Png.Encode(new Image(previewWidth, previewHeight, channels, referenceImage), Fast),
            () => candidatePng = Png.Encode(new Image(previewWidth, previewHeight, channels, candidateImage), Fast),
            () => heatPng = Png.Encode(new Image(previewWidth, previewHeight, 3, heatImage), Fast));
        return new OutputPreview(
            referencePng!,
            candidatePng!,
            heatPng!,
            previewWidth,
            previewHeight,
            k,
            heatMax);
    }

    /// <summary>The heat-map colour of t ∈ [0, 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double R, double G, double B) Colour(double t)
    {
        t = Math.Clamp(t, 0, 1);
        for (var i = 1; i < Ramp.Length; i++)
        {
            if (t <= Ramp[i].T)
            {
                var (t0, r0, g0, b0) = Ramp[i - 1];
                var (t1, r1, g1, b1) = Ramp[i];
                var f = (t - t0) / (t1 - t0);
                return (r0 + (f * (r1 - r0)), g0 + (f * (g1 - g0)), b0 + (f * (b1 - b0)));
            }
        }

        return (Ramp[^1].R, Ramp[^1].G, Ramp[^1].B);
    }

    /// <summary>The colour stops of the heat-map ramp as CSS colours (for the legend).</summary>
    public static IReadOnlyList<(double Offset, string Css)> RampStops() =>
        Ramp.Select(s => (s.T, $"#{To8(s.R):x2}{To8(s.G):x2}{To8(s.B):x2}")).ToArray();

    private static int To8(double v) => (int)Math.Round(Math.Clamp(v, 0, 1) * 255);
}
