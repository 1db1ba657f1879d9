using CommandLine;
using SuperRes.Deploy.Cli.Hosting;

namespace SuperRes.Deploy.Cli.Pipeline;

/// <summary>What `srdeploy pipeline` takes.</summary>
[Verb("pipeline", HelpText = "Run the whole deployment on one config: inspect, optimize, build the engine (stops with a note where TensorRT is absent and continues on the ONNX Runtime path), validate, package, and upscale a test image with the bundle. Prints where the report, the bundle and the image are.")]
public sealed class PipelineOptions : CommonOptions
{
    [Option("config", Required = true, HelpText = "The model's config (e.g. configs/ditn_real_x4.yaml).")]
    public string Config { get; set; } = string.Empty;

    [Option("out", Required = true, HelpText = "Folder for every output (created; earlier outputs of the same names are replaced).")]
    public string Out { get; set; } = string.Empty;

    [Option("image", HelpText = "A low-resolution image to upscale with the bundle at the end (PNG/PPM); none: the upscale step is skipped.")]
    public string? Image { get; set; }

    [Option("threads", Default = 0, HelpText = "ONNX Runtime intra-op threads for validation and upscaling (0 = its default).")]
    public int Threads { get; set; }
}
