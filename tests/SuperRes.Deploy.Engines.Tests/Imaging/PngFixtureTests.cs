using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Imaging;

/// <summary>
/// Decodes the ImageMagick-made files of tests/fixtures/images/png-suite (see make.sh there) and compares every sample
/// with ImageMagick's own decoding, committed beside each file.
/// </summary>
public sealed class PngFixtureTests
{
    private static string Folder => RepoPaths.Combine("tests", "fixtures", "images", "png-suite");

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Folder, "*.png").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(path));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Decoding_matches_ImageMagick_sample_for_sample(string name)
    {
        var image = ImageFile.Read(Path.Combine(Folder, name + ".png"));
        var expected = Rgba16.FromBigEndian(File.ReadAllBytes(Path.Combine(Folder, name + ".rgba16")));

        var difference = Rgba16.FirstDifference(expected, Rgba16.FromImage(image), image.Width);

        Assert.Null(difference);
    }

    [Fact]
    public void The_suite_covers_every_colour_type_bit_depth_and_interlacing()
    {
        var seen = new HashSet<(int Depth, int ColorType, int Interlace)>();
        foreach (var path in Directory.GetFiles(Folder, "*.png"))
        {
            var header = PngChunks.Split(File.ReadAllBytes(path))[0].Data;
            seen.Add((header[8], header[9], header[12]));
        }

        (int, int)[] allowed =
        [
            (1, 0), (2, 0), (4, 0), (8, 0), (16, 0), (8, 2), (16, 2), (1, 3), (2, 3), (4, 3), (8, 3), (8, 4), (16, 4), (8, 6), (16, 6),
        ];
        foreach (var (depth, colorType) in allowed)
        {
            Assert.Contains((depth, colorType, 0), seen);
        }

        Assert.Contains(seen, s => s.Interlace == 1 && s.Depth < 8);
        Assert.Contains(seen, s => s.Interlace == 1 && s.ColorType == 3);
        Assert.Contains(seen, s => s.Interlace == 1 && s.Depth == 16);
    }

    [Theory]
    [InlineData("grey1", 1, 1)]
    [InlineData("grey2", 1, 2)]
    [InlineData("grey4", 1, 4)]
    [InlineData("grey16", 1, 16)]
    [InlineData("grey8-trns", 2, 8)]
    [InlineData("greyalpha16", 2, 16)]
    [InlineData("rgb8", 3, 8)]
    [InlineData("rgb8-trns", 4, 8)]
    [InlineData("rgba16", 4, 16)]
    [InlineData("palette4", 3, 8)]
    [InlineData("palette8-trns", 4, 8)]
    public void Channels_and_bit_depth_follow_the_colour_type_and_transparency(string name, int channels, int bitDepth)
    {
        var image = ImageFile.Read(Path.Combine(Folder, name + ".png"));

        Assert.Equal((channels, bitDepth), (image.Channels, image.BitDepth));
    }

    [Fact]
    public void A_grey_colour_key_makes_exactly_the_matching_pixels_transparent()
    {
        var image = ImageFile.Read(Path.Combine(Folder, "grey8-trns.png"));

        for (var i = 0; i < image.PlaneLength; i++)
        {
            Assert.Equal(image.Plane(0)[i] == 0 ? 0f : 1f, image.Plane(1)[i]);
        }
    }

    [SkippableFact]
    public void The_committed_expectations_are_what_ImageMagick_decodes_today()
    {
        Skip.IfNot(ImageMagick.IsAvailable, ImageMagick.SkipReason);

        foreach (var path in Directory.GetFiles(Folder, "*.png"))
        {
            var committed = Rgba16.FromBigEndian(File.ReadAllBytes(Path.ChangeExtension(path, ".rgba16")));
            Assert.Equal(committed, ImageMagick.ReadRgba16(path));
        }
    }
}
