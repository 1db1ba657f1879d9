using System.Text.Json.Nodes;
using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Configuration;

namespace SuperRes.Deploy.Engines.Building;

/// <summary>The JSON pieces shared by the build plan (dry run), the build record and the engine cache key.</summary>
public static class BuildJson
{
    public static JsonObject Flags(PrecisionPlan precision, EngineBuildSettings settings, bool includePaths)
    {
        ArgumentNullException.ThrowIfNull(precision);
        ArgumentNullException.ThrowIfNull(settings);
        var pools = new JsonObject();
        foreach (var (pool, bytes) in settings.MemoryPools.OrderBy(p => p.Key))
        {
            pools[EngineBuildSettings.PoolName(pool)] = bytes;
        }

        var flags = new JsonObject
        {
            ["precision"] = precision.Requested,
            ["typing"] = precision.TypingName,
            ["stronglyTyped"] = precision.Typing == TypingMode.StronglyTyped,
            ["fp16BuilderFlag"] = precision.Fp16BuilderFlag,
            ["fp16Model"] = precision.ConvertModelToFp16,
            ["memoryPools"] = pools,
            ["builderOptimizationLevel"] = settings.BuilderOptimizationLevel,
            ["hardwareCompatibilityLevel"] = EngineBuildSettings.HardwareCompatibilityName(settings.HardwareCompatibility),
            ["profilingVerbosity"] = EngineBuildSettings.ProfilingVerbosityName(settings.ProfilingVerbosity),
            ["maxAuxStreams"] = settings.MaxAuxStreams,
            ["serializePlugins"] = settings.SerializePlugins,
        };
        if (includePaths)
        {
            flags["timingCacheFile"] = settings.TimingCachePath;
        }

        return flags;
    }

    public static JsonArray Profiles(IReadOnlyList<EngineProfile> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        return new JsonArray([.. profiles.Select((p, i) => (JsonNode)new JsonObject
        {
            ["index"] = i,
            ["inputs"] = new JsonArray([.. p.Inputs.Select(input => (JsonNode)new JsonObject
            {
                ["name"] = input.Name,
                ["min"] = Dims(input.Min),
                ["opt"] = Dims(input.Opt),
                ["max"] = Dims(input.Max),
            })]),
        })]);
    }

    public static JsonArray Dims(IEnumerable<long> dims) => new([.. dims.Select(d => (JsonNode)JsonValue.Create(d))]);

    public static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);

    public static JsonObject? Gpu(GpuIdentity? gpu) => gpu is null ? null : new JsonObject
    {
        ["name"] = gpu.Name,
        ["computeCapability"] = gpu.ComputeCapability,
        ["multiprocessors"] = gpu.Multiprocessors,
        ["memoryBytes"] = gpu.MemoryBytes,
        ["integrated"] = gpu.Integrated,
    };

    public static JsonObject TensorRt(TensorRtEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        return new JsonObject
        {
            ["usable"] = env.Usable,
            ["problem"] = env.Problem,
            ["shimLibrary"] = env.ShimPath,
            ["runtimeVersion"] = env.RuntimeVersion?.ToString(),
            ["shimHeaderVersion"] = env.ShimHeaderVersion?.ToString(),
            ["onnxParserVersion"] = env.OnnxParserVersion?.ToString(),
            ["cudaRuntimeVersion"] = env.CudaRuntimeVersion?.ToString(),
            ["cudaDriverVersion"] = env.CudaDriverVersion?.ToString(),
            ["testDouble"] = env.IsTestDouble,
            ["gpu"] = Gpu(env.Gpu),
        };
    }

    public static JsonObject Plugin(LocatedLibrary library, bool serialized) => new()
    {
        ["name"] = library.Name,
        ["path"] = library.Path,
        ["found"] = library.Found,
        ["sha256"] = library.Sha256,
        ["bytes"] = library.Found ? library.Bytes : null,
        ["serialized"] = serialized,
    };

    public static JsonObject Cost(ShapeCost cost) => new()
    {
        ["peakActivationBytes"] = cost.PeakActivationBytes,
        ["largestTensor"] = cost.LargestTensor,
        ["largestTensorElements"] = cost.LargestTensorElements,
        ["unknownSizes"] = cost.UnknownSizes,
    };

    public static JsonObject Lint(LintFinding lint)
    {
        ArgumentNullException.ThrowIfNull(lint);
        return new JsonObject
        {
            ["id"] = lint.Id,
            ["name"] = lint.Name,
            ["severity"] = lint.Severity.ToString().ToLowerInvariant(),
            ["message"] = lint.Message,
        };
    }

    public static JsonObject Validation(ValidationSettings settings, IReadOnlyList<IReadOnlyList<ShapeSpec>> shapes)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(shapes);
        return new JsonObject
        {
            ["atol"] = settings.Atol,
            ["rtol"] = settings.Rtol,
            ["check"] = settings.Check,
            ["psnrMin"] = settings.PsnrMin,
            ["cosineMin"] = settings.CosineMin,
            ["inputs"] = settings.Inputs,
            ["seed"] = settings.Seed,
            ["shapes"] = Strings(shapes.Select(s => string.Join(",", s.Select(x => x.ToString())))),
        };
    }
}
