using System.Text.Json.Nodes;
using SuperRes.Deploy.Cli;
using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Tests.Upscale;

/// <summary>
/// `upscale` and `bench` with TensorRT plans, through the shim's recording test double (its engines compute
/// output = input + 1; with its "library missing" switch it behaves as the shim does without libnvinfer).
/// </summary>
[Collection(TrtDoubleBuildTests.Name)]
public sealed class TensorRtCommandTests : IDisposable
{
    private readonly TempFolder _folder = new("srd-cli-trt");

    public TensorRtCommandTests() => TrtDoubleControl.Reset();

    public void Dispose()
    {
        // The double's state is process-wide: leave it as the next test of the collection expects it.
        TrtDoubleControl.Reset();
        _folder.Dispose();
    }

    private static string Bird => RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "LRbicx4", "bird.png");

    private string WritePlan()
    {
        var model = _folder.File("double-network.onnx");
        File.WriteAllBytes(model, [0x08, 0x08]);
        using var builder = TrtBuilder.Create();
        using var network = builder.CreateNetwork();
        using (var parser = TrtOnnxParser.Create(network))
        {
            parser.ParseFile(model);
        }

        using var config = builder.CreateConfig();
        using var profile = builder.CreateOptimizationProfile();
        profile.SetDimensions("input", TrtDims.Parse("1x3x8x8"), TrtDims.Parse("1x3x32x32"), TrtDims.Parse("1x3x48x48"));
        config.AddOptimizationProfile(profile);
        var path = _folder.File("model.plan");
        File.WriteAllBytes(path, builder.Build(network, config).Bytes.ToArray());
        return path;
    }

    [Fact]
    public void Upscale_with_a_plan_without_TensorRT_is_exit_code_4_naming_what_to_install_and_writes_nothing()
    {
        var plan = WritePlan();
        TrtDoubleControl.SetLibraryMissing(true);

        var (code, stdout, stderr) = Run("upscale", Bird, "-o", _folder.File("out.png"), "--model", plan, "--quiet");

        Assert.Equal(4, code);
        Assert.Equal(string.Empty, stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("srdeploy: error: --backend trt needs TensorRT, which is not usable here", line, StringComparison.Ordinal);
        Assert.Contains("install TensorRT 10.x or 11.x", line, StringComparison.Ordinal);
        Assert.False(File.Exists(_folder.File("out.png")));
    }

    [Fact]
    public void Bench_with_a_plan_without_TensorRT_is_exit_code_4()
    {
        var plan = WritePlan();
        TrtDoubleControl.SetLibraryMissing(true);

        var (code, _, stderr) = Run("bench", "--model", plan, "--shape", "input:1x3x16x16", "--quiet");

        Assert.Equal(4, code);
        Assert.Contains("--backend trt needs TensorRT", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Upscale_runs_a_plan_in_tiles_inside_its_profile()
    {
        var plan = WritePlan();

        var (code, stdout, stderr) = Run("upscale", Bird, "-o", _folder.File("out.png"), "--model", plan, "--tile", "256", "--quiet");

        Assert.True(code == 0, stderr);
        Assert.StartsWith($"wrote {_folder.File("out.png")} (72×72, 4 tiles of 48×48", stdout, StringComparison.Ordinal);
        Assert.All(ImageFile.Read(_folder.File("out.png")).Samples.ToArray(), v => Assert.Equal(1f, v)); // input + 1, clamped
        Assert.All(TrtDoubleControl.Calls("srd_execution_context_set_input_shape"), c => Assert.Equal(0, c.GetProperty("status").GetInt32()));
    }

    [Fact]
    public void Bench_measures_a_plan_on_the_TensorRT_backend()
    {
        var plan = WritePlan();

        var (code, _, stderr) = Run("bench", "--model", plan, "--shape", "input:1x3x16x24", "--iterations", "4", "--duration", "0",
            "--json", _folder.File("bench.json"), "--quiet");

        Assert.True(code == 0, stderr);
        var report = JsonNode.Parse(File.ReadAllText(_folder.File("bench.json")))!;
        Assert.Equal("tensorrt-plan", report["model"]!["format"]!.GetValue<string>());
        Assert.Equal("tensorrt", report["backend"]!["name"]!.GetValue<string>());
        Assert.Equal(4, report["results"]![0]!["iterations"]!.GetValue<int>());
        Assert.Equal([1L, 3, 16, 24], report["results"]![0]!["outputs"]!["output"]!.AsArray().Select(d => d!.GetValue<long>()));
    }

    [Fact]
    public void With_TensorRT_present_an_ONNX_model_on_the_TensorRT_backend_is_a_usage_error()
    {
        var (code, _, stderr) = Run("upscale", Bird, "-o", _folder.File("out.png"), "--model", RepoPaths.FixtureModel("plain_sr.onnx"), "--backend", "trt", "--quiet");

        Assert.Equal(2, code);
        Assert.Contains("--backend trt runs engine plans", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Custom_ops_are_refused_for_a_plan()
    {
        var plan = WritePlan();

        var (code, _, stderr) = Run("bench", "--model", plan, "--shape", "input:1x3x16x16", "--custom-ops", "lib.so", "--quiet");

        Assert.Equal(2, code);
        Assert.Contains("a TensorRT plan takes --plugins", stderr, StringComparison.Ordinal);
    }

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
