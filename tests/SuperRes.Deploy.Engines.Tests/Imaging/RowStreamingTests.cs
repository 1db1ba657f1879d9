using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Imaging;

/// <summary>The row-by-row PNG/PNM readers and writers agree with the whole-image codecs, sample for sample and byte for byte.</summary>
public sealed class RowStreamingTests : IDisposable
{
    private readonly string _directory = RepoPaths.NewTempDirectory("srd-rows");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string SuiteFolder => RepoPaths.Combine("tests", "fixtures", "images", "png-suite");

    public static TheoryData<string> SuiteFiles()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(SuiteFolder, "*.png").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(path));
        }

        return data;
    }

    private static Image ReadAllRows(IImageRowReader reader)
    {
        var image = new Image(reader.Width, reader.Height, reader.Channels, reader.BitDepth);
        var row = new float[reader.Width * reader.Channels];
        for (var y = 0; y < reader.Height; y++)
        {
            reader.ReadRow(row);
            for (var c = 0; c < reader.Channels; c++)
            {
                row.AsSpan(c * reader.Width, reader.Width).CopyTo(image.Plane(c).Slice(y * reader.Width, reader.Width));
            }
        }

        reader.Finish();
        return image;
    }

    [Theory]
    [MemberData(nameof(SuiteFiles))]
    public void Streaming_PNG_rows_equal_the_whole_file_decoder_for_every_colour_type_and_depth(string file)
    {
        var path = Path.Combine(SuiteFolder, file);
        var expected = ImageFile.Read(path);

        using var reader = ImageRowFiles.OpenRead(path);
        var actual = ReadAllRows(reader);

        Assert.Equal((expected.Width, expected.Height, expected.Channels, expected.BitDepth), (actual.Width, actual.Height, actual.Channels, actual.BitDepth));
        Assert.True(expected.Samples.SequenceEqual(actual.Samples), $"{file}: samples differ");
        Assert.Equal(!file.Contains("adam7", StringComparison.Ordinal), reader.IsStreaming);
    }

    [Fact]
    public void A_Set5_image_reads_identically_row_by_row()
    {
        var path = RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "GTmod12", "butterfly.png");
        using var reader = ImageRowFiles.OpenRead(path);

        Assert.True(reader.IsStreaming);
        Assert.True(ImageFile.Read(path).Samples.SequenceEqual(ReadAllRows(reader).Samples));
    }

    [Fact]
    public void Image_data_split_over_many_tiny_IDAT_chunks_streams_correctly()
    {
        var image = TestImages.Natural(37, 23, 4, seed: 5);
        var file = Png.Encode(image, new ImageWriteOptions { BitDepth = 16 });
        var chunks = PngChunks.Split(file);
        var data = chunks.Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray();
        var rebuilt = new List<(string, byte[])> { ("IHDR", chunks[0].Data) };
        for (var i = 0; i < data.Length; i += 7)
        {
            rebuilt.Add(("IDAT", data.AsSpan(i, Math.Min(7, data.Length - i)).ToArray()));
        }

        rebuilt.Add(("IDAT", []));
        rebuilt.Add(("tEXt", "Comment\0after the data"u8.ToArray()));
        rebuilt.Add(("IEND", []));
        var path = Path.Combine(_directory, "split.png");
        File.WriteAllBytes(path, PngChunks.Build(rebuilt));

        using var reader = ImageRowFiles.OpenRead(path);
        Assert.True(Png.Decode(File.ReadAllBytes(path), path).Samples.SequenceEqual(ReadAllRows(reader).Samples));
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(2, 8)]
    [InlineData(3, 8)]
    [InlineData(4, 16)]
    [InlineData(3, 16)]
    public void The_row_writer_produces_the_bytes_of_the_whole_image_encoder(int channels, int bitDepth)
    {
        var image = TestImages.Natural(41, 29, channels, seed: channels + bitDepth);
        var options = new ImageWriteOptions { BitDepth = bitDepth };
        var expected = Png.Encode(image, options);

        using var buffer = new MemoryStream();
        using (var writer = new PngRowWriter(buffer, image.Width, image.Height, image.Channels, options))
        {
            var row = new float[image.Width * channels];
            var scanline = new byte[Scanlines.Length(image.Width, channels, bitDepth)];
            using var rows = new ImageRowReader(image);
            for (var y = 0; y < image.Height; y++)
            {
                rows.ReadRow(row);
                Scanlines.FromPlanar(row, image.Width, channels, bitDepth, scanline);
                writer.WriteScanline(scanline);
            }

            writer.Complete();
        }

        Assert.Equal(expected, buffer.ToArray());
    }

    [Fact]
    public void IDAT_chunks_stay_bounded_for_a_large_image()
    {
        var image = TestImages.Random(1500, 400, 3, 16, seed: 3);
        var chunks = PngChunks.Split(Png.Encode(image, new ImageWriteOptions { BitDepth = 16, CompressionLevel = 0 }));

        Assert.True(chunks.Count(c => c.Type == "IDAT") > 1);
        Assert.All(chunks, c => Assert.True(c.Data.Length <= 1 << 18, $"{c.Type} of {c.Data.Length} bytes"));
    }

    [Fact]
    public void Completing_with_rows_missing_is_refused()
    {
        using var buffer = new MemoryStream();
        using var writer = new PngRowWriter(buffer, 4, 3, 3);
        writer.WriteScanline(new byte[12]);

        Assert.Throws<InvalidOperationException>(writer.Complete);
    }

    [Fact]
    public void Reading_past_the_last_row_is_refused()
    {
        var path = Path.Combine(_directory, "small.png");
        File.WriteAllBytes(path, Png.Encode(TestImages.Natural(5, 2, 3, seed: 1)));
        using var reader = ImageRowFiles.OpenRead(path);
        var row = new float[15];
        reader.ReadRow(row);
        reader.ReadRow(row);

        Assert.Throws<InvalidOperationException>(() => reader.ReadRow(row));
    }

    private DeployException StreamingFails(byte[] bytes, bool finish = true)
    {
        var path = Path.Combine(_directory, "bad.png");
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<DeployException>(() =>
        {
            using var reader = ImageRowFiles.OpenRead(path);
            var row = new float[reader.Width * reader.Channels];
            for (var y = 0; y < reader.Height; y++)
            {
                reader.ReadRow(row);
            }

            if (finish)
            {
                reader.Finish();
            }
        });
        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        return error;
    }

    private static byte[] ValidFile() => Png.Encode(TestImages.Natural(31, 17, 3, seed: 4));

    [Fact]
    public void Truncated_image_data_names_the_missing_bytes()
    {
        var file = ValidFile();
        var idat = PngChunks.Split(file).First(c => c.Type == "IDAT");

        var error = StreamingFails(file[..(idat.Offset + 8 + (idat.Data.Length / 2))]);

        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_flipped_IDAT_CRC_is_found_while_streaming()
    {
        var file = ValidFile();
        var idat = PngChunks.Split(file).First(c => c.Type == "IDAT");
        file[idat.Offset + 8 + idat.Data.Length] ^= 0x10;

        Assert.Contains("CRC mismatch in chunk 'IDAT'", StreamingFails(file).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_deflate_data_is_reported_as_corrupt_image_data()
    {
        var chunks = PngChunks.Split(ValidFile());
        var data = chunks.First(c => c.Type == "IDAT").Data.ToArray();
        for (var i = 2; i < data.Length - 4; i++)
        {
            data[i] = 0xFF;
        }

        var file = PngChunks.Build(chunks.Select(c => (c.Type, c.Type == "IDAT" ? data : c.Data)));

        var error = StreamingFails(file);
        Assert.True(error.Message.Contains("corrupt compressed image data", StringComparison.Ordinal) || error.Message.Contains("truncated", StringComparison.Ordinal), error.Message);
    }

    [Fact]
    public void A_missing_IEND_is_found_by_Finish()
    {
        var file = ValidFile();
        var iend = PngChunks.Split(file).First(c => c.Type == "IEND");

        Assert.Contains("no IEND chunk", StreamingFails(file[..iend.Offset]).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_PNG_fails_when_opened()
    {
        Assert.Contains("bad signature", StreamingFails("GIF89a and some more bytes"u8.ToArray()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_palette_image_without_PLTE_fails_before_any_row()
    {
        var file = PngChunks.Build([("IHDR", PngChunks.Header(4, 4, 8, 3)), ("IDAT", PngChunks.Deflate(new byte[4 * 5])), ("IEND", [])]);

        Assert.Contains("no PLTE chunk", StreamingFails(file).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(3, 8)]
    [InlineData(3, 16)]
    [InlineData(1, 16)]
    public void Binary_Netpbm_streams_equal_the_whole_file_codec(int channels, int bitDepth)
    {
        var image = TestImages.Natural(23, 11, channels, seed: 9);
        var path = Path.Combine(_directory, channels == 1 ? "a.pgm" : "a.ppm");
        ImageFile.Write(path, image, new ImageWriteOptions { BitDepth = bitDepth });
        using var reader = ImageRowFiles.OpenRead(path);

        Assert.True(reader.IsStreaming);
        Assert.True(ImageFile.Read(path).Samples.SequenceEqual(ReadAllRows(reader).Samples));

        using var buffer = new MemoryStream();
        using (var writer = new PnmRowWriter(buffer, image.Width, image.Height, channels, new ImageWriteOptions { BitDepth = bitDepth }))
        {
            var row = new float[image.Width * channels];
            var scanline = new byte[Scanlines.Length(image.Width, channels, bitDepth)];
            using var rows = new ImageRowReader(image);
            for (var y = 0; y < image.Height; y++)
            {
                rows.ReadRow(row);
                Scanlines.FromPlanar(row, image.Width, channels, bitDepth, scanline);
                writer.WriteScanline(scanline);
            }

            writer.Complete();
        }

        Assert.Equal(File.ReadAllBytes(path), buffer.ToArray());
    }

    [Fact]
    public void ASCII_Netpbm_is_read_whole_and_served_row_by_row()
    {
        var path = Path.Combine(_directory, "ascii.ppm");
        File.WriteAllText(path, "P3\n# comment\n2 2\n255\n255 0 0  0 255 0\n0 0 255  10 20 30\n");
        using var reader = ImageRowFiles.OpenRead(path);

        Assert.False(reader.IsStreaming);
        Assert.True(ImageFile.Read(path).Samples.SequenceEqual(ReadAllRows(reader).Samples));
    }

    [Fact]
    public void A_truncated_binary_raster_names_the_bytes()
    {
        var path = Path.Combine(_directory, "short.ppm");
        File.WriteAllBytes(path, [.. "P6\n4 4\n255\n"u8, .. new byte[20]]);

        var error = Assert.Throws<DeployException>(() =>
        {
            using var reader = ImageRowFiles.OpenRead(path);
            var row = new float[12];
            for (var y = 0; y < 4; y++)
            {
                reader.ReadRow(row);
            }
        });

        Assert.Contains("truncated raster: 20 of 48 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unsupported_file_is_bad_input()
    {
        var path = Path.Combine(_directory, "picture.gif");
        File.WriteAllBytes(path, "GIF89a......"u8.ToArray());

        var error = Assert.Throws<DeployException>(() => ImageRowFiles.OpenRead(path));
        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("unsupported image format '.gif'", error.Message, StringComparison.Ordinal);
    }
}
