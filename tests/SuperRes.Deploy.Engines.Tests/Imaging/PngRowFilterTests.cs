using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Tests.TestSupport;

namespace SuperRes.Deploy.Engines.Tests.Imaging;

public sealed class PngRowFilterTests
{
    [Theory]
    [InlineData(0, 8)]
    [InlineData(1, 8)]
    [InlineData(2, 8)]
    [InlineData(3, 16)]
    [InlineData(4, 8)]
    [InlineData(4, 16)]
    public void A_fixed_row_filter_round_trips_every_sample_and_is_the_filter_in_the_file(int filter, int bitDepth)
    {
        var image = TestImages.Natural(37, 23, 3, seed: filter);
        var options = new ImageWriteOptions { RowFilter = filter, BitDepth = bitDepth, CompressionLevel = 1 };

        var bytes = Png.Encode(image, options);
        var decoded = Png.Decode(bytes, "fixed-filter.png");

        Assert.Equal(image.Quantized(bitDepth).Samples.ToArray(), decoded.Samples.ToArray());
        var raw = PngChunks.Scanlines(bytes);
        var stride = 1 + (37 * 3 * bitDepth / 8);
        Assert.All(Enumerable.Range(0, 23), row => Assert.Equal(filter, raw[row * stride]));
    }

    [Fact]
    public void A_row_filter_outside_0_to_4_is_a_usage_error()
    {
        var error = Assert.Throws<DeployException>(() => Png.Encode(new Image(2, 2, 3), new ImageWriteOptions { RowFilter = 5 }));

        Assert.Equal(FailureKind.Usage, error.Kind);
    }
}
