using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Engines.Upscaling;
using SuperRes.Deploy.Tests;
using Xunit.Abstractions;

namespace SuperRes.Deploy.Engines.Tests.Upscaling;

/// <summary>Tiled upscaling with real models in ONNX Runtime on real images: seams, alignment, padding, colour layouts.</summary>
public sealed class TiledUpscalerTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = RepoPaths.NewTempDirectory("srd-upscale");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(64, 16)]
    [InlineData(48, 12)]
    [InlineData(40, 16)]
    [InlineData(96, 24)]
    public void Plain_sr_tiled_equals_the_whole_image_run_when_a_quarter_overlap_covers_its_receptive_field(int tile, int overlap)
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.FixtureModel("plain_sr.onnx"));
        using var _ = runner;
        var image = UpscaleTestSupport.Set5("LRbicx4", "baby").Crop(0, 0, 125, 117);

        var whole = new TiledUpscaler(runner, info, new TileSettings(0, 0)).Upscale(image);
        var upscaler = new TiledUpscaler(runner, info, new TileSettings(tile, overlap));
        var tiled = upscaler.Upscale(image);

        Assert.True(upscaler.Plan(image.Width, image.Height).TileCount > 1);
        Assert.Equal((500, 468, 3), (tiled.Width, tiled.Height, tiled.Channels));
        Assert.True(UpscaleTestSupport.MaxDifference(tiled, whole) <= 1e-6f, $"max difference {UpscaleTestSupport.MaxDifference(tiled, whole)}");
    }

    [Theory]
    [InlineData("baby", 0, 64, 16)]
    [InlineData("baby", 125, 96, 24)]
    [InlineData("baby", 0, 48, 8)]
    [InlineData("woman", 0, 48, 8)]
    public void Tiled_DITN_stays_within_50_dB_of_the_whole_image_on_real_images(string name, int crop, int tile, int overlap)
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.DefaultModel);
        using var _ = runner;
        var image = UpscaleTestSupport.Set5("LRbicx4", name);
        if (crop > 0)
        {
            image = image.Crop(0, 0, crop, crop);
        }

        var whole = new TiledUpscaler(runner, info, new TileSettings(0, 0)).Upscale(image);
        var upscaler = new TiledUpscaler(runner, info, new TileSettings(tile, overlap));
        var plan = upscaler.Plan(image.Width, image.Height);
        var tiled = upscaler.Upscale(image);

        var psnr = UpscaleTestSupport.Psnr(tiled, whole);
        var psnr8 = UpscaleTestSupport.Psnr(tiled.Quantized(8), whole.Quantized(8));
        output.WriteLine($"{name} {image.Width}×{image.Height}, {plan}: PSNR float {psnr:F2} dB, 8-bit {psnr8:F2} dB");
        Assert.True(plan.TileCount > 1);
        Assert.True(psnr >= 50, $"PSNR {psnr:F2} dB");
        Assert.True(psnr8 >= 50, $"8-bit PSNR {psnr8:F2} dB");
    }

    [Fact]
    public void The_default_overlap_keeps_DITN_within_50_dB()
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.DefaultModel);
        using var _ = runner;
        var image = UpscaleTestSupport.Set5("LRbicx4", "bird");

        var whole = new TiledUpscaler(runner, info, new TileSettings(0, 0)).Upscale(image);
        var tiled = new TiledUpscaler(runner, info, new TileSettings(Tile: 40)).Upscale(image);

        Assert.True(UpscaleTestSupport.Psnr(tiled, whole) >= 50);
    }

    [Fact]
    public void DITN_tiles_start_on_its_8_pixel_patch_grid()
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.DefaultModel);
        using var _ = runner;

        var plan = new TiledUpscaler(runner, info, new TileSettings(100, 20)).Plan(301, 211);

        Assert.Equal((8, 8), (info.Height.Alignment, info.Width.Alignment));
        Assert.All(plan.Columns.Origins.Concat(plan.Rows.Origins), o => Assert.Equal(0, o % 8));
        Assert.Equal((96, 96), (plan.Columns.TileLength, plan.Rows.TileLength));
    }

    [Fact]
    public void A_model_that_needs_multiples_of_8_upscales_a_125_by_93_image()
    {
        var path = UpscaleTestSupport.BlockModel(_directory);
        var (runner, info) = UpscaleTestSupport.Load(path);
        using var _ = runner;
        var image = UpscaleTestSupport.Set5("GTmod12", "bird").Crop(3, 5, 125, 93);

        var tiled = new TiledUpscaler(runner, info, new TileSettings(48, 8)).Upscale(image);

        // Reference: the whole image padded by reflection to 128×96 in one run, cropped.
        var padded = image.Pad(0, 0, 3, 3, PadMode.Reflect);
        var outputs = runner.Run(new Dictionary<string, Tensor> { ["input"] = Tensor.FromArray(padded.ToNchw(), 1, 3, 96, 128) });
        var reference = Image.FromNchw(outputs["output"].AsSpan<float>(), 3, 192, 256).Crop(0, 0, 250, 186);
        Assert.Equal(new AxisLimits(8, 8), info.Width);
        Assert.Equal(2, info.Scale);
        Assert.True(UpscaleTestSupport.MaxDifference(tiled, reference) <= 1e-6f);
    }

    [Fact]
    public void Running_the_block_model_unaligned_would_fail_so_the_tiler_must_align()
    {
        var path = UpscaleTestSupport.BlockModel(_directory);
        var (runner, _) = UpscaleTestSupport.Load(path);
        using var __ = runner;

        Assert.Throws<DeployException>(() => runner.Run(new Dictionary<string, Tensor>
        {
            ["input"] = Tensor.FromArray(new float[3 * 93 * 125], 1, 3, 93, 125),
        }));
    }

    [Fact]
    public void Alpha_is_resized_apart_with_bicubic_and_matches_WithAlphaFrom()
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.FixtureModel("plain_sr.onnx"));
        using var _ = runner;
        var rgba = WithAlpha(UpscaleTestSupport.Set5("LRbicx4", "butterfly"));

        var result = new TiledUpscaler(runner, info, new TileSettings(32, 8)).Upscale(rgba);

        var rgb = new TiledUpscaler(runner, info, new TileSettings(32, 8)).Upscale(rgba.ToRgb());
        var expected = rgb.WithAlphaFrom(rgba);
        Assert.Equal(4, result.Channels);
        Assert.True(expected.Samples.SequenceEqual(result.Samples));
    }

    [Fact]
    public void Grey_images_are_upscaled_as_RGB_and_come_back_grey()
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.FixtureModel("plain_sr.onnx"));
        using var _ = runner;
        var rgb = UpscaleTestSupport.Set5("LRbicx4", "head");
        var grey = new Image(rgb.Width, rgb.Height, 1, rgb.Plane(1).ToArray());

        var result = new TiledUpscaler(runner, info, new TileSettings(32, 8)).Upscale(grey);

        var expanded = new Image(grey.Width, grey.Height, 3, [.. grey.Plane(0), .. grey.Plane(0), .. grey.Plane(0)]);
        var expected = OutputColor.ToGrey(new TiledUpscaler(runner, info, new TileSettings(32, 8)).Upscale(expanded));
        Assert.Equal(1, result.Channels);
        Assert.True(expected.Samples.SequenceEqual(result.Samples));
    }

    [Theory]
    [InlineData(4, 8, 16L << 20)]
    [InlineData(4, 16, 0L)]
    [InlineData(2, 16, 16L << 20)]
    [InlineData(3, 8, 0L)]
    [InlineData(1, 8, 0L)]
    public void Streaming_a_file_writes_exactly_the_quantised_in_memory_result(int channels, int bitDepth, long spillThreshold)
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.FixtureModel("plain_sr.onnx"));
        using var _ = runner;
        var source = Layout(UpscaleTestSupport.Set5("LRbicx4", "woman"), channels);
        var input = Path.Combine(_directory, "in.png");
        ImageFile.Write(input, source, new ImageWriteOptions { BitDepth = bitDepth });
        var upscaler = new TiledUpscaler(runner, info, new TileSettings(24, 8));

        var result = upscaler.UpscaleFile(input, Path.Combine(_directory, "out.png"), new UpscaleOutputOptions { SpillThresholdBytes = spillThreshold });

        var written = ImageFile.Read(Path.Combine(_directory, "out.png"));
        var expected = upscaler.Upscale(ImageFile.Read(input)).Quantized(bitDepth);
        Assert.Equal((source.Width * 4, source.Height * 4, channels, bitDepth), (written.Width, written.Height, written.Channels, written.BitDepth));
        Assert.True(expected.Samples.SequenceEqual(written.Samples));
        Assert.True(result.Plan.TileCount > 4);
        Assert.True(result.SourceStreamed);
        Assert.Equal(["in.png", "out.png"], Directory.GetFiles(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void An_interlaced_PNG_is_decoded_whole_and_upscaled_the_same_way()
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.FixtureModel("plain_sr.onnx"));
        using var _ = runner;
        var input = RepoPaths.Combine("tests", "fixtures", "images", "png-suite", "rgba16-adam7.png");
        var upscaler = new TiledUpscaler(runner, info, new TileSettings(8, 4));

        var result = upscaler.UpscaleFile(input, Path.Combine(_directory, "out.png"));

        Assert.False(result.SourceStreamed);
        var expected = upscaler.Upscale(ImageFile.Read(input)).Quantized(16);
        Assert.True(expected.Samples.SequenceEqual(ImageFile.Read(Path.Combine(_directory, "out.png")).Samples));
    }

    [Theory]
    [InlineData("rgb8-adam7-1x1.png")]
    [InlineData("rgb8-adam7-9x1.png")]
    [InlineData("rgb8-adam7-3x2.png")]
    public void Images_smaller_than_the_alignment_are_padded_up_and_cropped_back(string name)
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.DefaultModel);
        using var _ = runner;
        var image = ImageFile.Read(RepoPaths.Combine("tests", "fixtures", "images", "png-suite", name));

        var result = new TiledUpscaler(runner, info, new TileSettings()).Upscale(image);

        Assert.Equal((image.Width * 4, image.Height * 4), (result.Width, result.Height));
        Assert.All(result.Samples.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void PPM_in_and_out_stream_too()
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.FixtureModel("plain_sr.onnx"));
        using var _ = runner;
        var input = Path.Combine(_directory, "in.ppm");
        ImageFile.Write(input, UpscaleTestSupport.Set5("LRbicx4", "bird"));
        var upscaler = new TiledUpscaler(runner, info, new TileSettings(32, 8));

        upscaler.UpscaleFile(input, Path.Combine(_directory, "out.ppm"));

        var expected = upscaler.Upscale(ImageFile.Read(input)).Quantized(8);
        Assert.True(expected.Samples.SequenceEqual(ImageFile.Read(Path.Combine(_directory, "out.ppm")).Samples));
    }

    [Fact]
    public void A_PNG_corrupt_halfway_fails_as_bad_input_and_leaves_no_output()
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.FixtureModel("plain_sr.onnx"));
        using var _ = runner;
        var file = Png.Encode(UpscaleTestSupport.Set5("LRbicx4", "baby"), new ImageWriteOptions { CompressionLevel = 0 });
        var idat = PngChunks.Split(file).First(c => c.Type == "IDAT");
        var input = Path.Combine(_directory, "cut.png");
        File.WriteAllBytes(input, file[..(idat.Offset + 8 + (idat.Data.Length * 3 / 4))]);

        var error = Assert.Throws<DeployException>(() =>
            new TiledUpscaler(runner, info, new TileSettings(32, 8)).UpscaleFile(input, Path.Combine(_directory, "out.png")));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.StartsWith(input, error.Message, StringComparison.Ordinal);
        Assert.Equal(["cut.png"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void The_value_range_of_the_config_is_what_the_model_sees()
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.FixtureModel("plain_sr.onnx"));
        using var recording = new RecordingRunner(runner);
        var image = UpscaleTestSupport.Set5("LRbicx4", "butterfly");

        new TiledUpscaler(recording, info with { ValueRange = (0, 255) }, new TileSettings(0, 0)).Upscale(image);

        var call = Assert.Single(recording.Calls);
        Assert.Equal([1L, 3, 63, 63], call.Shape);
        Assert.True(call.Max > 200 && call.Max <= 255, $"max {call.Max}");
    }

    [Fact]
    public void A_BGR_model_gets_BGR_and_its_output_is_turned_back_to_RGB()
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.FixtureModel("plain_sr.onnx"));
        using var _ = runner;
        var image = UpscaleTestSupport.Set5("LRbicx4", "head");
        static Image Swap(Image rgb) => new(rgb.Width, rgb.Height, 3, [.. rgb.Plane(2), .. rgb.Plane(1), .. rgb.Plane(0)]);

        var bgr = new TiledUpscaler(runner, info with { Bgr = true }, new TileSettings(32, 8)).Upscale(image);

        var expected = Swap(new TiledUpscaler(runner, info, new TileSettings(32, 8)).Upscale(Swap(image)));
        Assert.True(expected.Samples.SequenceEqual(bgr.Samples));
    }

    [Fact]
    public void An_unknown_scale_is_measured_with_a_probe_tile()
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.FixtureModel("plain_sr.onnx"));
        using var _ = runner;
        var upscaler = new TiledUpscaler(runner, info with { Scale = null }, new TileSettings(32, 8));

        var result = upscaler.Upscale(UpscaleTestSupport.Set5("LRbicx4", "bird"));

        Assert.Equal(4, upscaler.Model.Scale);
        Assert.Equal(288, result.Width);
    }

    [Fact]
    public void A_wrong_scale_is_reported_naming_the_output_shape()
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.FixtureModel("plain_sr.onnx"));
        using var _ = runner;

        var error = Assert.Throws<DeployException>(() =>
            new TiledUpscaler(runner, info with { Scale = 2 }, new TileSettings(32, 8)).Upscale(UpscaleTestSupport.Set5("LRbicx4", "bird")));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("should give float32[1,3,64,64]", error.Message, StringComparison.Ordinal); // a 32×32 tile at scale 2
    }

    private static Image WithAlpha(Image rgb)
    {
        var alpha = new float[rgb.PlaneLength];
        for (var y = 0; y < rgb.Height; y++)
        {
            for (var x = 0; x < rgb.Width; x++)
            {
                alpha[(y * rgb.Width) + x] = Math.Clamp((float)((x + y) / (double)(rgb.Width + rgb.Height)) + (((x * 7) + (y * 3)) % 5 * 0.05f), 0, 1);
            }
        }

        return new Image(rgb.Width, rgb.Height, 4, [.. rgb.Samples, .. alpha]);
    }

    private static Image Layout(Image rgb, int channels) => channels switch
    {
        1 => new Image(rgb.Width, rgb.Height, 1, rgb.Plane(0).ToArray()),
        2 => new Image(rgb.Width, rgb.Height, 2, [.. rgb.Plane(0), .. rgb.Plane(2)]),
        3 => rgb,
        _ => WithAlpha(rgb),
    };
}

internal static class ImageTestExtensions
{
    /// <summary>The colour planes only.</summary>
    public static Image ToRgb(this Image image) => new(image.Width, image.Height, 3, image.Samples[..(3 * image.PlaneLength)].ToArray());
}
