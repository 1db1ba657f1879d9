using System.Text;
using System.Text.Json;
using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Interop.Tests.TensorRT;

[Collection(TrtDoubleTests.Name)]
public sealed class TrtBuildSequenceTests : IDisposable
{
    private readonly TrtScenario _scenario = new();

    public TrtBuildSequenceTests() => TrtDouble.Reset();

    public void Dispose() => _scenario.Dispose();

    [Fact]
    public void Full_build_passes_every_profile_flag_pool_plugin_and_setting_to_the_native_build()
    {
        var plan = _scenario.BuildFull();

        var (json, _) = TrtDouble.ReadPlanTrailer(plan.Bytes.Span);
        using var inputs = JsonDocument.Parse(json);
        var root = inputs.RootElement;
        Assert.False(root.GetProperty("network").GetProperty("strongly_typed").GetBoolean());
        Assert.Equal(_scenario.ModelPath, root.GetProperty("network").GetProperty("source").GetProperty("path").GetString());
        var flags = root.GetProperty("flags");
        Assert.True(flags.GetProperty("FP16").GetBoolean());
        Assert.True(flags.GetProperty("VERSION_COMPATIBLE").GetBoolean());
        Assert.True(flags.GetProperty("EXCLUDE_LEAN_RUNTIME").GetBoolean());
        Assert.False(flags.GetProperty("TF32").GetBoolean());
        var pools = root.GetProperty("memory_pool_limits");
        Assert.Equal(1UL << 30, pools.GetProperty("WORKSPACE").GetUInt64());
        Assert.Equal(512UL << 20, pools.GetProperty("TACTIC_DRAM").GetUInt64());
        Assert.Equal(5, root.GetProperty("optimization_level").GetInt32());
        Assert.Equal((int)TrtHardwareCompatibility.AmperePlus, root.GetProperty("hardware_compatibility").GetInt32());
        Assert.Equal((int)TrtProfilingVerbosity.Detailed, root.GetProperty("profiling_verbosity").GetInt32());
        Assert.Equal(2, root.GetProperty("max_aux_streams").GetInt32());
        Assert.Equal([_scenario.PluginPath], Strings(root.GetProperty("plugins_to_serialize")));
        Assert.Equal([_scenario.PluginPath], Strings(root.GetProperty("plugin_libraries_loaded")));

        var profiles = root.GetProperty("profiles").EnumerateArray().ToList();
        Assert.Equal(2, profiles.Count);
        AssertProfile(profiles[0], TrtScenario.SmallMin, TrtScenario.SmallOpt, TrtScenario.SmallMax);
        AssertProfile(profiles[1], TrtScenario.WideMin, TrtScenario.WideOpt, TrtScenario.WideMax);
    }

    [Fact]
    public void Native_calls_are_made_in_build_order_with_their_arguments()
    {
        _scenario.BuildFull();

        var functions = TrtDouble.Calls().Select(c => c.GetProperty("function").GetString()).ToList();
        string[] expectedOrder =
        [
            "srd_plugin_library_load", "srd_builder_create", "srd_network_create", "srd_onnx_parser_create",
            "srd_onnx_parser_set_flag", "srd_onnx_parser_parse_file", "srd_onnx_parser_destroy",
            "srd_builder_config_create", "srd_optimization_profile_create", "srd_optimization_profile_set_dimensions",
            "srd_builder_config_add_optimization_profile", "srd_builder_build", "srd_host_memory_get_data",
            "srd_host_memory_destroy", "srd_builder_config_destroy", "srd_network_destroy", "srd_builder_destroy",
            "srd_plugin_library_destroy",
        ];
        var position = -1;
        foreach (var expected in expectedOrder)
        {
            var next = functions.IndexOf(expected, position + 1);
            Assert.True(next > position, $"{expected} was not called after position {position}: {string.Join(", ", functions)}");
            position = next;
        }

        Assert.All(TrtDouble.Calls(), c => Assert.Equal(0, c.GetProperty("status").GetInt32()));
        var setDimensions = TrtDouble.Calls("srd_optimization_profile_set_dimensions");
        Assert.Equal(2, setDimensions.Count);
        Assert.Equal("input", setDimensions[1].GetProperty("args").GetProperty("input_name").GetString());
        Assert.Equal([2L, 3, 720, 1280], setDimensions[1].GetProperty("args").GetProperty("max").EnumerateArray().Select(e => e.GetInt64()));
        var parse = TrtDouble.Calls("srd_onnx_parser_parse_file").Single();
        Assert.Equal(_scenario.ModelPath, parse.GetProperty("args").GetProperty("path").GetString());
        var pluginOverride = TrtDouble.Calls("srd_onnx_parser_set_flag").Single().GetProperty("args");
        Assert.Equal((int)TrtOnnxParserFlag.EnablePluginOverride, pluginOverride.GetProperty("flag").GetInt32());
        Assert.Equal(1, pluginOverride.GetProperty("enabled").GetInt32());
    }

    [Fact]
    public void Plan_carries_a_real_format_header_and_the_digest_of_its_build_inputs()
    {
        TrtDouble.SetTensorRtVersion(101502, 30);

        var plan = _scenario.BuildFull();

        var header = plan.Header;
        Assert.NotNull(header);
        Assert.Equal(new Version(10, 15, 2, 30), header.Version);
        Assert.Equal(TrtPlanHeader.Tag, BitConverter.ToUInt32(plan.Bytes.Span));
        var (json, digest) = TrtDouble.ReadPlanTrailer(plan.Bytes.Span);
        Assert.Equal(TrtDouble.Fnv1a64(Encoding.UTF8.GetBytes(json)), digest);
        Assert.Contains("\"tensorrt_version\":101502", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Different_build_settings_give_a_different_plan_digest()
    {
        var first = TrtDouble.ReadPlanTrailer(_scenario.BuildFull().Bytes.Span).Digest;
        var same = TrtDouble.ReadPlanTrailer(_scenario.BuildFull().Bytes.Span).Digest;
        var other = TrtDouble.ReadPlanTrailer(_scenario.BuildFull(extra: c => c.SetOptimizationLevel(1)).Bytes.Span).Digest;

        Assert.Equal(first, same);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Timing_cache_loads_combines_and_gains_the_builds_measurements()
    {
        byte[] emptyCache;
        using (var builder = TrtBuilder.Create())
        using (var config = builder.CreateConfig())
        {
            emptyCache = config.SerializeTimingCache();
        }

        var firstCache = BuildAndSaveCache(emptyCache, extra: null);
        var secondCache = BuildAndSaveCache(emptyCache, extra: c => c.SetOptimizationLevel(0));
        Assert.Single(CacheEntries(firstCache));
        Assert.Single(CacheEntries(secondCache));

        byte[] combined;
        using (var builder = TrtBuilder.Create())
        using (var config = builder.CreateConfig())
        {
            config.LoadTimingCache(firstCache);
            config.CombineTimingCache(secondCache);
            combined = config.SerializeTimingCache();
        }

        Assert.Equal(CacheEntries(firstCache).Union(CacheEntries(secondCache)).Order(), CacheEntries(combined).Order());
        var load = TrtDouble.Calls("srd_builder_config_load_timing_cache").Last().GetProperty("args");
        Assert.Equal((ulong)firstCache.Length, load.GetProperty("size").GetUInt64());
    }

    [Fact]
    public void Corrupt_timing_cache_is_rejected_with_the_native_reason()
    {
        using var builder = TrtBuilder.Create();
        using var config = builder.CreateConfig();

        var error = Assert.Throws<TrtException>(() => config.LoadTimingCache("not a cache"u8));

        Assert.Equal(TrtStatus.InvalidArgument, error.Status);
        Assert.StartsWith("srd_builder_config_load_timing_cache: TensorRT rejected the timing cache", error.NativeMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Network_reports_the_parsed_inputs_and_outputs()
    {
        using var builder = TrtBuilder.Create();
        using var network = builder.CreateNetwork();
        Assert.Empty(network.GetInputs());
        using (var parser = TrtOnnxParser.Create(network))
        {
            parser.Parse(File.ReadAllBytes(_scenario.ModelPath), _scenario.ModelPath);
        }

        var input = Assert.Single(network.GetInputs());
        Assert.Equal(new TrtTensorInfo("input", TrtTensorIoMode.Input, TrtDataType.Float, TrtDims.Parse("-1x3x-1x-1")), input);
        Assert.Equal("output", Assert.Single(network.GetOutputs()).Name);
        Assert.True(network.IsStronglyTyped);
        Assert.Equal(1, network.LayerCount);
        var parse = TrtDouble.Calls("srd_onnx_parser_parse_bytes").Single().GetProperty("args");
        Assert.Equal(4UL, parse.GetProperty("size").GetUInt64());
        Assert.Equal(_scenario.ModelPath, parse.GetProperty("model_path").GetString());
    }

    [Fact]
    public void Engine_reports_io_tensors_profiles_and_inspector_json_and_runs_host_buffers()
    {
        var plan = _scenario.BuildFull();
        using var runtime = TrtRuntime.Create();
        runtime.SetEngineHostCodeAllowed(true);
        using var engine = runtime.Deserialize(plan.Bytes.Span);

        Assert.Equal(["input", "output"], engine.GetIOTensors().Select(t => t.Name));
        Assert.Equal(TrtTensorIoMode.Output, engine.GetTensorInfo("output").Mode);
        Assert.Equal(2, engine.OptimizationProfileCount);
        Assert.Equal(new TrtProfileShape(TrtScenario.WideMin, TrtScenario.WideOpt, TrtScenario.WideMax), engine.GetProfileShape("input", 1));
        using (var json = JsonDocument.Parse(engine.GetInformationJson()))
        {
            Assert.Equal(["input", "output"], json.RootElement.GetProperty("Bindings").EnumerateArray().Select(e => e.GetString()));
        }

        using var context = engine.CreateExecutionContext();
        context.SetOptimizationProfile(1);
        context.SetInputShape("input", TrtDims.Parse("1x3x200x300"));
        Assert.Equal(TrtDims.Parse("1x3x200x300"), context.GetTensorShape("output"));

        var input = Enumerable.Range(0, 768).Select(i => i * 0.5f).ToArray();
        var output = TrtScenario.RunOnce(plan, input);
        Assert.Equal(input.Select(v => v + 1f), output);
    }

    [Fact]
    public void Output_buffer_too_small_reports_the_required_size_and_writes_nothing()
    {
        var plan = _scenario.BuildFull();
        using var runtime = TrtRuntime.Create();
        using var engine = runtime.Deserialize(plan.Bytes.Span);
        using var context = engine.CreateExecutionContext();
        context.SetInputShape("input", TrtScenario.RunShape);
        var output = new TrtHostTensor("output", new byte[10]);

        var error = Assert.Throws<TrtException>(() => context.Execute([new TrtHostTensor("input", new byte[3072]), output]));

        Assert.Equal(TrtStatus.BufferTooSmall, error.Status);
        Assert.Contains("output 'output' [1,3,16,16] needs 3072 bytes, the buffer has 10", error.NativeMessage, StringComparison.Ordinal);
        Assert.Equal(0UL, output.BytesWritten);
    }

    [Fact]
    public void Input_shape_outside_the_selected_profile_is_refused()
    {
        var plan = _scenario.BuildFull();
        using var runtime = TrtRuntime.Create();
        using var engine = runtime.Deserialize(plan.Bytes.Span);
        using var context = engine.CreateExecutionContext();
        context.SetOptimizationProfile(0);

        var error = Assert.Throws<TrtException>(() => context.SetInputShape("input", TrtDims.Parse("1x3x720x1280")));

        Assert.Equal(TrtStatus.InvalidArgument, error.Status);
        Assert.Contains("outside the selected profile", error.NativeMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_from_another_TensorRT_version_is_refused_at_deserialization()
    {
        var plan = _scenario.BuildFull();
        TrtDouble.SetTensorRtVersion(110100, 106);
        using var runtime = TrtRuntime.Create();

        var error = Assert.Throws<TrtException>(() => runtime.Deserialize(plan.Bytes.Span));

        Assert.Equal(TrtStatus.RuntimeError, error.Status);
        Assert.Contains("built by TensorRT 10.16, this is 11.1", error.NativeMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Profile_reads_back_what_was_set_and_rejects_min_above_max()
    {
        using var builder = TrtBuilder.Create();
        using var profile = builder.CreateOptimizationProfile();
        profile.SetDimensions("input", TrtScenario.SmallMin, TrtScenario.SmallOpt, TrtScenario.SmallMax);
        profile.SetShapeValues("shape", TrtProfileSelector.Opt, [1, 3, 64, 64]);

        Assert.Equal(TrtScenario.SmallOpt, profile.GetDimensions("input", TrtProfileSelector.Opt));
        var error = Assert.Throws<TrtException>(() =>
            profile.SetDimensions("input", TrtScenario.SmallMax, TrtScenario.SmallOpt, TrtScenario.SmallMin));
        Assert.Equal(TrtStatus.InvalidArgument, error.Status);
        Assert.Contains("min <= opt <= max", error.NativeMessage, StringComparison.Ordinal);
        var missing = Assert.Throws<TrtException>(() => profile.GetDimensions("other", TrtProfileSelector.Min));
        Assert.Equal(TrtStatus.NotFound, missing.Status);
    }

    [Fact]
    public void Config_reads_back_flags_and_pool_limits()
    {
        using var builder = TrtBuilder.Create();
        using var config = builder.CreateConfig();
        Assert.True(config.GetFlag(TrtBuilderFlag.Tf32));
        config.SetFlag(TrtBuilderFlag.Refit);
        config.SetMemoryPoolLimit(TrtMemoryPool.Workspace, 123456);

        Assert.True(config.GetFlag(TrtBuilderFlag.Refit));
        Assert.False(config.GetFlag(TrtBuilderFlag.StripPlan));
        Assert.Equal(123456UL, config.GetMemoryPoolLimit(TrtMemoryPool.Workspace));
        var outOfRange = Assert.Throws<TrtException>(() => config.SetOptimizationLevel(6));
        Assert.Equal(TrtStatus.InvalidArgument, outOfRange.Status);
    }

    /// <summary>Builds with <paramref name="cache"/> loaded and returns the cache the config holds afterwards.</summary>
    private byte[] BuildAndSaveCache(byte[] cache, Action<TrtBuilderConfig>? extra)
    {
        using var builder = TrtBuilder.Create();
        using var network = builder.CreateNetwork();
        using (var parser = TrtOnnxParser.Create(network))
        {
            parser.ParseFile(_scenario.ModelPath);
        }

        using var config = builder.CreateConfig();
        config.LoadTimingCache(cache);
        extra?.Invoke(config);
        using (var profile = builder.CreateOptimizationProfile())
        {
            profile.SetDimensions("input", TrtScenario.SmallMin, TrtScenario.SmallOpt, TrtScenario.SmallMax);
            config.AddOptimizationProfile(profile);
        }

        builder.Build(network, config);
        return config.SerializeTimingCache();
    }

    private static List<string> CacheEntries(byte[] cache) =>
        Encoding.UTF8.GetString(cache).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();

    private static List<string?> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()).ToList();

    private static void AssertProfile(JsonElement profile, TrtDims min, TrtDims opt, TrtDims max)
    {
        var input = profile.GetProperty("inputs").GetProperty("input");
        Assert.Equal(min.Values, input.GetProperty("min").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(opt.Values, input.GetProperty("opt").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(max.Values, input.GetProperty("max").EnumerateArray().Select(e => e.GetInt64()));
    }
}
