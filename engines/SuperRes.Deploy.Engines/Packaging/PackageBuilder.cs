using System.Buffers.Binary;
using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>What <see cref="PackageBuilder.Build"/> packs.</summary>
public sealed record PackageRequest
{
    /// <summary>The config (loaded from a file: it is shipped as given).</summary>
    public required DeployConfig Config { get; init; }

    /// <summary>The bundle to write (.tar.gz).</summary>
    public required string OutputPath { get; init; }

    /// <summary>Plans to ship (each with its build record when one lies beside it).</summary>
    public IReadOnlyList<string> Plans { get; init; } = [];

    /// <summary>Skip ORT original vs ORT optimized (the manifest says "skipped").</summary>
    public bool SkipValidation { get; init; }

    /// <summary>A prebuilt TensorRT plugin library to ship; null: libsrd_fused_attention_trt.so next to srdeploy when present.</summary>
    public string? PluginLibrary { get; init; }

    /// <summary>An already optimized model for this config (the pipeline's optimize output); null: run optimize.</summary>
    public OptimizedModelFile? Optimized { get; init; }

    /// <summary>An already computed validation summary (the pipeline's validate step); null: run it (unless skipped).</summary>
    public BundleValidation? Validation { get; init; }

    /// <summary>The validation.json behind <see cref="Validation"/>, shipped in the bundle when given.</summary>
    public string? ValidationReport { get; init; }

    /// <summary>ONNX Runtime intra-op threads for validation and references (0 = its default).</summary>
    public int Threads { get; init; }

    /// <summary>build-engine's plan for this config (the pipeline's build step made it); null: run build-engine's dry run.</summary>
    public BuildPlanSummary? BuildPlan { get; init; }

    /// <summary>build-engine's steps for its dry run (default: this build's).</summary>
    public EngineBuildSteps? BuildSteps { get; init; }

    /// <summary>
    /// build-engine's engine cache: without <see cref="Plans"/>, the engine it built for this config on this machine is
    /// shipped from there; null: the cache is not consulted.
    /// </summary>
    public string? EngineCacheDirectory { get; init; } = EngineCache.DefaultDirectory;

    /// <summary>srdeploy's version, written into the manifest.</summary>
    public string ToolVersion { get; init; } = "unknown";

    /// <summary>The bundle's creation time (default: now).</summary>
    public DateTimeOffset? CreatedUtc { get; init; }
}

/// <summary>The bundle written.</summary>
public sealed record PackageResult(string BundlePath, long Bytes, BundleManifest Manifest);

/// <summary>
/// <c>srdeploy package</c>: turns a config into a deployment bundle (docs/bundle.md). It optimizes the model, takes
/// the profiles, validates ORT original vs ORT optimized, computes reference outputs with ORT on the original model,
/// adds the plugin's sources (and a prebuilt library when given), the on-device build and validation scripts, any
/// plans, and writes everything with manifest.json into a gzip'd tar, atomically. Intermediate files live in a
/// staging folder beside the destination, removed at the end (and by the next run if this one is killed).
/// </summary>
public static class PackageBuilder
{
    /// <summary>Where the validation report goes in the bundle.</summary>
    public const string ValidationReportPath = "validation/validation.json";

    public static PackageResult Build(PackageRequest request, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var config = request.Config;
        var configFile = config.SourcePath
            ?? throw DeployException.Usage("package needs a config loaded from a file (it ships the config as given)");
        var output = Path.GetFullPath(request.OutputPath);
        if (Directory.Exists(output))
        {
            throw DeployException.Usage($"-o {request.OutputPath} is a directory; give the bundle's file name, e.g. {config.Name}.tar.gz");
        }

        var plans = request.Plans.Select(ShippedPlans.Read).ToList();
        var pluginLibrary = request.PluginLibrary;
        if (pluginLibrary is not null && !File.Exists(pluginLibrary))
        {
            throw DeployException.BadInput($"plugin library not found: {pluginLibrary}");
        }

        AtomicFile.RemoveStaleTemporaries(output);
        var staging = AtomicFile.CreateTemporaryDirectory(output);
        try
        {
            var manifest = Stage(request, configFile, plans, pluginLibrary, staging, log, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            log?.Invoke($"writing {output} ({manifest.Files.Count + 1} files)");
            BundleWriter.Write(output, staging, manifest.Files, BundleManifestJson.Serialize(manifest), manifest.CreatedUtc);
            return new PackageResult(output, new FileInfo(output).Length, manifest);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    private static BundleManifest Stage(
        PackageRequest request, string configFile, List<PlanInput> plans, string? pluginLibrary, string staging, Action<string>? log,
        CancellationToken cancellationToken)
    {
        var config = request.Config;
        var created = request.CreatedUtc ?? DateTimeOffset.UtcNow;
        created = new DateTimeOffset(created.UtcTicks - (created.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        var notes = new List<string>();

        var scale = config.Scale ?? DeriveScale(config.ModelPath);

        // Optimize into the staging folder.
        var modelPath = BundleLayout.ModelPath(config.Name);
        var stagedModel = Path.Combine(staging, modelPath);
        Directory.CreateDirectory(Path.GetDirectoryName(stagedModel)!);
        var optimized = request.Optimized;
        if (optimized is null)
        {
            optimized = PackagingSteps.Optimize(config, stagedModel, log);
        }
        else
        {
            CopyModel(optimized.Path, stagedModel);
        }

        // The optimize report ships as model/NAME.optimize.json (optimize wrote it there when it ran into staging).
        string? optimizeReport = null;
        if (optimized.ReportPath is not null && File.Exists(optimized.ReportPath))
        {
            optimizeReport = $"{BundleLayout.ModelDirectory}/{config.Name}.optimize.json";
            var target = Path.GetFullPath(Path.Combine(staging, optimizeReport));
            if (!string.Equals(Path.GetFullPath(optimized.ReportPath), target, StringComparison.Ordinal))
            {
                File.Copy(optimized.ReportPath, target, overwrite: true);
            }
        }

        // The I/O contract of the shipped model (what the device's engine takes and gives).
        var (inputs, outputs) = ReadIo(stagedModel);
        var imageInput = config.Io.Input ?? (inputs.Count == 1 ? inputs[0].Name : throw DeployException.BadInput($"model has {inputs.Count} inputs: set io.input in the config"));
        var imageOutput = config.Io.Output ?? (outputs.Count == 1 ? outputs[0].Name : throw DeployException.BadInput($"model has {outputs.Count} outputs: set io.output in the config"));
        var domains = CustomDomains(stagedModel);
        var usesPlugin = domains.Contains(PluginSourceTree.OnnxDomain);
        cancellationToken.ThrowIfCancellationRequested();

        // Profiles, validation shapes and the engine cache key: what build-engine would build (its dry run).
        var planDirectory = Path.Combine(staging, ".build-plan");
        var buildPlan = request.BuildPlan
            ?? PackagingSteps.PlanBuild(config, planDirectory, request.BuildSteps, request.EngineCacheDirectory, log);
        var profiles = buildPlan.Profiles;
        if (plans.Count == 0 && request.EngineCacheDirectory is not null)
        {
            var (cached, record, reason) = PackagingSteps.CachedEngine(buildPlan);
            if (cached is not null)
            {
                Directory.CreateDirectory(planDirectory);
                var planFile = Path.Combine(planDirectory, config.Name + ".plan");
                File.WriteAllBytes(planFile, cached);
                if (record is not null)
                {
                    File.WriteAllText(planFile + ".build.json", record.ToJsonString());
                }

                plans.Add(ShippedPlans.Read(planFile));
                notes.Add($"plan {config.Name}.plan comes from build-engine's engine cache (key {buildPlan.CacheKey![..16]}…): it runs only with this machine's TensorRT and GPU");
            }
            else if (buildPlan.CacheKey is not null)
            {
                notes.Add($"no engine in build-engine's cache for this config on this machine ({reason}): the device builds its own");
            }
        }

        var validation = request.Validation;
        var validationReport = request.ValidationReport;
        if (validation is null && request.SkipValidation)
        {
            validation = PackagingSteps.NotValidated(config, BundleValidation.Skipped, "skipped (--skip-validation)");
        }
        else if (validation is null)
        {
            var reportDirectory = Path.Combine(planDirectory, "validation");
            (validation, var files) = PackagingSteps.Validate(
                config, stagedModel, buildPlan.ValidationShapes, reportDirectory, request.ToolVersion, request.Threads, previews: false, log, cancellationToken);
            validationReport = files?.Json;
        }

        if (validation.Status is BundleValidation.NotAvailable or BundleValidation.Failed)
        {
            notes.Add($"validation {validation.Status}: {validation.Reason}");
        }

        if (validationReport is not null)
        {
            WriteBytes(staging, ValidationReportPath, File.ReadAllBytes(validationReport));
            validation = validation with { Report = ValidationReportPath };
        }

        cancellationToken.ThrowIfCancellationRequested();
        var references = ReferenceCases.Generate(config.ModelPath, profiles, config.Io.ValueRange, config.Validation.Seed, staging, log, cancellationToken);

        // Plugin sources (always when the model uses the plugin) and a prebuilt library when one is available.
        BundlePlugin? plugin = null;
        if (usesPlugin)
        {
            plugin = StagePlugin(staging, pluginLibrary ?? DefaultPluginLibrary(), notes);
        }
        else if (pluginLibrary is not null)
        {
            notes.Add($"plugin library {Path.GetFileName(pluginLibrary)} not shipped: the model uses no custom op");
        }

        var shipped = StagePlans(staging, plans);
        if (Directory.Exists(planDirectory))
        {
            Directory.Delete(planDirectory, recursive: true);
        }

        if (config.Build.HardwareCompatibilityLevel != "none")
        {
            notes.Add($"build.hardware_compatibility_level {config.Build.HardwareCompatibilityLevel}: whether TensorRT honours it on Jetson (integrated GPUs) is not confirmed");
        }

        // Config, scripts.
        Directory.CreateDirectory(Path.Combine(staging, BundleLayout.ConfigDirectory));
        File.Copy(configFile, Path.Combine(staging, BundleLayout.ConfigPath(config.Name)));
        var precision = Precision(config, notes);
        var build = new BundleBuild
        {
            WorkspaceBytes = config.Build.Workspace,
            BuilderOptimizationLevel = config.Build.BuilderOptimizationLevel,
            HardwareCompatibilityLevel = config.Build.HardwareCompatibilityLevel,
            ProfilingVerbosity = config.Build.ProfilingVerbosity,
            SerializePlugins = config.Build.SerializePlugins && usesPlugin,
            TrtexecArguments = [],
        };
        build = build with { TrtexecArguments = DeviceFiles.TrtexecArguments(config.Name, modelPath, profiles, precision, build) };
        WriteText(staging, BundleLayout.Script, DeviceFiles.RenderScript(config.Name, usesPlugin, build.TrtexecArguments, build.SerializePlugins));
        WriteBytes(staging, BundleLayout.Validator, DeviceFiles.ReadBytes("validate_plan.py"));
        WriteBytes(staging, BundleLayout.CompareModule, DeviceFiles.ReadBytes("srd_compare.py"));

        var manifest = new BundleManifest
        {
            Schema = BundleManifest.SchemaId,
            CreatedUtc = created,
            Tool = new BundleTool { Name = "srdeploy", Version = request.ToolVersion },
            Model = new BundleModel
            {
                Name = config.Name,
                Description = config.Description,
                Scale = scale,
                Onnx = modelPath,
                Source = new BundleSourceModel
                {
                    FileName = Path.GetFileName(config.ModelPath),
                    Size = new FileInfo(config.ModelPath).Length,
                    Sha256 = BundleWriter.Sha256(config.ModelPath),
                },
                Optimization = new BundleOptimization
                {
                    Applied = optimized.Applied,
                    FuseAttention = config.Optimize.FuseAttention,
                    Fp16 = config.Optimize.Fp16,
                    FoldConstants = config.Optimize.FoldConstants,
                    FusedAttentionNodes = optimized.FusedAttentionNodes,
                    Summary = optimized.Summary,
                    Report = optimizeReport,
                },
                CustomOpDomains = [.. domains.Order(StringComparer.Ordinal)],
            },
            Io = new BundleIo
            {
                Input = imageInput,
                Output = imageOutput,
                Layout = config.Io.Layout,
                Color = config.Io.Color,
                ValueRange = [config.Io.ValueRange.Min, config.Io.ValueRange.Max],
                Inputs = inputs,
                Outputs = outputs,
            },
            Precision = precision,
            Profiles = profiles,
            Build = build,
            Plugin = plugin,
            Validation = validation,
            References = new BundleReferences
            {
                Producer = $"onnxruntime {OrtRunner.RuntimeVersion} (CPU) on {Path.GetFileName(config.ModelPath)}",
                Seed = config.Validation.Seed,
                Tolerance = new BundleTolerance
                {
                    Atol = config.Validation.Atol,
                    Rtol = config.Validation.Rtol,
                    Check = config.Validation.Check,
                    PsnrMin = config.Validation.PsnrMin,
                    CosineMin = config.Validation.CosineMin,
                },
                Cases = references,
            },
            Engine = shipped.Count == 0 ? BundleManifest.BuildOnDevice : BundleManifest.PlansShipped,
            Plans = shipped,
            Device = new BundleDevice
            {
                Script = BundleLayout.Script,
                Validator = BundleLayout.Validator,
                CompareModule = BundleLayout.CompareModule,
                Readme = BundleLayout.Readme,
                Config = BundleLayout.ConfigPath(config.Name),
                MinimumTensorRt = BundleLayout.MinimumTensorRt,
            },
            Notes = notes,
            Files = [],
            ManifestSha256 = BundleManifestJson.ZeroDigest,
        };

        WriteText(staging, BundleLayout.Readme, DeviceFiles.RenderReadme(manifest));
        manifest = manifest with { Files = BundleWriter.Describe(staging) };
        var problems = BundleManifestRules.Check(manifest);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"the bundle's manifest breaks its own rules: {problems[0]}");
        }

        return manifest;
    }

    /// <summary>libsrd_fused_attention_trt.so next to srdeploy (where the native build copies its libraries), or null.</summary>
    public static string? DefaultPluginLibrary()
    {
        var candidate = Path.Combine(AppContext.BaseDirectory, PluginSourceTree.LibraryName);
        return File.Exists(candidate) ? candidate : null;
    }

    /// <summary>Precision and typing mode from the config (tensorrt.md §0 #3–#4, §8.2).</summary>
    public static BundlePrecision Precision(DeployConfig config, List<string>? notes = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Optimize.Fp16)
        {
            if (!config.Build.StronglyTyped)
            {
                notes?.Add("build.strongly_typed is false but optimize.fp16 makes an fp16 ONNX: the bundle builds it strongly typed");
            }

            return new BundlePrecision
            {
                Precision = "fp16",
                Typing = BundlePrecision.StronglyTypedFp16Onnx,
                StronglyTyped = true,
                Explanation = "the ONNX model itself is fp16 (optimize.fp16), built strongly typed (--stronglyTyped): TensorRT 10.x and 11.x",
            };
        }

        if (config.Build.Precision == "fp16")
        {
            return new BundlePrecision
            {
                Precision = "fp16",
                Typing = BundlePrecision.LegacyFp16Flag,
                StronglyTyped = false,
                Explanation = "fp32 ONNX with the builder's fp16 flag (--fp16): TensorRT up to 10.11 only (deprecated in 10.12, removed in 11.0); JetPack 6's 10.3 has it",
            };
        }

        return config.Build.StronglyTyped
            ? new BundlePrecision
            {
                Precision = "fp32",
                Typing = BundlePrecision.StronglyTypedFp32,
                StronglyTyped = true,
                Explanation = "fp32 ONNX built strongly typed (--stronglyTyped): layers run in the types of the model",
            }
            : new BundlePrecision
            {
                Precision = "fp32",
                Typing = BundlePrecision.WeaklyTypedFp32,
                StronglyTyped = false,
                Explanation = "fp32 ONNX, weakly typed: TensorRT may pick TF32 for fp32 layers unless --noTF32 is given",
            };
    }

    /// <summary>The model's declared inputs (initializers excluded) and outputs, read from the ONNX file.</summary>
    private static (IReadOnlyList<BundleTensor> Inputs, IReadOnlyList<BundleTensor> Outputs) ReadIo(string modelPath)
    {
        using var model = OnnxModel.Load(modelPath);
        var graph = model.Proto.Graph;
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        static BundleTensor Describe(global::Onnx.ValueInfoProto info)
        {
            var tensor = info.Type?.TensorType
                ?? throw DeployException.BadInput($"model input/output '{info.Name}' is not a tensor");
            var dims = tensor.Shape?.Dim.ToList() ?? [];
            return new BundleTensor
            {
                Name = info.Name,
                Dtype = DtypeName(tensor.ElemType, info.Name),
                Shape = [.. dims.Select(d => d.ValueCase == global::Onnx.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1)],
                Dims = [.. dims.Select(d => d.ValueCase switch
                {
                    global::Onnx.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    global::Onnx.TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => d.DimParam,
                    _ => "?",
                })],
            };
        }

        return ([.. graph.Input.Where(i => !initializers.Contains(i.Name)).Select(Describe)], [.. graph.Output.Select(Describe)]);
    }

    private static string DtypeName(int elementType, string name) => elementType switch
    {
        1 => "float32",
        2 => "uint8",
        3 => "int8",
        6 => "int32",
        7 => "int64",
        9 => "bool",
        10 => "float16",
        11 => "float64",
        _ => throw DeployException.BadInput($"model input/output '{name}' has ONNX element type {elementType}, which bundles do not describe"),
    };

    private static int DeriveScale(string modelPath)
    {
        using var model = OnnxModel.Load(modelPath);
        var analysis = ModelAnalysis.Run(OnnxGraph.FromModel(model));
        if (analysis.Scale is { IsUniform: true } s && Math.Abs(s.Height - Math.Round(s.Height)) < 1e-9 && s.Height >= 1)
        {
            return (int)Math.Round(s.Height);
        }

        throw DeployException.BadInput($"the scale of {Path.GetFileName(modelPath)} cannot be derived as one integer factor ({analysis.Scale?.Display ?? "no 4-D input/output pair"}): set scale in the config");
    }

    private static HashSet<string> CustomDomains(string modelPath)
    {
        using var model = OnnxModel.Load(modelPath);
        return model.Proto.OpsetImport
            .Select(i => GraphNode.NormalizeDomain(i.Domain))
            .Where(d => d.Length > 0 && d != "ai.onnx.ml")
            .ToHashSet(StringComparer.Ordinal);
    }

    private static void CopyModel(string source, string destination)
    {
        File.Copy(source, destination, overwrite: true);
        using var model = OnnxModel.Load(source);
        foreach (var data in model.ExternalDataFileNames())
        {
            File.Copy(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(source))!, data), Path.Combine(Path.GetDirectoryName(destination)!, data), overwrite: true);
        }
    }

    private static BundlePlugin StagePlugin(string staging, string? prebuilt, List<string> notes)
    {
        var sourceDirectory = BundleLayout.PluginSourceDirectory;
        var hashes = new List<(string, string)>();
        foreach (var (path, content) in PluginSourceTree.Files())
        {
            var target = Path.Combine(staging, sourceDirectory, path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(target, content);
            hashes.Add((path, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))));
        }

        string? library = null;
        string? machine = null;
        if (prebuilt is not null)
        {
            machine = ElfMachine(prebuilt) ?? throw DeployException.BadInput($"{prebuilt} is not an ELF shared library");
            library = $"{BundleLayout.PluginLibraryDirectory}/{PluginSourceTree.LibraryName}";
            Directory.CreateDirectory(Path.Combine(staging, BundleLayout.PluginLibraryDirectory));
            File.Copy(prebuilt, Path.Combine(staging, library));
            notes.Add($"prebuilt plugin library shipped for {machine}; build_and_validate.sh builds one from plugin/source unless SRD_PLUGIN_LIB names it");
        }
        else
        {
            notes.Add("no prebuilt plugin library (libsrd_fused_attention_trt.so needs CUDA and TensorRT to build): the device builds it from plugin/source");
        }

        return new BundlePlugin
        {
            Name = PluginSourceTree.PluginName,
            Version = PluginSourceTree.PluginVersion,
            Namespace = PluginSourceTree.PluginNamespace,
            OnnxDomain = PluginSourceTree.OnnxDomain,
            LibraryName = PluginSourceTree.LibraryName,
            Library = library,
            LibraryMachine = machine,
            SourceDirectory = sourceDirectory,
            SourceSha256 = PluginSourceTree.Hash(hashes),
        };
    }

    private static List<BundlePlan> StagePlans(string staging, List<PlanInput> plans)
    {
        var shipped = new List<BundlePlan>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var plan in plans)
        {
            var name = Path.GetFileName(plan.PlanPath);
            if (!names.Add(name))
            {
                throw DeployException.Usage($"two plans are named {name}; give plans distinct file names");
            }

            var file = $"{BundleLayout.PlanDirectory}/{name}";
            Directory.CreateDirectory(Path.Combine(staging, BundleLayout.PlanDirectory));
            File.Copy(plan.PlanPath, Path.Combine(staging, file));
            string? record = null;
            if (plan.BuildRecordPath is not null)
            {
                record = $"{file}.build.json";
                File.Copy(plan.BuildRecordPath, Path.Combine(staging, record));
            }

            shipped.Add(new BundlePlan
            {
                File = file,
                TensorRtVersion = plan.Header.Version.ToString(4),
                BuiltFor = plan.BuiltFor,
                VersionCompatible = plan.VersionCompatible,
                HardwareCompatibilityLevel = plan.HardwareCompatibilityLevel,
                BuildRecord = record,
            });
        }

        return shipped;
    }

    /// <summary>The ELF e_machine of a file as a name (x86_64, aarch64, or the number), or null when it is not ELF.</summary>
    public static string? ElfMachine(string path)
    {
        Span<byte> head = stackalloc byte[20];
        using (var stream = File.OpenRead(path))
        {
            if (stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length)
            {
                return null;
            }
        }

        if (head[0] != 0x7F || head[1] != (byte)'E' || head[2] != (byte)'L' || head[3] != (byte)'F')
        {
            return null;
        }

        var machine = head[5] == 2 ? BinaryPrimitives.ReadUInt16BigEndian(head[18..]) : BinaryPrimitives.ReadUInt16LittleEndian(head[18..]);
        return machine switch
        {
            62 => "x86_64",
            183 => "aarch64",
            _ => $"elf-machine-{machine}",
        };
    }

    private static void WriteText(string staging, string path, string text) =>
        WriteBytes(staging, path, new System.Text.UTF8Encoding(false).GetBytes(text));

    private static void WriteBytes(string staging, string path, byte[] bytes)
    {
        var target = Path.Combine(staging, path);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.WriteAllBytes(target, bytes);
    }
}
