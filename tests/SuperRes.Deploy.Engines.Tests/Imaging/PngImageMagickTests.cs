using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Imaging;

/// <summary>Cross-checks with ImageMagick at test time: it decodes what we write, and we decode what it writes.</summary>
public sealed class PngImageMagickTests : IDisposable
{
    private readonly string _directory = RepoPaths.NewTempDirectory("srd-png-im");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [SkippableTheory]
    [InlineData(1, 8)]
    [InlineData(2, 8)]
    [InlineData(3, 8)]
    [InlineData(4, 8)]
    [InlineData(1, 16)]
    [InlineData(2, 16)]
    [InlineData(3, 16)]
    [InlineData(4, 16)]
    public void ImageMagick_reads_back_every_sample_we_write(int channels, int bitDepth)
    {
        Skip.IfNot(ImageMagick.IsAvailable, ImageMagick.SkipReason);
        var image = TestImages.Random(37, 23, channels, bitDepth, seed: (channels * 100) + bitDepth);
        var path = Path.Combine(_directory, $"ours-{channels}-{bitDepth}.png");

        ImageFile.Write(path, image, new ImageWriteOptions { BitDepth = bitDepth });

        Assert.Null(Rgba16.FirstDifference(Rgba16.FromImage(image), ImageMagick.ReadRgba16(path), image.Width));
    }

    [SkippableFact]
    public void Every_filter_type_we_choose_decodes_correctly_in_ImageMagick()
    {
        Skip.IfNot(ImageMagick.IsAvailable, ImageMagick.SkipReason);
        var image = FilterExercisingImage();
        var path = Path.Combine(_directory, "filters.png");

        ImageFile.Write(path, image);

        var scanlines = PngChunks.Scanlines(File.ReadAllBytes(path));
        var filters = Enumerable.Range(0, image.Height).Select(y => scanlines[y * (image.Width + 1)]).ToHashSet();
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4 }, filters.Order().ToArray());
        Assert.Null(Rgba16.FirstDifference(Rgba16.FromImage(image), ImageMagick.ReadRgba16(path), image.Width));
    }

    [SkippableTheory]
    [InlineData("PNG24", "-interlace", "PNG")]
    [InlineData("PNG64", "-interlace", "PNG")]
    [InlineData("PNG8", "-interlace", "PNG")]
    [InlineData("PNG48", "-interlace", "None")]
    public void We_decode_larger_ImageMagick_files_as_ImageMagick_does(string format, string option, string value)
    {
        Skip.IfNot(ImageMagick.IsAvailable, ImageMagick.SkipReason);
        var path = Path.Combine(_directory, $"im-{format}-{value}.png");
        ImageMagick.Run("-size", "203x151", "-seed", "7", "plasma:", "-alpha", "set", "-channel", "A", "-fx", "(i+j)/(w+h)", "+channel",
            option, value, $"{format}:{path}");

        var image = ImageFile.Read(path);

        Assert.Null(Rgba16.FirstDifference(ImageMagick.ReadRgba16(path), Rgba16.FromImage(image), image.Width));
    }

    /// <summary>
    /// A grey image whose rows each make one filter type the clear winner: zeros (none), a ramp under noise (sub), a copy
    /// of the row above (up), each sample the average of its left and upper neighbours (average), each sample the Paeth
    /// prediction (Paeth), with noise rows between.
    /// </summary>
    private static Image FilterExercisingImage()
    {
        const int width = 64;
        var random = new Random(11);
        var rows = new List<byte[]> { new byte[width] };
        byte[] Noise() => Enumerable.Range(0, width).Select(_ => (byte)random.Next(256)).ToArray();
        for (var round = 0; round < 3; round++)
        {
            rows.Add(Noise());
            rows.Add(Enumerable.Range(0, width).Select(i => (byte)(i * 3)).ToArray());
            rows.Add(Noise());
            rows.Add((byte[])rows[^1].Clone());
            rows.Add(Noise());
            var above = rows[^1];
            var average = new byte[width];
            for (var i = 0; i < width; i++)
            {
                average[i] = (byte)(((i > 0 ? average[i - 1] : 0) + above[i]) >> 1);
            }

            rows.Add(average);
            rows.Add(Noise());
            above = rows[^1];
            var paeth = new byte[width];
            for (var i = 0; i < width; i++)
            {
                paeth[i] = (byte)Predict(i > 0 ? paeth[i - 1] : 0, above[i], i > 0 ? above[i - 1] : 0);
            }

            rows.Add(paeth);
        }

        var image = new Image(width, rows.Count, 1);
        for (var y = 0; y < rows.Count; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[0, y, x] = rows[y][x] / 255f;
            }
        }

        return image;

        static int Predict(int a, int b, int c)
        {
            var p = a + b - c;
            var (pa, pb, pc) = (Math.Abs(p - a), Math.Abs(p - b), Math.Abs(p - c));
            return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
    }
}
