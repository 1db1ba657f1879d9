using System.Globalization;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Engines.Building;

/// <summary>
/// Command-line overrides of a config's build settings (trtexec-named flags of <c>build-engine</c>); null = keep the
/// config's value.
/// </summary>
public sealed record BuildOverrides
{
    public string? OnnxPath { get; init; }

    /// <summary>Explicit profiles (replace the config's profiles and targets).</summary>
    public IReadOnlyList<ProfileSettings>? Profiles { get; init; }

    public bool? Fp16 { get; init; }

    public bool? StronglyTyped { get; init; }

    /// <summary>Memory pool limits (replace the config's per pool).</summary>
    public IReadOnlyDictionary<TrtMemoryPool, long>? MemoryPools { get; init; }

    public int? BuilderOptimizationLevel { get; init; }

    public string? HardwareCompatibilityLevel { get; init; }

    public string? ProfilingVerbosity { get; init; }

    public int? MaxAuxStreams { get; init; }

    public string? TimingCachePath { get; init; }

    /// <summary>Plugin libraries (replace the config's).</summary>
    public IReadOnlyList<string>? Plugins { get; init; }

    public bool? SerializePlugins { get; init; }
}

/// <summary>
/// The builder settings of one build after the config and the command line are combined: what is passed through the
/// shim (flags, memory pools, optimization level, hardware compatibility, profiling verbosity, auxiliary streams,
/// timing cache, plugins).
/// </summary>
public sealed record EngineBuildSettings
{
    /// <summary>fp16 wanted (build.precision fp16, optimize.fp16 or --fp16); how it is done is <see cref="PrecisionPlan"/>.</summary>
    public bool Fp16 { get; init; }

    /// <summary>The strongly-typed network flag for fp32 builds (fp16 decides it itself).</summary>
    public bool StronglyTyped { get; init; } = true;

    public IReadOnlyDictionary<TrtMemoryPool, long> MemoryPools { get; init; } = new Dictionary<TrtMemoryPool, long>();

    public int BuilderOptimizationLevel { get; init; } = 3;

    public TrtHardwareCompatibility HardwareCompatibility { get; init; } = TrtHardwareCompatibility.None;

    public TrtProfilingVerbosity ProfilingVerbosity { get; init; } = TrtProfilingVerbosity.Detailed;

    public int? MaxAuxStreams { get; init; }

    public string? TimingCachePath { get; init; }

    /// <summary>Plugin libraries given explicitly (absolute); empty = the project's plugin when the model needs it.</summary>
    public IReadOnlyList<string> Plugins { get; init; } = [];

    public bool SerializePlugins { get; init; }

    /// <summary>Combines a config's build section with command-line overrides, checking the values.</summary>
    public static EngineBuildSettings Resolve(DeployConfig config, BuildOverrides? overrides)
    {
        ArgumentNullException.ThrowIfNull(config);
        overrides ??= new BuildOverrides();
        var build = config.Build;
        var pools = new Dictionary<TrtMemoryPool, long>();
        if (build.Workspace is { } workspace)
        {
            pools[TrtMemoryPool.Workspace] = workspace;
        }

        foreach (var (pool, bytes) in build.MemoryPools)
        {
            pools[ParsePoolName(pool)] = bytes;
        }

        foreach (var (pool, bytes) in overrides.MemoryPools ?? new Dictionary<TrtMemoryPool, long>())
        {
            pools[pool] = bytes;
        }

        var level = overrides.BuilderOptimizationLevel ?? build.BuilderOptimizationLevel;
        if (level is < 0 or > 5)
        {
            throw DeployException.Usage($"--builderOptimizationLevel must be 0..5, not {level}");
        }

        var aux = overrides.MaxAuxStreams ?? build.MaxAuxStreams;
        if (aux is < 0)
        {
            throw DeployException.Usage($"--maxAuxStreams must not be negative ({aux})");
        }

        return new EngineBuildSettings
        {
            Fp16 = overrides.Fp16 ?? (build.Precision == "fp16" || config.Optimize.Fp16),
            StronglyTyped = overrides.StronglyTyped ?? build.StronglyTyped,
            MemoryPools = pools,
            BuilderOptimizationLevel = level,
            HardwareCompatibility = ParseHardwareCompatibility(overrides.HardwareCompatibilityLevel ?? build.HardwareCompatibilityLevel),
            ProfilingVerbosity = ParseProfilingVerbosity(overrides.ProfilingVerbosity ?? build.ProfilingVerbosity),
            MaxAuxStreams = aux,
            TimingCachePath = overrides.TimingCachePath is { } t ? Path.GetFullPath(t) : build.TimingCache,
            Plugins = overrides.Plugins?.Select(Path.GetFullPath).ToList() ?? build.Plugins,
            SerializePlugins = overrides.SerializePlugins ?? build.SerializePlugins,
        };
    }

    /// <summary>trtexec's <c>--memPoolSize</c>: <c>workspace:2G,tacticSharedMem:48K</c>; a number without a unit is in
    /// MiB, as in trtexec.</summary>
    public static IReadOnlyDictionary<TrtMemoryPool, long> ParseMemoryPools(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new Dictionary<TrtMemoryPool, long>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.LastIndexOf(':');
            if (colon <= 0 || colon == part.Length - 1)
            {
                throw DeployException.Usage($"--memPoolSize entry '{part}' must look like workspace:2G");
            }

            var pool = ParsePoolName(part[..colon]);
            var size = part[(colon + 1)..];
            var bytes = double.TryParse(size, NumberStyles.Float, CultureInfo.InvariantCulture, out var mib) && mib >= 0
                ? (long)(mib * (1 << 20))
                : ByteSize.TryParse(size, out var b) ? b : throw DeployException.Usage($"--memPoolSize '{part}': '{size}' is not a size (e.g. 2048 for MiB, 2G, 512K)");
            if (!result.TryAdd(pool, bytes))
            {
                throw DeployException.Usage($"--memPoolSize names pool '{part[..colon]}' twice");
            }
        }

        return result;
    }

    /// <summary>trtexec's pool names (workspace, dlaSRAM, dlaLocalDRAM, dlaGlobalDRAM, tacticSharedMem) plus tacticDRAM.</summary>
    public static TrtMemoryPool ParsePoolName(string name) => name.Trim() switch
    {
        "workspace" => TrtMemoryPool.Workspace,
        "dlaSRAM" => TrtMemoryPool.DlaManagedSram,
        "dlaLocalDRAM" => TrtMemoryPool.DlaLocalDram,
        "dlaGlobalDRAM" => TrtMemoryPool.DlaGlobalDram,
        "tacticSharedMem" => TrtMemoryPool.TacticSharedMemory,
        "tacticDRAM" => TrtMemoryPool.TacticDram,
        var other => throw DeployException.Usage(
            $"unknown memory pool '{other}' (expected workspace, tacticSharedMem, tacticDRAM, dlaSRAM, dlaLocalDRAM or dlaGlobalDRAM)"),
    };

    /// <summary>The trtexec name of a pool.</summary>
    public static string PoolName(TrtMemoryPool pool) => pool switch
    {
        TrtMemoryPool.Workspace => "workspace",
        TrtMemoryPool.DlaManagedSram => "dlaSRAM",
        TrtMemoryPool.DlaLocalDram => "dlaLocalDRAM",
        TrtMemoryPool.DlaGlobalDram => "dlaGlobalDRAM",
        TrtMemoryPool.TacticSharedMemory => "tacticSharedMem",
        TrtMemoryPool.TacticDram => "tacticDRAM",
        _ => pool.ToString(),
    };

    public static TrtHardwareCompatibility ParseHardwareCompatibility(string text) => text switch
    {
        "none" => TrtHardwareCompatibility.None,
        "ampere+" => TrtHardwareCompatibility.AmperePlus,
        "sameComputeCapability" => TrtHardwareCompatibility.SameComputeCapability,
        _ => throw DeployException.Usage($"hardware compatibility level must be none, ampere+ or sameComputeCapability, not '{text}'"),
    };

    public static string HardwareCompatibilityName(TrtHardwareCompatibility level) => level switch
    {
        TrtHardwareCompatibility.AmperePlus => "ampere+",
        TrtHardwareCompatibility.SameComputeCapability => "sameComputeCapability",
        _ => "none",
    };

    public static TrtProfilingVerbosity ParseProfilingVerbosity(string text) => text switch
    {
        "layer_names_only" => TrtProfilingVerbosity.LayerNamesOnly,
        "detailed" => TrtProfilingVerbosity.Detailed,
        "none" => TrtProfilingVerbosity.None,
        _ => throw DeployException.Usage($"profiling verbosity must be layer_names_only, detailed or none, not '{text}'"),
    };

    public static string ProfilingVerbosityName(TrtProfilingVerbosity verbosity) => verbosity switch
    {
        TrtProfilingVerbosity.LayerNamesOnly => "layer_names_only",
        TrtProfilingVerbosity.None => "none",
        _ => "detailed",
    };
}

/// <summary>How the network is typed.</summary>
public enum TypingMode
{
    /// <summary>Precisions come from the model (kSTRONGLY_TYPED; the only mode of TensorRT 11).</summary>
    StronglyTyped,

    /// <summary>The builder picks precisions, allowed by flags such as kFP16 (TensorRT ≤ 10.x).</summary>
    WeaklyTyped,
}

/// <summary>
/// How the requested precision is realised with the TensorRT at hand: fp16 through the legacy builder flag kFP16 up
/// to TensorRT 10.11 (weak typing), else by converting the ONNX to fp16 and building strongly typed (kFP16 is
/// deprecated from 10.12 and removed in 11.0).
/// </summary>
public sealed record PrecisionPlan(string Requested, TypingMode Typing, bool Fp16BuilderFlag, bool ConvertModelToFp16, string Why)
{
    /// <summary>The TensorRT version from which fp16 needs an fp16 model (the kFP16 flag is deprecated).</summary>
    public static readonly Version StrongTypingFp16From = new(10, 12);

    public static PrecisionPlan Resolve(bool fp16, bool stronglyTyped, Version? tensorRt)
    {
        var version = tensorRt?.ToString(3) ?? "unknown";
        if (!fp16)
        {
            if (tensorRt is { Major: >= 11 })
            {
                return new PrecisionPlan("fp32", TypingMode.StronglyTyped, false, false, $"fp32; TensorRT {version} always builds strongly typed");
            }

            return new PrecisionPlan("fp32", stronglyTyped ? TypingMode.StronglyTyped : TypingMode.WeaklyTyped, false, false,
                stronglyTyped ? "fp32, strongly typed (build.strongly_typed)" : "fp32, weakly typed (build.strongly_typed: false)");
        }

        if (tensorRt is { } v && v < StrongTypingFp16From)
        {
            return new PrecisionPlan("fp16", TypingMode.WeaklyTyped, true, false,
                $"fp16 on TensorRT {version} (≤ 10.11): the legacy builder flag kFP16 on the fp32 model, network weakly typed");
        }

        return new PrecisionPlan("fp16", TypingMode.StronglyTyped, false, true, tensorRt is null
            ? "fp16 with TensorRT not found: assuming ≥ 10.12, where the model is converted to fp16 and built strongly typed (≤ 10.11 would use the kFP16 flag)"
            : $"fp16 on TensorRT {version} (≥ 10.12, kFP16 deprecated/removed): the model is converted to fp16 and built strongly typed");
    }

    public string TypingName => Typing == TypingMode.StronglyTyped ? "strongly-typed" : "weakly-typed";
}
