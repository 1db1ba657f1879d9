using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Imaging;

public sealed class ImageFileTests : IDisposable
{
    private readonly string _directory = RepoPaths.NewTempDirectory("srd-imagefile");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("a.png", 4, 16)]
    [InlineData("a.PNG", 2, 8)]
    [InlineData("a.ppm", 3, 8)]
    [InlineData("a.pgm", 1, 16)]
    [InlineData("a.pnm", 3, 16)]
    [InlineData("a.pnm", 1, 8)]
    public void The_extension_chooses_the_format_and_the_image_comes_back(string name, int channels, int bitDepth)
    {
        var path = Path.Combine(_directory, name);
        var image = TestImages.Random(11, 7, channels, bitDepth, seed: 3);

        ImageFile.Write(path, image, new ImageWriteOptions { BitDepth = bitDepth });
        var read = ImageFile.Read(path);

        Assert.Equal(image.Samples.ToArray(), read.Samples.ToArray());
        Assert.Equal(Path.GetExtension(name).Equals(".png", StringComparison.OrdinalIgnoreCase), Png.HasSignature(File.ReadAllBytes(path)));
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void A_grey_image_written_as_ppm_becomes_colour()
    {
        var path = Path.Combine(_directory, "grey.ppm");
        var grey = TestImages.Random(5, 5, 1, 8, seed: 1);

        ImageFile.Write(path, grey);
        var read = ImageFile.Read(path);

        Assert.Equal(3, read.Channels);
        Assert.Equal(grey.Plane(0).ToArray(), read.Plane(2).ToArray());
    }

    [Fact]
    public void A_PNG_with_another_extension_is_recognised_by_its_signature()
    {
        var path = Path.Combine(_directory, "picture.img");
        File.WriteAllBytes(path, Png.Encode(TestImages.Random(3, 3, 3, 8, seed: 2)));

        Assert.Equal(3, ImageFile.Read(path).Width);
    }

    [Fact]
    public void A_missing_file_is_bad_input()
    {
        var path = Path.Combine(_directory, "absent.png");

        var error = Assert.Throws<DeployException>(() => ImageFile.Read(path));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Equal($"{path}: image file not found", error.Message);
    }

    [Fact]
    public void An_unknown_format_is_bad_input_on_read_and_a_usage_error_on_write()
    {
        var path = Path.Combine(_directory, "photo.jpg");
        File.WriteAllBytes(path, [0xFF, 0xD8, 0xFF]);

        var read = Assert.Throws<DeployException>(() => ImageFile.Read(path));
        var write = Assert.Throws<DeployException>(() => ImageFile.Write(Path.Combine(_directory, "out.jpg"), TestImages.Random(2, 2, 3, 8, 1)));

        Assert.Equal(FailureKind.BadInput, read.Kind);
        Assert.Contains("unsupported image format '.jpg'", read.Message, StringComparison.Ordinal);
        Assert.Equal(FailureKind.Usage, write.Kind);
    }

    [Theory]
    [InlineData("rgba.ppm", 4, "cannot store an alpha channel")]
    [InlineData("rgb.pgm", 3, "grey images only")]
    public void Netpbm_refuses_what_it_cannot_hold_and_writes_nothing(string name, int channels, string expected)
    {
        var path = Path.Combine(_directory, name);

        var error = Assert.Throws<DeployException>(() => ImageFile.Write(path, TestImages.Random(2, 2, channels, 8, 1)));

        Assert.Equal(FailureKind.Usage, error.Kind);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Theory]
    [InlineData(12, 6)]
    [InlineData(8, 10)]
    public void Invalid_write_options_are_usage_errors(int bitDepth, int level)
    {
        var options = new ImageWriteOptions { BitDepth = bitDepth, CompressionLevel = level };

        var error = Assert.Throws<DeployException>(() => ImageFile.Write(Path.Combine(_directory, "x.png"), TestImages.Random(2, 2, 3, 8, 1), options));

        Assert.Equal(FailureKind.Usage, error.Kind);
    }

    [Fact]
    public void Overwriting_replaces_the_file_in_one_step()
    {
        var path = Path.Combine(_directory, "image.png");
        ImageFile.Write(path, TestImages.Random(4, 4, 3, 8, seed: 1));

        ImageFile.Write(path, TestImages.Random(6, 5, 1, 8, seed: 2));

        Assert.Equal((6, 5, 1), (ImageFile.Read(path).Width, ImageFile.Read(path).Height, ImageFile.Read(path).Channels));
        Assert.Single(Directory.GetFiles(_directory));
    }
}
