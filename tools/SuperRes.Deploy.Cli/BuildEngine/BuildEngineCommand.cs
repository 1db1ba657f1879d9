using System.Text.Json;
using Serilog;
using SuperRes.Deploy.Cli.Hosting;
using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Configuration;

namespace SuperRes.Deploy.Cli.BuildEngine;

/// <summary>
/// `srdeploy build-engine`: resolves the config and the command-line overrides, then runs <see cref="EngineBuildPipeline"/>
/// with this build's steps (<see cref="EngineBuildSteps.Default"/>). Logs go to stderr; stdout gets the explanation
/// (--explain), the plan JSON (--dry-run) or the record JSON (--json), else the published paths.
/// </summary>
public sealed class BuildEngineCommand : VerbCommand<BuildEngineOptions>
{
    /// <summary>The steps the command runs with (tests substitute doubles at the seams).</summary>
    public static EngineBuildSteps Steps { get; set; } = EngineBuildSteps.Default;

    public override int Run(BuildEngineOptions options, ILogger log, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(stdout);
        var overrides = Overrides(options);
        var config = LoadConfig(options);
        var request = new BuildEngineRequest
        {
            Config = config,
            Overrides = overrides,
            OutputDirectory = options.Out ?? Path.Combine("out", config.Name),
            EnginePath = options.SaveEngine,
            DryRun = options.DryRun,
            UseCache = !options.NoCache,
            CacheDirectory = options.CacheDir ?? EngineCache.DefaultDirectory,
            Validate = !options.NoValidate,
            ToolVersion = typeof(BuildEngineCommand).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
        };

        var result = new EngineBuildPipeline(Steps).Run(request, new SerilogBuildLog(log));
        var indented = new JsonSerializerOptions { WriteIndented = true };
        if (options.Explain)
        {
            foreach (var line in result.Explain)
            {
                stdout.WriteLine(line);
            }
        }

        if (options.DryRun)
        {
            if (!options.Explain || options.Json)
            {
                stdout.WriteLine(result.Plan.ToJsonString(indented));
            }
        }
        else if (options.Json && result.RecordPath is not null)
        {
            stdout.WriteLine(File.ReadAllText(result.RecordPath));
        }
        else if (!options.Explain)
        {
            stdout.WriteLine($"engine: {result.EnginePath}");
            stdout.WriteLine($"record: {result.RecordPath}");
        }

        stdout.Flush();
        return (int)ExitCode.Ok;
    }

    private static BuildOverrides Overrides(BuildEngineOptions options)
    {
        var profiles = ProfileArguments.Parse([.. options.MinShapes], [.. options.OptShapes], [.. options.MaxShapes], [.. options.Profiles]);
        var plugins = options.Plugins.Where(p => !string.IsNullOrWhiteSpace(p)).ToList();
        return new BuildOverrides
        {
            OnnxPath = options.Onnx,
            Profiles = profiles.Count > 0 ? profiles : null,
            Fp16 = options.Fp16 ? true : null,
            MemoryPools = options.MemPoolSize is { } pools ? EngineBuildSettings.ParseMemoryPools(pools) : null,
            BuilderOptimizationLevel = options.BuilderOptimizationLevel,
            HardwareCompatibilityLevel = options.HardwareCompatibilityLevel,
            ProfilingVerbosity = options.ProfilingVerbosity,
            MaxAuxStreams = options.MaxAuxStreams,
            TimingCachePath = options.TimingCacheFile,
            Plugins = plugins.Count > 0 ? plugins : null,
            SerializePlugins = options.SerializePlugins ? true : null,
        };
    }

    private static DeployConfig LoadConfig(BuildEngineOptions options)
    {
        if (options.Config is { Length: > 0 } path)
        {
            return DeployConfigLoader.Load(path);
        }

        if (options.Onnx is not { Length: > 0 } onnx)
        {
            throw DeployException.Usage("build-engine needs --config configs/NAME.yaml (or --onnx MODEL.onnx for default settings)");
        }

        if (!File.Exists(onnx))
        {
            throw DeployException.BadInput($"model not found: {onnx}");
        }

        var stem = new string([.. Path.GetFileNameWithoutExtension(onnx).Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_')]);
        return new DeployConfig { Name = stem.Length > 0 ? stem : "model", ModelPath = Path.GetFullPath(onnx) };
    }

    /// <summary>Forwards the pipeline's messages to Serilog (stderr and the log file).</summary>
    private sealed class SerilogBuildLog(ILogger log) : IBuildLog
    {
        public void Info(string message) => log.Information("{Message}", message);

        public void Warning(string message) => log.Warning("{Message}", message);

        public void Debug(string message) => log.Debug("{Message}", message);
    }
}
