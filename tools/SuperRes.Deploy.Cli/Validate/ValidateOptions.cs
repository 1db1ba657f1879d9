using CommandLine;
using SuperRes.Deploy.Cli.Hosting;

namespace SuperRes.Deploy.Cli.Validate;

[Verb("validate", HelpText = "Compare a candidate (optimized ONNX model or TensorRT engine) with the reference ONNX model on ONNX Runtime; write JSON, Markdown, HTML and JUnit reports. Exit 0 pass, 1 fail.")]
public sealed class ValidateOptions : CommonOptions
{
    [Option("reference", MetaValue = "A.onnx", HelpText = "The reference ONNX model, run by ONNX Runtime (default with --config: the config's model).")]
    public string? Reference { get; set; }

    [Option("candidate", Required = true, MetaValue = "B.onnx|ENGINE.plan", HelpText = "The candidate: an ONNX model (ONNX Runtime) or a TensorRT plan (.plan/.engine, TensorRT).")]
    public string Candidate { get; set; } = string.Empty;

    [Option("config", MetaValue = "configs/X.yaml", HelpText = "Build config: tolerances, shapes, profiles, value range and inputs from its validation section (options given here win).")]
    public string? Config { get; set; }

    [Option("shape", MetaValue = "NAME:1x3x64x64", HelpText = "Validate at this input shape (repeatable: one case each; several inputs comma-separated). Default: the engine's or config's profiles (min/opt/max), else the model's default sizes.")]
    public IEnumerable<string> Shapes { get; set; } = [];

    [Option("inputs", MetaValue = "random|IMAGE|DIR", HelpText = "Feed seeded random values (default) or an image / a folder of images, fitted to each shape (bicubic scale to cover, centre crop).")]
    public string? Inputs { get; set; }

    [Option("seed", MetaValue = "N", HelpText = "Seed of the random inputs (default 0).")]
    public int? Seed { get; set; }

    [Option("atol", MetaValue = "X|OUT:X", HelpText = "Absolute tolerance (default 1e-5); OUT:X for one output (Polygraphy syntax: --atol 1e-3 out0:1e-2).")]
    public IEnumerable<string> Atol { get; set; } = [];

    [Option("rtol", MetaValue = "X|OUT:X", HelpText = "Relative tolerance (default 1e-5), relative to the reference; OUT:X for one output.")]
    public IEnumerable<string> Rtol { get; set; } = [];

    [Option("check", MetaValue = "STAT", HelpText = "Error statistic checked: elemwise (default: an element fails only if it exceeds both atol and rtol), max, mean, median, p99 (any pNN).")]
    public string? Check { get; set; }

    [Option("psnr-min", MetaValue = "DB", HelpText = "Also fail an output whose PSNR is below this (peak: the value range for images).")]
    public double? PsnrMin { get; set; }

    [Option("cosine-min", MetaValue = "X", HelpText = "Also fail an output whose cosine similarity is below this (e.g. 0.997).")]
    public double? CosineMin { get; set; }

    [Option("custom-ops", MetaValue = "LIB", HelpText = "ONNX Runtime custom-op library for an ONNX candidate (repeatable). Default: libsrd_fused_attention_ort.so next to srdeploy when the candidate uses domain com.superres.deploy.")]
    public IEnumerable<string> CustomOps { get; set; } = [];

    [Option("plugins", MetaValue = "LIB", HelpText = "TensorRT plugin library for an engine candidate (repeatable).")]
    public IEnumerable<string> Plugins { get; set; } = [];

    [Option("report-dir", MetaValue = "DIR", HelpText = "Where to write validation.{json,md,html,junit.xml} (default: out/validate/<UTC timestamp>).")]
    public string? ReportDir { get; set; }

    [Option("threads", MetaValue = "N", HelpText = "ONNX Runtime intra-op threads (default: one per core).")]
    public int? Threads { get; set; }

    [Option("no-previews", HelpText = "Leave the output images and error heat maps out of the HTML report.")]
    public bool NoPreviews { get; set; }
}
