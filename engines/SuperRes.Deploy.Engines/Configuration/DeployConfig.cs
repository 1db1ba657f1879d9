namespace SuperRes.Deploy.Engines.Configuration;

/// <summary>
/// One model's deployment configuration (configs/NAME.yaml, schema <c>srdeploy.config/1</c>, documented in
/// configs/README.md): what the model is, how to optimise it, which engine profiles to build, how to validate, and its
/// published quality. Paths are resolved relative to the config file's folder when loaded.
/// </summary>
public sealed record DeployConfig
{
    public const string SchemaId = "srdeploy.config/1";

    /// <summary>The file the config was read from (absolute), or null for configs built in code.</summary>
    public string? SourcePath { get; init; }

    /// <summary>A short identifier used for output names (engine cache keys, bundle names).</summary>
    public required string Name { get; init; }

    /// <summary>The ONNX model (absolute path).</summary>
    public required string ModelPath { get; init; }

    /// <summary>Free text shown in reports.</summary>
    public string? Description { get; init; }

    /// <summary>The SR scale factor, when stated; otherwise derived from the graph.</summary>
    public int? Scale { get; init; }

    public IoSettings Io { get; init; } = new();

    /// <summary>Published quality per dataset name (e.g. "Set5"), for `eval` to report the difference.</summary>
    public IReadOnlyDictionary<string, PublishedQuality> Published { get; init; } = new Dictionary<string, PublishedQuality>();

    public OptimizeSettings Optimize { get; init; } = new();

    /// <summary>Explicit optimization profiles; used as given (after checking them against the model's constraints).</summary>
    public IReadOnlyList<ProfileSettings> Profiles { get; init; } = [];

    /// <summary>Target resolutions for the profile planner; used when <see cref="Profiles"/> is empty.</summary>
    public TargetSettings? Targets { get; init; }

    public BuildSettings Build { get; init; } = new();

    public ValidationSettings Validation { get; init; } = new();
}

/// <summary>The image input/output contract of the model.</summary>
public sealed record IoSettings
{
    /// <summary>The image input's name; null = the model's only input.</summary>
    public string? Input { get; init; }

    /// <summary>The image output's name; null = the model's only output.</summary>
    public string? Output { get; init; }

    /// <summary>Tensor layout of input and output (only NCHW is supported today).</summary>
    public string Layout { get; init; } = "NCHW";

    /// <summary>Channel order (RGB or BGR).</summary>
    public string Color { get; init; } = "RGB";

    /// <summary>The value range pixels are mapped to, e.g. [0, 1] or [0, 255].</summary>
    public (double Min, double Max) ValueRange { get; init; } = (0, 1);
}

/// <summary>A model's published PSNR-Y / SSIM-Y on one dataset.</summary>
public sealed record PublishedQuality(double PsnrY, double? SsimY, string? Source = null);

/// <summary>What `optimize` does to the model before building.</summary>
public sealed record OptimizeSettings
{
    public bool FuseAttention { get; init; } = true;
    public bool Fp16 { get; init; }
    public bool KeepIoTypes { get; init; } = true;
    public bool FoldConstants { get; init; } = true;
    public IReadOnlyList<string> ExcludeOpTypes { get; init; } = [];
    public IReadOnlyList<string> ExcludeNodes { get; init; } = [];

    /// <summary>fp16 or fp32: where FusedAttention nodes compute in an fp16 model (fp16 for TensorRT, fp32 for ONNX Runtime on the CPU).</summary>
    public string Fp16Attention { get; init; } = "fp16";
}

/// <summary>One explicit optimization profile: min/opt/max shapes per input.</summary>
public sealed record ProfileSettings(IReadOnlyList<ShapeSpec> Min, IReadOnlyList<ShapeSpec> Opt, IReadOnlyList<ShapeSpec> Max);

/// <summary>Target image sizes the profile planner must cover.</summary>
public sealed record TargetSettings
{
    /// <summary>Target input sizes as (width, height), already expanded from names such as 720p or 4k.</summary>
    public required IReadOnlyList<(int Width, int Height)> Sizes { get; init; }

    /// <summary>The names the sizes were written with ("1080p", "1920x1080"), parallel to <see cref="Sizes"/>.</summary>
    public IReadOnlyList<string> SizeNames { get; init; } = [];

    /// <summary>Also cover each size rotated by 90° (portrait as well as landscape).</summary>
    public bool BothOrientations { get; init; } = true;

    /// <summary>The largest tile fed to the engine; larger targets are tiled (null = whole images).</summary>
    public int? MaxTile { get; init; }

    /// <summary>Batch size of the profiles.</summary>
    public int Batch { get; init; } = 1;

    /// <summary>How many profiles the planner may emit at most.</summary>
    public int MaxProfiles { get; init; } = 4;

    /// <summary>Activation-memory budget per profile at its max shape, in bytes (null = no budget).</summary>
    public long? ActivationMemoryBudget { get; init; }
}

/// <summary>TensorRT builder settings, named like trtexec's flags.</summary>
public sealed record BuildSettings
{
    /// <summary>fp32 or fp16. fp16 means the legacy builder flag up to TensorRT 10.11, else an fp16 ONNX built strongly typed.</summary>
    public string Precision { get; init; } = "fp32";

    public bool StronglyTyped { get; init; } = true;

    /// <summary>Workspace memory pool limit in bytes (null = TensorRT's default).</summary>
    public long? Workspace { get; init; }

    /// <summary>Other memory pool limits by trtexec pool name (tacticSharedMem, tacticDRAM, dlaSRAM, ...), in bytes.</summary>
    public IReadOnlyDictionary<string, long> MemoryPools { get; init; } = new Dictionary<string, long>();

    /// <summary>Auxiliary streams TensorRT may use per engine (null = TensorRT's heuristic).</summary>
    public int? MaxAuxStreams { get; init; }

    public int BuilderOptimizationLevel { get; init; } = 3;

    /// <summary>none, ampere+ or sameComputeCapability.</summary>
    public string HardwareCompatibilityLevel { get; init; } = "none";

    /// <summary>layer_names_only, detailed or none.</summary>
    public string ProfilingVerbosity { get; init; } = "detailed";

    /// <summary>Timing cache file (absolute), loaded if present and saved after the build.</summary>
    public string? TimingCache { get; init; }

    /// <summary>Plugin libraries to load (absolute); empty = the project's fused-attention plugin when the model needs it.</summary>
    public IReadOnlyList<string> Plugins { get; init; } = [];

    /// <summary>Embed the plugin libraries in the plan (setPluginsToSerialize).</summary>
    public bool SerializePlugins { get; init; }
}

/// <summary>How a candidate (optimized model or engine) is judged against the reference.</summary>
public sealed record ValidationSettings
{
    public double Atol { get; init; } = 1e-5;
    public double Rtol { get; init; } = 1e-5;

    /// <summary>elemwise, max, mean, median or p99 (Polygraphy's check statistics).</summary>
    public string Check { get; init; } = "elemwise";

    public double? PsnrMin { get; init; }
    public double? CosineMin { get; init; }

    /// <summary>"random", or an image file or folder (absolute).</summary>
    public string Inputs { get; init; } = "random";

    public int Seed { get; init; }

    /// <summary>Explicit validation shapes; empty = each profile's min/opt/max.</summary>
    public IReadOnlyList<IReadOnlyList<ShapeSpec>> Shapes { get; init; } = [];
}
