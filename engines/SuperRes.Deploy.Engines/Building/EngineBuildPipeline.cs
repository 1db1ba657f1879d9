using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Engines.Building;

/// <summary>What <c>srdeploy build-engine</c> is asked to do.</summary>
public sealed record BuildEngineRequest
{
    public required DeployConfig Config { get; init; }

    public BuildOverrides Overrides { get; init; } = new();

    /// <summary>Folder the engine, its build record (and the dry-run plan) are published to.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Explicit engine file (trtexec's --saveEngine); default OUT/NAME.plan.</summary>
    public string? EnginePath { get; init; }

    /// <summary>Plan only: run inspect, optimize and profile planning, write the plan JSON, build nothing.</summary>
    public bool DryRun { get; init; }

    public bool UseCache { get; init; } = true;

    public string CacheDirectory { get; init; } = EngineCache.DefaultDirectory;

    /// <summary>Run the validate step (TensorRT vs ONNX Runtime) after the build.</summary>
    public bool Validate { get; init; } = true;

    /// <summary>The srdeploy version written into the build record.</summary>
    public string ToolVersion { get; init; } = "0.0.0";
}

/// <summary>What a build-engine run produced.</summary>
/// <param name="Plan">The build plan (the dry run's JSON document, also embedded in the record).</param>
/// <param name="Explain">The <c>--explain</c> lines: precision, optimize and profile decisions.</param>
/// <param name="EnginePath">The published engine (null for a dry run).</param>
/// <param name="RecordPath">The published build record (null for a dry run).</param>
/// <param name="PlanPath">The published plan JSON (dry run only).</param>
/// <param name="CacheHit">The engine came from the engine cache.</param>
/// <param name="Validation">The validate step's verdict (null when it did not run).</param>
public sealed record BuildEngineResult(
    JsonObject Plan,
    IReadOnlyList<string> Explain,
    string? EnginePath,
    string? RecordPath,
    string? PlanPath,
    bool CacheHit,
    EngineValidationSummary? Validation);

/// <summary>
/// <c>srdeploy build-engine</c>'s pipeline: inspect (analysis and lints; errors stop) → optimize (the graph passes, per
/// config) → plan profiles (from targets, or explicit ones checked) → build (TensorRT through the shim, or the engine
/// cache) → validate (TensorRT vs ONNX Runtime on the original model at each profile's min/opt/max) → record (a build
/// record JSON next to the engine). Everything is written into a staging folder inside the output folder and moved
/// into place only at the end; any failure removes it, so a failed build leaves no file behind. Without TensorRT every
/// step before the build runs, then the build stops with a missing-component error naming what to install.
/// </summary>
public sealed class EngineBuildPipeline(EngineBuildSteps steps)
{
    public const string PlanSchema = "srdeploy.build-plan/1";
    public const string RecordSchema = "srdeploy.build-record/1";

    /// <summary>Targets planned for when a config has neither profiles nor targets.</summary>
    public static readonly IReadOnlyList<PlannerTarget> DefaultTargets =
        [new("540p", 960, 540), new("720p", 1280, 720), new("1080p", 1920, 1080)];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public BuildEngineResult Run(BuildEngineRequest request, IBuildLog log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(log);
        var config = request.Config;
        var settings = EngineBuildSettings.Resolve(config, request.Overrides);
        var env = steps.ProbeTensorRt();
        log.Info(env.Usable
            ? $"TensorRT {env.RuntimeVersion?.ToString(3)}{(env.IsTestDouble ? " (test double)" : string.Empty)} on {env.Gpu?.ToString() ?? "no CUDA device"}"
            : $"TensorRT is not usable here ({env.Problem}); every step up to the build runs");

        using var staging = new OutputStaging(request.OutputDirectory);

        // ---- 1. inspect --------------------------------------------------------------------------------------------
        var modelPath = Path.GetFullPath(request.Overrides.OnnxPath ?? config.ModelPath);
        if (!File.Exists(modelPath))
        {
            throw DeployException.BadInput($"model not found: {modelPath}");
        }

        using var model = OnnxModel.Load(modelPath);
        var graph = OnnxGraph.FromModel(model);
        GraphValidator.EnsureValid(graph, model.DisplayName);
        var analysis = ModelAnalysis.Run(graph);
        var errors = analysis.Lints.Where(l => l.Severity == LintSeverity.Error).ToList();
        foreach (var lint in analysis.Lints.Where(l => l.Severity != LintSeverity.Error))
        {
            log.Warning($"{model.DisplayName}: {lint.Id} {lint.Name}: {lint.Message}");
        }

        if (errors.Count > 0)
        {
            var more = errors.Count > 1 ? $" (and {errors.Count - 1} more; see srdeploy inspect)" : string.Empty;
            throw DeployException.BadInput($"{model.DisplayName} cannot be deployed: {errors[0].Id} {errors[0].Name}: {errors[0].Message}{more}");
        }

        var modelSha = ModelSha256(modelPath, model);
        log.Info($"inspect: {model.DisplayName}, {graph.Nodes.Count} nodes, scale {analysis.Scale?.Display ?? "unknown"}, {analysis.Lints.Count} lint warning(s)");
        cancellationToken.ThrowIfCancellationRequested();

        // ---- 2. optimize -------------------------------------------------------------------------------------------
        var precision = PrecisionPlan.Resolve(settings.Fp16, settings.StronglyTyped, env.RuntimeVersion);
        var optimized = Optimize(config, model, modelPath, modelSha, analysis, precision, env, staging, log);
        using var optimizedModel = optimized.Owned;
        cancellationToken.ThrowIfCancellationRequested();

        // ---- 3. plan profiles --------------------------------------------------------------------------------------
        var profiles = PlanProfiles(config, request.Overrides, optimized.Analysis, log);

        // ---- plugins and cache key ---------------------------------------------------------------------------------
        var plugins = ResolvePlugins(settings, optimized.Analysis);
        var cache = request.UseCache ? new EngineCache(request.CacheDirectory) : null;
        EngineCacheKey? key = null;
        string cacheNote;
        if (cache is null)
        {
            cacheNote = "disabled (--no-cache)";
        }
        else if (env is { Usable: true, RuntimeVersion: { } runtime, Gpu: { } gpu } && plugins.All(p => p.Found))
        {
            key = EngineCacheKey.Compute(optimized.Sha256, runtime, gpu, precision, settings, profiles.Engine,
                [.. plugins.Select(p => new PluginLibraryInfo(p.Path!, p.Sha256!, p.Bytes))]);
            cacheNote = "key computed";
        }
        else
        {
            cacheNote = "no key: the key needs the TensorRT runtime version and the GPU";
        }

        var validationShapes = ValidationShapes(config, profiles.Engine);
        var enginePath = Path.GetFullPath(request.EnginePath ?? Path.Combine(request.OutputDirectory, config.Name + ".plan"));
        var recordPath = enginePath + ".build.json";
        if (request.EnginePath is null)
        {
            recordPath = Path.Combine(Path.GetFullPath(request.OutputDirectory), config.Name + ".build.json");
        }

        var explain = ExplainLines(precision, optimized, profiles, plugins, settings);
        var plan = PlanDocument(config, modelPath, modelSha, graph, analysis, env, precision, settings, optimized, profiles, plugins,
            request, cache, key, cacheNote, validationShapes, enginePath, recordPath, explain);

        if (request.DryRun)
        {
            var planPath = staging.Stage(config.Name + ".build-plan.json");
            File.WriteAllText(planPath, plan.ToJsonString(Indented));
            staging.DiscardStaged(optimized.StagedPath);
            var published = staging.Publish();
            log.Info($"dry run: plan written to {published[planPath]}; nothing built");
            return new BuildEngineResult(plan, explain, null, null, published[planPath], false, null);
        }

        // ---- 4. build ----------------------------------------------------------------------------------------------
        if (!env.Usable)
        {
            var missingPlugins = plugins.Where(p => !p.Found).Select(p => p.Name).ToList();
            var also = missingPlugins.Count > 0 ? $"; also missing: TensorRT plugin {string.Join(", ", missingPlugins)}" : string.Empty;
            throw DeployException.MissingComponent(env.MissingMessage("build-engine") + also);
        }

        if (plugins.FirstOrDefault(p => !p.Found) is { } missing)
        {
            throw DeployException.MissingComponent(
                $"TensorRT plugin library {missing.Name} is needed ({(settings.Plugins.Count > 0 ? "given" : $"{optimized.Analysis.FusedAttention.Count} FusedAttention node(s)")}) but not found (tried {string.Join("; ", missing.Tried)}); build it with CUDA and TensorRT headers (plugins/fused_attention/README.md) or pass --plugins");
        }

        byte[]? planBytes = null;
        var cacheHit = false;
        JsonObject? timingCacheJson = null;
        if (cache is not null && key is not null)
        {
            var lookup = cache.TryGet(key, env.RuntimeVersion!);
            if (lookup.Hit)
            {
                planBytes = lookup.Plan!;
                cacheHit = true;
                log.Info($"engine cache hit: reusing {cache.EntryDirectory(key)} (key {key.Value[..16]}…); not rebuilding");
            }
            else
            {
                log.Info($"engine cache miss ({lookup.Reason}): building");
            }
        }

        if (planBytes is null)
        {
            (planBytes, timingCacheJson) = Compile(optimized.ParsePath, precision, settings, profiles.Engine, plugins, log, cancellationToken);
        }

        var header = Interop.TensorRT.TrtPlanHeader.TryRead(planBytes);
        cancellationToken.ThrowIfCancellationRequested();

        // ---- 5. validate -------------------------------------------------------------------------------------------
        EngineValidationSummary? validation = null;
        JsonObject validationJson;
        if (!request.Validate)
        {
            validationJson = new JsonObject { ["status"] = "skipped", ["reason"] = "--no-validate" };
            log.Warning("validate: skipped (--no-validate); the engine is not compared with ONNX Runtime");
        }
        else if (steps.Validator is null)
        {
            validationJson = new JsonObject
            {
                ["status"] = "not-run",
                ["reason"] = "the validation engine (TensorRT vs ONNX Runtime) is not part of this build of srdeploy",
            };
            log.Warning("validate: not run: the validation engine is not part of this build of srdeploy; the engine is unverified");
        }
        else
        {
            var reportDirectory = staging.StageDirectory(config.Name + ".validation");
            validation = steps.Validator.Validate(new EngineValidationRequest(modelPath, planBytes, Path.GetFileName(enginePath),
                [.. plugins.Select(p => p.Path!)], validationShapes, config.Validation, reportDirectory, config.Io.ValueRange), log, cancellationToken);
            validationJson = new JsonObject
            {
                ["status"] = validation.Passed ? "passed" : "failed",
                ["summary"] = validation.Summary,
                ["cases"] = new JsonArray([.. validation.Cases.Select(c => (JsonNode)new JsonObject
                {
                    ["shape"] = c.Shape,
                    ["passed"] = c.Passed,
                    ["maxAbsError"] = double.IsFinite(c.MaxAbsError) ? c.MaxAbsError : null, // NaN outputs: JSON has no NaN
                    ["psnrDb"] = c.PsnrDb,
                    ["detail"] = c.Detail,
                })]),
            };
            if (!validation.Passed)
            {
                throw DeployException.CheckFailed($"validate: the engine does not match ONNX Runtime within the config's tolerances: {validation.Summary}; nothing was published");
            }

            log.Info($"validate: passed: {validation.Summary}");
        }

        // ---- 6. record and publish ---------------------------------------------------------------------------------
        var record = new JsonObject
        {
            ["schema"] = RecordSchema,
            ["tool"] = new JsonObject { ["name"] = "srdeploy", ["version"] = request.ToolVersion },
            ["createdUtc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["name"] = config.Name,
            ["config"] = config.SourcePath is { } cp && File.Exists(cp)
                ? new JsonObject { ["path"] = cp, ["sha256"] = Hashing.Sha256File(cp) }
                : null,
            ["model"] = new JsonObject { ["path"] = modelPath, ["sha256"] = modelSha },
            ["optimizedModel"] = OptimizeJson(optimized),
            ["engine"] = new JsonObject
            {
                ["path"] = enginePath,
                ["sha256"] = Hashing.Sha256Hex(planBytes),
                ["bytes"] = planBytes.Length,
                ["planTensorRtVersion"] = header?.Version.ToString(),
            },
            ["tensorrt"] = BuildJson.TensorRt(env),
            ["precision"] = PrecisionJson(precision),
            ["flags"] = BuildJson.Flags(precision, settings, includePaths: true),
            ["profiles"] = ProfilesJson(profiles),
            ["plugins"] = new JsonArray([.. plugins.Select(p => (JsonNode)BuildJson.Plugin(p, settings.SerializePlugins))]),
            ["timingCache"] = timingCacheJson,
            ["cache"] = new JsonObject
            {
                ["enabled"] = cache is not null,
                ["directory"] = cache?.Directory,
                ["key"] = key?.Value,
                ["hit"] = cacheHit,
            },
            ["validation"] = validationJson,
            ["explain"] = BuildJson.Strings(explain),
        };

        var stagedEngine = staging.Stage(config.Name + ".plan", enginePath);
        File.WriteAllBytes(stagedEngine, planBytes);
        var stagedRecord = staging.Stage(config.Name + ".build.json", recordPath);
        File.WriteAllText(stagedRecord, record.ToJsonString(Indented));
        var moved = staging.Publish();
        log.Info($"engine: {moved[stagedEngine]} ({planBytes.Length} bytes{(cacheHit ? ", from the engine cache" : string.Empty)}); record: {moved[stagedRecord]}");

        if (cache is not null && key is not null && !cacheHit)
        {
            cache.Store(key, planBytes, record);
            log.Debug($"engine cache: stored {cache.EntryDirectory(key)}");
        }

        return new BuildEngineResult(plan, explain, moved[stagedEngine], moved[stagedRecord], null, cacheHit, validation);
    }

    // ---- steps ------------------------------------------------------------------------------------------------------

    private sealed record OptimizeOutcome(
        string Status, string ParsePath, string? StagedPath, string Sha256, ModelAnalysis Analysis, IReadOnlyList<string> Passes, IReadOnlyList<string> Notes)
    {
        /// <summary>The optimizer's model when it is a new one (disposed when the run ends; the analysis may read it).</summary>
        public OnnxModel? Owned { get; init; }
    }

    private OptimizeOutcome Optimize(DeployConfig config, OnnxModel model, string modelPath, string modelSha, ModelAnalysis analysis,
        PrecisionPlan precision, TensorRtEnvironment env, OutputStaging staging, IBuildLog log)
    {
        var settings = config.Optimize;
        if (steps.Optimizer is null)
        {
            if (precision.ConvertModelToFp16 && env.Usable)
            {
                throw DeployException.MissingComponent(
                    $"fp16 on TensorRT {env.RuntimeVersion?.ToString(3)} needs the model converted to fp16 (the optimize step's fp16 pass), which this build of srdeploy does not have; build fp32, or use TensorRT ≤ 10.11 (legacy kFP16 flag)");
            }

            var notes = new List<string> { "the graph passes (attention fusion, fp16 conversion) are not part of this build of srdeploy: the model is built as exported" };
            if (precision.ConvertModelToFp16)
            {
                notes.Add("fp16 conversion not done (TensorRT is absent, so the build stops before it matters)");
            }

            log.Warning("optimize: " + string.Join("; ", notes));
            return new OptimizeOutcome("not-available", modelPath, null, modelSha, analysis, [], notes);
        }

        if (!settings.FuseAttention && !settings.FoldConstants && !precision.ConvertModelToFp16)
        {
            log.Info("optimize: every pass is disabled by the config");
            return new OptimizeOutcome("disabled", modelPath, null, modelSha, analysis, [], ["every pass is disabled by the config"]);
        }

        // The passes may rewrite in place: they get a copy, so the inspected model and its analysis stay as they were.
        var copy = OnnxModel.FromProto(model.Proto.Clone(), model.BaseDirectory);
        OptimizedModel result;
        try
        {
            result = steps.Optimizer.Optimize(copy, new ModelOptimizeRequest(settings, precision.ConvertModelToFp16), log);
        }
        catch
        {
            copy.Dispose();
            throw;
        }

        if (!ReferenceEquals(result.Model, copy))
        {
            copy.Dispose();
        }

        if (precision.ConvertModelToFp16 && !result.ConvertedToFp16)
        {
            throw new InvalidOperationException("the optimizer did not convert the model to fp16 although asked to");
        }

        if (result.AppliedPasses.Count == 0)
        {
            log.Info("optimize: no pass changed the model");
            return new OptimizeOutcome("unchanged", modelPath, null, modelSha, analysis, [], result.Notes)
            {
                Owned = result.Model,
            };
        }

        var bytes = result.Model.ToBytesWithInlineData();
        var staged = staging.Stage(config.Name + ".optimized.onnx");
        File.WriteAllBytes(staged, bytes);
        var optimizedGraph = OnnxGraph.FromModel(result.Model);
        GraphValidator.EnsureValid(optimizedGraph, "the optimized model");
        var optimizedAnalysis = ModelAnalysis.Run(optimizedGraph);
        log.Info($"optimize: {string.Join(", ", result.AppliedPasses)}; {optimizedAnalysis.FusedAttention.Count} FusedAttention node(s)");
        return new OptimizeOutcome("applied", staged, staged, Hashing.Sha256Hex(bytes), optimizedAnalysis, result.AppliedPasses, result.Notes)
        {
            Owned = result.Model,
        };
    }

    /// <summary>The profiles to build, planned or explicit, with the planner's plan when there is one.</summary>
    private sealed record ProfileOutcome(string Source, IReadOnlyList<EngineProfile> Engine, ProfilePlan? Planned, IReadOnlyList<string> Checks, IReadOnlyList<ShapeCost?> MaxCosts);

    private static ProfileOutcome PlanProfiles(DeployConfig config, BuildOverrides overrides, ModelAnalysis analysis, IBuildLog log)
    {
        var explicitProfiles = overrides.Profiles is { Count: > 0 } cli ? cli : config.Profiles;
        if (explicitProfiles.Count > 0)
        {
            var source = overrides.Profiles is { Count: > 0 } ? "command line" : "config";
            var (engine, checks, costs) = CheckExplicit(explicitProfiles, analysis, config.Targets?.ActivationMemoryBudget, source);
            foreach (var c in checks)
            {
                log.Info($"profiles: {c}");
            }

            return new ProfileOutcome(source, engine, null, checks, costs);
        }

        var request = config.Targets is { } targets
            ? ProfilePlanRequest.FromConfig(targets)
            : new ProfilePlanRequest { Targets = DefaultTargets };
        var sizeModel = AnalysisProfileSizeModel.From(analysis, config.Io.Input);
        var plan = ProfilePlanner.Plan(request, sizeModel);
        var engineProfiles = plan.Profiles
            .Select(p => new EngineProfile([new EngineProfileInput(plan.InputName, p.Min.Dims, p.Opt.Dims, p.Max.Dims)]))
            .ToList();
        log.Info($"profiles: planned {plan.Profiles.Count} profile(s) for {plan.Targets.Count} target shape(s){(config.Targets is null ? " (default targets 540p, 720p, 1080p: the config has none)" : string.Empty)}; "
            + string.Join("; ", plan.Profiles.Select(p => $"{p.Index}: {p.Min} .. {p.Opt} .. {p.Max}")));
        return new ProfileOutcome(config.Targets is null ? "planned (default targets)" : "planned", engineProfiles, plan, [],
            [.. plan.Profiles.Select(p => (ShapeCost?)p.MaxCost)]);
    }

    /// <summary>Checks explicit profiles against the model: every input covered with the right rank and static
    /// dims, min/opt/max within the size rules, TensorRT's element limit at max; an exceeded budget is a warning.</summary>
    private static (IReadOnlyList<EngineProfile>, IReadOnlyList<string>, IReadOnlyList<ShapeCost?>) CheckExplicit(
        IReadOnlyList<ProfileSettings> profiles, ModelAnalysis analysis, long? budget, string source)
    {
        var inputs = analysis.Graph.Inputs.Where(i => !i.IsInitializer).Select(i => i.Name).ToList();
        var engine = new List<EngineProfile>();
        var checks = new List<string>();
        var costs = new List<ShapeCost?>();
        for (var index = 0; index < profiles.Count; index++)
        {
            var p = profiles[index];
            var list = new List<EngineProfileInput>();
            foreach (var name in inputs)
            {
                var min = p.Min.FirstOrDefault(s => s.Name == name);
                var opt = p.Opt.FirstOrDefault(s => s.Name == name);
                var max = p.Max.FirstOrDefault(s => s.Name == name);
                if (min is null || opt is null || max is null)
                {
                    throw DeployException.BadInput($"profile {index} ({source}) gives no min/opt/max for input '{name}' (inputs: {string.Join(", ", inputs)})");
                }

                list.Add(new EngineProfileInput(name, [.. min.Dims], [.. opt.Dims], [.. max.Dims]));
            }

            var unknown = p.Opt.Concat(p.Min).Concat(p.Max).Select(s => s.Name).FirstOrDefault(n => !inputs.Contains(n));
            if (unknown is not null)
            {
                throw DeployException.BadInput($"profile {index} ({source}) names '{unknown}', which is not an input of the model (inputs: {string.Join(", ", inputs)})");
            }

            foreach (var input in list)
            {
                if (input.Min.Length != input.Opt.Length || input.Opt.Length != input.Max.Length
                    || input.Min.Zip(input.Opt).Any(x => x.First > x.Second) || input.Opt.Zip(input.Max).Any(x => x.First > x.Second))
                {
                    throw DeployException.BadInput($"profile {index} ({source}) input '{input.Name}': min ≤ opt ≤ max must hold per axis with equal ranks ({string.Join('x', input.Min)} / {string.Join('x', input.Opt)} / {string.Join('x', input.Max)})");
                }
            }

            ShapeCost? maxCost = null;
            foreach (var (corner, pick) in new (string, Func<EngineProfileInput, long[]>)[] { ("min", i => i.Min), ("opt", i => i.Opt), ("max", i => i.Max) })
            {
                var shapes = list.ToDictionary(i => i.Name, pick, StringComparer.Ordinal);
                AnalysisAtShape at;
                try
                {
                    at = analysis.At(shapes);
                }
                catch (DeployException e)
                {
                    throw DeployException.BadInput($"profile {index} ({source}) {corner}: {e.Message}");
                }

                if (at.Violations.Count > 0)
                {
                    throw DeployException.BadInput($"profile {index} ({source}) {corner} {Describe(shapes)} breaks the model's size constraints: {at.Violations[0].Describe()}");
                }

                if (corner == "max")
                {
                    maxCost = new ShapeCost(at.Cost.PeakActivationBytes, at.Cost.LargestTensorElements, at.Cost.LargestTensor?.Name, at.Cost.UnknownSizeValues);
                    if (at.Cost.LargestTensorElements > TensorRtLimits.MaxTensorElements)
                    {
                        throw DeployException.BadInput(
                            $"profile {index} ({source}) max {Describe(shapes)}: tensor '{at.Cost.LargestTensor?.Name}' would have {at.Cost.LargestTensorElements:N0} elements, over TensorRT's limit of {TensorRtLimits.MaxTensorElements:N0}; lower the max shape or tile");
                    }

                    var memory = $"peak activation {ByteSize.Format(at.Cost.PeakActivationBytes)} at max";
                    checks.Add(budget is { } b && at.Cost.PeakActivationBytes > b
                        ? $"profile {index} ({source}): within the size rules; WARNING {memory} exceeds targets.memory_budget {ByteSize.Format(b)}"
                        : $"profile {index} ({source}): within the size rules and TensorRT's element limit; {memory}");
                }
            }

            engine.Add(new EngineProfile(list));
            costs.Add(maxCost);
        }

        return (engine, checks, costs);
    }

    private static string Describe(IReadOnlyDictionary<string, long[]> shapes) =>
        string.Join(",", shapes.Select(kv => $"{kv.Key}:{string.Join('x', kv.Value)}"));

    private static IReadOnlyList<LocatedLibrary> ResolvePlugins(EngineBuildSettings settings, ModelAnalysis analysis)
    {
        if (settings.Plugins.Count > 0)
        {
            return [.. settings.Plugins.Select(p => PluginLibraries.Describe(p))];
        }

        return analysis.FusedAttention.Count > 0 ? [PluginLibraries.Locate(PluginLibraries.FusedAttentionTensorRt)] : [];
    }

    private static IReadOnlyList<IReadOnlyList<ShapeSpec>> ValidationShapes(DeployConfig config, IReadOnlyList<EngineProfile> profiles)
    {
        if (config.Validation.Shapes.Count > 0)
        {
            return config.Validation.Shapes;
        }

        var result = new List<IReadOnlyList<ShapeSpec>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var profile in profiles)
        {
            foreach (var pick in new Func<EngineProfileInput, long[]>[] { i => i.Min, i => i.Opt, i => i.Max })
            {
                var shapes = profile.Inputs.Select(i => new ShapeSpec(i.Name, pick(i))).ToList();
                if (seen.Add(string.Join(",", shapes)))
                {
                    result.Add(shapes);
                }
            }
        }

        return result;
    }

    private (byte[] Plan, JsonObject? TimingCache) Compile(string parsePath, PrecisionPlan precision, EngineBuildSettings settings,
        IReadOnlyList<EngineProfile> profiles, IReadOnlyList<LocatedLibrary> plugins, IBuildLog log, CancellationToken cancellationToken)
    {
        byte[]? loaded = null;
        string? loadedHash = null;
        var cachePath = settings.TimingCachePath;
        if (cachePath is not null && File.Exists(cachePath))
        {
            loaded = File.ReadAllBytes(cachePath);
            loadedHash = Hashing.Sha256Hex(loaded);
            log.Info($"timing cache: loading {cachePath} ({loaded.Length} bytes)");
        }

        byte[]? Newer()
        {
            if (cachePath is null || !File.Exists(cachePath))
            {
                return null;
            }

            var now = File.ReadAllBytes(cachePath);
            return Hashing.Sha256Hex(now) == loadedHash ? null : now;
        }

        var compiled = steps.Compiler.Compile(new EngineCompileRequest(parsePath, precision, settings, profiles,
            [.. plugins.Select(p => p.Path!)], loaded, Newer), log, cancellationToken);
        JsonObject? timing = null;
        if (cachePath is not null)
        {
            AtomicFile.WriteAllBytes(cachePath, compiled.TimingCache);
            log.Info($"timing cache: saved {cachePath} ({compiled.TimingCache.Length} bytes)");
            timing = new JsonObject
            {
                ["path"] = cachePath,
                ["loadedBytes"] = loaded?.Length ?? 0,
                ["savedBytes"] = compiled.TimingCache.Length,
                ["sha256"] = Hashing.Sha256Hex(compiled.TimingCache),
            };
        }

        return (compiled.Plan, timing);
    }

    // ---- documents --------------------------------------------------------------------------------------------------

    private static List<string> ExplainLines(PrecisionPlan precision, OptimizeOutcome optimized, ProfileOutcome profiles,
        IReadOnlyList<LocatedLibrary> plugins, EngineBuildSettings settings)
    {
        var lines = new List<string>
        {
            $"precision: {precision.Why}",
            $"optimize: {optimized.Status}{(optimized.Passes.Count > 0 ? ": " + string.Join(", ", optimized.Passes) : string.Empty)}",
        };
        lines.AddRange(optimized.Notes.Select(n => "  " + n));
        if (optimized.Analysis.FusedAttention.Count > 0)
        {
            lines.Add($"  {optimized.Analysis.FusedAttention.Count} FusedAttention node(s): {string.Join(", ", optimized.Analysis.FusedAttention.Select(f => f.Node.DisplayName))}");
        }

        lines.Add(plugins.Count == 0
            ? "plugins: none (no plugin op in the model and none given)"
            : "plugins: " + string.Join(", ", plugins.Select(p => $"{p.Name} {(p.Found ? $"({p.Path})" : "(NOT FOUND)")}{(settings.SerializePlugins ? ", embedded in the plan" : string.Empty)}")));
        if (profiles.Planned is { } plan)
        {
            lines.Add($"profiles: {profiles.Source}");
            lines.AddRange(plan.Explain().Select(l => "  " + l));
        }
        else
        {
            lines.Add($"profiles: explicit ({profiles.Source}), used as given after checking");
            lines.AddRange(profiles.Checks.Select(c => "  " + c));
        }

        return lines;
    }

    private static JsonObject PrecisionJson(PrecisionPlan precision) => new()
    {
        ["requested"] = precision.Requested,
        ["typing"] = precision.TypingName,
        ["fp16BuilderFlag"] = precision.Fp16BuilderFlag,
        ["convertModelToFp16"] = precision.ConvertModelToFp16,
        ["why"] = precision.Why,
    };

    private static JsonObject OptimizeJson(OptimizeOutcome optimized) => new()
    {
        ["status"] = optimized.Status,
        ["sha256"] = optimized.Sha256,
        ["passes"] = BuildJson.Strings(optimized.Passes),
        ["notes"] = BuildJson.Strings(optimized.Notes),
        ["fusedAttentionNodes"] = new JsonArray([.. optimized.Analysis.FusedAttention.Select(f => (JsonNode)new JsonObject
        {
            ["node"] = f.Node.DisplayName,
            ["attributes"] = new JsonObject(f.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal)
                .Select(a => KeyValuePair.Create(a.Key, (JsonNode?)JsonValue.Create(a.Value)))),
        })]),
    };

    private static JsonArray ProfilesJson(ProfileOutcome profiles)
    {
        var array = BuildJson.Profiles(profiles.Engine);
        for (var i = 0; i < array.Count; i++)
        {
            var item = (JsonObject)array[i]!;
            item["source"] = profiles.Source;
            if (profiles.Planned is { } plan)
            {
                var p = plan.Profiles[i];
                item["covers"] = BuildJson.Strings(p.Covers);
                item["reasons"] = BuildJson.Strings(p.Reasons);
                item["expected"] = new JsonObject
                {
                    ["min"] = BuildJson.Cost(p.MinCost),
                    ["opt"] = BuildJson.Cost(p.OptCost),
                    ["max"] = BuildJson.Cost(p.MaxCost),
                };
            }
            else if (profiles.MaxCosts[i] is { } cost)
            {
                item["expected"] = new JsonObject { ["max"] = BuildJson.Cost(cost) };
            }
        }

        return array;
    }

    private static JsonObject PlanDocument(DeployConfig config, string modelPath, string modelSha, OnnxGraph graph, ModelAnalysis analysis,
        TensorRtEnvironment env, PrecisionPlan precision, EngineBuildSettings settings, OptimizeOutcome optimized, ProfileOutcome profiles,
        IReadOnlyList<LocatedLibrary> plugins, BuildEngineRequest request, EngineCache? cache, EngineCacheKey? key, string cacheNote,
        IReadOnlyList<IReadOnlyList<ShapeSpec>> validationShapes, string enginePath, string recordPath, IReadOnlyList<string> explain)
    {
        var timingCache = settings.TimingCachePath;
        var flags = BuildJson.Flags(precision, settings, includePaths: false);
        flags["timingCache"] = timingCache is null ? null : new JsonObject
        {
            ["path"] = timingCache,
            ["exists"] = File.Exists(timingCache),
            ["bytes"] = File.Exists(timingCache) ? new FileInfo(timingCache).Length : null,
        };
        var planned = profiles.Planned;
        return new JsonObject
        {
            ["schema"] = PlanSchema,
            ["name"] = config.Name,
            ["config"] = config.SourcePath,
            ["model"] = new JsonObject
            {
                ["path"] = modelPath,
                ["sha256"] = modelSha,
                ["nodes"] = graph.Nodes.Count,
                ["scale"] = analysis.Scale?.Display,
            },
            ["lints"] = new JsonArray([.. analysis.Lints.Select(l => (JsonNode)BuildJson.Lint(l))]),
            ["tensorrt"] = BuildJson.TensorRt(env),
            ["precision"] = PrecisionJson(precision),
            ["optimize"] = OptimizeJson(optimized),
            ["flags"] = flags,
            ["plugins"] = new JsonArray([.. plugins.Select(p => (JsonNode)BuildJson.Plugin(p, settings.SerializePlugins))]),
            ["profiles"] = ProfilesJson(profiles),
            ["targets"] = planned is null ? new JsonArray() : new JsonArray([.. planned.Targets.Select(t => (JsonNode)new JsonObject
            {
                ["target"] = t.Target,
                ["orientation"] = t.Orientation.ToString().ToLowerInvariant(),
                ["width"] = t.Width,
                ["height"] = t.Height,
                ["engineShape"] = BuildJson.Dims([planned.Batch, planned.Channels, t.EngineHeight, t.EngineWidth]),
                ["tiled"] = t.Tiled,
                ["why"] = t.Why,
                ["profile"] = t.Profile,
            })]),
            ["tile"] = planned?.TileHeight is { } th ? new JsonObject { ["height"] = th, ["width"] = planned.TileWidth } : null,
            ["validation"] = BuildJson.Validation(config.Validation, validationShapes),
            ["cache"] = new JsonObject
            {
                ["enabled"] = cache is not null,
                ["directory"] = cache?.Directory,
                ["key"] = key?.Value,
                ["note"] = cacheNote,
            },
            ["outputs"] = new JsonObject
            {
                ["engine"] = enginePath,
                ["record"] = recordPath,
            },
            ["explain"] = BuildJson.Strings(explain),
        };
    }

    /// <summary>sha256 over the model file and, in order, its external data files.</summary>
    private static string ModelSha256(string path, OnnxModel model)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in new[] { path }.Concat(model.ExternalDataFileNames()))
        {
            using var stream = File.OpenRead(file);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
