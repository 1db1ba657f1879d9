using System.Text;
using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Imaging;

public sealed class PnmTests : IDisposable
{
    private readonly string _directory = RepoPaths.NewTempDirectory("srd-pnm");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(1, 8, "P5")]
    [InlineData(3, 8, "P6")]
    [InlineData(1, 16, "P5")]
    [InlineData(3, 16, "P6")]
    public void Binary_maps_round_trip_at_8_and_16_bits(int channels, int bitDepth, string magic)
    {
        var image = TestImages.Random(17, 9, channels, bitDepth, seed: 4);

        var bytes = Pnm.Encode(image, new ImageWriteOptions { BitDepth = bitDepth });
        var decoded = Pnm.Decode(bytes, "memory");

        Assert.Equal(magic, Encoding.ASCII.GetString(bytes, 0, 2));
        Assert.Equal((channels, bitDepth), (decoded.Channels, decoded.BitDepth));
        Assert.Equal(image.Samples.ToArray(), decoded.Samples.ToArray());
    }

    [Fact]
    public void Sixteen_bit_samples_are_big_endian()
    {
        var image = new Image(1, 1, 1);
        image.Samples[0] = 258 / 65535f;

        var bytes = Pnm.Encode(image, new ImageWriteOptions { BitDepth = 16 });

        Assert.Equal(new byte[] { 1, 2 }, bytes[^2..]);
    }

    [Fact]
    public void Ascii_maps_with_comments_are_read()
    {
        var text = "P3\n# made by hand\n2 1 # width height\n15\n15 0 0   0 # a comment inside the raster\n 15 3\n";

        var image = Pnm.Decode(Encoding.ASCII.GetBytes(text), "hand.ppm");

        Assert.Equal((2, 1, 3), (image.Width, image.Height, image.Channels));
        Assert.Equal([1f, 0f, 0f, 1f, 0f, 0.2f], image.Samples.ToArray());
    }

    [Fact]
    public void Ascii_grey_maps_with_a_large_maxval_are_16_bit()
    {
        var image = Pnm.Decode("P2 3 1 1023 0 1023 512"u8.ToArray(), "grey.pgm");

        Assert.Equal(16, image.BitDepth);
        Assert.Equal([0f, 1f, 512 / 1023f], image.Samples.ToArray());
    }

    [Fact]
    public void Binary_maps_with_an_unusual_maxval_scale_by_it()
    {
        var bytes = "P5 2 1 1000\n"u8.ToArray().Concat(new byte[] { 0x03, 0xE8, 0x01, 0xF4 }).ToArray();

        var image = Pnm.Decode(bytes, "odd.pgm");

        Assert.Equal([1f, 500 / 1000f], image.Samples.ToArray());
    }

    [Theory]
    [InlineData("P7 1 1 255\n\0", "expected P2, P3, P5 or P6")]
    [InlineData("P6 4 4 255\n\0\0\0", "truncated raster: 3 of 48 bytes")]
    [InlineData("P6 4 4", "truncated header: no maxval")]
    [InlineData("P6 4 x 255\n", "invalid height")]
    [InlineData("P5 1 1 0\n\0", "maxval 0 is outside 1..65535")]
    [InlineData("P5 1 1 70000\n\0\0", "maxval 70000 is outside 1..65535")]
    [InlineData("P2 2 1 10 3 11", "sample 11 exceeds maxval 10")]
    [InlineData("P2 2 1 10 3 ", "truncated raster: 1 of 2 samples")]
    [InlineData("P5 0 1 255\n", "invalid dimensions 0×1")]
    [InlineData("P5 30000 30000 255\n\0", "truncated raster: 1 of 900000000 bytes")]
    [InlineData("P2 30000 30000 255 0 1 2", "truncated raster: 6 bytes cannot hold 900000000 samples")]
    [InlineData("P5 2147483647 2147483647 255\n\0", "image too large")]
    [InlineData("P5 1 1 255", "missing whitespace after maxval")]
    public void Malformed_maps_are_bad_input_naming_the_problem(string content, string expected)
    {
        var path = Path.Combine(_directory, "bad.pgm");
        File.WriteAllBytes(path, Encoding.Latin1.GetBytes(content));

        var error = Assert.Throws<DeployException>(() => ImageFile.Read(path));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_truncation_of_a_binary_map_is_bad_input()
    {
        var bytes = Pnm.Encode(TestImages.Random(5, 4, 3, 16, seed: 1), new ImageWriteOptions { BitDepth = 16 });
        for (var length = 0; length < bytes.Length; length++)
        {
            var error = Assert.Throws<DeployException>(() => Pnm.Decode(bytes.AsSpan(0, length), "cut.ppm"));
            Assert.Equal(FailureKind.BadInput, error.Kind);
        }
    }

    [SkippableTheory]
    [InlineData("rgb16", "ppm")]
    [InlineData("grey16", "pgm")]
    [InlineData("rgb8", "ppm")]
    public void ImageMagick_maps_decode_like_the_same_image_as_PNG(string fixture, string format)
    {
        Skip.IfNot(ImageMagick.IsAvailable, ImageMagick.SkipReason);
        var png = RepoPaths.Combine("tests", "fixtures", "images", "png-suite", fixture + ".png");
        var map = Path.Combine(_directory, $"{fixture}.{format}");
        ImageMagick.Run(png, "-compress", "none", map); // ASCII (P2/P3)
        var binary = Path.Combine(_directory, $"{fixture}-binary.{format}");
        ImageMagick.Run(png, binary);

        var expected = ImageFile.Read(png).Samples.ToArray();

        Assert.Equal(expected, ImageFile.Read(map).Samples.ToArray());
        Assert.Equal(expected, ImageFile.Read(binary).Samples.ToArray());
    }

    [SkippableTheory]
    [InlineData(3, 8, ".ppm")]
    [InlineData(3, 16, ".ppm")]
    [InlineData(1, 16, ".pgm")]
    public void ImageMagick_reads_back_the_maps_we_write(int channels, int bitDepth, string extension)
    {
        Skip.IfNot(ImageMagick.IsAvailable, ImageMagick.SkipReason);
        var image = TestImages.Random(21, 13, channels, bitDepth, seed: 8);
        var path = Path.Combine(_directory, "ours" + extension);

        ImageFile.Write(path, image, new ImageWriteOptions { BitDepth = bitDepth });

        Assert.Null(Rgba16.FirstDifference(Rgba16.FromImage(image), ImageMagick.ReadRgba16(path), image.Width));
    }
}
