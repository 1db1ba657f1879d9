using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Tests.TestSupport;

namespace SuperRes.Deploy.Engines.Tests.Imaging;

public sealed class ResizeTests
{
    /// <summary>The formula image of make_expected.py: ((31c + 17y + 7x) mod 23) / 22.</summary>
    private static Image FormulaImage(int channels, int height, int width)
    {
        var image = new Image(width, height, channels);
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    image[c, y, x] = (float)((((c * 31) + (y * 17) + (x * 7)) % 23) / 22.0);
                }
            }
        }

        return image;
    }

    public static TheoryData<int> Cases() => new(Enumerable.Range(0, NumericsFixtures.Expected.GetProperty("imresize").GetProperty("cases").GetArrayLength()));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_a_numpy_transcription_of_MATLAB_imresize(int index)
    {
        var fixture = NumericsFixtures.Expected.GetProperty("imresize");
        var source = fixture.GetProperty("source");
        var image = FormulaImage(source.GetProperty("channels").GetInt32(), source.GetProperty("height").GetInt32(), source.GetProperty("width").GetInt32());
        var expected = fixture.GetProperty("cases")[index];
        var height = expected.GetProperty("height").GetInt32();
        var width = expected.GetProperty("width").GetInt32();

        var resized = expected.GetProperty("scale").ValueKind == System.Text.Json.JsonValueKind.Null
            ? Resize.Imresize(image, height, width)
            : Resize.Imresize(image, expected.GetProperty("scale").GetDouble());

        Assert.Equal((width, height), (resized.Width, resized.Height));
        var values = expected.GetProperty("values").Doubles();
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(values[i], resized.Samples[i], 5e-7);
        }
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(0.7)]
    [InlineData(3.0)]
    [InlineData(2.5)]
    public void A_constant_image_stays_constant_at_any_scale(double scale)
    {
        var image = new Image(10, 7, 3);
        image.Samples.Fill(0.3f);

        var resized = Resize.Imresize(image, scale);

        Assert.All(resized.Samples.ToArray(), v => Assert.Equal(0.3f, v, 1e-6f));
    }

    [Fact]
    public void Upscaling_reproduces_a_linear_ramp_away_from_the_borders()
    {
        var image = new Image(12, 1, 1, Enumerable.Range(0, 12).Select(x => x / 11f).ToArray());

        var resized = Resize.Imresize(image, 1, 48);

        // Output x (1-based) maps to input u = x/4 + 0.5(1 − 1/4); the cubic kernel reproduces linear functions exactly.
        for (var x = 8; x < 40; x++)
        {
            var u = ((x + 1) / 4.0) + 0.375 - 1;
            Assert.Equal(u / 11, resized.Samples[x], 1e-6);
        }
    }

    [Fact]
    public void The_bicubic_baseline_is_the_upscale_quantised_to_8_bits()
    {
        var lr = TestImages.Natural(9, 8, 3, seed: 4);

        var baseline = Resize.BicubicBaseline(lr, 3);

        Assert.Equal((27, 24), (baseline.Width, baseline.Height));
        Assert.Equal(Resize.Imresize(lr, 3).Quantized(8).Samples.ToArray(), baseline.Samples.ToArray());
    }

    [Fact]
    public void Scaling_by_a_factor_and_to_the_same_size_agree_for_whole_ratios()
    {
        var image = TestImages.Natural(16, 12, 1, seed: 6);

        Assert.Equal(Resize.Imresize(image, 0.25).Samples.ToArray(), Resize.Imresize(image, 3, 4).Samples.ToArray());
        Assert.Equal(Resize.Imresize(image, 2.0).Samples.ToArray(), Resize.Imresize(image, 24, 32).Samples.ToArray());
    }
}
