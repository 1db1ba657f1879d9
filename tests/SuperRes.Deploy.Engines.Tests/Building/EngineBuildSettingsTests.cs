using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Engines.Tests.Building;

public sealed class EngineBuildSettingsTests
{
    [Fact]
    public void MemPoolSize_reads_trtexec_syntax_with_MiB_as_the_default_unit()
    {
        var pools = EngineBuildSettings.ParseMemoryPools("workspace:2048,tacticSharedMem:48K,tacticDRAM:1G,dlaSRAM:0.5");

        Assert.Equal(2048L << 20, pools[TrtMemoryPool.Workspace]);
        Assert.Equal(48L << 10, pools[TrtMemoryPool.TacticSharedMemory]);
        Assert.Equal(1L << 30, pools[TrtMemoryPool.TacticDram]);
        Assert.Equal(512L << 10, pools[TrtMemoryPool.DlaManagedSram]);
    }

    [Theory]
    [InlineData("workspace", "must look like workspace:2G")]
    [InlineData("gpu:2G", "unknown memory pool 'gpu'")]
    [InlineData("workspace:lots", "is not a size")]
    [InlineData("workspace:1G,workspace:2G", "names pool 'workspace' twice")]
    public void MemPoolSize_mistakes_are_usage_errors(string text, string message)
    {
        var e = Assert.Throws<DeployException>(() => EngineBuildSettings.ParseMemoryPools(text));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Command_line_overrides_replace_config_values_and_pools_merge_per_pool()
    {
        var config = new DeployConfig
        {
            Name = "m",
            ModelPath = "/m.onnx",
            Build = new BuildSettings
            {
                Workspace = 1L << 30,
                MemoryPools = new Dictionary<string, long> { ["tacticSharedMem"] = 1024 },
                BuilderOptimizationLevel = 3,
                HardwareCompatibilityLevel = "none",
                ProfilingVerbosity = "detailed",
                Plugins = ["/p/a.so"],
            },
        };

        var settings = EngineBuildSettings.Resolve(config, new BuildOverrides
        {
            MemoryPools = new Dictionary<TrtMemoryPool, long> { [TrtMemoryPool.Workspace] = 2L << 30 },
            BuilderOptimizationLevel = 5,
            HardwareCompatibilityLevel = "ampere+",
            ProfilingVerbosity = "layer_names_only",
            Plugins = ["/q/b.so"],
            Fp16 = true,
            MaxAuxStreams = 1,
        });

        Assert.Equal(2L << 30, settings.MemoryPools[TrtMemoryPool.Workspace]);
        Assert.Equal(1024, settings.MemoryPools[TrtMemoryPool.TacticSharedMemory]);
        Assert.Equal(5, settings.BuilderOptimizationLevel);
        Assert.Equal(TrtHardwareCompatibility.AmperePlus, settings.HardwareCompatibility);
        Assert.Equal(TrtProfilingVerbosity.LayerNamesOnly, settings.ProfilingVerbosity);
        Assert.Equal(["/q/b.so"], settings.Plugins);
        Assert.True(settings.Fp16);
        Assert.Equal(1, settings.MaxAuxStreams);
    }

    [Fact]
    public void Fp16_is_wanted_by_build_precision_or_optimize_fp16()
    {
        var fp16Build = new DeployConfig { Name = "m", ModelPath = "/m", Build = new BuildSettings { Precision = "fp16" } };
        var fp16Optimize = new DeployConfig { Name = "m", ModelPath = "/m", Optimize = new OptimizeSettings { Fp16 = true } };
        var fp32 = new DeployConfig { Name = "m", ModelPath = "/m" };

        Assert.True(EngineBuildSettings.Resolve(fp16Build, null).Fp16);
        Assert.True(EngineBuildSettings.Resolve(fp16Optimize, null).Fp16);
        Assert.False(EngineBuildSettings.Resolve(fp32, null).Fp16);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(6)]
    public void An_optimization_level_outside_0_to_5_is_a_usage_error(int level)
    {
        var config = new DeployConfig { Name = "m", ModelPath = "/m" };

        var e = Assert.Throws<DeployException>(() => EngineBuildSettings.Resolve(config, new BuildOverrides { BuilderOptimizationLevel = level }));

        Assert.Equal(FailureKind.Usage, e.Kind);
    }

    [Theory]
    [InlineData("10.3.0", true, TypingMode.WeaklyTyped, true, false)]
    [InlineData("10.11.0", true, TypingMode.WeaklyTyped, true, false)]
    [InlineData("10.12.0", true, TypingMode.StronglyTyped, false, true)]
    [InlineData("11.1.0", true, TypingMode.StronglyTyped, false, true)]
    [InlineData(null, true, TypingMode.StronglyTyped, false, true)]
    [InlineData("10.16.0", false, TypingMode.StronglyTyped, false, false)]
    public void Precision_follows_the_TensorRT_version(string? version, bool fp16, TypingMode typing, bool flag, bool convert)
    {
        var plan = PrecisionPlan.Resolve(fp16, stronglyTyped: true, version is null ? null : Version.Parse(version));

        Assert.Equal(typing, plan.Typing);
        Assert.Equal(flag, plan.Fp16BuilderFlag);
        Assert.Equal(convert, plan.ConvertModelToFp16);
        Assert.Contains(fp16 ? "fp16" : "fp32", plan.Why);
    }

    [Fact]
    public void Weak_typing_for_fp32_is_honoured_on_10_x_but_not_on_11()
    {
        Assert.Equal(TypingMode.WeaklyTyped, PrecisionPlan.Resolve(false, stronglyTyped: false, new Version(10, 16, 0)).Typing);
        var eleven = PrecisionPlan.Resolve(false, stronglyTyped: false, new Version(11, 1, 0));
        Assert.Equal(TypingMode.StronglyTyped, eleven.Typing);
        Assert.Contains("always builds strongly typed", eleven.Why);
    }
}
