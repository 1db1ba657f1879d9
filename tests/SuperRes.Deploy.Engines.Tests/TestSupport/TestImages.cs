using SuperRes.Deploy.Engines.Imaging;

namespace SuperRes.Deploy.Engines.Tests.TestSupport;

/// <summary>Deterministic test images.</summary>
internal static class TestImages
{
    /// <summary>Uniform random samples in [0, 1] (seeded), already on the grid of <paramref name="bitDepth"/>.</summary>
    public static Image Random(int width, int height, int channels, int bitDepth, int seed)
    {
        var random = new Random(seed);
        var max = Quantization.MaxValue(bitDepth);
        var image = new Image(width, height, channels, bitDepth);
        var samples = image.Samples;
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = random.Next(max + 1) / (float)max;
        }

        return image;
    }

    /// <summary>A smooth pattern plus mild noise: compresses like a photograph rather than like noise.</summary>
    public static Image Natural(int width, int height, int channels, int seed)
    {
        var random = new Random(seed);
        var image = new Image(width, height, channels);
        for (var c = 0; c < channels; c++)
        {
            var plane = image.Plane(c);
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var v = 0.5 + (0.35 * Math.Sin((x * 0.11) + (c * 0.7)) * Math.Cos(y * 0.07)) + (0.05 * random.NextDouble());
                    plane[(y * width) + x] = (float)v;
                }
            }
        }

        return image;
    }
}
