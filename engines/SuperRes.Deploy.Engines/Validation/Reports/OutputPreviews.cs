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
        var referenceImage = new float[channels * previewHeight * previewWidth];
        var candidateImage = new float[referenceImage.Length];
        var heat = new double[previewHeight * previewWidth];
        var scale = 1 / (valueRange.Max - valueRange.Min);
        var offset = valueRange.Min;

        // Spans cannot enter a parallel lambda; the work is one pass over batch element 0, fast enough serially.
        for (var py = 0; py < previewHeight; py++)
        {
            var y0 = py * k;
            var y1 = Math.Min(height, y0 + k);
            for (var px = 0; px < previewWidth; px++)
            {
                var x0 = px * k;
                var x1 = Math.Min(width, x0 + k);
                var count = (y1 - y0) * (x1 - x0);
                var worst = 0.0;
                for (var c = 0; c < channels; c++)
                {
                    double sumReference = 0;
                    double sumCandidate = 0;
                    for (var y = y0; y < y1; y++)
                    {
                        var row = (c * plane) + (y * width);
                        for (var x = x0; x < x1; x++)
                        {
                            var r = reference[row + x];
                            var d = candidate[row + x];
                            sumReference += float.IsFinite(r) ? r : 0;
                            sumCandidate += float.IsFinite(d) ? d : 0;
                            var error = Math.Abs((double)d - r);
                            worst = double.IsNaN(error) || double.IsInfinity(error) ? double.PositiveInfinity : Math.Max(worst, error);
                        }
                    }

                    var index = (c * previewHeight * previewWidth) + (py * previewWidth) + px;
                    referenceImage[index] = (float)(((sumReference / count) - offset) * scale);
                    candidateImage[index] = (float)(((sumCandidate / count) - offset) * scale);
                }

                heat[(py * previewWidth) + px] = worst;
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

        return new OutputPreview(
            Png.Encode(new Image(previewWidth, previewHeight, channels, referenceImage)),
            Png.Encode(new Image(previewWidth, previewHeight, channels, candidateImage)),
            Png.Encode(new Image(previewWidth, previewHeight, 3, heatImage)),
            previewWidth,
            previewHeight,
            k,
            heatMax);
    }

    /// <summary>The heat-map colour of t ∈ [0, 1].</summary>
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
