using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serilog;
using SuperRes.Deploy.Cli.BuildEngine;
using SuperRes.Deploy.Cli.Hosting;
using SuperRes.Deploy.Cli.Inspect;
using SuperRes.Deploy.Cli.Package;
using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Packaging;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Upscaling;

namespace SuperRes.Deploy.Cli.Pipeline;

/// <summary>How a pipeline step ended.</summary>
public enum PipelineStepStatus
{
    /// <summary>The step ran and did its work.</summary>
    Done,

    /// <summary>The step stopped because something it needs is not installed here (e.g. TensorRT); the pipeline went on.</summary>
    Stopped,

    /// <summary>Not run: an earlier step it depends on did not produce its input, or the user left it out.</summary>
    Skipped,

    /// <summary>The step ran and failed (a check failed or an input is bad).</summary>
    Failed,
}

/// <summary>One step's outcome: what happened, in one line, and the files it wrote.</summary>
public sealed record PipelineStep(string Name, PipelineStepStatus Status, string Detail, IReadOnlyDictionary<string, string> Outputs, int ExitCode = 0)
{
    public string StatusText => Status switch
    {
        PipelineStepStatus.Done => "done",
        PipelineStepStatus.Stopped => "stopped",
        PipelineStepStatus.Skipped => "skipped",
        _ => "FAILED",
    };
}

/// <summary>
/// `srdeploy pipeline`: the README's main job as one verb. Runs inspect → optimize → build → validate → package →
/// upscale on one config, through the same engine entry points as the individual verbs, writing every output under
/// --out, and ends by naming the report, the bundle and the image. A step that needs TensorRT stops with a note where TensorRT is absent and the pipeline
/// continues on the ONNX Runtime path. Exit code: 0 when no step failed, else the first failed step's code.
/// </summary>
public sealed class PipelineCommand : VerbCommand<PipelineOptions>
{
    public const string SummarySchema = "srdeploy.pipeline/1";

    public override int Run(PipelineOptions options, ILogger log, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(stdout);
        var config = DeployConfigLoader.Load(options.Config);
        if (options.Image is { } image && !File.Exists(image))
        {
            throw DeployException.BadInput($"image not found: {image}");
        }

        if (options.Threads < 0)
        {
            throw DeployException.Usage("--threads must be 0 (ONNX Runtime's default) or more");
        }

        var outDir = Path.GetFullPath(options.Out);
        Directory.CreateDirectory(outDir);
        var watch = Stopwatch.StartNew();
        stdout.WriteLine($"pipeline {config.Name}: {config.ModelPath} -> {outDir}");
        var run = new PipelineRun(config, outDir, options, log, stdout);
        run.Execute();

        var summaryPath = Path.Combine(outDir, "pipeline.json");
        AtomicFile.WriteAllText(summaryPath, run.Summary(watch.Elapsed).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        stdout.WriteLine();
        stdout.WriteLine("outputs:");
        foreach (var (what, path) in run.Outputs())
        {
            stdout.WriteLine($"  {what,-18} {path}");
        }

        stdout.WriteLine($"  {"summary",-18} {summaryPath}");
        var failed = run.Steps.FirstOrDefault(s => s.Status == PipelineStepStatus.Failed);
        var stopped = run.Steps.Count(s => s.Status == PipelineStepStatus.Stopped);
        stdout.WriteLine(failed is not null
            ? $"pipeline FAILED at {failed.Name}: {failed.Detail}"
            : $"pipeline finished in {watch.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s: {run.Steps.Count(s => s.Status == PipelineStepStatus.Done)} of {run.Steps.Count} steps done"
              + (stopped > 0 ? $", {stopped} stopped (see above)" : string.Empty));
        return failed?.ExitCode ?? (int)ExitCode.Ok;
    }

    /// <summary>build-engine's log into the pipeline's (debug lines at debug level).</summary>
    private sealed class PipelineBuildLog(ILogger log) : IBuildLog
    {
        public void Info(string message) => log.Information("build: {Message}", message);

        public void Warning(string message) => log.Warning("build: {Message}", message);

        public void Debug(string message) => log.Debug("build: {Message}", message);
    }

    /// <summary>The state of one pipeline run: the steps so far and what they produced.</summary>
    private sealed class PipelineRun(DeployConfig config, string outDir, PipelineOptions options, ILogger log, TextWriter stdout)
    {
        private const int StepCount = 6;
        private readonly List<PipelineStep> _steps = [];
        private OptimizedModelFile? _optimized;
        private BundleValidation? _validation;
        private string? _validationReport;
        private BuildPlanSummary? _buildPlan;
        private string? _engine;
        private PackageResult? _bundle;

        public List<PipelineStep> Steps => _steps;

        public void Execute()
        {
            Step("inspect", Inspect);
            Step("optimize", Optimize);
            Step("build", Build);
            Step("validate", Validate);
            Step("package", Package);
            Step("upscale", Upscale);
        }

        public IEnumerable<(string What, string Path)> Outputs()
        {
            foreach (var step in _steps)
            {
                foreach (var (what, path) in step.Outputs)
                {
                    yield return (what, path);
                }
            }

            if (!_steps.Any(s => s.Outputs.ContainsKey("validation report")))
            {
                yield return ("validation report", $"not produced ({_steps.Single(s => s.Name == "validate").StatusText})");
            }

            if (_bundle is null)
            {
                yield return ("bundle", $"not produced ({_steps.Single(s => s.Name == "package").StatusText})");
            }

            if (!_steps.Any(s => s.Outputs.ContainsKey("upscaled image")))
            {
                yield return ("upscaled image", $"not produced ({_steps.Single(s => s.Name == "upscale").StatusText})");
            }
        }

        public JsonObject Summary(TimeSpan elapsed) => new()
        {
            ["schema"] = SummarySchema,
            ["config"] = config.SourcePath,
            ["name"] = config.Name,
            ["out"] = outDir,
            ["seconds"] = Math.Round(elapsed.TotalSeconds, 1),
            ["steps"] = new JsonArray([.. _steps.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.Name,
                ["status"] = s.StatusText,
                ["detail"] = s.Detail,
                ["outputs"] = new JsonObject(s.Outputs.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            })]),
        };

        private void Step(string name, Func<PipelineStep> body)
        {
            var watch = Stopwatch.StartNew();
            PipelineStep step;
            try
            {
                step = body();
            }
            catch (DeployException e)
            {
                step = new PipelineStep(name, PipelineStepStatus.Failed, e.Message, Empty, (int)ExitCodes.For(e));
            }

            _steps.Add(step);
            var seconds = watch.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
            stdout.WriteLine($"[{_steps.Count}/{StepCount}] {name,-9} {step.StatusText,-18} {step.Detail} ({seconds} s)");
            foreach (var (what, path) in step.Outputs)
            {
                stdout.WriteLine($"      {what}: {path}");
            }

            stdout.Flush();
        }

        private static IReadOnlyDictionary<string, string> Empty { get; } = new Dictionary<string, string>();

        private static Dictionary<string, string> Output(string what, string path) => new(StringComparer.Ordinal) { [what] = path };

        private bool Failed => _steps.Any(s => s.Status == PipelineStepStatus.Failed);

        private PipelineStep Inspect()
        {
            using var model = OnnxModel.Load(config.ModelPath);
            var graph = OnnxGraph.FromModel(model);
            GraphValidator.EnsureValid(graph, model.DisplayName);
            var analysis = ModelAnalysis.Run(graph);
            var report = InspectReport.Build(config.ModelPath, model, analysis, null, 10);
            var path = Path.Combine(outDir, "inspect.json");
            AtomicFile.WriteAllText(path, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            var detail = $"{model.DisplayName}: scale x{analysis.Scale?.Display ?? "?"}, {graph.Nodes.Count} nodes, "
                + $"{analysis.Attention.Blocks.Count} attention block(s), {analysis.FusedAttention.Count} FusedAttention node(s), {analysis.Lints.Count} lint(s)";
            return new PipelineStep("inspect", PipelineStepStatus.Done, detail, Output("inspect report", path));
        }

        private PipelineStep Optimize()
        {
            var path = Path.Combine(outDir, "optimized", $"{config.Name}.optimized.onnx");
            _optimized = PackagingSteps.Optimize(config, path, m => log.Information("{Message}", m));

            return new PipelineStep("optimize", PipelineStepStatus.Done, string.Join("; ", _optimized.Summary), Output("optimized model", path));
        }

        /// <summary>
        /// build-engine: its dry run first (profiles, validation shapes, cache key: published as the build plan, and
        /// what package uses), then the build through the TensorRT shim. Without TensorRT the build stops with
        /// build-engine's exit-4 message and the pipeline continues on the ONNX Runtime path.
        /// </summary>
        private PipelineStep Build()
        {
            var engineDir = Path.Combine(outDir, "engine");
            var buildLog = new PipelineBuildLog(log);
            var pipeline = new EngineBuildPipeline(BuildEngineCommand.Steps);
            var request = new BuildEngineRequest
            {
                Config = config,
                OutputDirectory = engineDir,
                CacheDirectory = EngineCache.DefaultDirectory,
                ToolVersion = PackageCommand.ToolVersion,
            };
            var dryRun = pipeline.Run(request with { DryRun = true }, buildLog);
            _buildPlan = PackagingSteps.ReadPlan(dryRun.Plan);
            var outputs = Output("build plan", dryRun.PlanPath!);
            var profiles = $"{_buildPlan.Profiles.Count} profile(s) ({(_buildPlan.Profiles.Count > 0 ? _buildPlan.Profiles[0].Source : "none")})";
            try
            {
                var built = pipeline.Run(request, buildLog);
                _engine = built.EnginePath;
                outputs["engine"] = built.EnginePath!;
                outputs["build record"] = built.RecordPath!;
                var verdict = built.Validation is { } v ? $"; TensorRT vs ONNX Runtime: {(v.Passed ? "passed" : "FAILED")}" : "; not validated (no validation engine in this build)";
                return new PipelineStep("build", PipelineStepStatus.Done, $"{profiles}{(built.CacheHit ? ", from the engine cache" : string.Empty)}{verdict}", outputs);
            }
            catch (DeployException e) when (e.Kind == FailureKind.MissingComponent)
            {
                return new PipelineStep("build", PipelineStepStatus.Stopped, $"{e.Message}; continuing on the ONNX Runtime path ({profiles} planned)", outputs);
            }
        }

        private PipelineStep Validate()
        {
            if (_optimized is null)
            {
                return new PipelineStep("validate", PipelineStepStatus.Skipped, "needs the optimized model (optimize did not produce one)", Empty);
            }

            if (_buildPlan is null)
            {
                return new PipelineStep("validate", PipelineStepStatus.Skipped, "needs build-engine's plan for the validation shapes (the build step did not make one)", Empty);
            }

            var (summary, files) = PackagingSteps.Validate(
                config, _optimized.Path, _buildPlan.ValidationShapes, Path.Combine(outDir, "validation"), PackageCommand.ToolVersion, options.Threads,
                previews: true, m => log.Information("{Message}", m));
            _validation = summary;
            _validationReport = files?.Json;
            var outputs = files is null ? new Dictionary<string, string>() : Output("validation report", files.Html);
            var detail = summary.Status == BundleValidation.Passed
                ? $"ORT original vs ORT optimized at {summary.Cases.Count} shape(s): passed (max abs {Number(summary.MaxAbsError)}, min PSNR {Number(summary.MinPsnrDb)} dB)"
                : $"ORT original vs ORT optimized: {summary.Reason}";
            return summary.Status == BundleValidation.Passed
                ? new PipelineStep("validate", PipelineStepStatus.Done, detail, outputs)
                : new PipelineStep("validate", PipelineStepStatus.Failed, detail, outputs, (int)ExitCode.CheckFailed);
        }

        private static string Number(double? value) => value is { } v ? v.ToString("g3", CultureInfo.InvariantCulture) : "-";

        private PipelineStep Package()
        {
            if (_optimized is null)
            {
                return new PipelineStep("package", PipelineStepStatus.Skipped, "needs the optimized model (optimize did not produce one)", Empty);
            }

            if (Failed)
            {
                return new PipelineStep("package", PipelineStepStatus.Skipped, "an earlier step failed", Empty);
            }

            _bundle = PackageBuilder.Build(
                new PackageRequest
                {
                    Config = config,
                    OutputPath = Path.Combine(outDir, config.Name + ".tar.gz"),
                    Optimized = _optimized,
                    Validation = _validation,
                    ValidationReport = _validationReport,
                    Threads = options.Threads,
                    BuildPlan = _buildPlan,
                    BuildSteps = BuildEngineCommand.Steps,
                    Plans = _engine is null ? [] : [_engine],
                    EngineCacheDirectory = null,
                    ToolVersion = PackageCommand.ToolVersion,
                },
                m => log.Information("{Message}", m));

            var m = _bundle.Manifest;
            var detail = $"{m.Files.Count + 1} files, {_bundle.Bytes} bytes, {m.Profiles.Count} profile(s), {m.References.Cases.Count} reference case(s), engine: {m.Engine}";
            foreach (var note in m.Notes)
            {
                log.Warning("{Note}", note);
            }

            return new PipelineStep("package", PipelineStepStatus.Done, detail, Output("bundle", _bundle.BundlePath));
        }

        private PipelineStep Upscale()
        {
            if (options.Image is null)
            {
                return new PipelineStep("upscale", PipelineStepStatus.Skipped, "no --image given", Empty);
            }

            if (_bundle is null)
            {
                return new PipelineStep("upscale", PipelineStepStatus.Skipped, "needs the bundle, which the package step did not make", Empty);
            }

            // The image goes through the bundle, as on a device: its shipped model and I/O contract, a shipped plan when
            // one fits this machine (TensorRT), else the optimized ONNX on ONNX Runtime with the fused-attention op.
            using var session = UpscaleSession.Open(new UpscaleSessionOptions
            {
                ModelPath = _bundle.BundlePath,
                Runner = new RunnerSettings { Threads = options.Threads },
            });
            log.Information("upscale: {Model} on {Backend}: {Info}", _bundle.BundlePath, session.Runner.BackendName, session.Upscaler.Model);
            var target = Path.Combine(outDir, "upscaled", $"{Path.GetFileNameWithoutExtension(options.Image)}_x{session.Upscaler.Model.Scale}.png");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var result = session.Upscaler.UpscaleFile(options.Image, target);
            var detail = string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetFileName(options.Image)} x{session.Upscaler.Model.Scale} -> {result.OutputWidth}×{result.OutputHeight} with the bundle on {session.Runner.BackendName}, {result.Plan.TileCount} tile(s) of {result.Plan.Columns.TileLength}×{result.Plan.Rows.TileLength}");
            return new PipelineStep("upscale", PipelineStepStatus.Done, detail, Output("upscaled image", target));
        }
    }
}
