using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using SuperRes.Deploy.Interop.TensorRT;
using SuperRes.Deploy.Tests;
using static SuperRes.Deploy.Cli.Tests.BuildEngine.BuildEngineCli;

namespace SuperRes.Deploy.Cli.Tests.BuildEngine;

/// <summary>
/// `srdeploy build-engine` end to end, in-process, with the recording TensorRT double behind the real C ABI: what the
/// command line and configs pass through the ABI, what is published, the exit codes and the no-partial-files rule, the
/// dry-run JSON, and the engine cache.
/// </summary>
[Collection(TrtDoubleBuildTests.Name)]
public sealed class BuildEngineCommandTests : IDisposable
{
    private readonly string _temp = RepoPaths.NewTempDirectory("srd-build-engine");
    private readonly string _out;
    private readonly string _cache;

    public BuildEngineCommandTests()
    {
        TrtDoubleControl.Reset();
        _out = Path.Combine(_temp, "out");
        _cache = Path.Combine(_temp, "cache");
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    /// <summary>A config over a fixture model whose timing cache lives in the test's folder.</summary>
    private string Config(string fixture = "plain_sr", string targets = "  sizes: [540p, 720p]\n  max_profiles: 2\n", string build = "")
    {
        var path = Path.Combine(_temp, $"{fixture}.yaml");
        File.WriteAllText(path,
            "schema: srdeploy.config/1\n"
            + $"name: {fixture}\n"
            + $"model: {RepoPaths.FixtureModel(fixture + ".onnx")}\n"
            + "targets:\n" + targets
            + "build:\n  workspace: 1G\n"
            + $"  timing_cache: {Path.Combine(_temp, fixture + ".timing")}\n"
            + build);
        return path;
    }

    /// <summary>
    /// Builds through the recording double without the validate step: the double's "engine" computes input + 1, which
    /// the fixtures do not, so these tests (about what reaches the native build) skip the comparison; the validate
    /// step has its own tests below with a model that does compute input + 1.
    /// </summary>
    private (int Code, string Stdout, string Stderr) Build(params string[] args) =>
        BuildValidated([.. args, "--no-validate"]);

    private (int Code, string Stdout, string Stderr) BuildValidated(params string[] args) =>
        Run(["build-engine", "--out", _out, "--cache-dir", _cache, .. args]);

    /// <summary>A config over a model built in the test (saved next to the config).</summary>
    private string ConfigFor(Onnx.ModelProto model, string name)
    {
        var modelPath = Path.Combine(_temp, name + ".onnx");
        File.WriteAllBytes(modelPath, Google.Protobuf.MessageExtensions.ToByteArray(model));
        var path = Path.Combine(_temp, name + ".yaml");
        File.WriteAllText(path,
            "schema: srdeploy.config/1\n"
            + $"name: {name}\n"
            + $"model: {modelPath}\n"
            + "profiles:\n  - min: input:1x3x8x8\n    opt: input:1x3x32x48\n    max: input:1x3x64x64\n"
            + "validation:\n  atol: 1e-6\n  rtol: 1e-6\n");
        return path;
    }

    private static JsonObject Json(string text) => (JsonObject)JsonNode.Parse(text)!;

    private static List<long> Dims(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt64())];

    [Fact]
    public void A_build_publishes_the_engine_and_a_record_with_hashes_versions_gpu_profiles_and_validation_status()
    {
        var config = Config();

        var (code, stdout, stderr) = Build("--config", config);

        Assert.True(code == 0, stderr);
        Assert.Equal(["plain_sr.build.json", "plain_sr.plan"], Files(_out));
        var enginePath = Path.Combine(_out, "plain_sr.plan");
        Assert.Contains($"engine: {enginePath}", stdout);
        var plan = File.ReadAllBytes(enginePath);
        var record = Json(File.ReadAllText(Path.Combine(_out, "plain_sr.build.json")));
        Assert.Equal("srdeploy.build-record/1", (string?)record["schema"]);
        Assert.Equal(Sha256(RepoPaths.FixtureModel("plain_sr.onnx")), (string?)record["model"]!["sha256"]);
        Assert.Equal(System.Convert.ToHexStringLower(SHA256.HashData(plan)), (string?)record["engine"]!["sha256"]);
        Assert.Equal(Sha256(config), (string?)record["config"]!["sha256"]);
        Assert.Equal("10.16.0.72", (string?)record["engine"]!["planTensorRtVersion"]);
        Assert.Equal("10.16.0", (string?)record["tensorrt"]!["runtimeVersion"]);
        Assert.Equal("12.8", (string?)record["tensorrt"]!["cudaRuntimeVersion"]);
        Assert.True((bool)record["tensorrt"]!["testDouble"]!);
        Assert.Equal("8.7", (string?)record["tensorrt"]!["gpu"]!["computeCapability"]);
        Assert.Equal("strongly-typed", (string?)record["precision"]!["typing"]);
        Assert.Equal(1L << 30, (long)record["flags"]!["memoryPools"]!["workspace"]!);
        Assert.Equal("skipped", (string?)record["validation"]!["status"]);
        Assert.Equal("unchanged", (string?)record["optimizedModel"]!["status"]);
        Assert.Matches("^[0-9a-f]{64}$", (string?)record["cache"]!["key"]);
        Assert.Contains("validate: skipped", stderr);

        // The record's profiles are the ones TensorRT received.
        var built = TrtDoubleControl.PlanBuildInputs(plan).GetProperty("profiles").EnumerateArray().ToList();
        var recorded = record["profiles"]!.AsArray();
        Assert.Equal(recorded.Count, built.Count);
        for (var i = 0; i < built.Count; i++)
        {
            var input = built[i].GetProperty("inputs").GetProperty("input");
            Assert.Equal(recorded[i]!["inputs"]![0]!["max"]!.AsArray().Select(n => (long)n!), Dims(input.GetProperty("max")));
            Assert.NotEmpty(recorded[i]!["covers"]!.AsArray());
        }

        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void The_validate_step_compares_the_engine_with_onnx_runtime_at_each_profiles_min_opt_and_max()
    {
        // The double's engine computes input + 1, as this model does, so the comparison must pass exactly.
        var config = ConfigFor(SuperRes.Deploy.Engines.Tests.TestSupport.ValidationModels.AddOne(), "add_one");

        var (code, _, stderr) = BuildValidated("--config", config, "--no-cache");

        Assert.True(code == 0, stderr);
        var record = Json(File.ReadAllText(Path.Combine(_out, "add_one.build.json")));
        Assert.Equal("passed", (string?)record["validation"]!["status"]);
        var shapes = record["validation"]!["cases"]!.AsArray().Select(c => (string?)c!["shape"]).ToList();
        Assert.Equal(3, shapes.Count);
        Assert.All(record["validation"]!["cases"]!.AsArray(), c => Assert.Equal(0.0, (double)c!["maxAbsError"]!));
        Assert.Contains(Files(_out), f => f.EndsWith(".html", StringComparison.Ordinal) || f.Contains("validation", StringComparison.Ordinal));
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void A_failed_validation_exits_1_and_publishes_no_engine()
    {
        // Identity differs from the double's input + 1 by exactly 1 everywhere.
        var config = ConfigFor(SuperRes.Deploy.Engines.Tests.TestSupport.ValidationModels.Identity(), "identity");

        var (code, _, stderr) = BuildValidated("--config", config, "--no-cache");

        Assert.Equal(1, code);
        Assert.Single(stderr.Split('\n'), l => l.StartsWith("srdeploy: error:", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(_out, "identity.plan")));
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void Every_profile_flag_pool_level_and_plugin_given_on_the_command_line_reaches_the_native_build()
    {
        var plugin = Path.Combine(_temp, "libcustom_plugin.so");
        File.WriteAllBytes(plugin, [0x7f, 0x45, 0x4c, 0x46]);
        var timing = Path.Combine(_temp, "t.cache");

        var (code, _, stderr) = Build("--onnx", RepoPaths.FixtureModel("plain_sr.onnx"),
            "--profile", "min=input:1x3x16x16;opt=input:1x3x64x64;max=input:1x3x128x128",
            "--profile", "min=input:1x3x128x128;opt=input:1x3x256x480;max=input:2x3x720x1280",
            "--memPoolSize", "workspace:1024,tacticSharedMem:48K,tacticDRAM:512M",
            "--builderOptimizationLevel", "5", "--hardwareCompatibilityLevel", "ampere+", "--profilingVerbosity", "layer_names_only",
            "--maxAuxStreams", "2", "--timingCacheFile", timing, "--plugins", plugin, "--serialize-plugins", "--no-cache");

        Assert.True(code == 0, stderr);
        var inputs = TrtDoubleControl.PlanBuildInputs(File.ReadAllBytes(Path.Combine(_out, "plain_sr.plan")));
        var profiles = inputs.GetProperty("profiles").EnumerateArray().Select(p => p.GetProperty("inputs").GetProperty("input")).ToList();
        Assert.Equal(2, profiles.Count);
        Assert.Equal([1L, 3, 16, 16], Dims(profiles[0].GetProperty("min")));
        Assert.Equal([1L, 3, 64, 64], Dims(profiles[0].GetProperty("opt")));
        Assert.Equal([1L, 3, 128, 128], Dims(profiles[0].GetProperty("max")));
        Assert.Equal([1L, 3, 256, 480], Dims(profiles[1].GetProperty("opt")));
        Assert.Equal([2L, 3, 720, 1280], Dims(profiles[1].GetProperty("max")));
        var pools = inputs.GetProperty("memory_pool_limits");
        Assert.Equal(1024L << 20, pools.GetProperty("WORKSPACE").GetInt64());
        Assert.Equal(48L << 10, pools.GetProperty("TACTIC_SHARED_MEMORY").GetInt64());
        Assert.Equal(512L << 20, pools.GetProperty("TACTIC_DRAM").GetInt64());
        Assert.Equal(5, inputs.GetProperty("optimization_level").GetInt32());
        Assert.Equal((int)TrtHardwareCompatibility.AmperePlus, inputs.GetProperty("hardware_compatibility").GetInt32());
        Assert.Equal((int)TrtProfilingVerbosity.LayerNamesOnly, inputs.GetProperty("profiling_verbosity").GetInt32());
        Assert.Equal(2, inputs.GetProperty("max_aux_streams").GetInt32());
        Assert.True(inputs.GetProperty("network").GetProperty("strongly_typed").GetBoolean());
        Assert.Equal(plugin, Assert.Single(inputs.GetProperty("plugin_libraries_loaded").EnumerateArray()).GetString());
        Assert.Equal(plugin, Assert.Single(inputs.GetProperty("plugins_to_serialize").EnumerateArray()).GetString());
        Assert.Equal(RepoPaths.FixtureModel("plain_sr.onnx"), TrtDoubleControl.Args("srd_onnx_parser_parse_file").GetProperty("path").GetString());
        Assert.True(File.Exists(timing));
        var record = Json(File.ReadAllText(Path.Combine(_out, "plain_sr.build.json")));
        var recordedPlugin = record["plugins"]![0]!;
        Assert.Equal(Sha256(plugin), (string?)recordedPlugin["sha256"]);
        Assert.True((bool)recordedPlugin["serialized"]!);
        Assert.Equal("command line", (string?)record["profiles"]![1]!["source"]);
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void Repeated_minShapes_optShapes_maxShapes_form_profiles_in_order_and_opt_alone_fixes_min_and_max()
    {
        var (code, _, stderr) = Build("--onnx", RepoPaths.FixtureModel("plain_sr.onnx"), "--no-cache",
            "--minShapes", "input:1x3x8x8", "--optShapes", "input:1x3x32x32", "--maxShapes", "input:1x3x64x64",
            "--minShapes", "input:1x3x64x64", "--optShapes", "input:1x3x96x96", "--maxShapes", "input:1x3x128x128");
        Assert.True(code == 0, stderr);
        var profiles = TrtDoubleControl.PlanBuildInputs(File.ReadAllBytes(Path.Combine(_out, "plain_sr.plan"))).GetProperty("profiles")
            .EnumerateArray().Select(p => p.GetProperty("inputs").GetProperty("input")).ToList();
        Assert.Equal([[1L, 3, 8, 8], [1L, 3, 64, 64]], profiles.Select(p => Dims(p.GetProperty("min"))));
        Assert.Equal([[1L, 3, 64, 64], [1L, 3, 128, 128]], profiles.Select(p => Dims(p.GetProperty("max"))));

        TrtDoubleControl.Reset();
        (code, _, stderr) = Build("--onnx", RepoPaths.FixtureModel("plain_sr.onnx"), "--no-cache", "--optShapes", "input:1x3x48x48");
        Assert.True(code == 0, stderr);
        var only = TrtDoubleControl.PlanBuildInputs(File.ReadAllBytes(Path.Combine(_out, "plain_sr.plan"))).GetProperty("profiles")[0].GetProperty("inputs").GetProperty("input");
        Assert.Equal([1L, 3, 48, 48], Dims(only.GetProperty("min")));
        Assert.Equal([1L, 3, 48, 48], Dims(only.GetProperty("max")));
    }

    [Theory]
    [InlineData(new[] { "--minShapes", "input:1x3x8x8" }, "need --optShapes")]
    [InlineData(new[] { "--profile", "min=input:1x3x8x8" }, "needs opt=")]
    [InlineData(new[] { "--profile", "opt=input:1x3x8x8", "--optShapes", "input:1x3x8x8" }, "not both")]
    [InlineData(new[] { "--profile", "min=input:1x3x64x64;opt=input:1x3x32x32" }, "min ≤ opt ≤ max does not hold")]
    [InlineData(new[] { "--memPoolSize", "vram:2G" }, "unknown memory pool 'vram'")]
    [InlineData(new[] { "--builderOptimizationLevel", "9" }, "must be 0..5")]
    [InlineData(new[] { "--hardwareCompatibilityLevel", "turing+" }, "hardware compatibility level must be")]
    public void Command_line_mistakes_exit_2_with_one_line_and_no_files(string[] args, string message)
    {
        var (code, _, stderr) = Build(["--onnx", RepoPaths.FixtureModel("plain_sr.onnx"), .. args]);

        Assert.Equal(2, code);
        AssertOneErrorLine(stderr, message);
        Assert.False(Directory.Exists(_out));
        Assert.Empty(TrtDoubleControl.Calls("srd_builder_build"));
    }

    [Fact]
    public void A_profile_that_breaks_the_model_constraints_exits_3_before_anything_is_built()
    {
        // swin_style reflect-pads, so a side below 5 cannot work.
        var (code, _, stderr) = Build("--onnx", RepoPaths.FixtureModel("swin_style.onnx"), "--optShapes", "input:1x3x4x4");

        Assert.Equal(3, code);
        AssertOneErrorLine(stderr, "profile 0 (command line)", "breaks the model's size constraints");
        Assert.Empty(TrtDoubleControl.Calls("srd_builder_build"));
        Assert.False(Directory.Exists(_out));
    }

    [Fact]
    public void Fp16_on_TensorRT_10_11_sets_the_legacy_flag_on_a_weakly_typed_network()
    {
        TrtDoubleControl.SetTensorRtVersion(101100);

        var (code, _, stderr) = Build("--config", Config(), "--fp16", "--no-cache");

        Assert.True(code == 0, stderr);
        var inputs = TrtDoubleControl.PlanBuildInputs(File.ReadAllBytes(Path.Combine(_out, "plain_sr.plan")));
        Assert.False(inputs.GetProperty("network").GetProperty("strongly_typed").GetBoolean());
        Assert.True(inputs.GetProperty("flags").GetProperty("FP16").GetBoolean());
        var record = Json(File.ReadAllText(Path.Combine(_out, "plain_sr.build.json")));
        Assert.Equal("weakly-typed", (string?)record["precision"]!["typing"]);
        Assert.True((bool)record["precision"]!["fp16BuilderFlag"]!);
        Assert.Contains("10.11", (string?)record["precision"]!["why"]);
    }

    [Fact]
    public void Fp16_on_TensorRT_10_16_converts_the_model_to_fp16_and_parses_that_model()
    {
        var (code, _, stderr) = Build("--config", Config(), "--fp16");

        Assert.True(code == 0, stderr);
        var record = Json(File.ReadAllText(Path.Combine(_out, "plain_sr.build.json")));
        Assert.Equal("applied", (string?)record["optimizedModel"]!["status"]);
        Assert.Equal("strongly-typed", (string?)record["precision"]!["typing"]);
        var parsed = TrtDoubleControl.Args("srd_onnx_parser_parse_file").GetProperty("path").GetString()!;
        Assert.EndsWith("plain_sr.optimized.onnx", parsed, StringComparison.Ordinal);
        var model = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(_out, "plain_sr.optimized.onnx")));
        Assert.Contains(model.Graph.Initializer, t => t.DataType == (int)Onnx.TensorProto.Types.DataType.Float16);
    }

    [Fact]
    public void The_timing_cache_file_is_loaded_into_the_next_build_and_saved_after_it()
    {
        var config = Config();
        var timing = Path.Combine(_temp, "plain_sr.timing");
        Assert.Equal(0, Build("--config", config, "--no-cache").Code);
        var saved = File.ReadAllBytes(timing);
        Assert.NotEmpty(saved);
        TrtDoubleControl.Reset();

        var (code, _, stderr) = Build("--config", config, "--no-cache", "--builderOptimizationLevel", "4");

        Assert.True(code == 0, stderr);
        var load = TrtDoubleControl.Args("srd_builder_config_load_timing_cache");
        Assert.Equal(TrtDoubleControl.Fnv1a64Hex(saved), load.GetProperty("fnv1a64").GetString());
        Assert.Contains("timing cache: loading", stderr);
        Assert.True(File.ReadAllBytes(timing).Length > saved.Length, "the second build's measurements are added");
    }

    [Fact]
    public void A_failed_native_build_exits_3_with_the_native_message_and_leaves_no_files()
    {
        Directory.CreateDirectory(_out);
        File.WriteAllText(Path.Combine(_out, "keep.txt"), "not ours");
        TrtDoubleControl.FailNext("srd_builder_build", TrtStatus.BuildFailed, "could not find any implementation for node /conv1/Conv");

        var (code, stdout, stderr) = Build("--config", Config(), "--no-cache");

        Assert.Equal(3, code);
        AssertOneErrorLine(stderr, "TensorRT could not build the engine", "could not find any implementation for node /conv1/Conv");
        Assert.Equal(string.Empty, stdout);
        Assert.Equal(["keep.txt"], Files(_out));
        Assert.False(File.Exists(Path.Combine(_temp, "plain_sr.timing")), "a failed build saves no timing cache");
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void Parser_errors_exit_3_naming_the_node()
    {
        TrtDoubleControl.AddParserError(8, "No importer registered for op: FusedAttention", 3, "/attn/FusedAttention", "FusedAttention");

        var (code, _, stderr) = Build("--config", Config(), "--no-cache");

        Assert.Equal(3, code);
        AssertOneErrorLine(stderr, "ONNX parser rejected", "/attn/FusedAttention");
        Assert.False(Directory.Exists(_out));
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void A_setting_the_TensorRT_version_lacks_exits_2()
    {
        TrtDoubleControl.SetTensorRtVersion(100800);

        var (code, _, stderr) = Build("--config", Config(), "--no-cache", "--hardwareCompatibilityLevel", "sameComputeCapability");

        Assert.Equal(2, code);
        AssertOneErrorLine(stderr, "sameComputeCapability");
        Assert.False(Directory.Exists(_out));
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void A_CUDA_error_during_the_build_exits_70_with_one_line()
    {
        TrtDoubleControl.FailNext("srd_builder_build", TrtStatus.CudaError, "cudaErrorIllegalAddress");

        var (code, _, stderr) = Build("--config", Config(), "--no-cache");

        Assert.Equal(70, code);
        AssertOneErrorLine(stderr, "cudaErrorIllegalAddress");
        Assert.False(Directory.Exists(_out));
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void Without_TensorRT_every_step_before_the_build_runs_then_exit_4_names_what_to_install_and_no_file_is_left()
    {
        TrtDoubleControl.SetLibraryMissing(true);

        var (code, stdout, stderr) = Build("--config", Config());

        Assert.Equal(4, code);
        AssertOneErrorLine(stderr, "build-engine needs TensorRT", "libnvinfer", "libnvonnxparser", "CUDA runtime", "-DSRD_TENSORRT_INCLUDE_DIR");
        Assert.Contains("inspect: plain_sr.onnx", stderr);
        Assert.Contains("profiles: planned", stderr);
        Assert.Equal(string.Empty, stdout);
        Assert.False(Directory.Exists(_out), "the output folder this run created is removed again");
        Assert.False(Directory.Exists(_cache) && Directory.EnumerateFiles(_cache, "*", SearchOption.AllDirectories).Any());
        Assert.Empty(TrtDoubleControl.Calls("srd_builder_create"));
    }

    [Fact]
    public void Dry_run_prints_and_writes_the_plan_with_profiles_reasons_targets_flags_and_cache_key()
    {
        var config = Path.Combine(RepoPaths.Root, "configs", "ditn_small.yaml");

        var (code, stdout, stderr) = Build("--config", config, "--dry-run", "--timingCacheFile", Path.Combine(_temp, "t.cache"));

        Assert.True(code == 0, stderr);
        Assert.Equal(["ditn_small.build-plan.json"], Files(_out));
        var written = Json(File.ReadAllText(Path.Combine(_out, "ditn_small.build-plan.json")));
        var printed = Json(stdout);
        Assert.Equal(written.ToJsonString(), printed.ToJsonString());
        Assert.Equal("srdeploy.build-plan/1", (string?)written["schema"]);
        Assert.Equal(Sha256(RepoPaths.FixtureModel("ditn_small.onnx")), (string?)written["model"]!["sha256"]);
        Assert.True((bool)written["tensorrt"]!["usable"]!);
        Assert.Equal("applied", (string?)written["optimize"]!["status"]);
        Assert.Equal(1L << 30, (long)written["flags"]!["memoryPools"]!["workspace"]!);
        Assert.Equal(3, (int)written["flags"]!["builderOptimizationLevel"]!);
        var profiles = written["profiles"]!.AsArray();
        Assert.Equal(3, profiles.Count);
        foreach (var p in profiles)
        {
            Assert.Equal("planned", (string?)p!["source"]);
            Assert.NotEmpty(p["covers"]!.AsArray());
            Assert.Contains(p["reasons"]!.AsArray(), r => ((string?)r)!.StartsWith("at max: peak activation", StringComparison.Ordinal));
            Assert.True((long)p["expected"]!["max"]!["peakActivationBytes"]! <= 2L << 30, "config budget 2G");
        }

        var targets = written["targets"]!.AsArray();
        Assert.Equal(6, targets.Count);
        Assert.Contains(targets, t => (string?)t!["orientation"] == "portrait");
        Assert.Contains(targets, t => (bool)t!["tiled"]! && ((string?)t["why"])!.Contains("max_tile 1280", StringComparison.Ordinal));
        // min, opt and max of the two whole-image profiles, and the one shape of the fixed tile profile.
        Assert.Equal(7, written["validation"]!["shapes"]!.AsArray().Count);

        // The passes fused its 4 attention blocks: the engine needs the TensorRT plugin library, which this machine does
        // not build (no CUDA), so the plan lists it as not found and computes no cache key.
        Assert.Equal(4, written["optimize"]!["fusedAttentionNodes"]!.AsArray().Count);
        var plugin = Assert.Single(written["plugins"]!.AsArray());
        Assert.False((bool)plugin!["found"]!);
        Assert.Null((string?)written["cache"]!["key"]);
        Assert.Contains(written["explain"]!.AsArray(), l => ((string?)l)!.StartsWith("precision: fp32", StringComparison.Ordinal));
        Assert.Empty(TrtDoubleControl.Calls("srd_builder_create"));
    }

    [Fact]
    public void Dry_run_works_without_TensorRT_and_says_what_it_could_not_decide()
    {
        TrtDoubleControl.SetLibraryMissing(true);

        var (code, stdout, stderr) = Build("--config", Config(), "--dry-run", "--fp16");

        Assert.True(code == 0, stderr);
        var plan = Json(stdout);
        Assert.False((bool)plan["tensorrt"]!["usable"]!);
        Assert.Contains("libnvinfer", (string?)plan["tensorrt"]!["problem"]);
        Assert.Null(plan["cache"]!["key"]);
        Assert.Contains("TensorRT not found: assuming ≥ 10.12", (string?)plan["precision"]!["why"]);
        Assert.NotEmpty(plan["profiles"]!.AsArray());
    }

    [Fact]
    public void Explain_says_why_each_profile_is_what_it_is()
    {
        var (code, stdout, stderr) = Build("--config", Path.Combine(RepoPaths.Root, "configs", "ditn_real_x4.yaml"), "--dry-run", "--explain");

        Assert.True(code == 0, stderr);
        Assert.Contains("profile 0: min 1x3x540x960  opt 1x3x720x1280  max 1x3x720x1280", stdout);
        Assert.Contains("profile 1: min 1x3x960x540  opt 1x3x1280x720  max 1x3x1280x720", stdout);
        Assert.Contains("profile 2: min 1x3x1080x1080  opt 1x3x1280x1280  max 1x3x1280x1280", stdout);
        Assert.Contains("covers: 540p landscape 960x540, 720p landscape 1280x720", stdout);
        Assert.Contains("bounded by max_tile 1280", stdout);
        Assert.Contains("4k portrait 2160x3840: profile 2, tiled", stdout);
        Assert.DoesNotContain("\"schema\"", stdout);
    }

    [Fact]
    public void A_second_build_reuses_the_cached_engine_and_says_so()
    {
        var config = Config();
        Assert.Equal(0, Build("--config", config).Code);
        var first = File.ReadAllBytes(Path.Combine(_out, "plain_sr.plan"));
        TrtDoubleControl.Reset();

        var (code, _, stderr) = Build("--config", config);

        Assert.True(code == 0, stderr);
        Assert.Contains("engine cache hit: reusing", stderr);
        Assert.Empty(TrtDoubleControl.Calls("srd_builder_build"));
        Assert.Equal(first, File.ReadAllBytes(Path.Combine(_out, "plain_sr.plan")));
        Assert.True((bool)Json(File.ReadAllText(Path.Combine(_out, "plain_sr.build.json")))["cache"]!["hit"]!);
    }

    [Fact]
    public void A_TensorRT_version_change_misses_the_cache_and_rebuilds()
    {
        var config = Config();
        Assert.Equal(0, Build("--config", config).Code);
        TrtDoubleControl.Reset();
        TrtDoubleControl.SetTensorRtVersion(101501);

        var (code, _, stderr) = Build("--config", config);

        Assert.True(code == 0, stderr);
        Assert.Contains("engine cache miss (no entry for this key)", stderr);
        Assert.Single(TrtDoubleControl.Calls("srd_builder_build"));
        Assert.Equal(new Version(10, 15, 1, 1), TrtPlanHeader.TryRead(File.ReadAllBytes(Path.Combine(_out, "plain_sr.plan")))!.Version);
        Assert.Equal(2, Directory.GetDirectories(Path.Combine(_cache, "engines")).Length);
    }

    [Fact]
    public void A_cached_plan_whose_header_names_another_TensorRT_is_invalidated_before_reuse()
    {
        var config = Config();
        Assert.Equal(0, Build("--config", config).Code);
        var entry = Assert.Single(Directory.GetDirectories(Path.Combine(_cache, "engines")));
        var planPath = Path.Combine(entry, "engine.plan");
        var plan = File.ReadAllBytes(planPath);
        plan[25] = 15; // 10.16 -> 10.15 in the header TensorRT reads without deserializing
        File.WriteAllBytes(planPath, plan);
        var stored = Json(File.ReadAllText(Path.Combine(entry, "entry.json")));
        stored["planSha256"] = System.Convert.ToHexStringLower(SHA256.HashData(plan));
        File.WriteAllText(Path.Combine(entry, "entry.json"), stored.ToJsonString());
        TrtDoubleControl.Reset();

        var (code, _, stderr) = Build("--config", config);

        Assert.True(code == 0, stderr);
        Assert.Contains("invalidated: the plan was built by TensorRT 10.15.0, the runtime is 10.16.0", stderr);
        Assert.Single(TrtDoubleControl.Calls("srd_builder_build"));
        Assert.Equal(16, TrtPlanHeader.TryRead(File.ReadAllBytes(planPath))!.Minor);
    }

    [Fact]
    public void No_cache_neither_reads_nor_writes_the_cache()
    {
        var (code, _, stderr) = Build("--config", Config(), "--no-cache");

        Assert.True(code == 0, stderr);
        Assert.False(Directory.Exists(_cache));
        Assert.Null(Json(File.ReadAllText(Path.Combine(_out, "plain_sr.build.json")))["cache"]!["key"]);
    }

    [Fact]
    public void SaveEngine_writes_the_engine_there_and_the_record_beside_it()
    {
        var engine = Path.Combine(_temp, "engines", "sr.engine");

        var (code, _, stderr) = Build("--config", Config(), "--saveEngine", engine, "--no-cache");

        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(engine));
        Assert.True(File.Exists(engine + ".build.json"));
        Assert.Empty(Files(_out));
    }

    public static TheoryData<string> Configs()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "configs"), "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Every_config_loads_and_dry_runs(string file)
    {
        var (code, stdout, stderr) = Build("--config", Path.Combine(RepoPaths.Root, "configs", file), "--dry-run", "--json");

        Assert.True(code == 0, stderr);
        var plan = Json(stdout);
        var profiles = plan["profiles"]!.AsArray();
        Assert.NotEmpty(profiles);
        Assert.All(plan["targets"]!.AsArray(), t => Assert.InRange((int)t!["profile"]!, 0, profiles.Count - 1));
        Assert.Contains(plan["targets"]!.AsArray(), t => (string?)t!["orientation"] == "portrait");
        Assert.DoesNotContain(plan["lints"]!.AsArray(), l => (string?)l!["severity"] == "error");
    }

    private static string Sha256(string path) => System.Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
