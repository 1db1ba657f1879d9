using CommandLine;
using SuperRes.Deploy.Cli.Hosting;

namespace SuperRes.Deploy.Cli.BuildEngine;

/// <summary>What `srdeploy build-engine` takes. Builder flags are named like trtexec's and override the config.</summary>
[Verb("build-engine", HelpText = "Build a TensorRT engine from a config: inspect, optimize, plan profiles, build (through the TensorRT shim or the engine cache), validate against ONNX Runtime, write a build record. Exit 4 without TensorRT (every step before the build still runs).")]
public sealed class BuildEngineOptions : CommonOptions
{
    [Option("config", HelpText = "The deployment config (configs/NAME.yaml). Required unless --onnx is given.")]
    public string? Config { get; set; }

    [Option("onnx", HelpText = "The ONNX model (overrides the config's model; without --config, builds it with default settings).")]
    public string? Onnx { get; set; }

    [Option("minShapes", HelpText = "Min shapes of one profile, trtexec syntax input:1x3x64x64[,other:...]. Repeat --minShapes/--optShapes/--maxShapes for more profiles: the i-th of each form profile i.")]
    public IEnumerable<string> MinShapes { get; set; } = [];

    [Option("optShapes", HelpText = "Opt shapes of one profile (see --minShapes). Given alone, min = max = opt.")]
    public IEnumerable<string> OptShapes { get; set; } = [];

    [Option("maxShapes", HelpText = "Max shapes of one profile (see --minShapes).")]
    public IEnumerable<string> MaxShapes { get; set; } = [];

    [Option("profile", HelpText = "One whole profile, \"min=input:1x3x64x64;opt=input:1x3x256x256;max=input:1x3x512x512\" (opt alone: min = max = opt). Repeat for more profiles, in index order. Not combinable with --minShapes/--optShapes/--maxShapes.")]
    public IEnumerable<string> Profiles { get; set; } = [];

    [Option("fp16", HelpText = "Build in fp16: the kFP16 builder flag up to TensorRT 10.11, else an fp16 model built strongly typed (decided from the TensorRT version found).")]
    public bool Fp16 { get; set; }

    [Option("timingCacheFile", HelpText = "Timing cache file: loaded when present, saved (combined with any concurrent update) after the build.")]
    public string? TimingCacheFile { get; set; }

    [Option("plugins", HelpText = "TensorRT plugin library to load (repeatable; replaces the config's). Default: the project's FusedAttention plugin when the model has FusedAttention nodes.")]
    public IEnumerable<string> Plugins { get; set; } = [];

    [Option("serialize-plugins", HelpText = "Embed the plugin libraries in the engine (trtexec --setPluginsToSerialize).")]
    public bool SerializePlugins { get; set; }

    [Option("memPoolSize", HelpText = "Memory pool limits, trtexec syntax: workspace:2G,tacticSharedMem:48K (no unit = MiB).")]
    public string? MemPoolSize { get; set; }

    [Option("builderOptimizationLevel", HelpText = "0..5 (TensorRT's default 3; higher searches longer).")]
    public int? BuilderOptimizationLevel { get; set; }

    [Option("hardwareCompatibilityLevel", HelpText = "none, ampere+ or sameComputeCapability (TensorRT >= 10.9).")]
    public string? HardwareCompatibilityLevel { get; set; }

    [Option("profilingVerbosity", HelpText = "layer_names_only, detailed or none.")]
    public string? ProfilingVerbosity { get; set; }

    [Option("maxAuxStreams", HelpText = "Auxiliary streams TensorRT may use per engine.")]
    public int? MaxAuxStreams { get; set; }

    [Option("saveEngine", HelpText = "Engine file to write (default OUT/NAME.plan); the build record goes beside it (ENGINE.build.json).")]
    public string? SaveEngine { get; set; }

    [Option("out", HelpText = "Output folder (default out/NAME).")]
    public string? Out { get; set; }

    [Option("dry-run", HelpText = "Plan only: inspect, optimize and plan profiles, print and write OUT/NAME.build-plan.json (schema srdeploy.build-plan/1); build nothing. Works without TensorRT.")]
    public bool DryRun { get; set; }

    [Option("explain", HelpText = "Print why the precision, optimize, plugin and profile decisions are what they are (each profile's covered targets and the limit that bounds it).")]
    public bool Explain { get; set; }

    [Option("no-cache", HelpText = "Neither reuse nor store engines in the engine cache.")]
    public bool NoCache { get; set; }

    [Option("cache-dir", HelpText = "Engine cache folder (default $SRDEPLOY_CACHE, else out/cache).")]
    public string? CacheDir { get; set; }

    [Option("no-validate", HelpText = "Skip the comparison with ONNX Runtime after the build (the record says so).")]
    public bool NoValidate { get; set; }

    [Option("json", HelpText = "Print the build record (or with --dry-run the plan) as JSON on stdout.")]
    public bool Json { get; set; }
}
