using System.Text.Json.Nodes;
using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Configuration;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>The optimize step's result as packaging uses it.</summary>
/// <param name="Path">The optimized ONNX model.</param>
/// <param name="Applied">Whether any pass ran (false when the config asks for none).</param>
/// <param name="FusedAttentionNodes">FusedAttention nodes in the optimized model.</param>
/// <param name="Summary">One line per pass result.</param>
public sealed record OptimizedModelFile(string Path, bool Applied, int FusedAttentionNodes, IReadOnlyList<string> Summary);

/// <summary>
/// What build-engine's dry run decided for a config: the profiles (explicit, or planned from the targets), the
/// validation shapes, and the engine cache key when TensorRT is usable here.
/// </summary>
/// <param name="PlanJson">The build plan document (schema srdeploy.build-plan/1).</param>
public sealed record BuildPlanSummary(
    IReadOnlyList<BundleProfile> Profiles, IReadOnlyList<IReadOnlyList<ShapeSpec>> ValidationShapes, string? CacheKey, string? CacheDirectory,
    Version? RuntimeVersion, JsonObject PlanJson);

/// <summary>
/// The steps packaging (and <c>srdeploy pipeline</c>) takes from the other engines: optimize (Passes), build-engine's
/// plan (profiles, validation shapes, engine cache), the validation engine (Validation). Each is called through here,
/// so there is one place that says which are available in this build: a step that is not yet part of it fails (or
/// reports) with a message saying so instead of being imitated.
/// </summary>
public static class PackagingSteps
{
    /// <summary>Whether the optimize passes are part of this build.</summary>
    public static bool OptimizeAvailable => false;

    /// <summary>Whether the validation engine is part of this build.</summary>
    public static bool ValidationAvailable => false;

    /// <summary>Why a step is missing, for messages.</summary>
    public const string OptimizeMissing = "the optimize step (graph passes) is not available yet in this build";
    public const string ValidationMissing = "the validation engine is not available yet in this build";

    /// <summary>True when the config asks for at least one pass.</summary>
    public static bool AsksForPasses(OptimizeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.FuseAttention || settings.Fp16 || settings.FoldConstants;
    }

    /// <summary>
    /// Writes the optimized model for <paramref name="config"/> to <paramref name="outputPath"/>. A config that asks for
    /// no pass gets the original model's bytes, reported as such.
    /// </summary>
    /// <exception cref="DeployException">MissingComponent: passes are asked for and the optimize step is not available.</exception>
    public static OptimizedModelFile Optimize(DeployConfig config, string outputPath, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        if (!AsksForPasses(config.Optimize))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
            File.Copy(config.ModelPath, outputPath, overwrite: true);
            log?.Invoke("optimize: the config asks for no pass (fuse_attention, fp16 and fold_constants are off): the model is used as given");
            return new OptimizedModelFile(outputPath, false, 0, ["no pass requested by the config: the model is used as given"]);
        }

        throw DeployException.MissingComponent(
            $"{OptimizeMissing}: cannot make the optimized model config '{config.Name}' asks for (optimize: fuse_attention={Flag(config.Optimize.FuseAttention)}, fp16={Flag(config.Optimize.Fp16)}, fold_constants={Flag(config.Optimize.FoldConstants)})");
    }

    /// <summary>
    /// Runs build-engine's dry run for <paramref name="config"/> (inspect, optimize, profiles; nothing is built) into
    /// <paramref name="workDirectory"/> and reads its plan: the profiles build-engine would build (the config's explicit
    /// ones, checked against the model, or the planner's for the targets), the validation shapes, and the engine cache
    /// key when TensorRT is usable here.
    /// </summary>
    /// <param name="cacheDirectory">build-engine's engine cache; null: no cache key is computed.</param>
    public static BuildPlanSummary PlanBuild(DeployConfig config, string workDirectory, EngineBuildSteps? steps, string? cacheDirectory, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var result = new EngineBuildPipeline(steps ?? EngineBuildSteps.Default).Run(
            new BuildEngineRequest
            {
                Config = config,
                OutputDirectory = workDirectory,
                DryRun = true,
                UseCache = cacheDirectory is not null,
                CacheDirectory = cacheDirectory ?? EngineCache.DefaultDirectory,
                Validate = false,
            },
            new ActionBuildLog(log));
        return ReadPlan(result.Plan);
    }

    /// <summary>The profiles, validation shapes and cache key of a build plan document (srdeploy.build-plan/1).</summary>
    public static BuildPlanSummary ReadPlan(JsonObject plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var profiles = new List<BundleProfile>();
        foreach (var item in plan["profiles"]?.AsArray() ?? [])
        {
            var source = (string?)item!["source"] ?? "config";
            profiles.Add(new BundleProfile
            {
                Index = (int)item["index"]!,
                Source = source.StartsWith("planned", StringComparison.Ordinal) ? "planner" : "config",
                Inputs = [.. item["inputs"]!.AsArray().Select(i => new BundleProfileInput
                {
                    Name = (string)i!["name"]!,
                    Min = Dims(i["min"]),
                    Opt = Dims(i["opt"]),
                    Max = Dims(i["max"]),
                })],
                Covers = [.. (item["covers"]?.AsArray() ?? []).Select(c => (string)c!)],
            });
        }

        var shapes = (plan["validation"]?["shapes"]?.AsArray() ?? [])
            .Select(s => ShapeSpec.ParseList((string)s!)).ToList();
        var runtime = (string?)plan["tensorrt"]?["runtimeVersion"];
        return new BuildPlanSummary(
            profiles, shapes, (string?)plan["cache"]?["key"], (string?)plan["cache"]?["directory"],
            runtime is not null && Version.TryParse(runtime, out var v) ? v : null, plan);

        static IReadOnlyList<long> Dims(JsonNode? node) => [.. node!.AsArray().Select(d => (long)d!)];
    }

    /// <summary>The engine build-engine stored in its cache for <paramref name="plan"/>'s key, or null with the reason.</summary>
    public static (byte[]? Plan, JsonObject? Record, string Reason) CachedEngine(BuildPlanSummary plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.CacheKey is null || plan.CacheDirectory is null || plan.RuntimeVersion is null)
        {
            return (null, null, "no engine cache key (it needs TensorRT and a GPU on this machine)");
        }

        var lookup = new EngineCache(plan.CacheDirectory).TryGet(new EngineCacheKey(plan.CacheKey, new JsonObject()), plan.RuntimeVersion);
        return lookup.Hit ? (lookup.Plan, lookup.Record, "hit") : (null, null, lookup.Reason);
    }

    /// <summary>ORT original vs ORT optimized at the validation shapes.</summary>
    public static BundleValidation Validate(DeployConfig config, string optimizedModel, IReadOnlyList<BundleProfile> profiles, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _ = optimizedModel;
        _ = profiles;
        log?.Invoke($"validate: {ValidationMissing}");
        return NotValidated(config, BundleValidation.NotAvailable, $"{ValidationMissing} (ORT original vs ORT optimized was not run)");
    }

    /// <summary>A validation section for a bundle whose validation did not run.</summary>
    public static BundleValidation NotValidated(DeployConfig config, string status, string reason)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new BundleValidation
        {
            Status = status,
            Reason = reason,
            Comparison = "onnxruntime: original vs optimized model",
            Atol = config.Validation.Atol,
            Rtol = config.Validation.Rtol,
            Check = config.Validation.Check,
            Cases = [],
        };
    }

    private static string Flag(bool value) => value ? "true" : "false";

    /// <summary>build-engine's log into packaging's (debug lines dropped).</summary>
    private sealed class ActionBuildLog(Action<string>? log) : IBuildLog
    {
        public void Info(string message) => log?.Invoke(message);

        public void Warning(string message) => log?.Invoke(message);

        public void Debug(string message)
        {
        }
    }
}
