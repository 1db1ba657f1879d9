using CommandLine;
using SuperRes.Deploy.Cli.Hosting;

namespace SuperRes.Deploy.Cli.Eval;

[Verb("eval", HelpText = "SR quality as papers report it: PSNR-Y and SSIM-Y of a model on a dataset (HR/LR pairs or HR alone), per image and averaged, with the bicubic baseline and the published numbers of the config.")]
public sealed class EvalOptions : CommonOptions
{
    [Option("model", MetaValue = "M.onnx", HelpText = "The ONNX model (default with --config: the config's model).")]
    public string? Model { get; set; }

    [Option("config", MetaValue = "configs/X.yaml", HelpText = "Build config: model, scale, I/O names, value range and published numbers.")]
    public string? Config { get; set; }

    [Option("dataset", Required = true, MetaValue = "DIR", HelpText = "Dataset folder: HR in GTmod12/, HR/ or GT/ with LR in LRbicx<scale>/ (or LR_bicubic/X<scale>/, LRx<scale>/, LR/), or HR images alone (LR made by MATLAB-style bicubic downsampling).")]
    public string Dataset { get; set; } = string.Empty;

    [Option("scale", MetaValue = "N", HelpText = "The SR scale (default: the config's, else from the dataset's LRbicx<N> folder).")]
    public int? Scale { get; set; }

    [Option("name", MetaValue = "NAME", HelpText = "The dataset's name in the report and for the config's published numbers (default: the folder name).")]
    public string? Name { get; set; }

    [Option("report-dir", MetaValue = "DIR", HelpText = "Where to write eval.json and eval.md (default: out/eval/<UTC timestamp>).")]
    public string? ReportDir { get; set; }

    [Option("custom-ops", MetaValue = "LIB", HelpText = "ONNX Runtime custom-op library (repeatable). Default: libsrd_fused_attention_ort.so next to srdeploy when the model uses domain com.superres.deploy.")]
    public IEnumerable<string> CustomOps { get; set; } = [];

    [Option("threads", MetaValue = "N", HelpText = "ONNX Runtime intra-op threads (default: one per core).")]
    public int? Threads { get; set; }
}
