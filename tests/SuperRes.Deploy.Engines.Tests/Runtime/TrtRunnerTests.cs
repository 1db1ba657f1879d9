using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Engines.Validation;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Runtime;

/// <summary>TrtRunner through the recording double of the TensorRT shim, whose engines compute output = input + 1.</summary>
[Collection(TrtDoubleBuildTests.Name)]
public sealed class TrtRunnerTests : IDisposable
{
    private readonly TempFolder _folder = new("srd-trt-runner");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_plan_reports_its_io_and_profiles_and_runs_each_shape_with_the_profile_vs_mlrt_would_pick()
    {
        var plan = TrtTestDouble.BuildPlan(_folder.Path, ("1x3x16x16", "1x3x64x64", "1x3x128x128"), ("1x3x64x64", "1x3x96x160", "1x3x192x320"));
        using var runner = new TrtRunner(TrtRunnerOptions.ForBytes(plan, "double.plan"));

        Assert.Equal("tensorrt", runner.BackendName);
        Assert.True(runner.IsTestDouble);
        Assert.Equal("input: float32[?,3,?,?]", Assert.Single(runner.Inputs).ToString());
        Assert.Equal("output", Assert.Single(runner.Outputs).Name);
        Assert.Equal(2, runner.Profiles.Count);
        Assert.Equal("1x3x64x64 .. 1x3x96x160 .. 1x3x192x320", runner.Profiles[1].Inputs["input"].ToString());

        foreach (var (height, width, profile) in new[] { (64, 64, 0), (96, 160, 1), (100, 100, 0), (150, 150, 1), (16, 16, 0) })
        {
            var input = InputGenerator.Random(TensorElementType.Float32, [1, 3, height, width], 42, (0, 1));
            var output = runner.Run(new Dictionary<string, Tensor> { ["input"] = input })["output"];

            Assert.Equal(profile, runner.LastProfile);
            Assert.Equal(input.Shape, output.Shape);
            Assert.Equal(input.AsSpan<float>().ToArray().Select(v => v + 1f), output.AsSpan<float>().ToArray());
        }
    }

    [Fact]
    public void A_shape_outside_every_profile_is_a_bad_input_that_lists_the_profiles()
    {
        var plan = TrtTestDouble.BuildPlan(_folder.Path, ("1x3x16x16", "1x3x32x32", "1x3x64x64"));
        using var runner = new TrtRunner(TrtRunnerOptions.ForBytes(plan, "small.plan"));

        var error = Assert.Throws<DeployException>(() =>
            runner.Run(new Dictionary<string, Tensor> { ["input"] = Tensor.Zeros(TensorElementType.Float32, 1, 3, 80, 80) }));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Equal(
            "input shape input:1x3x80x80 lies outside every optimization profile of engine 'small.plan' (profile 0: input 1x3x16x16 .. 1x3x32x32 .. 1x3x64x64)",
            error.Message);
    }

    [Fact]
    public void Missing_tensorrt_is_a_missing_component_that_says_what_to_install()
    {
        var plan = TrtTestDouble.BuildPlan(_folder.Path, ("1x3x16x16", "1x3x32x32", "1x3x64x64"));
        TrtDoubleControl.SetLibraryMissing(true);
        try
        {
            var error = Assert.Throws<DeployException>(() => new TrtRunner(TrtRunnerOptions.ForBytes(plan)));

            Assert.Equal(FailureKind.MissingComponent, error.Kind);
            Assert.Contains("(libnvinfer) is not loadable", error.Message, StringComparison.Ordinal);
            Assert.Contains("install TensorRT", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            TrtDoubleControl.SetLibraryMissing(false);
        }
    }

    [Fact]
    public void A_file_that_is_not_a_plan_is_a_bad_input()
    {
        var path = _folder.File("garbage.plan");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8]);

        var error = Assert.Throws<DeployException>(() => new TrtRunner(TrtRunnerOptions.ForFile(path)));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.StartsWith("TensorRT cannot deserialize plan 'garbage.plan': ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_plugin_library_is_a_missing_component_naming_it()
    {
        var plan = TrtTestDouble.BuildPlan(_folder.Path, ("1x3x16x16", "1x3x32x32", "1x3x64x64"));
        var plugin = _folder.File("libmissing_plugin.so");

        var error = Assert.Throws<DeployException>(() => new TrtRunner(TrtRunnerOptions.ForBytes(plan) with { PluginLibraries = [plugin] }));

        Assert.Equal(FailureKind.MissingComponent, error.Kind);
        Assert.Equal($"TensorRT plugin library not found: {plugin}", error.Message);
    }
}
