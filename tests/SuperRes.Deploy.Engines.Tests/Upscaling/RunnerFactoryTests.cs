using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Upscaling;

public sealed class RunnerFactoryTests : IDisposable
{
    private readonly string _directory = RepoPaths.NewTempDirectory("srd-runner-factory");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void An_optimized_model_gets_the_fused_attention_custom_ops_without_asking()
    {
        var path = new TestModelBuilder()
            .Opset("com.superres.deploy", 1)
            .Input("input", "N", 3L, "H", "W")
            .Output("output", "N", 3L, "H", "W")
            .Node("Identity", ["input"], ["output"])
            .Save(_directory, "optimized.onnx");

        var libraries = RunnerFactory.DefaultCustomOps(path);

        Assert.Equal(PluginLibraries.FusedAttentionOnnxRuntime, Path.GetFileName(Assert.Single(libraries)));
        using var runner = RunnerFactory.Create(ModelSource.Detect(path), InferenceBackend.Auto);
        Assert.Equal("onnxruntime", runner.BackendName);
    }

    [Fact]
    public void TensorRT_plugins_for_an_onnx_model_are_a_usage_error_naming_custom_ops()
    {
        var error = Assert.Throws<DeployException>(() => RunnerFactory.Create(
            ModelSource.Detect(RepoPaths.FixtureModel("plain_sr.onnx")), InferenceBackend.Auto,
            new RunnerSettings { PluginLibraries = [Path.Combine(_directory, "libplugin.so")] }));

        Assert.Equal(FailureKind.Usage, error.Kind);
        Assert.Contains("--plugins applies to TensorRT plans", error.Message, StringComparison.Ordinal);
        Assert.Contains("--custom-ops", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plain_model_needs_no_custom_ops()
    {
        Assert.Empty(RunnerFactory.DefaultCustomOps(RepoPaths.FixtureModel("plain_sr.onnx")));
    }

    [Fact]
    public void A_gzip_file_that_is_not_a_bundle_is_bad_input_naming_the_file()
    {
        var bundle = Path.Combine(_directory, "model.tar.gz");
        File.WriteAllBytes(bundle, [0x1F, 0x8B, 8, 0]);

        var error = Assert.Throws<DeployException>(() => RunnerFactory.Create(ModelSource.Detect(bundle), InferenceBackend.Auto));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains(bundle, error.Message, StringComparison.Ordinal);
    }
}
