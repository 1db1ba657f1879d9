using System.Text.Json;
using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Packaging;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Cli.Tests.Pipeline;

public sealed class PipelineCommandTests : IDisposable
{
    private readonly TempFolder _temp = new("srd-pipeline");

    public void Dispose() => _temp.Dispose();

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string Image => RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "LRbicx4", "baby.png");

    [Fact]
    public void The_pipeline_runs_every_step_on_a_fixture_config_and_names_every_output()
    {
        var config = FusedConfigs.DitnSmall(_temp.Path);
        var outDir = Path.Combine(_temp.Path, "main-job");
        var (code, stdout, stderr) = Run("pipeline", "--config", config, "--out", outDir, "--image", Image);
        Assert.True(code == 0, stdout + stderr);

        using var summary = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "pipeline.json")));
        var steps = summary.RootElement.GetProperty("steps").EnumerateArray()
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("status").GetString()!);
        Assert.Equal(["inspect", "optimize", "build", "validate", "package", "upscale"], steps.Keys);
        Assert.Equal("done", steps["inspect"]);
        Assert.Equal("done", steps["optimize"]);
        Assert.Equal("done", steps["validate"]);
        Assert.Equal("done", steps["package"]);
        Assert.Equal("done", steps["upscale"]);

        // build is done where TensorRT is installed, else it stops with build-engine's note and the rest goes on.
        Assert.True(steps["build"] is "done" or "stopped", steps["build"]);

        // Every output the pipeline names exists, and the run ends by naming them.
        var outputs = summary.RootElement.GetProperty("steps").EnumerateArray()
            .SelectMany(s => s.GetProperty("outputs").EnumerateObject().Select(o => (o.Name, Path: o.Value.GetString()!))).ToList();
        Assert.Contains(outputs, o => o.Name == "inspect report");
        Assert.Contains(outputs, o => o.Name == "bundle");
        Assert.Contains(outputs, o => o.Name == "build plan");
        Assert.EndsWith("validation.html", outputs.Single(o => o.Name == "validation report").Path, StringComparison.Ordinal);
        Assert.All(outputs, o => Assert.True(File.Exists(o.Path), $"{o.Name}: {o.Path} does not exist"));
        var tail = stdout[stdout.IndexOf("\noutputs:\n", StringComparison.Ordinal)..];
        foreach (var (name, path) in outputs)
        {
            Assert.Contains($"  {name,-18} {path}", tail, StringComparison.Ordinal);
        }

        Assert.Contains($"  {"summary",-18} {Path.Combine(outDir, "pipeline.json")}", tail, StringComparison.Ordinal);
        using var inspect = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "inspect.json")));
        Assert.Equal("srdeploy.inspect/1", inspect.RootElement.GetProperty("schema").GetString());
        var bundle = outputs.Single(o => o.Name == "bundle").Path;
        Assert.True(BundleVerifier.Verify(bundle, environment: null).Passed);
        Assert.Contains("[5/6] package   done", stdout, StringComparison.Ordinal);
        Assert.Contains("[2/6] optimize  done               passes: constant-folding, attention-fusion, layout-rewrites", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(outDir, "optimized", "ditn_small_x4.optimize.json")));
        var manifest = Bundle.Open(bundle).Manifest;
        Assert.Equal(4, manifest.Model.Optimization.FusedAttentionNodes);
        Assert.NotNull(manifest.Plugin);
        Assert.Equal(BundleValidation.Passed, manifest.Validation.Status);
        Assert.Equal(PackageBuilder.ValidationReportPath, manifest.Validation.Report);
        Assert.Contains("pipeline finished in", stdout, StringComparison.Ordinal);

        // The image went through the bundle: x4, on the backend the bundle offers here.
        var upscaled = ImageFile.Read(outputs.Single(o => o.Name == "upscaled image").Path);
        var low = ImageFile.Read(Image);
        Assert.Equal((low.Width * 4, low.Height * 4), (upscaled.Width, upscaled.Height));
        Assert.Contains("[6/6] upscale   done               baby.png x4 -> 504×504 with the bundle on ", stdout, StringComparison.Ordinal);
        if (steps["build"] == "stopped")
        {
            Assert.Contains(", 1 stopped (see above)", stdout, StringComparison.Ordinal);
        }

        if (steps["validate"] != "done")
        {
            Assert.Contains($"  {"validation report",-18} not produced ({steps["validate"]})", tail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_missing_config_or_image_is_bad_input_before_any_step_runs()
    {
        var outDir = Path.Combine(_temp.Path, "never");
        Assert.Equal(3, Run("pipeline", "--config", _temp.File("absent.yaml"), "--out", outDir).Code);
        var (code, _, stderr) = Run("pipeline", "--config", PackagingConfigs.PlainSr(_temp.Path), "--out", outDir, "--image", _temp.File("absent.png"));
        Assert.Equal(3, code);
        Assert.Contains("srdeploy: error: image not found", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
        Assert.Equal(2, Run("pipeline", "--config", PackagingConfigs.PlainSr(_temp.Path)).Code);
    }

}
