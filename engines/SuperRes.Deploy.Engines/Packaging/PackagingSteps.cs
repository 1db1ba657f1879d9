using System.Text.Json.Nodes;
using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Passes;
using SuperRes.Deploy.Engines.Validation;
using SuperRes.Deploy.Engines.Validation.Reports;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>The optimize step's result as packaging uses it.</summary>
/// <param name="Path">The optimized ONNX model.</param>
/// <param name="Applied">Whether any pass ran (false when the config asks for none).</param>
/// <param name="FusedAttentionNodes">FusedAttention nodes in the optimized model.</param>
/// <param name="Summary">One line per pass result.</param>
public sealed record OptimizedModelFile(string Path, bool Applied, int FusedAttentionNodes, IReadOnlyList<string> Summary)
{
    /// <summary>The optimize report (srdeploy.optimize/1) written beside the model, or null when no pass ran.</summary>
    public string? ReportPath { get; init; }
}

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
/// so package and pipeline run the same code for them.
/// </summary>
public static class PackagingSteps
{

    /// <summary>True when the config asks for at least one pass.</summary>
    public static bool AsksForPasses(OptimizeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.FuseAttention || settings.Fp16 || settings.FoldConstants;
    }

    /// <summary>
    /// Writes the optimized model for <paramref name="config"/> to <paramref name="outputPath"/> with the optimize
    /// passes (<see cref="OptimizePipeline"/>, selected by the config's optimize section: attention fusion into
    /// FusedAttention, fp16 conversion, cleanup), and the optimize report beside it (<c>NAME.optimize.json</c> for
    /// <c>NAME.optimized.onnx</c>). A
    /// config that asks for no pass gets the original model's bytes, reported as such.
    /// </summary>
    public static OptimizedModelFile Optimize(DeployConfig config, string outputPath, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
        if (!AsksForPasses(config.Optimize))
        {
            File.Copy(config.ModelPath, outputPath, overwrite: true);
            log?.Invoke("optimize: the config asks for no pass (fuse_attention, fp16 and fold_constants are off): the model is used as given");
            return new OptimizedModelFile(outputPath, false, 0, ["no pass requested by the config: the model is used as given"]);
        }

        using var model = OnnxModel.Load(config.ModelPath);
        var result = OptimizePipeline.Run(model, OptimizeOptions.FromSettings(config.Optimize), m => log?.Invoke($"optimize: {m}"));
        var report = result.Report;
        report.OutputPath = Path.GetFullPath(outputPath);
        model.Save(outputPath);
        var stem = Path.GetFileNameWithoutExtension(outputPath);
        stem = stem.EndsWith(".optimized", StringComparison.Ordinal) ? stem[..^".optimized".Length] : stem;
        var reportPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outputPath))!, stem + ".optimize.json");
        AtomicFile.WriteAllText(reportPath, report.ToJson().ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        var after = report.After!;
        var summary = new List<string>
        {
            $"passes: {string.Join(", ", report.Passes.Where(p => p.NodesAdded > 0 || p.NodesRemoved > 0).Select(p => p.Name).DefaultIfEmpty("none changed the graph"))}",
            $"nodes {report.Before.Nodes} -> {after.Nodes}; Reshape+Transpose {report.Before.ReshapeTransposeCount} -> {after.ReshapeTransposeCount}",
        };
        if (report.Options.FuseAttention)
        {
            summary.Add($"attention: {report.Attention.Count(a => a.Fused)} of {report.Attention.Count} candidates fused into FusedAttention");
        }

        if (report.Precision is { } precision)
        {
            summary.Add($"fp16: {precision.Result.Fp16Nodes} nodes fp16, {precision.Result.Fp32Nodes.Count} kept fp32, FusedAttention {(precision.Attention == AttentionPrecision.Fp32 ? "fp32" : "fp16")}");
        }

        summary.AddRange(report.Warnings.Select(w => $"warning: {w}"));
        foreach (var line in summary)
        {
            log?.Invoke($"optimize: {line}");
        }

        return new OptimizedModelFile(outputPath, true, after.FusedAttentionNodes, summary) { ReportPath = reportPath };
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

    /// <summary>
    /// ORT original vs ORT optimized (with the project's custom-op library when the model uses FusedAttention) at
    /// <paramref name="shapes"/> (the config's validation shapes, else each profile's min/opt/max: build-engine's plan),
    /// with the config's inputs and tolerances, through the validation engine (<see cref="ModelValidator"/>). The four
    /// reports go to <paramref name="reportDirectory"/> when given. Failed checks are a "failed" summary, not an exception.
    /// </summary>
    public static (BundleValidation Summary, ValidationReportFiles? Files) Validate(
        DeployConfig config, string optimizedModel, IReadOnlyList<IReadOnlyList<ShapeSpec>> shapes, string? reportDirectory,
        string? toolVersion = null, int threads = 0, bool previews = true, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(shapes);
        var report = ModelValidator.Validate(new ValidationRequest
        {
            ReferencePath = config.ModelPath,
            CandidatePath = optimizedModel,
            Config = config,
            Shapes = shapes,
            Inputs = ValidationInputs.Parse(config.Validation.Inputs, config.Validation.Seed, config.Io.ValueRange) with { ImageInput = config.Io.Input },
            Criteria = ValidationCriteria.FromSettings(config.Validation),
            Threads = threads,
            Previews = previews && reportDirectory is not null,
            ToolVersion = toolVersion,
        }, m => log?.Invoke($"validate: {m}"), cancellationToken);
        ValidationReportFiles? files = null;
        if (reportDirectory is not null)
        {
            (report, files) = ValidationReportWriter.Write(report, reportDirectory);
        }

        return (Summarize(config, report), files);
    }

    /// <summary>The manifest's summary of a validation report.</summary>
    public static BundleValidation Summarize(DeployConfig config, ValidationReport report)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(report);
        var cases = report.Cases.Select(c => new BundleValidationCase
        {
            Shape = c.Label,
            Passed = c.Passed,
            MaxAbsError = Finite(c.Outputs.Select(o => o.Comparison?.AbsoluteError.Max ?? double.NaN).DefaultIfEmpty(double.NaN).Max()),
            PsnrDb = Psnr(c.Outputs.Select(o => o.Comparison?.Psnr ?? double.NaN).DefaultIfEmpty(double.NaN).Min()),
        }).ToList();
        return new BundleValidation
        {
            Status = report.Passed ? BundleValidation.Passed : BundleValidation.Failed,
            Reason = report.Passed ? null : report.Summary,
            Comparison = $"{report.ReferenceRunner.Backend} {report.ReferenceRunner.Version}: {Path.GetFileName(report.Reference.Path)} (original) vs {Path.GetFileName(report.Candidate.Path)} (optimized; {report.CandidateRunner.Detail})",
            Atol = config.Validation.Atol,
            Rtol = config.Validation.Rtol,
            Check = config.Validation.Check,
            MaxAbsError = cases.Any(c => c.MaxAbsError is not null) ? cases.Max(c => c.MaxAbsError) : null,
            MinPsnrDb = cases.Any(c => c.PsnrDb is not null) ? cases.Min(c => c.PsnrDb) : null,
            Cases = cases,
        };

        static double? Finite(double value) => double.IsFinite(value) ? value : null;

        // JSON has no infinity: identical outputs are recorded as 999 dB; NaN (non-finite outputs) as null.
        static double? Psnr(double value) => double.IsNaN(value) ? null : Math.Min(value, BundleValidation.PsnrCap);
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
