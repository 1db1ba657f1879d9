using System.Globalization;
using System.Reflection;
using Serilog;
using SuperRes.Deploy.Cli.Hosting;
using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Validation;
using SuperRes.Deploy.Engines.Validation.Metrics;
using SuperRes.Deploy.Engines.Validation.Reports;

namespace SuperRes.Deploy.Cli.Validate;

/// <summary>`srdeploy validate`: reference ONNX vs candidate (ONNX or plan) through <see cref="ModelValidator"/>, then the reports.</summary>
public sealed class ValidateCommand : VerbCommand<ValidateOptions>
{
    private static readonly string[] TableHeader = ["shape", "output", "verdict", "max abs", "p99 abs", "max rel", "cosine", "PSNR dB", "SSIM"];

    public override int Run(ValidateOptions options, ILogger log, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(stdout);
        var request = ToRequest(options);
        var report = ModelValidator.Validate(request, message => log.Information("{Message}", message));
        var directory = options.ReportDir ?? ValidationReportWriter.DefaultDirectory(Environment.CurrentDirectory, report.CreatedUtc);
        var (finished, files) = ValidationReportWriter.Write(report, directory);
        PrintTable(finished, stdout);
        stdout.WriteLine(finished.Summary);
        stdout.WriteLine($"reports: {files.Html} (also {Path.GetFileName(files.Json)}, {Path.GetFileName(files.Markdown)}, {Path.GetFileName(files.JUnit)})");
        return (int)(finished.Passed ? ExitCode.Ok : ExitCode.CheckFailed);
    }

    /// <summary>The request for <paramref name="options"/>: the config's validation section, overridden by the options.</summary>
    public static ValidationRequest ToRequest(ValidateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = options.Config is null ? null : DeployConfigLoader.Load(options.Config);
        var reference = options.Reference ?? config?.ModelPath
            ?? throw DeployException.Usage("--reference is required (or --config, whose model is the reference)");
        if (options.Threads is < 0)
        {
            throw DeployException.Usage("--threads must be 0 (ONNX Runtime's default) or more");
        }

        var settings = config?.Validation ?? new ValidationSettings();
        var (statistic, quantile) = ValidationCriteria.ParseCheck(options.Check ?? settings.Check);
        var (atol, atolPerOutput) = ValidationCriteria.ParseTolerances(options.Atol, "--atol");
        var (rtol, rtolPerOutput) = ValidationCriteria.ParseTolerances(options.Rtol, "--rtol");
        var perOutput = new Dictionary<string, ToleranceOverride>(StringComparer.Ordinal);
        foreach (var name in atolPerOutput.Keys.Union(rtolPerOutput.Keys))
        {
            perOutput[name] = new ToleranceOverride(
                atolPerOutput.TryGetValue(name, out var a) ? a : null, rtolPerOutput.TryGetValue(name, out var r) ? r : null);
        }

        CheckMinimum(options.PsnrMin, "--psnr-min");
        CheckMinimum(options.CosineMin, "--cosine-min");
        var criteria = new ValidationCriteria
        {
            Tolerance = new Tolerance
            {
                Absolute = atol ?? settings.Atol,
                Relative = rtol ?? settings.Rtol,
                Statistic = statistic,
                Quantile = quantile,
            },
            PerOutput = perOutput,
            PsnrMin = options.PsnrMin ?? settings.PsnrMin,
            CosineMin = options.CosineMin ?? settings.CosineMin,
        };

        var valueRange = config?.Io.ValueRange ?? (0, 1);
        var inputs = ValidationInputs.Parse(options.Inputs ?? settings.Inputs, options.Seed ?? settings.Seed, valueRange) with
        {
            ImageInput = config?.Io.Input,
        };

        return new ValidationRequest
        {
            ReferencePath = reference,
            CandidatePath = options.Candidate,
            Config = config,
            Shapes = options.Shapes.Select(ShapeSpec.ParseList).ToArray(),
            Inputs = inputs,
            Criteria = criteria,
            CustomOpLibraries = options.CustomOps.ToArray(),
            PluginLibraries = options.Plugins.ToArray(),
            Threads = options.Threads ?? 0,
            Previews = !options.NoPreviews,
            ToolVersion = ToolVersion,
        };
    }

    /// <summary>srdeploy's version (the CLI assembly's informational version).</summary>
    public static string ToolVersion =>
        typeof(ValidateCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private static void CheckMinimum(double? value, string option)
    {
        if (value is { } v && !double.IsFinite(v))
        {
            throw DeployException.Usage($"{option} must be a finite number");
        }
    }

    private static void PrintTable(ValidationReport report, TextWriter stdout)
    {
        var rows = new List<string[]> { TableHeader };
        foreach (var c in report.Cases)
        {
            foreach (var o in c.Outputs)
            {
                var s = o.Comparison;
                rows.Add(
                [
                    c.Label, o.Name, o.Passed ? "pass" : "FAIL",
                    G4(s?.AbsoluteError.Max), G4(s?.AbsoluteError.P99), G4(s?.RelativeError.Max),
                    s is null ? "-" : ModelValidator.Number(s.CosineSimilarity, "0.000000"),
                    s is null ? "-" : ModelValidator.Number(s.Psnr),
                    s?.Ssim is { } ssim ? ssim.ToString("0.0000", CultureInfo.InvariantCulture) : "-",
                ]);
            }
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
        {
            stdout.WriteLine(string.Join("  ", row.Select((cell, i) => i < 3 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]))).TrimEnd());
        }

        foreach (var c in report.Cases)
        {
            foreach (var o in c.Outputs.Where(o => !o.Passed))
            {
                stdout.WriteLine($"FAIL {o.Name} @ {c.Label}: {o.Summary}");
            }
        }
    }

    private static string G4(double? value) => value is { } v ? ModelValidator.Number(v, "g4") : "-";
}
