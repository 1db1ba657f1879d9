using System.Text.Json.Serialization;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>
/// manifest.json of a deployment bundle (schema <see cref="SchemaId"/>, documented in docs/bundle.md): what the bundle
/// holds, how the device builds and checks its own engine, and the sha256 and size of every other file. Property names
/// are written in snake_case (<see cref="BundleManifestJson"/>). Members marked <c>required</c> must be present in the
/// JSON; the others may be absent or null.
/// </summary>
public sealed record BundleManifest
{
    public const string SchemaId = "srdeploy.bundle/1";

    /// <summary>The <see cref="Engine"/> value when no plan is shipped: the device builds its engine itself.</summary>
    public const string BuildOnDevice = "build on device";

    /// <summary>The <see cref="Engine"/> value when at least one plan is shipped (the device may still rebuild).</summary>
    public const string PlansShipped = "plans shipped";

    public required string Schema { get; init; }

    /// <summary>When the bundle was made (UTC, ISO 8601).</summary>
    public required DateTimeOffset CreatedUtc { get; init; }

    public required BundleTool Tool { get; init; }

    public required BundleModel Model { get; init; }

    public required BundleIo Io { get; init; }

    public required BundlePrecision Precision { get; init; }

    /// <summary>The optimization profiles the device builds (and any shipped plan was built with), in index order.</summary>
    public required IReadOnlyList<BundleProfile> Profiles { get; init; }

    public required BundleBuild Build { get; init; }

    /// <summary>The TensorRT plugin the model needs; null when the model has no custom op.</summary>
    public BundlePlugin? Plugin { get; init; }

    /// <summary>ORT original vs ORT optimized, measured when the bundle was made.</summary>
    public required BundleValidation Validation { get; init; }

    /// <summary>Reference inputs and outputs (from ONNX Runtime on the original model) the device checks its plan against.</summary>
    public required BundleReferences References { get; init; }

    /// <summary><see cref="BuildOnDevice"/> or <see cref="PlansShipped"/>.</summary>
    public required string Engine { get; init; }

    /// <summary>Shipped plans (empty when <see cref="Engine"/> is <see cref="BuildOnDevice"/>).</summary>
    public required IReadOnlyList<BundlePlan> Plans { get; init; }

    /// <summary>The on-device files: build script, plan validator, plugin CMake project, README.</summary>
    public required BundleDevice Device { get; init; }

    /// <summary>What the bundle could not include or check when it was made, one line each.</summary>
    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>Every file of the bundle except manifest.json, sorted by path.</summary>
    public required IReadOnlyList<BundleFile> Files { get; init; }

    /// <summary>
    /// sha256 of manifest.json itself, computed with this value replaced by 64 '0' characters (so any change to the
    /// manifest is detected, docs/bundle.md). Written last.
    /// </summary>
    public required string ManifestSha256 { get; init; }
}

/// <summary>The tool that made the bundle.</summary>
public sealed record BundleTool
{
    public required string Name { get; init; }

    public required string Version { get; init; }
}

/// <summary>The model: name, scale, the shipped (optimized) ONNX and where it came from.</summary>
public sealed record BundleModel
{
    /// <summary>The config's name (e.g. "ditn_real_x4").</summary>
    public required string Name { get; init; }

    public string? Description { get; init; }

    /// <summary>The super-resolution factor (output size / input size).</summary>
    public required int Scale { get; init; }

    /// <summary>Path in the bundle of the ONNX model the device builds (the optimized model).</summary>
    public required string Onnx { get; init; }

    /// <summary>The model the optimized ONNX was made from (not shipped).</summary>
    public required BundleSourceModel Source { get; init; }

    public required BundleOptimization Optimization { get; init; }

    /// <summary>Custom ONNX operator domains the shipped model imports (e.g. com.superres.deploy).</summary>
    public required IReadOnlyList<string> CustomOpDomains { get; init; }
}

/// <summary>Identity of the original model.</summary>
public sealed record BundleSourceModel
{
    public required string FileName { get; init; }

    public required long Size { get; init; }

    public required string Sha256 { get; init; }
}

/// <summary>What the optimize step did to the model.</summary>
public sealed record BundleOptimization
{
    /// <summary>True when passes ran; false when the config asked for none (the shipped model is the original's content).</summary>
    public required bool Applied { get; init; }

    public required bool FuseAttention { get; init; }

    public required bool Fp16 { get; init; }

    public required bool FoldConstants { get; init; }

    /// <summary>FusedAttention nodes in the shipped model.</summary>
    public required int FusedAttentionNodes { get; init; }

    /// <summary>One line per pass result, as the optimize step reported it.</summary>
    public required IReadOnlyList<string> Summary { get; init; }

    /// <summary>Path in the bundle of the optimize report (srdeploy.optimize/1), or null when no pass ran.</summary>
    public string? Report { get; init; }
}

/// <summary>The image I/O contract and every model input and output.</summary>
public sealed record BundleIo
{
    /// <summary>The image input's name.</summary>
    public required string Input { get; init; }

    /// <summary>The image output's name.</summary>
    public required string Output { get; init; }

    /// <summary>Tensor layout, e.g. NCHW.</summary>
    public required string Layout { get; init; }

    /// <summary>Channel order: RGB or BGR.</summary>
    public required string Color { get; init; }

    /// <summary>[min, max] pixel value range of input and output.</summary>
    public required IReadOnlyList<double> ValueRange { get; init; }

    public required IReadOnlyList<BundleTensor> Inputs { get; init; }

    public required IReadOnlyList<BundleTensor> Outputs { get; init; }
}

/// <summary>One model input or output: name, element type and shape (-1 for a dynamic dim, with its symbol in <see cref="Dims"/>).</summary>
public sealed record BundleTensor
{
    public required string Name { get; init; }

    /// <summary>numpy-style element type name: float32, float16, int64, ...</summary>
    public required string Dtype { get; init; }

    public required IReadOnlyList<long> Shape { get; init; }

    /// <summary>Each dim as written in the model: a number, a symbol ("H"), or "?" when unnamed.</summary>
    public required IReadOnlyList<string> Dims { get; init; }
}

/// <summary>Precision and typing mode of the engine build (tensorrt.md §0 #3–#4).</summary>
public sealed record BundlePrecision
{
    public const string StronglyTypedFp32 = "strongly_typed_fp32";
    public const string StronglyTypedFp16Onnx = "strongly_typed_fp16_onnx";
    public const string LegacyFp16Flag = "legacy_fp16_flag";
    public const string WeaklyTypedFp32 = "weakly_typed_fp32";

    public static IReadOnlyList<string> TypingModes { get; } = [StronglyTypedFp32, StronglyTypedFp16Onnx, LegacyFp16Flag, WeaklyTypedFp32];

    /// <summary>fp32 or fp16 (the config's build.precision).</summary>
    public required string Precision { get; init; }

    /// <summary>One of <see cref="TypingModes"/>.</summary>
    public required string Typing { get; init; }

    /// <summary>Whether the network is created strongly typed (trtexec --stronglyTyped).</summary>
    public required bool StronglyTyped { get; init; }

    /// <summary>Why this mode, and on which TensorRT versions it works.</summary>
    public required string Explanation { get; init; }
}

/// <summary>One optimization profile: min/opt/max per input.</summary>
public sealed record BundleProfile
{
    public required int Index { get; init; }

    /// <summary>"config" (explicit profiles) or "planner" (planned from the config's targets).</summary>
    public required string Source { get; init; }

    public required IReadOnlyList<BundleProfileInput> Inputs { get; init; }

    /// <summary>What the profile serves (planner targets), empty for explicit profiles.</summary>
    public required IReadOnlyList<string> Covers { get; init; }
}

/// <summary>Min, opt and max shape of one input in one profile.</summary>
public sealed record BundleProfileInput
{
    public required string Name { get; init; }

    public required IReadOnlyList<long> Min { get; init; }

    public required IReadOnlyList<long> Opt { get; init; }

    public required IReadOnlyList<long> Max { get; init; }
}

/// <summary>The builder settings the device uses (the config's build section) and the resulting trtexec arguments.</summary>
public sealed record BundleBuild
{
    /// <summary>Workspace pool limit in bytes; null = TensorRT's default.</summary>
    public long? WorkspaceBytes { get; init; }

    public required int BuilderOptimizationLevel { get; init; }

    public required string HardwareCompatibilityLevel { get; init; }

    public required string ProfilingVerbosity { get; init; }

    public required bool SerializePlugins { get; init; }

    /// <summary>
    /// The trtexec arguments build_and_validate.sh passes, with <c>{bundle}</c>, <c>{out}</c> and <c>{plugin}</c> standing
    /// for the bundle folder, the output folder and the plugin library.
    /// </summary>
    public required IReadOnlyList<string> TrtexecArguments { get; init; }
}

/// <summary>The TensorRT plugin: its sources (always), a prebuilt library (when one was available) and their identity.</summary>
public sealed record BundlePlugin
{
    /// <summary>TensorRT plugin name (the ONNX op type): FusedAttention.</summary>
    public required string Name { get; init; }

    public required string Version { get; init; }

    public required string Namespace { get; init; }

    /// <summary>The ONNX domain of the custom op.</summary>
    public required string OnnxDomain { get; init; }

    /// <summary>File name of the library the device builds (libsrd_fused_attention_trt.so).</summary>
    public required string LibraryName { get; init; }

    /// <summary>Path in the bundle of a prebuilt library, or null when none was shipped.</summary>
    public string? Library { get; init; }

    /// <summary>ELF machine of the prebuilt library (x86_64, aarch64), or null.</summary>
    public string? LibraryMachine { get; init; }

    /// <summary>Folder in the bundle holding the plugin's CMake project and sources.</summary>
    public required string SourceDirectory { get; init; }

    /// <summary>sha256 over the source tree in canonical order (<see cref="PluginSourceTree.Hash"/>).</summary>
    public required string SourceSha256 { get; init; }
}

/// <summary>ORT original vs ORT optimized at the validation shapes, when the bundle was made.</summary>
public sealed record BundleValidation
{
    public const string Passed = "passed";
    public const string Failed = "failed";
    public const string Skipped = "skipped";
    public const string NotAvailable = "not available";

    public static IReadOnlyList<string> Statuses { get; } = [Passed, Failed, Skipped, NotAvailable];

    /// <summary>PSNR recorded for identical outputs (JSON has no infinity).</summary>
    public const double PsnrCap = 999;

    /// <summary>One of <see cref="Statuses"/>.</summary>
    public required string Status { get; init; }

    /// <summary>Why it was skipped or not available, or the failure; null when passed.</summary>
    public string? Reason { get; init; }

    /// <summary>What was compared, e.g. "onnxruntime 1.30.0: original vs optimized (FusedAttention custom op)".</summary>
    public required string Comparison { get; init; }

    public required double Atol { get; init; }

    public required double Rtol { get; init; }

    public required string Check { get; init; }

    /// <summary>Largest absolute error over every case and output; null when nothing ran.</summary>
    public double? MaxAbsError { get; init; }

    /// <summary>Lowest PSNR (dB) over every case and output; null when nothing ran.</summary>
    public double? MinPsnrDb { get; init; }

    public required IReadOnlyList<BundleValidationCase> Cases { get; init; }

    /// <summary>Path in the bundle of the validation report (validation.json), or null when none is shipped.</summary>
    public string? Report { get; init; }
}

/// <summary>One validation shape's result.</summary>
public sealed record BundleValidationCase
{
    /// <summary>The input shapes, trtexec style (input:1x3x64x64).</summary>
    public required string Shape { get; init; }

    public required bool Passed { get; init; }

    /// <summary>Largest absolute error over the outputs; null when not defined (non-finite outputs).</summary>
    public required double? MaxAbsError { get; init; }

    /// <summary>Lowest PSNR in dB over the outputs, capped at 999 for identical outputs; null when not defined.</summary>
    public required double? PsnrDb { get; init; }
}

/// <summary>The reference cases and the tolerance the device applies.</summary>
public sealed record BundleReferences
{
    /// <summary>Where the outputs came from, e.g. "onnxruntime 1.30.0 (CPU) on ditn_real_x4.onnx".</summary>
    public required string Producer { get; init; }

    /// <summary>Seed of the random inputs (uniform in the value range).</summary>
    public required int Seed { get; init; }

    public required BundleTolerance Tolerance { get; init; }

    public required IReadOnlyList<BundleReferenceCase> Cases { get; init; }
}

/// <summary>Polygraphy-style pass condition (the config's validation section).</summary>
public sealed record BundleTolerance
{
    public required double Atol { get; init; }

    public required double Rtol { get; init; }

    /// <summary>elemwise, max, mean, median or p99.</summary>
    public required string Check { get; init; }

    public double? PsnrMin { get; init; }

    public double? CosineMin { get; init; }
}

/// <summary>One reference case: inputs and expected outputs as .npy files, and the profile that serves the shape.</summary>
public sealed record BundleReferenceCase
{
    public required string Name { get; init; }

    public required int Profile { get; init; }

    public required IReadOnlyList<BundleReferenceTensor> Inputs { get; init; }

    public required IReadOnlyList<BundleReferenceTensor> Outputs { get; init; }
}

/// <summary>One .npy file of a reference case.</summary>
public sealed record BundleReferenceTensor
{
    public required string Name { get; init; }

    public required string File { get; init; }

    public required string Dtype { get; init; }

    public required IReadOnlyList<long> Shape { get; init; }
}

/// <summary>A shipped plan: the TensorRT that built it (plan header) and the machine it was built for (build record).</summary>
public sealed record BundlePlan
{
    public required string File { get; init; }

    /// <summary>major.minor.patch.build from the plan header (bytes 24..27).</summary>
    [JsonPropertyName("tensorrt_version")]
    public required string TensorRtVersion { get; init; }

    /// <summary>The GPU it was built on, when a build record came with the plan; null otherwise.</summary>
    public BundlePlanTarget? BuiltFor { get; init; }

    /// <summary>Built version-compatible (runs on later TensorRT of the same major, and 10 → 11).</summary>
    public required bool VersionCompatible { get; init; }

    /// <summary>none, ampere+ or sameComputeCapability.</summary>
    public required string HardwareCompatibilityLevel { get; init; }

    /// <summary>Path in the bundle of the build record shipped with it, or null.</summary>
    public string? BuildRecord { get; init; }
}

/// <summary>The GPU and CUDA a plan was built with.</summary>
public sealed record BundlePlanTarget
{
    public string? Gpu { get; init; }

    /// <summary>"8.7" style.</summary>
    public string? ComputeCapability { get; init; }

    public string? CudaVersion { get; init; }
}

/// <summary>Paths in the bundle of the on-device files.</summary>
public sealed record BundleDevice
{
    public required string Script { get; init; }

    public required string Validator { get; init; }

    public required string CompareModule { get; init; }

    public required string Readme { get; init; }

    /// <summary>The config the bundle was made from, as given.</summary>
    public required string Config { get; init; }

    /// <summary>The oldest TensorRT the build targets (JetPack 6: 10.3).</summary>
    [JsonPropertyName("minimum_tensorrt")]
    public required string MinimumTensorRt { get; init; }
}

/// <summary>One file of the bundle: path (relative, '/'-separated), size in bytes and sha256 (lowercase hex).</summary>
public sealed record BundleFile
{
    public required string Path { get; init; }

    public required long Size { get; init; }

    public required string Sha256 { get; init; }
}
