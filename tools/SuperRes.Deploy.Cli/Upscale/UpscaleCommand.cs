using System.Diagnostics;
using System.Globalization;
using Serilog;
using Spectre.Console;
using SuperRes.Deploy.Cli.Hosting;
using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Upscaling;

namespace SuperRes.Deploy.Cli.Upscale;

/// <summary>
/// `srdeploy upscale`: one image or a folder of images through a model in tiles (<see cref="TiledUpscaler"/>), each
/// output streamed row by row into a temporary file renamed into place when complete. In folder mode an image that
/// cannot be read is reported and skipped, and the verb ends with exit code 3.
/// </summary>
public sealed class UpscaleCommand : VerbCommand<UpscaleOptions>
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    public override int Run(UpscaleOptions options, ILogger log, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(stdout);
        var tiles = new TileSettings(options.Tile, options.Overlap);
        tiles.Validate();
        if (options.BitDepth is { } depth && depth is not (8 or 16))
        {
            throw DeployException.Usage($"--bit-depth must be 8 or 16, not {depth}");
        }

        if (options.BandMemory < 0)
        {
            throw DeployException.Usage($"--band-memory must be 0 or more MiB, not {options.BandMemory}");
        }

        // Everything about the command line is checked before the model is loaded.
        var jobs = Jobs(options);
        using var session = UpscaleSession.Open(new UpscaleSessionOptions
        {
            ModelPath = options.Model,
            ConfigPath = options.Config,
            Backend = options.Backend,
            Runner = new RunnerSettings { Threads = options.Threads, CustomOpLibraries = [.. options.CustomOps], PluginLibraries = [.. options.Plugins] },
            Tiles = tiles,
            Alignment = options.Align,
        });
        log.Information("model {Model} on {Backend}: {Info}", session.Source.Path, session.Runner.BackendName, session.Upscaler.Model);
        foreach (var source in session.Upscaler.Model.Sources)
        {
            log.Debug("size rule from {Source}", source);
        }

        var failures = new List<string>();
        var output = new UpscaleOutputOptions { BitDepth = options.BitDepth, SpillThresholdBytes = (long)options.BandMemory << 20 };
        var interactive = !options.Quiet && !Console.IsErrorRedirected;
        foreach (var (input, target) in jobs)
        {
            try
            {
                var result = interactive
                    ? WithProgressBar(session.Upscaler, input, target, output)
                    : WithLogLines(session.Upscaler, input, target, output, log);
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"wrote {target} ({result.OutputWidth}×{result.OutputHeight}, {result.Plan.TileCount} tile{(result.Plan.TileCount == 1 ? string.Empty : "s")} of {result.Plan.Columns.TileLength}×{result.Plan.Rows.TileLength}, {result.Elapsed.TotalSeconds:F1} s)"));
                log.Debug("{Input}: {Plan}; inference {Inference:F1} s; source streamed {Streamed}; {Rows} source rows held at most; {Pending} float rows for band overlaps",
                    input, result.Plan, result.InferenceTime.TotalSeconds, result.SourceStreamed, result.PeakSourceRows, result.PendingFloatRows);
            }
            catch (DeployException e) when (jobs.Count > 1 && e.Kind == FailureKind.BadInput)
            {
                log.Error("{Input}: {Message}", input, e.Message);
                failures.Add(input);
            }
        }

        if (failures.Count > 0)
        {
            throw DeployException.BadInput($"{failures.Count} of {jobs.Count} images failed ({string.Join(", ", failures.Select(Path.GetFileName))}); the log names each problem");
        }

        return (int)ExitCode.Ok;
    }

    /// <summary>(input, output) pairs: one for a file INPUT, one per image for a folder.</summary>
    internal static List<(string Input, string Output)> Jobs(UpscaleOptions options)
    {
        var format = options.Format?.Trim().TrimStart('.').ToLowerInvariant();
        if (format is not null && !ImageFile.SupportedExtensions.Contains("." + format))
        {
            throw DeployException.Usage($"--format must be one of png, ppm, pgm, pnm, not '{options.Format}'");
        }

        var extension = "." + (format ?? "png");
        if (Directory.Exists(options.Input))
        {
            if (File.Exists(options.Output))
            {
                throw DeployException.Usage($"INPUT {options.Input} is a folder, so --output must be a folder too; {options.Output} is a file");
            }

            var inputs = Directory.EnumerateFiles(options.Input).Where(ImageFile.IsSupported).Order(StringComparer.Ordinal).ToList();
            if (inputs.Count == 0)
            {
                throw DeployException.BadInput($"no images ({string.Join(", ", ImageFile.SupportedExtensions)}) in folder {options.Input}");
            }

            var jobs = inputs.Select(i => (i, Path.Combine(options.Output, Path.GetFileNameWithoutExtension(i) + extension))).ToList();
            foreach (var (input, output) in jobs)
            {
                if (Path.GetFullPath(input) == Path.GetFullPath(output))
                {
                    throw DeployException.Usage($"the output {output} would replace its input; choose another --output folder or --format");
                }
            }

            return jobs;
        }

        if (!File.Exists(options.Input))
        {
            throw DeployException.BadInput($"input not found: {options.Input}");
        }

        var target = Directory.Exists(options.Output) || options.Output.EndsWith(Path.DirectorySeparatorChar)
            ? Path.Combine(options.Output, Path.GetFileNameWithoutExtension(options.Input) + extension)
            : options.Output;
        if (!ImageFile.IsSupported(target))
        {
            throw DeployException.Usage(
                $"{target}: cannot write image format '{Path.GetExtension(target)}' (supported: {string.Join(", ", ImageFile.SupportedExtensions)})");
        }

        if (Path.GetFullPath(target) == Path.GetFullPath(options.Input))
        {
            throw DeployException.Usage($"the output {target} would replace its input");
        }

        return [(options.Input, target)];
    }

    private static UpscaleResult WithLogLines(TiledUpscaler upscaler, string input, string output, UpscaleOutputOptions options, ILogger log)
    {
        var last = Stopwatch.StartNew();
        var name = Path.GetFileName(input);
        return upscaler.UpscaleFile(input, output, options, new Progress<UpscaleProgress>(p =>
        {
            if (last.Elapsed < LogInterval || p.TilesDone == p.TileCount)
            {
                return;
            }

            last.Restart();
            var fraction = p.TilesDone / (double)p.TileCount;
            var left = fraction > 0 ? TimeSpan.FromSeconds(p.Elapsed.TotalSeconds * (1 - fraction) / fraction) : TimeSpan.Zero;
            log.Information("{Name}: tile {Done}/{Count}, rows {Rows}/{Height} written, {Elapsed:F0} s elapsed, about {Left:F0} s left",
                name, p.TilesDone, p.TileCount, p.RowsDone, p.RowCount, p.Elapsed.TotalSeconds, left.TotalSeconds);
        }));
    }

    private static UpscaleResult WithProgressBar(TiledUpscaler upscaler, string input, string output, UpscaleOutputOptions options)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        UpscaleResult? result = null;
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(Path.GetFileName(input)), maxValue: 1);
                result = upscaler.UpscaleFile(input, output, options, new Progress<UpscaleProgress>(p =>
                {
                    task.MaxValue = p.TileCount;
                    task.Value = p.TilesDone;
                }));
                task.StopTask();
            });
        return result!;
    }

    /// <summary>Calls back synchronously on the reporting thread (<see cref="System.Progress{T}"/> would post to the thread pool).</summary>
    private sealed class Progress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
