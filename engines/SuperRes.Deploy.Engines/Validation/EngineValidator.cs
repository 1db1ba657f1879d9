using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Validation.Reports;

namespace SuperRes.Deploy.Engines.Validation;

/// <summary>
/// build-engine's validate step (<see cref="IEngineValidator"/>) on <see cref="ModelValidator"/>: the freshly built plan
/// runs on TensorRT, the original model on ONNX Runtime, at the shapes the pipeline gives (each profile's min, opt and
/// max, each run with that profile, unless the config lists shapes), with the config's tolerances and inputs; the four
/// reports go to the request's report directory (published with the engine).
/// </summary>
public sealed class EngineValidator : IEngineValidator
{
    /// <summary>The tool version recorded in the reports (default: the engine assembly's).</summary>
    public string? ToolVersion { get; init; }

    public EngineValidationSummary Validate(EngineValidationRequest request, IBuildLog log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(log);
        // The plan is validated from a private temporary copy: the runner and the report identify the file it was
        // read from, and the staged engine must stay untouched until it is published.
        var folder = Path.Combine(Path.GetTempPath(), $"srd-engine-validate-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var planPath = Path.Combine(folder, Path.GetFileName(request.PlanName) is { Length: > 0 } name ? name : "engine.plan");
            if (!ModelFiles.IsPlan(planPath))
            {
                planPath += ".plan";
            }

            File.WriteAllBytes(planPath, request.Plan.ToArray());
            var report = ModelValidator.Validate(new ValidationRequest
            {
                ReferencePath = request.ReferenceModelPath,
                CandidatePath = planPath,
                Shapes = request.Shapes,
                Inputs = ValidationInputs.Parse(request.Settings.Inputs, request.Settings.Seed, request.ValueRange),
                Criteria = ValidationCriteria.FromSettings(request.Settings),
                PluginLibraries = request.PluginLibraries,
                ExerciseEveryProfile = true,
                ToolVersion = ToolVersion,
            }, log.Info, cancellationToken);
            report = report with { Candidate = report.Candidate with { Path = request.PlanName } };
            var (written, files) = ValidationReportWriter.Write(report, request.ReportDirectory);
            log.Info($"validate: {written.Summary}");
            var cases = written.Cases.Select(c => new EngineValidationCase(
                c.Label,
                c.Passed,
                c.Outputs.Select(o => o.Comparison?.AbsoluteError.Max ?? double.NaN).DefaultIfEmpty(double.NaN).Max(),
                // The build record is JSON, which has no infinity: identical outputs (PSNR +inf) record null.
                c.Outputs.Select(o => o.Comparison?.Psnr).Where(p => p is { } v && double.IsFinite(v)).DefaultIfEmpty(null).Min(),
                c.Passed ? $"{c.Origin}: {(c.Outputs.Count > 0 ? c.Outputs[0].Summary : "no outputs")}" : $"{c.Origin}: {string.Join("; ", c.Outputs.Where(o => !o.Passed).Select(o => $"{o.Name}: {o.Summary}"))}"))
                .ToArray();
            return new EngineValidationSummary(written.Passed, written.Summary, cases, [files.Json, files.Markdown, files.Html, files.JUnit]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
