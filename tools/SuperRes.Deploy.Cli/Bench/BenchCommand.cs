using System.Globalization;
using Serilog;
using Spectre.Console;
using SuperRes.Deploy.Cli.Hosting;
using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Benchmarking;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Cli.Bench;

/// <summary>`srdeploy bench`: latency percentiles and throughput of a model per input shape set (<see cref="BenchmarkRunner"/>).</summary>
public sealed class BenchCommand : VerbCommand<BenchOptions>
{
    public override int Run(BenchOptions options, ILogger log, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(stdout);
        if (!double.IsFinite(options.Duration) || options.Duration < 0)
        {
            throw DeployException.Usage($"--duration must be 0 or more seconds, not {options.Duration.ToString(CultureInfo.InvariantCulture)}");
        }

        var settings = new BenchmarkSettings
        {
            WarmupRuns = options.Warmup,
            WarmupTime = TimeSpan.FromMilliseconds(options.WarmupMs),
            Iterations = options.Iterations,
            Duration = TimeSpan.FromSeconds(options.Duration),
            Seed = options.Seed,
        };
        settings.Validate();
        var shapeSets = options.Shapes.Select(ShapeSpec.ParseList).ToList();
        if (options.Json is { } json && Path.GetDirectoryName(Path.GetFullPath(json)) is { } folder && File.Exists(folder))
        {
            throw DeployException.Usage($"--json {json}: {folder} is a file, not a folder");
        }

        var source = ModelSource.Detect(options.Model);
        using var runner = RunnerFactory.Create(source, options.Backend, new RunnerSettings
        {
            Threads = options.Threads,
            CustomOpLibraries = [.. options.CustomOps],
            PluginLibraries = [.. options.Plugins],
        });
        if (shapeSets.Count == 0)
        {
            shapeSets.Add([]); // the model's fixed shapes; MakeInputs says which --shape is missing otherwise
        }

        var results = new List<ShapeBenchmark>();
        foreach (var shapes in shapeSets)
        {
            var label = shapes.Count > 0 ? string.Join(",", shapes) : "fixed shapes";
            log.Information("benchmarking {Model} on {Backend} at {Shapes}: {Warmup} warm-up runs, then at least {Iterations} runs and {Duration} s",
                source.Path, runner.BackendName, label, settings.WarmupRuns, settings.Iterations, settings.Duration.TotalSeconds);
            var result = BenchmarkRunner.Run(runner, shapes, settings);
            log.Debug("{Shapes}: {Count} runs in {Seconds:F2} s", result.InputLabel, result.Latency.Count, result.MeasuredSeconds);
            results.Add(result);
        }

        var report = new BenchmarkReport(source.Path, BenchmarkReport.FormatName(source.Format), runner.BackendName, RuntimeVersion(runner),
            options.Threads, settings, results, DateTimeOffset.UtcNow, typeof(BenchCommand).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
        Render(report, stdout, interactive: ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected);
        if (options.Json is not null)
        {
            AtomicFile.WriteAllText(options.Json, report.ToJsonString() + "\n");
            log.Information("wrote {Json}", options.Json);
        }

        return (int)ExitCode.Ok;
    }

    private static string? RuntimeVersion(IInferenceRunner runner) => runner switch
    {
        OrtRunner => OrtRunner.RuntimeVersion,
        TrtRunner trt => trt.RuntimeVersion,
        _ => null,
    };

    private static void Render(BenchmarkReport report, TextWriter stdout, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(stdout),
        });
        if (!interactive)
        {
            console.Profile.Width = 200;
        }

        var table = new Table().Border(interactive ? TableBorder.Rounded : TableBorder.Ascii)
            .Title(Markup.Escape($"{Path.GetFileName(report.ModelPath)} on {report.Backend}{(report.RuntimeVersion is { } v ? " " + v : string.Empty)}"));
        table.AddColumns("inputs", "outputs", "runs", "min ms", "mean ms", "median ms", "p90 ms", "p95 ms", "p99 ms", "max ms", "inferences/s", "output MP/s");
        foreach (var column in table.Columns.Skip(2))
        {
            column.RightAligned();
        }

        foreach (var r in report.Results)
        {
            table.AddRow(
                Markup.Escape(r.InputLabel),
                Markup.Escape(string.Join(",", r.Outputs.Select(o => $"{o.Key}:{string.Join('x', o.Value)}"))),
                r.Latency.Count.ToString(CultureInfo.InvariantCulture),
                F(r.Latency.Min), F(r.Latency.Mean), F(r.Latency.Median), F(r.Latency.P90), F(r.Latency.P95), F(r.Latency.P99), F(r.Latency.Max),
                F(r.InferencesPerSecond),
                r.OutputMegapixelsPerSecond is { } mp ? F(mp) : "-");
        }

        console.Write(table);
    }

    private static string F(double value) => value.ToString(value >= 100 ? "F1" : "F3", CultureInfo.InvariantCulture);
}
