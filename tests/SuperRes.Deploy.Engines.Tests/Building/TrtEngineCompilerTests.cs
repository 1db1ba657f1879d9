using System.Text.Json;
using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Interop.TensorRT;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Building;

/// <summary>
/// The build step through the real C ABI against the recording double: every profile, flag, pool, level and plugin
/// reaches the native build; fp16 follows the simulated TensorRT version; native failures become DeployExceptions with
/// the native message and the right kind; every handle is released exactly once, also when any call fails.
/// </summary>
[Collection(TrtDoubleBuildTests.Name)]
public sealed class TrtEngineCompilerTests : IDisposable
{
    private static readonly EngineProfile Small = new([new EngineProfileInput("input", [1, 3, 16, 16], [1, 3, 64, 64], [1, 3, 128, 128])]);
    private static readonly EngineProfile Wide = new([new EngineProfileInput("input", [1, 3, 128, 128], [1, 3, 256, 480], [2, 3, 720, 1280])]);

    private readonly string _folder = RepoPaths.NewTempDirectory("srd-compile");
    private readonly string _model;
    private readonly string _plugin;

    public TrtEngineCompilerTests()
    {
        TrtDoubleControl.Reset();
        // The double checks that files exist but does not read them.
        _model = Path.Combine(_folder, "model.onnx");
        File.WriteAllBytes(_model, [0x08, 0x08]);
        _plugin = Path.Combine(_folder, "libsrd_fused_attention_trt.so");
        File.WriteAllBytes(_plugin, [0x7f, 0x45, 0x4c, 0x46]);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static EngineBuildSettings FullSettings => new()
    {
        MemoryPools = new Dictionary<TrtMemoryPool, long>
        {
            [TrtMemoryPool.Workspace] = 1L << 30,
            [TrtMemoryPool.TacticSharedMemory] = 48L << 10,
            [TrtMemoryPool.TacticDram] = 512L << 20,
        },
        BuilderOptimizationLevel = 5,
        HardwareCompatibility = TrtHardwareCompatibility.AmperePlus,
        ProfilingVerbosity = TrtProfilingVerbosity.LayerNamesOnly,
        MaxAuxStreams = 2,
        SerializePlugins = true,
    };

    private static readonly PrecisionPlan Fp32 = PrecisionPlan.Resolve(false, true, new Version(10, 16, 0));

    private CompiledEngine Compile(PrecisionPlan? precision = null, EngineBuildSettings? settings = null, byte[]? timingCache = null,
        Func<byte[]?>? newer = null, IReadOnlyList<string>? plugins = null, CollectingBuildLog? log = null) =>
        new TrtEngineCompiler().Compile(
            new EngineCompileRequest(_model, precision ?? Fp32, settings ?? FullSettings, [Small, Wide], plugins ?? [_plugin], timingCache, newer),
            log ?? new CollectingBuildLog(), CancellationToken.None);

    [Fact]
    public void Every_profile_flag_pool_level_and_plugin_reaches_the_native_build()
    {
        var engine = Compile();

        var inputs = TrtDoubleControl.PlanBuildInputs(engine.Plan);
        Assert.True(inputs.GetProperty("network").GetProperty("strongly_typed").GetBoolean());
        Assert.Equal(_model, inputs.GetProperty("network").GetProperty("source").GetProperty("path").GetString());
        Assert.False(inputs.GetProperty("flags").TryGetProperty("FP16", out _));
        var pools = inputs.GetProperty("memory_pool_limits");
        Assert.Equal(1L << 30, pools.GetProperty("WORKSPACE").GetInt64());
        Assert.Equal(48L << 10, pools.GetProperty("TACTIC_SHARED_MEMORY").GetInt64());
        Assert.Equal(512L << 20, pools.GetProperty("TACTIC_DRAM").GetInt64());
        Assert.Equal(5, inputs.GetProperty("optimization_level").GetInt32());
        Assert.Equal((int)TrtHardwareCompatibility.AmperePlus, inputs.GetProperty("hardware_compatibility").GetInt32());
        Assert.Equal((int)TrtProfilingVerbosity.LayerNamesOnly, inputs.GetProperty("profiling_verbosity").GetInt32());
        Assert.Equal(2, inputs.GetProperty("max_aux_streams").GetInt32());
        Assert.Equal([_plugin], Strings(inputs.GetProperty("plugins_to_serialize")));
        Assert.Equal([_plugin], Strings(inputs.GetProperty("plugin_libraries_loaded")));
        var profiles = inputs.GetProperty("profiles").EnumerateArray().ToList();
        Assert.Equal(2, profiles.Count);
        AssertProfile(profiles[0], Small.Inputs[0]);
        AssertProfile(profiles[1], Wide.Inputs[0]);

        // The native calls themselves, in build order, with their arguments.
        Assert.Equal(_plugin, TrtDoubleControl.Args("srd_plugin_library_load").GetProperty("path").GetString());
        Assert.Equal(1, TrtDoubleControl.Args("srd_network_create").GetProperty("strongly_typed").GetInt32());
        Assert.Equal(_model, TrtDoubleControl.Args("srd_onnx_parser_parse_file").GetProperty("path").GetString());
        Assert.Equal(2, TrtDoubleControl.Calls("srd_builder_config_add_optimization_profile").Count);
        Assert.Equal(3, TrtDoubleControl.Calls("srd_builder_config_set_memory_pool_limit").Count);
        Assert.Single(TrtDoubleControl.Calls("srd_builder_build"));
        Assert.Single(TrtDoubleControl.Calls("srd_builder_config_serialize_timing_cache"));
        var order = TrtDoubleControl.Calls().Select(c => c.GetProperty("function").GetString()!).ToList();
        Assert.True(order.IndexOf("srd_plugin_library_load") < order.IndexOf("srd_onnx_parser_parse_file"), "plugins must be loaded before parsing");
        Assert.True(order.LastIndexOf("srd_plugin_library_destroy") > order.LastIndexOf("srd_network_destroy"), "plugins must outlive the network");
        Assert.NotEmpty(engine.TimingCache);
        Assert.NotNull(TrtPlanHeader.TryRead(engine.Plan));
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void Plugins_are_not_serialized_unless_asked()
    {
        var engine = Compile(settings: FullSettings with { SerializePlugins = false });

        var inputs = TrtDoubleControl.PlanBuildInputs(engine.Plan);
        Assert.Empty(inputs.GetProperty("plugins_to_serialize").EnumerateArray());
        Assert.Equal([_plugin], Strings(inputs.GetProperty("plugin_libraries_loaded")));
        Assert.Empty(TrtDoubleControl.Calls("srd_builder_config_set_plugins_to_serialize"));
    }

    [Theory]
    [InlineData(100300, "weakly", true)]
    [InlineData(101100, "weakly", true)]
    [InlineData(101200, "strongly", false)]
    [InlineData(101600, "strongly", false)]
    [InlineData(110100, "strongly", false)]
    public void Fp16_uses_the_legacy_flag_up_to_10_11_and_strong_typing_from_10_12(int version, string typing, bool fp16Flag)
    {
        TrtDoubleControl.SetTensorRtVersion(version);
        var environment = TensorRtEnvironment.Probe();
        Assert.True(environment.Usable, environment.Problem);
        var precision = PrecisionPlan.Resolve(fp16: true, stronglyTyped: true, environment.RuntimeVersion);

        var engine = Compile(precision);

        var inputs = TrtDoubleControl.PlanBuildInputs(engine.Plan);
        Assert.Equal(typing == "strongly", inputs.GetProperty("network").GetProperty("strongly_typed").GetBoolean());
        Assert.Equal(fp16Flag, inputs.GetProperty("flags").TryGetProperty("FP16", out var fp16) && fp16.GetBoolean());
        Assert.Equal(fp16Flag ? 0 : 1, TrtDoubleControl.Args("srd_network_create").GetProperty("strongly_typed").GetInt32());
        var setFlags = TrtDoubleControl.Calls("srd_builder_config_set_flag");
        Assert.Equal(fp16Flag ? 1 : 0, setFlags.Count(c => c.GetProperty("args").GetProperty("flag").GetString() == "FP16"));
        Assert.Equal(!fp16Flag, precision.ConvertModelToFp16);
        Assert.Equal(version / 10000, TrtPlanHeader.TryRead(engine.Plan)!.Major);
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void Timing_cache_bytes_are_loaded_and_a_concurrent_update_is_combined()
    {
        var first = Compile(settings: FullSettings with { BuilderOptimizationLevel = 1 }).TimingCache;
        var other = Compile(settings: FullSettings with { BuilderOptimizationLevel = 2 }).TimingCache;
        TrtDoubleControl.Reset();

        var engine = Compile(timingCache: first, newer: () => other);

        var load = TrtDoubleControl.Args("srd_builder_config_load_timing_cache");
        Assert.Equal(first.Length, load.GetProperty("size").GetInt32());
        Assert.Equal(TrtDoubleControl.Fnv1a64Hex(first), load.GetProperty("fnv1a64").GetString());
        var combine = TrtDoubleControl.Args("srd_builder_config_combine_timing_cache");
        Assert.Equal(TrtDoubleControl.Fnv1a64Hex(other), combine.GetProperty("fnv1a64").GetString());
        Assert.True(engine.TimingCache.Length > first.Length, "the saved cache holds the loaded, the combined and the new entries");
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void A_timing_cache_TensorRT_rejects_is_replaced_by_a_fresh_one_with_a_warning()
    {
        var log = new CollectingBuildLog();

        var engine = Compile(timingCache: "not a timing cache"u8.ToArray(), log: log);

        Assert.NotEmpty(engine.Plan);
        var warning = Assert.Single(engine.Warnings);
        Assert.Contains("TensorRT rejected the timing cache", warning);
        Assert.Contains(log.Lines, l => l.StartsWith("warn: the timing cache was not accepted", StringComparison.Ordinal));
        Assert.Equal(2, TrtDoubleControl.Calls("srd_builder_config_load_timing_cache").Count);
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void Same_compute_capability_on_TensorRT_10_8_is_a_usage_error_naming_the_level()
    {
        TrtDoubleControl.SetTensorRtVersion(100800);

        var e = Assert.Throws<DeployException>(() => Compile(settings: FullSettings with { HardwareCompatibility = TrtHardwareCompatibility.SameComputeCapability }));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Contains("sameComputeCapability", e.Message);
        Assert.Contains("srd_builder_config_set_hardware_compatibility", e.Message);
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    public static TheoryData<string, TrtStatus, FailureKind> Failures() => new()
    {
        { "srd_builder_build", TrtStatus.BuildFailed, FailureKind.BadInput },
        { "srd_builder_create", TrtStatus.LibraryMissing, FailureKind.MissingComponent },
        { "srd_plugin_library_load", TrtStatus.NotFound, FailureKind.MissingComponent },
        { "srd_builder_config_set_optimization_level", TrtStatus.Unsupported, FailureKind.Usage },
        { "srd_optimization_profile_set_dimensions", TrtStatus.InvalidArgument, FailureKind.BadInput },
        { "srd_builder_config_add_optimization_profile", TrtStatus.InvalidArgument, FailureKind.BadInput },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Native_failures_become_deploy_exceptions_with_the_native_message(string function, TrtStatus status, FailureKind kind)
    {
        TrtDoubleControl.FailNext(function, status, "injected failure 4711");

        var e = Assert.Throws<DeployException>(() => Compile());

        Assert.Equal(kind, e.Kind);
        Assert.Contains("injected failure 4711", e.Message);
        Assert.Contains(function, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        var trt = Assert.IsType<TrtException>(e.InnerException);
        Assert.Equal(status, trt.Status);
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void A_missing_TensorRT_library_names_what_to_install()
    {
        TrtDoubleControl.SetLibraryMissing(true);

        var e = Assert.Throws<DeployException>(() => Compile(plugins: []));

        Assert.Equal(FailureKind.MissingComponent, e.Kind);
        Assert.Contains("libnvinfer", e.Message);
        Assert.Contains("libnvonnxparser", e.Message);
        Assert.Contains("CUDA runtime", e.Message);
        Assert.Contains("-DSRD_TENSORRT_INCLUDE_DIR", e.Message);
    }

    [Fact]
    public void Parser_errors_are_reported_with_the_failing_node()
    {
        TrtDoubleControl.AddParserError(8, "No importer registered for op: FusedAttention", 12, "/attn/FusedAttention", "FusedAttention");

        var e = Assert.Throws<DeployException>(() => Compile());

        Assert.Equal(FailureKind.BadInput, e.Kind);
        Assert.Contains("TensorRT's ONNX parser rejected 'model.onnx'", e.Message);
        Assert.Contains("No importer registered for op: FusedAttention", e.Message);
        Assert.Contains("/attn/FusedAttention", e.Message);
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void A_CUDA_error_is_not_mistaken_for_bad_input_and_keeps_the_native_message()
    {
        TrtDoubleControl.FailNext("srd_builder_build", TrtStatus.CudaError, "cudaErrorMemoryAllocation: out of memory");

        var e = Assert.Throws<TrtException>(() => Compile());

        Assert.Equal(TrtStatus.CudaError, e.Status);
        Assert.Contains("cudaErrorMemoryAllocation", e.NativeMessage);
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void Every_handle_is_released_exactly_once_when_any_call_of_the_build_fails()
    {
        Compile(timingCache: null);
        var functions = TrtDoubleControl.Calls().Select(c => c.GetProperty("function").GetString()!)
            .Where(f => !f.EndsWith("_destroy", StringComparison.Ordinal) && f != "srd_error_get_last_message")
            .Distinct().ToList();
        Assert.Contains("srd_builder_build", functions);
        Assert.True(functions.Count >= 15, $"only {functions.Count} distinct calls: {string.Join(", ", functions)}");

        foreach (var function in functions)
        {
            TrtDoubleControl.Reset();
            TrtDoubleControl.FailNext(function, TrtStatus.RuntimeError, $"injected into {function}");

            var e = Record.Exception(() => Compile());

            Assert.True(e is DeployException or TrtException, $"{function}: {e?.GetType().Name ?? "no exception"}");
            Assert.Contains($"injected into {function}", e!.Message);
            var c = TrtDoubleControl.Counts();
            Assert.True(c.Created == c.Destroyed && c.Live == 0 && c.DoubleDestroys == 0 && c.UnknownHandles == 0 && c.UseAfterDestroy == 0,
                $"failing {function}: created {c.Created}, destroyed {c.Destroyed}, live {c.Live}, double {c.DoubleDestroys}, unknown {c.UnknownHandles}, after destroy {c.UseAfterDestroy}");
        }
    }

    private static void AssertProfile(JsonElement profile, EngineProfileInput expected)
    {
        var input = profile.GetProperty("inputs").GetProperty(expected.Name);
        Assert.Equal(expected.Min, input.GetProperty("min").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(expected.Opt, input.GetProperty("opt").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(expected.Max, input.GetProperty("max").EnumerateArray().Select(e => e.GetInt64()));
    }

    private static List<string> Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];
}
