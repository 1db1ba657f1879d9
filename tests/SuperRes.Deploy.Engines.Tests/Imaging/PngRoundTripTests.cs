using FsCheck;
using FsCheck.Fluent;
using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Tests.TestSupport;

namespace SuperRes.Deploy.Engines.Tests.Imaging;

public sealed class PngRoundTripTests
{
    private static readonly string[] CriticalChunks = ["IHDR", "IDAT", "IEND"];

    [Theory]
    [InlineData(1, 8)]
    [InlineData(2, 8)]
    [InlineData(3, 8)]
    [InlineData(4, 8)]
    [InlineData(1, 16)]
    [InlineData(2, 16)]
    [InlineData(3, 16)]
    [InlineData(4, 16)]
    public void Decoding_what_we_encode_gives_back_every_quantised_sample(int channels, int bitDepth)
    {
        var image = TestImages.Natural(45, 31, channels, seed: channels);

        var decoded = Png.Decode(Png.Encode(image, new ImageWriteOptions { BitDepth = bitDepth }), "memory");

        Assert.Equal((image.Width, image.Height, image.Channels, bitDepth), (decoded.Width, decoded.Height, decoded.Channels, decoded.BitDepth));
        Assert.Equal(image.Quantized(bitDepth).Samples.ToArray(), decoded.Samples.ToArray());
    }

    [Fact]
    public void Any_size_channel_count_and_depth_round_trips()
    {
        var shapes =
            from width in Gen.Choose(1, 40)
            from height in Gen.Choose(1, 40)
            from channels in Gen.Elements(1, 2, 3, 4)
            from bitDepth in Gen.Elements(8, 16)
            select (width, height, channels, bitDepth);
        var property = Prop.ForAll(
            shapes.ToArbitrary(),
            shape =>
            {
                var (width, height, channels, bitDepth) = shape;
                var image = TestImages.Random(width, height, channels, bitDepth, seed: width * height);
                var decoded = Png.Decode(Png.Encode(image, new ImageWriteOptions { BitDepth = bitDepth }), "memory");
                return decoded.Samples.SequenceEqual(image.Samples) && decoded.Channels == channels;
            });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60), property);
    }

    [Fact]
    public void Higher_compression_levels_give_smaller_files_with_the_same_pixels()
    {
        var image = TestImages.Natural(96, 64, 3, seed: 5);

        var stored = Png.Encode(image, new ImageWriteOptions { CompressionLevel = 0 });
        var smallest = Png.Encode(image, new ImageWriteOptions { CompressionLevel = 9 });

        Assert.True(smallest.Length < stored.Length * 0.8, $"level 9: {smallest.Length} bytes, level 0: {stored.Length} bytes");
        Assert.Equal(Png.Decode(stored, "stored").Samples.ToArray(), Png.Decode(smallest, "smallest").Samples.ToArray());
    }

    [Fact]
    public void Large_images_are_written_as_several_IDAT_chunks_and_read_back()
    {
        var image = TestImages.Random(300, 300, 4, 16, seed: 3);

        var bytes = Png.Encode(image, new ImageWriteOptions { BitDepth = 16, CompressionLevel = 1 });

        Assert.True(PngChunks.Split(bytes).Count(c => c.Type == "IDAT") > 1);
        Assert.Equal(image.Samples.ToArray(), Png.Decode(bytes, "memory").Samples.ToArray());
    }

    [Fact]
    public void Samples_outside_zero_to_one_are_clamped_when_written()
    {
        var image = new Image(4, 1, 1);
        image.Samples[0] = -0.5f;
        image.Samples[1] = 1.5f;
        image.Samples[2] = float.NaN;
        image.Samples[3] = 0.5f;

        var decoded = Png.Decode(Png.Encode(image), "memory");

        Assert.Equal([0f, 1f, 0f, 128 / 255f], decoded.Samples.ToArray());
    }

    [Fact]
    public void Written_files_carry_only_the_critical_chunks()
    {
        var chunks = PngChunks.Split(Png.Encode(TestImages.Natural(8, 8, 3, seed: 1)));

        Assert.Equal("IHDR", chunks[0].Type);
        Assert.Equal("IEND", chunks[^1].Type);
        Assert.All(chunks, c => Assert.Contains(c.Type, CriticalChunks));
    }
}
