using System.Text.Json.Nodes;
using SuperRes.Deploy.Tests;
using static SuperRes.Deploy.Cli.Tests.BuildEngine.BuildEngineCli;

namespace SuperRes.Deploy.Cli.Tests.BuildEngine;

/// <summary>
/// srdeploy as a child process on a machine without the TensorRT shim (SRDEPLOY_TRT_SHIM_LIBRARY names a file that does
/// not exist, so no other copy is tried): build-engine stops with exit 4 and leaves nothing, the dry run and doctor work.
/// </summary>
public sealed class WithoutTensorRtShimTests : IDisposable
{
    private static readonly Dictionary<string, string> NoShim = new()
    {
        ["SRDEPLOY_TRT_SHIM_LIBRARY"] = "/nonexistent/srdeploy-test/libsrd_trt.so",
        ["SRDEPLOY_CACHE"] = string.Empty,
    };

    private readonly string _temp = RepoPaths.NewTempDirectory("srd-no-shim");

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void Build_engine_exits_4_names_what_to_install_and_leaves_no_files()
    {
        var output = Path.Combine(_temp, "out");
        var cache = Path.Combine(_temp, "cache");

        var (code, stdout, stderr) = RunProcess(NoShim, "build-engine", "--config", Path.Combine("configs", "plain_sr.yaml"),
            "--out", output, "--cache-dir", cache, "--timingCacheFile", Path.Combine(_temp, "t.cache"));

        Assert.Equal(4, code);
        AssertOneErrorLine(stderr, "the TensorRT shim (libsrd_trt.so) could not be loaded", "/nonexistent/srdeploy-test/libsrd_trt.so",
            "install TensorRT 10.x or 11.x (libnvinfer and libnvonnxparser", "CUDA runtime (libcudart)", "-DSRD_TENSORRT_INCLUDE_DIR");
        Assert.Contains("profiles: planned", stderr);
        Assert.Equal(string.Empty, stdout);
        Assert.False(Directory.Exists(output));
        Assert.False(Directory.Exists(cache));
        Assert.False(File.Exists(Path.Combine(_temp, "t.cache")));
    }

    [Fact]
    public void Dry_run_plans_without_TensorRT()
    {
        var output = Path.Combine(_temp, "out");

        var (code, stdout, stderr) = RunProcess(NoShim, "build-engine", "--config", Path.Combine("configs", "plain_sr.yaml"), "--out", output, "--dry-run");

        Assert.True(code == 0, stderr);
        var plan = (JsonObject)JsonNode.Parse(stdout)!;
        Assert.False((bool)plan["tensorrt"]!["usable"]!);
        Assert.Null(plan["tensorrt"]!["runtimeVersion"]);
        Assert.Equal(2, plan["profiles"]!.AsArray().Count);
        Assert.Equal(["plain_sr.build-plan.json"], Files(output));
    }

    [Fact]
    public void Doctor_exits_0_and_reports_the_TensorRT_path_unavailable()
    {
        var (code, stdout, stderr) = RunProcess(NoShim, "doctor");

        Assert.True(code == 0, stderr);
        Assert.Contains("[absent ] TensorRT shim (libsrd_trt.so) (optional)", stdout);
        Assert.Contains("tried: SRDEPLOY_TRT_SHIM_LIBRARY: /nonexistent/srdeploy-test/libsrd_trt.so: no such file", stdout);
        Assert.Contains("ONNX Runtime path: ready. TensorRT path: not available", stdout);
    }
}
