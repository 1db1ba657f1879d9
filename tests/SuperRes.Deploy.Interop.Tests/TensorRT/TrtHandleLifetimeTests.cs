using System.Runtime.CompilerServices;
using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Interop.Tests.TensorRT;

[Collection(TrtDoubleTests.Name)]
public sealed class TrtHandleLifetimeTests : IDisposable
{
    private readonly TrtScenario _scenario = new();

    public TrtHandleLifetimeTests() => TrtDouble.Reset();

    public void Dispose() => _scenario.Dispose();

    [Fact]
    public void Every_handle_of_a_full_build_and_run_is_released_exactly_once()
    {
        using (new TrtLogger((_, _) => { }, TrtLogSeverity.Verbose))
        {
            var plan = _scenario.BuildFull();
            TrtScenario.RunOnce(plan, new float[768]);
        }

        var counts = TrtDouble.Counts();
        Assert.True(counts.Created >= 12, $"only {counts.Created} handles were created");
        AssertAllReleasedOnce(counts);
    }

    [Theory]
    [InlineData("srd_plugin_library_load")]
    [InlineData("srd_network_create")]
    [InlineData("srd_onnx_parser_parse_file")]
    [InlineData("srd_builder_config_set_plugins_to_serialize")]
    [InlineData("srd_optimization_profile_set_dimensions")]
    [InlineData("srd_builder_config_add_optimization_profile")]
    [InlineData("srd_builder_build")]
    [InlineData("srd_host_memory_get_data")]
    public void Handles_are_released_exactly_once_when_a_build_call_fails_midway(string failing)
    {
        TrtDouble.FailNext(failing, TrtStatus.RuntimeError, "injected");

        var error = Assert.Throws<TrtException>(() => _scenario.BuildFull());

        Assert.Equal(failing, error.Function);
        Assert.Equal((int)TrtStatus.RuntimeError, TrtDouble.Calls(failing).Single().GetProperty("status").GetInt32());
        AssertAllReleasedOnce(TrtDouble.Counts());
    }

    [Theory]
    [InlineData("srd_runtime_deserialize")]
    [InlineData("srd_execution_context_create")]
    [InlineData("srd_execution_context_set_input_shape")]
    [InlineData("srd_execution_context_execute_host")]
    public void Handles_are_released_exactly_once_when_a_run_call_fails_midway(string failing)
    {
        var plan = _scenario.BuildFull();
        TrtDouble.FailNext(failing, TrtStatus.RuntimeError, "injected");

        var error = Assert.Throws<TrtException>(() => TrtScenario.RunOnce(plan, new float[768]));

        Assert.Equal(failing, error.Function);
        AssertAllReleasedOnce(TrtDouble.Counts());
    }

    [Fact]
    public void A_failing_create_call_hands_out_no_handle()
    {
        TrtDouble.FailNext("srd_builder_config_create", TrtStatus.OutOfMemory, "injected");
        using var builder = TrtBuilder.Create();

        Assert.Throws<TrtException>(builder.CreateConfig);

        var counts = TrtDouble.Counts();
        Assert.Equal(1, counts.Created);
        Assert.Equal(1, counts.Live);
    }

    [Fact]
    public void The_double_detects_a_handle_destroyed_twice()
    {
        unsafe
        {
            srd_builder* builder = null;
            Assert.Equal(TrtStatus.Ok, SrdTrtNative.srd_builder_create(&builder));
            Assert.Equal(TrtStatus.Ok, SrdTrtNative.srd_builder_destroy(builder));

            Assert.Equal(TrtStatus.InvalidArgument, SrdTrtNative.srd_builder_destroy(builder));
            Assert.Contains("destroyed twice", TrtNative.LastErrorMessage(), StringComparison.Ordinal);
        }

        var counts = TrtDouble.Counts();
        Assert.Equal(1, counts.DoubleDestroys);
        Assert.Equal(1, counts.Destroyed);
    }

    [Fact]
    public void A_disposed_wrapper_refuses_further_calls_without_reaching_native_code()
    {
        var builder = TrtBuilder.Create();
        builder.Dispose();
        builder.Dispose();

        Assert.Throws<ObjectDisposedException>(builder.CreateConfig);
        var counts = TrtDouble.Counts();
        Assert.Equal(0, counts.UseAfterDestroy);
        AssertAllReleasedOnce(counts);
    }

    [Fact]
    public void Parser_disposed_before_the_build_does_not_stop_the_build()
    {
        using var builder = TrtBuilder.Create();
        using var network = builder.CreateNetwork();
        var parser = TrtOnnxParser.Create(network);
        parser.ParseFile(_scenario.ModelPath);
        parser.Dispose();
        using var config = builder.CreateConfig();
        using var profile = builder.CreateOptimizationProfile();
        profile.SetDimensions("input", TrtScenario.SmallMin, TrtScenario.SmallOpt, TrtScenario.SmallMax);
        config.AddOptimizationProfile(profile);

        var plan = builder.Build(network, config);

        Assert.NotNull(plan.Header);
    }

    [Fact]
    public void Wrappers_never_disposed_are_released_by_their_finalizers()
    {
        CreateAndForget();

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        AssertAllReleasedOnce(TrtDouble.Counts());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CreateAndForget()
    {
        var builder = TrtBuilder.Create();
        builder.CreateNetwork();
        builder.CreateConfig();
        Assert.Equal(3, TrtDouble.Counts().Live);
    }

    private static void AssertAllReleasedOnce(DoubleHandleCounts counts)
    {
        Assert.Equal(counts.Created, counts.Destroyed);
        Assert.Equal(0, counts.Live);
        Assert.Equal(0, counts.DoubleDestroys);
        Assert.Equal(0, counts.UnknownHandles);
        Assert.Equal(0, counts.UseAfterDestroy);
    }
}
