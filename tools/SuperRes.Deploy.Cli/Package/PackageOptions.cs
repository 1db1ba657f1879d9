using CommandLine;
using SuperRes.Deploy.Cli.Hosting;

namespace SuperRes.Deploy.Cli.Package;

/// <summary>What `srdeploy package` takes.</summary>
[Verb("package", HelpText = "Make a deployment bundle (.tar.gz) for edge GPUs: the optimized ONNX, the plugin's sources and CMake, reference inputs/outputs, an on-device build-and-validate script, plans when given, and manifest.json with checksums. Check a bundle with `srdeploy package verify BUNDLE`.")]
public sealed class PackageOptions : CommonOptions
{
    [Option("config", Required = true, HelpText = "The model's config (configs/NAME.yaml).")]
    public string Config { get; set; } = string.Empty;

    [Option('o', "output", Required = true, HelpText = "The bundle to write, e.g. out/NAME.tar.gz.")]
    public string Output { get; set; } = string.Empty;

    [Option("plan", HelpText = "A TensorRT plan to ship (repeatable); its build record PLAN.build.json is shipped with it when present.")]
    public IEnumerable<string> Plans { get; set; } = [];

    [Option("skip-validation", HelpText = "Do not compare ONNX Runtime on the original and the optimized model (the manifest says \"skipped\").")]
    public bool SkipValidation { get; set; }

    [Option("cache-dir", HelpText = "build-engine's engine cache (default $SRDEPLOY_CACHE, else out/cache): without --plan, the engine build-engine built for this config on this machine is shipped from there.")]
    public string? CacheDir { get; set; }

    [Option("no-cache", HelpText = "Do not look in build-engine's engine cache.")]
    public bool NoCache { get; set; }

    [Option("plugin-library", HelpText = "A prebuilt libsrd_fused_attention_trt.so to ship (e.g. cross-built for aarch64); default: the one next to srdeploy, if built.")]
    public string? PluginLibrary { get; set; }
}
