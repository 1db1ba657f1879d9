using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Imaging;

/// <summary>Malformed input must give a one-line BadInput error naming the file and the problem, never a crash or a hang.</summary>
public sealed class PngCorruptInputTests : IDisposable
{
    private readonly string _directory = RepoPaths.NewTempDirectory("srd-png-bad");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static byte[] ValidFile(int channels = 3) => Png.Encode(TestImages.Natural(19, 13, channels, seed: 2));

    private static byte[] Rebuild(byte[] file, Func<PngChunks.Chunk, IEnumerable<(string, byte[])>> map) =>
        PngChunks.Build(PngChunks.Split(file).SelectMany(map));

    private DeployException ReadFails(byte[] bytes, string name = "bad.png")
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<DeployException>(() => ImageFile.Read(path));
        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        return error;
    }

    [Fact]
    public void A_file_that_is_not_a_PNG_reports_a_bad_signature()
    {
        Assert.Contains("bad signature", ReadFails("GIF89a and some more bytes"u8.ToArray()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_file_is_too_short_for_the_signature()
    {
        Assert.Contains("too short for the signature", ReadFails([]).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("IHDR")]
    [InlineData("IDAT")]
    [InlineData("IEND")]
    public void A_flipped_CRC_byte_in_a_critical_chunk_names_the_chunk(string type)
    {
        var file = ValidFile();
        var chunk = PngChunks.Split(file).First(c => c.Type == type);
        file[chunk.Offset + 8 + chunk.Data.Length + 1] ^= 0x40;

        Assert.Contains($"CRC mismatch in chunk '{type}'", ReadFails(file).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_damaged_ancillary_chunk_is_skipped_as_libpng_does()
    {
        var damaged = PngChunks.Encode("tEXt", "Comment\0hello"u8.ToArray());
        damaged[^1] ^= 1;
        var file = ValidFile();
        var withText = file.Take(33).Concat(damaged).Concat(file.Skip(33)).ToArray(); // after IHDR

        Assert.Equal(Png.Decode(file, "a").Samples.ToArray(), Png.Decode(withText, "b").Samples.ToArray());
    }

    [Fact]
    public void Every_truncation_of_a_file_is_reported_as_bad_input()
    {
        var file = ValidFile(channels: 4);
        for (var length = 0; length < file.Length; length++)
        {
            var error = Assert.Throws<DeployException>(() => Png.Decode(file.AsSpan(0, length), "cut.png"));
            Assert.Equal(FailureKind.BadInput, error.Kind);
            Assert.Matches("truncated|too short|no IEND|no IHDR|corrupt compressed", error.Message);
        }
    }

    [Fact]
    public void A_file_cut_inside_a_chunk_says_how_many_bytes_are_missing()
    {
        var file = ValidFile();
        var idat = PngChunks.Split(file).First(c => c.Type == "IDAT");

        var message = ReadFails(file[..(idat.Offset + 20)]).Message;

        Assert.Contains("truncated file: chunk 'IDAT'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zero_length_IDAT_is_reported()
    {
        var file = Rebuild(ValidFile(), c => [(c.Type, c.Type == "IDAT" ? [] : c.Data)]);

        Assert.Contains("zero-length IDAT", ReadFails(file).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_data_that_ends_early_is_a_truncated_IDAT()
    {
        var raw = new byte[13 * (1 + 19)]; // 13 rows for a 19×19 grey image that needs 19
        var file = PngChunks.Build([("IHDR", PngChunks.Header(19, 19, 8, 0)), ("IDAT", PngChunks.Deflate(raw)), ("IEND", [])]);

        Assert.Contains("truncated image data (IDAT): 260 of 380 bytes", ReadFails(file).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_IDAT_is_reported()
    {
        var file = PngChunks.Build([("IHDR", PngChunks.Header(4, 4, 8, 0)), ("IEND", [])]);

        Assert.Contains("no IDAT chunk", ReadFails(file).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(100_000u, 100_000u, "image too large")]
    [InlineData(0u, 5u, "invalid dimensions 0×5")]
    [InlineData(0x8000_0000u, 1u, "invalid dimensions")]
    public void Absurd_dimensions_are_rejected_before_any_allocation(uint width, uint height, string expected)
    {
        var file = PngChunks.Build([("IHDR", PngChunks.Header(width, height, 8, 2)), ("IDAT", PngChunks.Deflate([0, 0])), ("IEND", [])]);

        Assert.Contains(expected, ReadFails(file).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tiny_IDAT_claiming_a_huge_image_is_rejected_without_inflating_it()
    {
        var file = PngChunks.Build([("IHDR", PngChunks.Header(20_000, 20_000, 8, 0)), ("IDAT", PngChunks.Deflate(new byte[64])), ("IEND", [])]);

        Assert.Contains("cannot hold", ReadFails(file).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5, 8, "unsupported colour type 5")]
    [InlineData(2, 4, "bit depth 4 is not allowed with colour type 2")]
    [InlineData(3, 16, "bit depth 16 is not allowed with colour type 3")]
    [InlineData(0, 3, "bit depth 3 is not allowed with colour type 0")]
    public void Colour_type_and_bit_depth_combinations_the_standard_forbids_are_rejected(byte colorType, byte bitDepth, string expected)
    {
        var file = PngChunks.Build([("IHDR", PngChunks.Header(4, 4, bitDepth, colorType)), ("IDAT", PngChunks.Deflate(new byte[80])), ("IEND", [])]);

        Assert.Contains(expected, ReadFails(file).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_filter_type_names_the_scanline()
    {
        byte[] raw = [0, 1, 2, 3, 0, 4, 5, 6, 7, 1, 2, 3];
        var file = PngChunks.Build([("IHDR", PngChunks.Header(1, 3, 8, 2)), ("IDAT", PngChunks.Deflate(raw)), ("IEND", [])]);

        Assert.Contains("invalid filter type 7 in scanline 2", ReadFails(file).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_palette_index_beyond_the_palette_is_rejected()
    {
        byte[] raw = [0, 0, 1, 5];
        var file = PngChunks.Build(
        [
            ("IHDR", PngChunks.Header(3, 1, 8, 3)), ("PLTE", [255, 0, 0, 0, 255, 0]), ("IDAT", PngChunks.Deflate(raw)), ("IEND", []),
        ]);

        Assert.Contains("palette index 5", ReadFails(file).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_palette_image_without_PLTE_is_rejected()
    {
        var file = PngChunks.Build([("IHDR", PngChunks.Header(2, 1, 8, 3)), ("IDAT", PngChunks.Deflate([0, 0, 0])), ("IEND", [])]);

        Assert.Contains("no PLTE", ReadFails(file).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbage_compressed_data_with_a_valid_CRC_is_corrupt_IDAT()
    {
        var file = PngChunks.Build([("IHDR", PngChunks.Header(4, 4, 8, 0)), ("IDAT", [0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0x00, 0x12]), ("IEND", [])]);

        Assert.Contains("corrupt compressed image data (IDAT)", ReadFails(file).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_critical_chunk_is_rejected_and_an_unknown_ancillary_one_ignored()
    {
        var valid = ValidFile();
        var critical = Rebuild(valid, c => c.Type == "IDAT" ? [("ABCD", [1, 2]), (c.Type, c.Data)] : [(c.Type, c.Data)]);
        var ancillary = Rebuild(valid, c => c.Type == "IDAT" ? [("abCD", [1, 2]), (c.Type, c.Data)] : [(c.Type, c.Data)]);

        Assert.Contains("unsupported critical chunk 'ABCD'", ReadFails(critical).Message, StringComparison.Ordinal);
        Assert.Equal(Png.Decode(valid, "a").Samples.ToArray(), Png.Decode(ancillary, "b").Samples.ToArray());
    }

    [Fact]
    public void A_file_without_IEND_is_truncated()
    {
        var file = Rebuild(ValidFile(), c => c.Type == "IEND" ? [] : [(c.Type, c.Data)]);

        Assert.Contains("no IEND chunk", ReadFails(file).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_byte_changes_with_repaired_CRCs_either_decode_or_fail_as_bad_input()
    {
        var valid = Png.Encode(TestImages.Natural(23, 17, 4, seed: 9), new ImageWriteOptions { BitDepth = 16 });
        var chunks = PngChunks.Split(valid);
        var random = new Random(1234);
        var outcomes = new Dictionary<string, int>();
        for (var trial = 0; trial < 2000; trial++)
        {
            var mutated = chunks.Select(c => (c.Type, Data: (byte[])c.Data.Clone())).ToList();
            var target = random.Next(mutated.Count - 1); // not IEND (empty)
            var data = mutated[target].Data;
            for (var k = 0; k < 1 + random.Next(3); k++)
            {
                data[random.Next(data.Length)] = (byte)random.Next(256);
            }

            try
            {
                Png.Decode(PngChunks.Build(mutated), "fuzz.png");
                outcomes["decoded"] = outcomes.GetValueOrDefault("decoded") + 1;
            }
            catch (DeployException e) when (e.Kind == FailureKind.BadInput)
            {
                var problem = e.Message.Split(':')[2].Trim().Split(' ')[0];
                outcomes[problem] = outcomes.GetValueOrDefault(problem) + 1;
            }
        }

        Assert.True(outcomes.Count > 3, string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}")));
    }
}
