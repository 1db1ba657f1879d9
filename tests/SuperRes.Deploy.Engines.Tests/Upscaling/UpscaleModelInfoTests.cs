using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Upscaling;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Upscaling;

public sealed class UpscaleModelInfoTests : IDisposable
{
    private readonly string _directory = RepoPaths.NewTempDirectory("srd-upscale-info");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("swin_style.onnx", 8)]
    [InlineData("ditn_small.onnx", 8)]
    [InlineData("esrt_style.onnx", 2)]
    [InlineData("plain_sr.onnx", 1)]
    public void Padding_inside_the_model_becomes_the_tile_alignment(string fixture, int alignment)
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.FixtureModel(fixture));
        using var _ = runner;

        Assert.Equal((alignment, alignment), (info.Height.Alignment, info.Width.Alignment));
        Assert.Equal(4, info.Scale);
        Assert.Equal(("input", "output"), (info.InputName, info.OutputName));
    }

    [Fact]
    public void The_config_adds_its_max_tile_value_range_and_colour_order()
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.DefaultModel);
        using var _ = runner;
        var config = DeployConfigLoader.Load(RepoPaths.Combine("configs", "ditn_real_x4.yaml")) with
        {
            Io = new IoSettings { Input = "input", Output = "output", ValueRange = (0, 255), Color = "BGR" },
        };
        config = config with { Targets = config.Targets! with { MaxTile = 512 } };

        var configured = info.WithConfig(config);

        Assert.Equal(512, configured.Width.Maximum);
        Assert.Equal(8, configured.Width.Alignment);
        Assert.Equal((0.0, 255.0), configured.ValueRange);
        Assert.True(configured.Bgr);
        Assert.Contains("config: max_tile 512", configured.Sources);
    }

    [Fact]
    public void A_config_scale_that_contradicts_the_graph_is_bad_input()
    {
        var (runner, info) = UpscaleTestSupport.Load(RepoPaths.FixtureModel("plain_sr.onnx"));
        using var _ = runner;
        var config = DeployConfigLoader.Load(RepoPaths.Combine("configs", "ditn_real_x4.yaml")) with { Scale = 2 };

        var error = Assert.Throws<DeployException>(() => info.WithConfig(config));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("says scale 2, the model's graph gives 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fixed_spatial_sizes_in_the_signature_pin_the_tile()
    {
        var path = new TestModelBuilder()
            .Input("image", 1L, 3L, 32L, 48L)
            .Output("big", 1L, 3L, 64L, 96L)
            .Node("Resize", ["image", "", "scales"], ["big"], TestModelBuilder.StringAttr("mode", "nearest"))
            .Floats("scales", [4], 1, 1, 2, 2)
            .Save(_directory, "fixed.onnx");
        using var runner = new OrtRunner(OrtRunnerOptions.ForFile(path));

        var info = UpscaleModelInfo.FromRunner(runner);
        var plan = TilePlanner.Plan(100, 70, info.Height, info.Width, 2, new TileSettings(256, 8));

        Assert.Equal((32, 32), (info.Height.Minimum, info.Height.Maximum));
        Assert.Equal((48, 48), (plan.Columns.TileLength, info.Width.Maximum));
        Assert.Equal(32, plan.Rows.TileLength);
        Assert.True(plan.TileCount > 1);
    }

    [Fact]
    public void A_model_with_two_image_outputs_needs_the_config_to_name_one()
    {
        var path = new TestModelBuilder()
            .Input("x", "N", 3L, "H", "W")
            .Output("a", "N", 3L, "H", "W")
            .Output("b", "N", 3L, "H", "W")
            .Node("Identity", ["x"], ["a"])
            .Node("Neg", ["x"], ["b"])
            .Save(_directory, "two.onnx");
        using var runner = new OrtRunner(OrtRunnerOptions.ForFile(path));

        var error = Assert.Throws<DeployException>(() => UpscaleModelInfo.FromRunner(runner));

        Assert.Contains("name it in the config's io.output", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_sources_are_told_apart_by_extension_and_content()
    {
        var plan = Path.Combine(_directory, "engine.bin");
        File.WriteAllBytes(plan, [0x66, 0x74, 0x72, 0x74, 0, 0, 0, 0, .. new byte[24]]);
        var bundle = Path.Combine(_directory, "bundle.bin");
        File.WriteAllBytes(bundle, [0x1F, 0x8B, 8, 0]);

        Assert.Equal(ModelFormat.Onnx, ModelSource.Detect(RepoPaths.DefaultModel).Format);
        Assert.Equal(ModelFormat.Plan, ModelSource.Detect(plan).Format);
        Assert.Equal(ModelFormat.Bundle, ModelSource.Detect(bundle).Format);
        Assert.Equal(FailureKind.BadInput, Assert.Throws<DeployException>(() => ModelSource.Detect(_directory)).Kind);
        Assert.Equal(InferenceBackend.Trt, ModelSource.Detect(plan).ResolveBackend(InferenceBackend.Auto));
    }
}
