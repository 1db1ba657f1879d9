using SuperRes.Deploy.Engines.Benchmarking;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Engines.Upscaling;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Upscaling;

/// <summary>
/// Upscaling and benchmarking a TensorRT plan through the shim's recording test double (its engines compute
/// output = input + 1 at the input's size, i.e. "scale 1"), which also refuses shapes outside the selected profile.
/// </summary>
[Collection(TrtDoubleBuildTests.Name)]
public sealed class TensorRtUpscaleTests : IDisposable
{
    private readonly string _directory = RepoPaths.NewTempDirectory("srd-upscale-trt");

    public TensorRtUpscaleTests() => TrtDoubleControl.Reset();

    public void Dispose()
    {
        // The double's state is process-wide: leave it as the next test of the collection expects it.
        TrtDoubleControl.Reset();
        Directory.Delete(_directory, recursive: true);
    }

    private string Plan(params (string Min, string Opt, string Max)[] profiles)
    {
        var path = Path.Combine(_directory, "double.plan");
        File.WriteAllBytes(path, TrtTestDouble.BuildPlan(_directory, profiles));
        return path;
    }

    [Fact]
    public void Tiles_stay_inside_the_engine_profile_and_the_result_comes_back_through_the_value_range()
    {
        var plan = Plan(("1x3x16x16", "1x3x64x64", "1x3x96x96"));
        using var session = UpscaleSession.Open(new UpscaleSessionOptions { ModelPath = plan, Tiles = new TileSettings(256, 16) });
        var image = UpscaleTestSupport.Set5("LRbicx4", "baby");
        var upscaler = new TiledUpscaler(session.Runner, session.Upscaler.Model with { ValueRange = (0, 255) }, new TileSettings(256, 16));

        var result = upscaler.Upscale(image);

        Assert.Equal(InferenceBackend.Trt, session.Backend);
        Assert.Equal((16, 96), (session.Upscaler.Model.Width.Minimum, session.Upscaler.Model.Width.Maximum));
        Assert.Equal(1, upscaler.Model.Scale);
        Assert.Equal(4, upscaler.Plan(image.Width, image.Height).TileCount);
        Assert.Equal((126, 126), (result.Width, result.Height));
        for (var i = 0; i < image.Samples.Length; i++)
        {
            Assert.Equal(image.Samples[i] + (1 / 255f), result.Samples[i], 1e-5);
        }

        // What the engine was asked to run: the probe tile (16×16, to learn the scale), then 96×96 tiles (256 capped by the profile).
        var calls = TrtDoubleControl.Calls("srd_execution_context_set_input_shape");
        Assert.All(calls, c => Assert.Equal(0, c.GetProperty("status").GetInt32()));
        var shapes = calls.Select(c => string.Join('x', c.GetProperty("args").GetProperty("dims").EnumerateArray().Select(d => d.GetInt64()))).ToList();
        Assert.Equal(["1x3x16x16", "1x3x96x96"], shapes.Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(5, shapes.Count);
    }

    [Fact]
    public void A_plan_is_written_to_a_file_like_any_model()
    {
        var plan = Plan(("1x3x8x8", "1x3x32x32", "1x3x64x64"));
        using var session = UpscaleSession.Open(new UpscaleSessionOptions { ModelPath = plan, Tiles = new TileSettings(48, 8) });
        var input = Path.Combine(_directory, "in.png");
        File.Copy(RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "LRbicx4", "bird.png"), input);

        var result = session.Upscaler.UpscaleFile(input, Path.Combine(_directory, "out.png"));

        Assert.Equal((72, 72), (result.OutputWidth, result.OutputHeight));
        Assert.All(ImageFile.Read(Path.Combine(_directory, "out.png")).Samples.ToArray(), v => Assert.Equal(1f, v)); // input + 1, clamped
    }

    [Fact]
    public void Without_TensorRT_a_plan_is_a_missing_component_naming_what_to_install()
    {
        var plan = Plan(("1x3x8x8", "1x3x32x32", "1x3x64x64"));
        TrtDoubleControl.SetLibraryMissing(true);

        var error = Assert.Throws<DeployException>(() => UpscaleSession.Open(new UpscaleSessionOptions { ModelPath = plan }));

        Assert.Equal(FailureKind.MissingComponent, error.Kind);
        Assert.Contains("--backend trt needs TensorRT", error.Message, StringComparison.Ordinal);
        Assert.Contains("install TensorRT 10.x or 11.x", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_benchmark_runs_a_plan_per_shape()
    {
        var plan = Plan(("1x3x8x8", "1x3x32x32", "1x3x64x64"));
        using var runner = RunnerFactory.Create(ModelSource.Detect(plan), InferenceBackend.Auto);

        var small = BenchmarkRunner.Run(runner, [ShapeSpec.Parse("input:1x3x8x8")], new BenchmarkSettings { WarmupRuns = 1, Iterations = 5, Duration = TimeSpan.Zero });
        var large = BenchmarkRunner.Run(runner, [ShapeSpec.Parse("input:1x3x64x48")], new BenchmarkSettings { WarmupRuns = 1, Iterations = 5, Duration = TimeSpan.Zero });

        Assert.Equal("tensorrt", runner.BackendName);
        Assert.Equal(5, small.Latency.Count);
        Assert.Equal([1L, 3, 64, 48], large.Outputs["output"]);
        Assert.Equal(64 * 48 * large.InferencesPerSecond / 1e6, large.OutputMegapixelsPerSecond!.Value, 1e-9);
    }

    [Fact]
    public void A_shape_outside_every_profile_is_bad_input()
    {
        var plan = Plan(("1x3x8x8", "1x3x32x32", "1x3x64x64"));
        using var runner = RunnerFactory.Create(ModelSource.Detect(plan), InferenceBackend.Trt);

        var error = Assert.Throws<DeployException>(() =>
            BenchmarkRunner.Run(runner, [ShapeSpec.Parse("input:1x3x128x128")], new BenchmarkSettings { WarmupRuns = 0, Iterations = 1, Duration = TimeSpan.Zero }));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("outside every optimization profile", error.Message, StringComparison.Ordinal);
    }
}
