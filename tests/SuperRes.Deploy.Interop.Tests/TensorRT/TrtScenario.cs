using System.Runtime.InteropServices;
using SuperRes.Deploy.Interop.TensorRT;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Interop.Tests.TensorRT;

/// <summary>
/// The build-and-run sequence the build-engine verb will drive, against the double: plugin library, builder, network,
/// ONNX parser, configuration with every kind of setting, two profiles, build; then runtime, engine, context, run.
/// The double checks files exist but does not read them, so the "model" and "plugin" are small placeholder files.
/// </summary>
internal sealed class TrtScenario : IDisposable
{
    public static readonly TrtDims SmallMin = TrtDims.Parse("1x3x16x16");
    public static readonly TrtDims SmallOpt = TrtDims.Parse("1x3x64x64");
    public static readonly TrtDims SmallMax = TrtDims.Parse("1x3x128x128");
    public static readonly TrtDims WideMin = TrtDims.Parse("1x3x128x128");
    public static readonly TrtDims WideOpt = TrtDims.Parse("1x3x256x480");
    public static readonly TrtDims WideMax = TrtDims.Parse("2x3x720x1280");

    public TrtScenario()
    {
        Folder = RepoPaths.NewTempDirectory("srd-trt-double");
        ModelPath = Path.Combine(Folder, "model.onnx");
        File.WriteAllBytes(ModelPath, [0x08, 0x08, 0x12, 0x04]);
        PluginPath = Path.Combine(Folder, "libfused_attention_plugin.so");
        File.WriteAllBytes(PluginPath, [0x7f, 0x45, 0x4c, 0x46]);
    }

    public string Folder { get; }

    public string ModelPath { get; }

    public string PluginPath { get; }

    /// <summary>Builds a plan with every setting the shim offers; <paramref name="timingCache"/> is loaded first.</summary>
    public TrtPlan BuildFull(byte[]? timingCache = null, Action<TrtBuilderConfig>? extra = null)
    {
        using var plugin = TrtPluginLibrary.Load(PluginPath);
        using var builder = TrtBuilder.Create();
        using var network = builder.CreateNetwork(stronglyTyped: false);
        using (var parser = TrtOnnxParser.Create(network))
        {
            parser.SetFlag(TrtOnnxParserFlag.EnablePluginOverride, true);
            parser.ParseFile(ModelPath);
        }

        using var config = builder.CreateConfig();
        config.SetFlag(TrtBuilderFlag.Fp16);
        config.SetFlag(TrtBuilderFlag.VersionCompatible);
        config.SetFlag(TrtBuilderFlag.ExcludeLeanRuntime);
        config.SetFlag(TrtBuilderFlag.Tf32, enabled: false);
        config.SetMemoryPoolLimit(TrtMemoryPool.Workspace, 1UL << 30);
        config.SetMemoryPoolLimit(TrtMemoryPool.TacticDram, 512UL << 20);
        config.SetOptimizationLevel(5);
        config.SetHardwareCompatibility(TrtHardwareCompatibility.AmperePlus);
        config.SetProfilingVerbosity(TrtProfilingVerbosity.Detailed);
        config.SetMaxAuxStreams(2);
        config.SetPluginsToSerialize([PluginPath]);
        if (timingCache is not null)
        {
            config.LoadTimingCache(timingCache);
        }

        using (var small = builder.CreateOptimizationProfile())
        using (var wide = builder.CreateOptimizationProfile())
        {
            small.SetDimensions("input", SmallMin, SmallOpt, SmallMax);
            wide.SetDimensions("input", WideMin, WideOpt, WideMax);
            Assert.Equal(0, config.AddOptimizationProfile(small));
            Assert.Equal(1, config.AddOptimizationProfile(wide));
        }

        extra?.Invoke(config);
        return builder.Build(network, config);
    }

    /// <summary>Input shape of <see cref="RunOnce"/> (inside profile 0): 768 floats.</summary>
    public static readonly TrtDims RunShape = TrtDims.Parse("1x3x16x16");

    /// <summary>Deserializes the plan, selects profile 0, sets a <see cref="RunShape"/> input and runs once.</summary>
    public static float[] RunOnce(TrtPlan plan, float[] input)
    {
        using var runtime = TrtRuntime.Create();
        using var engine = runtime.Deserialize(plan.Bytes.Span);
        using var context = engine.CreateExecutionContext();
        context.SetOptimizationProfile(0);
        context.SetInputShape("input", RunShape);
        var output = new float[input.Length];
        var inputBytes = MemoryMarshal.AsBytes(input.AsSpan()).ToArray();
        var outputBytes = new byte[output.Length * sizeof(float)];
        context.Execute([new TrtHostTensor("input", inputBytes), new TrtHostTensor("output", outputBytes)]);
        return MemoryMarshal.Cast<byte, float>(outputBytes).ToArray();
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
