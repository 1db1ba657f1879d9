using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Engines.Validation.Metrics;

namespace SuperRes.Deploy.Engines.Tests.Validation.Metrics;

public sealed class SrQualityTests
{
    /// <summary>The uint8 images of make_expected.py's sr_images().</summary>
    private static (Image GroundTruth, Image SuperResolved) Images(int channels = 3)
    {
        var gt = new Image(40, 32, channels);
        var sr = new Image(40, 32, channels);
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < 32; y++)
            {
                for (var x = 0; x < 40; x++)
                {
                    var g = ((c * 53) + (y * 11) + (x * 7) + (x * y % 13)) % 256;
                    var s = Math.Clamp(g + (((x * 3) + (y * 5) + c) % 7) - 3, 0, 255);
                    gt[c, y, x] = g / 255f;
                    sr[c, y, x] = s / 255f;
                }
            }
        }

        return (gt, sr);
    }

    [Theory]
    [InlineData("unrounded", false)]
    [InlineData("rounded", true)]
    public void Y_channel_PSNR_and_SSIM_match_the_paper_scripts(string variant, bool roundY)
    {
        var expected = NumericsFixtures.Expected.GetProperty("sr_quality").GetProperty(variant);
        var (gt, sr) = Images();

        Assert.Equal(expected.GetProperty("psnr").GetDouble(), SrQuality.PsnrY(gt, sr, 4, roundY), 1e-9);
        Assert.Equal(expected.GetProperty("ssim").GetDouble(), SrQuality.SsimY(gt, sr, 4, roundY), 1e-9);
    }

    [Fact]
    public void Grey_images_are_measured_on_their_grey_values()
    {
        var expected = NumericsFixtures.Expected.GetProperty("sr_quality").GetProperty("grey");
        var (gt, sr) = Images(channels: 1);

        Assert.Equal(expected.GetProperty("psnr").GetDouble(), SrQuality.PsnrY(gt, sr, 4), 1e-9);
        Assert.Equal(expected.GetProperty("ssim").GetDouble(), SrQuality.SsimY(gt, sr, 4), 1e-9);
    }

    [Fact]
    public void Identical_images_have_infinite_PSNR_and_SSIM_one()
    {
        var (gt, _) = Images();

        Assert.Equal(double.PositiveInfinity, SrQuality.PsnrY(gt, gt.Clone(), 2));
        Assert.Equal(1.0, SrQuality.SsimY(gt, gt.Clone(), 2), 1e-12);
    }

    [Fact]
    public void Values_are_quantised_to_uint8_before_measuring()
    {
        var (gt, _) = Images();
        var nudged = gt.Clone();
        var samples = nudged.Samples;
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] += 0.4f / 255f; // below half a level: the same uint8 image
        }

        Assert.Equal(double.PositiveInfinity, SrQuality.PsnrY(gt, nudged, 4));
    }

    [Fact]
    public void Images_of_different_sizes_are_bad_input()
    {
        var (gt, _) = Images();

        var error = Assert.Throws<DeployException>(() => SrQuality.PsnrY(gt, gt.Crop(0, 0, 36, 32), 4));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("differ in size", error.Message, StringComparison.Ordinal);
    }
}
