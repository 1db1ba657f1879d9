using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Packaging;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Tests.Packaging;
using SuperRes.Deploy.Engines.Upscaling;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Upscaling;

/// <summary>
/// Upscaling and benchmarking straight from a deployment bundle (a real package of the fused ditn_small fixture): the
/// bundle is verified, its optimized ONNX runs on ONNX Runtime with the fused-attention op, and the extracted files go.
/// </summary>
public sealed class BundleUpscaleTests(DitnSmallBundleFixture bundle) : IClassFixture<DitnSmallBundleFixture>, IDisposable
{
    private readonly TempFolder _temp = new("srd-bundle-upscale");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_bundle_upscales_exactly_as_its_shipped_model_and_close_to_the_original_model()
    {
        var image = UpscaleTestSupport.Set5("LRbicx4", "bird");
        var tiles = new TileSettings(48, 8);

        using var fromBundle = UpscaleSession.Open(new UpscaleSessionOptions { ModelPath = bundle.BundlePath, Tiles = tiles, Runner = new RunnerSettings { Threads = 2 } });
        var shipped = Bundle.Open(bundle.BundlePath).ExtractModel(Path.Combine(_temp.Path, "x")).ModelPath;
        using var fromShipped = UpscaleSession.Open(new UpscaleSessionOptions { ModelPath = shipped, Tiles = tiles, Runner = new RunnerSettings { Threads = 2 } });
        using var fromOriginal = UpscaleSession.Open(new UpscaleSessionOptions
        {
            ModelPath = RepoPaths.FixtureModel("ditn_small.onnx"), Tiles = tiles, Runner = new RunnerSettings { Threads = 2 },
        });

        Assert.Equal(ModelFormat.Bundle, fromBundle.Source.Format);
        Assert.Equal(InferenceBackend.Ort, fromBundle.Backend);
        Assert.Equal(4, fromBundle.Upscaler.Model.Scale);
        Assert.Contains(fromBundle.Upscaler.Model.Sources, s => s.StartsWith("bundle: scale 4", StringComparison.Ordinal));
        var viaBundle = fromBundle.Upscaler.Upscale(image);
        Assert.Equal((image.Width * 4, image.Height * 4), (viaBundle.Width, viaBundle.Height));
        Assert.Equal(0f, UpscaleTestSupport.MaxDifference(viaBundle, fromShipped.Upscaler.Upscale(image)));
        Assert.True(UpscaleTestSupport.Psnr(viaBundle, fromOriginal.Upscaler.Upscale(image)) >= 60,
            "the fused shipped model should match the original model's upscale to within float rounding");
    }

    [Fact]
    public void The_checkout_extracts_the_shipped_model_for_onnx_runtime_and_removes_it_when_done()
    {
        string directory;
        using (var checkout = BundleCheckout.Open(bundle.BundlePath, InferenceBackend.Auto))
        {
            directory = checkout.Directory;
            Assert.Equal(InferenceBackend.Ort, checkout.Backend);
            Assert.Equal(ModelFormat.Onnx, checkout.Model.Format);
            Assert.True(File.Exists(checkout.OnnxPath));
            Assert.Contains("the bundle ships no plan", checkout.Detail, StringComparison.Ordinal);
            var settings = checkout.SettingsFor(new RunnerSettings());
            Assert.Equal(PluginLibraries.FusedAttentionOnnxRuntime, Path.GetFileName(Assert.Single(settings.CustomOpLibraries)));
        }

        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public void Bench_and_other_runner_users_run_a_bundle_through_the_runner_factory()
    {
        using var runner = RunnerFactory.Create(ModelSource.Detect(bundle.BundlePath), InferenceBackend.Auto, new RunnerSettings { Threads = 1 });

        Assert.Equal("onnxruntime", runner.BackendName);
        Assert.Equal(bundle.Manifest.Io.Input, Assert.Single(runner.Inputs).Name);
    }

    [Fact]
    public void TensorRT_on_a_bundle_without_plans_names_the_on_device_build()
    {
        var error = Assert.Throws<DeployException>(() => BundleCheckout.Open(bundle.BundlePath, InferenceBackend.Trt));

        Assert.Equal(FailureKind.MissingComponent, error.Kind);
        Assert.Contains("ships no TensorRT plan (engine: build on device)", error.Message, StringComparison.Ordinal);
        Assert.Contains("build_and_validate.sh", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bundle_with_one_changed_byte_is_refused_before_anything_runs()
    {
        var tampered = TestBundles.Rewrite(bundle.BundlePath, Path.Combine(_temp.Path, "tampered.tar.gz"), entries =>
        {
            var model = entries.Single(e => e.Name == bundle.Manifest.Model.Onnx);
            var content = model.Content.ToArray();
            content[content.Length / 2] ^= 0x01;
            return [.. entries.Select(e => e == model ? e with { Content = content } : e)];
        });

        var error = Assert.Throws<DeployException>(() => UpscaleSession.Open(new UpscaleSessionOptions { ModelPath = tampered }));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("is damaged", error.Message, StringComparison.Ordinal);
        Assert.Contains(bundle.Manifest.Model.Onnx, error.Message, StringComparison.Ordinal);
    }
}
