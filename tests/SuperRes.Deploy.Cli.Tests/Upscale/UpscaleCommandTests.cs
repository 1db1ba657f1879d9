using SuperRes.Deploy.Cli;
using SuperRes.Deploy.Engines.Imaging;

namespace SuperRes.Deploy.Tests.Upscale;

public sealed class UpscaleCommandTests
{
    private static string PlainSr => RepoPaths.FixtureModel("plain_sr.onnx");

    private static string Set5(string name) => RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "LRbicx4", name + ".png");

    [Fact]
    public void A_PNG_is_upscaled_in_tiles_to_four_times_its_size()
    {
        using var folder = new TempFolder("srd-cli-up");
        var output = folder.File("baby_x4.png");

        var (code, stdout, stderr) = Run("upscale", Set5("baby"), "-o", output, "--model", PlainSr, "--tile", "48", "--quiet");

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, stderr);
        Assert.StartsWith($"wrote {output} (504×504, 16 tiles of 48×48, ", stdout, StringComparison.Ordinal);
        var image = ImageFile.Read(output);
        Assert.Equal((504, 504, 3, 8), (image.Width, image.Height, image.Channels, image.BitDepth));
        Assert.Equal(["baby_x4.png"], folder.FileNames());
    }

    [Fact]
    public void Tiled_output_equals_whole_image_output_for_a_model_with_a_small_receptive_field()
    {
        using var folder = new TempFolder("srd-cli-up");

        Assert.Equal(0, Run("upscale", Set5("head"), "-o", folder.File("tiled.png"), "--model", PlainSr, "--tile", "32", "--overlap", "16", "--quiet").Code);
        Assert.Equal(0, Run("upscale", Set5("head"), "-o", folder.File("whole.png"), "--model", PlainSr, "--tile", "0", "--quiet").Code);

        Assert.True(ImageFile.Read(folder.File("tiled.png")).Samples.SequenceEqual(ImageFile.Read(folder.File("whole.png")).Samples));
    }

    [Fact]
    public void A_16_bit_input_gives_16_bit_output_unless_8_is_asked_for()
    {
        using var folder = new TempFolder("srd-cli-up");
        var input = folder.File("deep.png");
        ImageFile.Write(input, ImageFile.Read(Set5("bird")), new ImageWriteOptions { BitDepth = 16 });

        Assert.Equal(0, Run("upscale", input, "-o", folder.File("a.png"), "--model", PlainSr, "--quiet").Code);
        Assert.Equal(0, Run("upscale", input, "-o", folder.File("b.png"), "--model", PlainSr, "--bit-depth", "8", "--quiet").Code);

        Assert.Equal(16, ImageFile.Read(folder.File("a.png")).BitDepth);
        Assert.Equal(8, ImageFile.Read(folder.File("b.png")).BitDepth);
    }

    [Fact]
    public void Grey_stays_grey_and_alpha_is_kept()
    {
        using var folder = new TempFolder("srd-cli-up");
        var rgb = ImageFile.Read(Set5("bird"));
        ImageFile.Write(folder.File("grey.png"), new Image(rgb.Width, rgb.Height, 1, rgb.Plane(1).ToArray()));
        ImageFile.Write(folder.File("rgba.png"), new Image(rgb.Width, rgb.Height, 4, [.. rgb.Samples, .. rgb.Plane(0)]));

        Assert.Equal(0, Run("upscale", folder.File("grey.png"), "-o", folder.File("out/grey.png"), "--model", PlainSr, "--quiet").Code);
        Assert.Equal(0, Run("upscale", folder.File("rgba.png"), "-o", folder.File("out/rgba.png"), "--model", PlainSr, "--quiet").Code);

        Assert.Equal(1, ImageFile.Read(folder.File("out/grey.png")).Channels);
        Assert.Equal(4, ImageFile.Read(folder.File("out/rgba.png")).Channels);
    }

    [Fact]
    public void A_folder_is_upscaled_image_by_image_under_the_same_names()
    {
        using var folder = new TempFolder("srd-cli-up");
        var input = Directory.CreateDirectory(folder.File("in")).FullName;
        File.Copy(Set5("bird"), Path.Combine(input, "bird.png"));
        File.Copy(Set5("head"), Path.Combine(input, "head.png"));
        ImageFile.Write(Path.Combine(input, "woman.ppm"), ImageFile.Read(Set5("woman")));
        File.WriteAllText(Path.Combine(input, "notes.txt"), "not an image");

        var (code, stdout, _) = Run("upscale", input, "-o", folder.File("out"), "--model", PlainSr, "--quiet");

        Assert.Equal(0, code);
        Assert.Equal(3, stdout.Trim().Split('\n').Length);
        Assert.Equal(["bird.png", "head.png", "woman.png"], Directory.GetFiles(folder.File("out")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal((228, 336), (ImageFile.Read(folder.File("out/woman.png")).Width, ImageFile.Read(folder.File("out/woman.png")).Height));
    }

    [Fact]
    public void In_a_folder_a_corrupt_image_is_reported_the_others_are_written_and_the_exit_code_is_3()
    {
        using var folder = new TempFolder("srd-cli-up");
        var input = Directory.CreateDirectory(folder.File("in")).FullName;
        File.Copy(Set5("bird"), Path.Combine(input, "bird.png"));
        var broken = File.ReadAllBytes(Set5("head"));
        File.WriteAllBytes(Path.Combine(input, "head.png"), broken[..(broken.Length / 2)]);

        var (code, _, stderr) = Run("upscale", input, "-o", folder.File("out"), "--model", PlainSr, "--quiet");

        Assert.Equal(3, code);
        Assert.Contains("head.png", stderr, StringComparison.Ordinal);
        Assert.Contains("1 of 2 images failed", stderr, StringComparison.Ordinal);
        Assert.Equal(["bird.png"], Directory.GetFiles(folder.File("out")).Select(Path.GetFileName));
    }

    [Fact]
    public void A_corrupt_PNG_is_exit_code_3_with_one_line_and_no_output_file()
    {
        using var folder = new TempFolder("srd-cli-up");
        var bytes = File.ReadAllBytes(Set5("baby"));
        File.WriteAllBytes(folder.File("cut.png"), bytes[..(bytes.Length * 2 / 3)]);

        var (code, stdout, stderr) = Run("upscale", folder.File("cut.png"), "-o", folder.File("out.png"), "--model", PlainSr, "--tile", "32", "--quiet");

        Assert.Equal(3, code);
        Assert.Equal(string.Empty, stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("srdeploy: error: ", line, StringComparison.Ordinal);
        Assert.Contains("cut.png", line, StringComparison.Ordinal);
        Assert.Equal(["cut.png"], folder.FileNames());
    }

    [Fact]
    public void A_missing_model_is_exit_code_3()
    {
        using var folder = new TempFolder("srd-cli-up");

        var (code, _, stderr) = Run("upscale", Set5("bird"), "-o", folder.File("out.png"), "--model", folder.File("nope.onnx"), "--quiet");

        Assert.Equal(3, code);
        Assert.Contains("model file not found", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plan_with_the_ONNX_Runtime_backend_is_a_usage_error()
    {
        using var folder = new TempFolder("srd-cli-up");
        File.WriteAllBytes(folder.File("model.engine"), new byte[64]);

        var (code, _, stderr) = Run("upscale", Set5("bird"), "-o", folder.File("out.png"), "--model", folder.File("model.engine"), "--backend", "ort", "--quiet");

        Assert.Equal(2, code);
        Assert.Contains("run it with --backend trt", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_bundle_is_bad_input_with_one_error_line()
    {
        using var folder = new TempFolder("srd-cli-up");
        File.WriteAllBytes(folder.File("model.tar.gz"), [0x1F, 0x8B, 0, 0]);

        var (code, _, stderr) = Run("upscale", Set5("bird"), "-o", folder.File("out.png"), "--model", folder.File("model.tar.gz"), "--quiet");

        Assert.Equal(3, code);
        Assert.Contains("model.tar.gz", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        Assert.Equal(["model.tar.gz"], folder.FileNames());
    }

    [Theory]
    [InlineData("out.jpg", 2)]
    [InlineData("out.webp", 2)]
    public void An_unsupported_output_format_is_a_usage_error_before_the_model_loads(string output, int expected)
    {
        using var folder = new TempFolder("srd-cli-up");

        var (code, _, stderr) = Run("upscale", Set5("bird"), "-o", folder.File(output), "--model", folder.File("not-even-there.onnx"), "--quiet");

        Assert.Equal(expected, code);
        Assert.Contains("cannot write image format", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unsupported_input_format_is_bad_input()
    {
        using var folder = new TempFolder("srd-cli-up");
        File.WriteAllBytes(folder.File("photo.gif"), "GIF89a\x01\x00\x01\x00"u8.ToArray());

        var (code, _, stderr) = Run("upscale", folder.File("photo.gif"), "-o", folder.File("out.png"), "--model", PlainSr, "--quiet");

        Assert.Equal(3, code);
        Assert.Contains("unsupported image format '.gif'", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--tile", "-5")]
    [InlineData("--overlap", "-1")]
    [InlineData("--bit-depth", "12")]
    [InlineData("--format", "tiff")]
    [InlineData("--threads", "-2")]
    public void Impossible_option_values_are_usage_errors(string option, string value)
    {
        using var folder = new TempFolder("srd-cli-up");

        var (code, _, _) = Run("upscale", Set5("bird"), "-o", folder.File("out.png"), "--model", PlainSr, option, value, "--quiet");

        Assert.Equal(2, code);
        Assert.Empty(folder.FileNames());
    }

    [Fact]
    public void The_config_names_the_default_model_and_its_IO_contract()
    {
        using var folder = new TempFolder("srd-cli-up");

        var (code, stdout, stderr) = Run("upscale", Set5("butterfly"), "-o", folder.File("out.png"), "--config", RepoPaths.Combine("configs", "ditn_real_x4.yaml"), "--threads", "2");

        Assert.Equal(0, code);
        Assert.Contains("(252×252, 1 tile of 64×64", stdout, StringComparison.Ordinal);
        Assert.Contains("multiple of 8", stderr, StringComparison.Ordinal);
    }

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
