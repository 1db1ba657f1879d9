using System.Globalization;
using Serilog;
using SuperRes.Deploy.Cli.Hosting;
using SuperRes.Deploy.Cli.Validate;
using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Validation.Evaluation;

namespace SuperRes.Deploy.Cli.Eval;

/// <summary>`srdeploy eval`: <see cref="SrEvaluator"/> on a dataset; a table on stdout, JSON and Markdown reports.</summary>
public sealed class EvalCommand : VerbCommand<EvalOptions>
{
    public override int Run(EvalOptions options, ILogger log, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(stdout);
        var config = options.Config is null ? null : DeployConfigLoader.Load(options.Config);
        var model = options.Model ?? config?.ModelPath ?? throw DeployException.Usage("--model is required (or --config, whose model is evaluated)");
        if (options.Threads is < 0)
        {
            throw DeployException.Usage("--threads must be 0 (ONNX Runtime's default) or more");
        }

        var name = options.Name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Dataset)));
        var published = config?.Published.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
        var report = SrEvaluator.Evaluate(new EvaluationRequest
        {
            ModelPath = model,
            DatasetPath = options.Dataset,
            Scale = options.Scale ?? config?.Scale,
            DatasetName = name,
            Published = published,
            InputName = config?.Io.Input,
            OutputName = config?.Io.Output,
            ValueRange = config?.Io.ValueRange ?? (0, 1),
            CustomOpLibraries = options.CustomOps.ToArray(),
            Threads = options.Threads ?? 0,
            ToolVersion = ValidateCommand.ToolVersion,
        }, message => log.Information("{Message}", message));

        var directory = options.ReportDir ?? DefaultDirectory(report.CreatedUtc);
        var files = EvaluationReports.Write(report, directory);
        stdout.Write(EvaluationReports.Table(report));
        stdout.WriteLine($"reports: {files.Json}, {files.Markdown}");
        return (int)ExitCode.Ok;
    }

    private static string DefaultDirectory(DateTimeOffset time)
    {
        var stamp = time.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var candidate = Path.Combine(Environment.CurrentDirectory, "out", "eval", stamp);
        for (var i = 2; Directory.Exists(candidate); i++)
        {
            candidate = Path.Combine(Environment.CurrentDirectory, "out", "eval", $"{stamp}-{i}");
        }

        return candidate;
    }
}
