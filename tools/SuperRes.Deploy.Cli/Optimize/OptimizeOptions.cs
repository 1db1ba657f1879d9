using CommandLine;
using SuperRes.Deploy.Cli.Hosting;

namespace SuperRes.Deploy.Cli.Optimize;

/// <summary>What `srdeploy optimize` takes.</summary>
[Verb("optimize", HelpText = "Rewrite an ONNX model for deployment: fuse attention into the FusedAttention plugin op, fold constants and clean up, convert to fp16 for a strongly typed TensorRT build. Writes the model and (with --report) a JSON report of every change.")]
public sealed class OptimizeOptions : CommonOptions
{
    [Value(0, MetaName = "MODEL", HelpText = "The ONNX model (required unless --config names one).")]
    public string? Model { get; set; }

    [Option('o', "output", Required = true, HelpText = "Where to write the optimized model.")]
    public string Output { get; set; } = string.Empty;

    [Option("config", HelpText = "A deployment config (configs/*.yaml): its optimize section selects the passes; the switches below add to it.")]
    public string? Config { get; set; }

    [Option("fuse-attention", HelpText = "Replace attention subgraphs by com.superres.deploy:FusedAttention nodes (and fold the transposes around them).")]
    public bool FuseAttention { get; set; }

    [Option("fold-constants", HelpText = "Constant folding and cleanup: static reshape targets, identities, LayerNorm decompositions, duplicate initializers, dead nodes.")]
    public bool FoldConstants { get; set; }

    [Option("fp16", HelpText = "Convert to fp16 for a strongly typed TensorRT build (overflow-prone ops stay fp32, Casts where precisions meet).")]
    public bool Fp16 { get; set; }

    [Option("keep-io-types", HelpText = "With --fp16: inputs and outputs stay float32 (Cast after each input, before each output).")]
    public bool KeepIoTypes { get; set; }

    [Option("fp16-attention", MetaValue = "fp16|fp32", HelpText = "With --fp16: FusedAttention in fp16 (TensorRT; default) or fp32 with Casts around it (ONNX Runtime on the CPU, whose kernel is fp32 only).")]
    public string? Fp16Attention { get; set; }

    [Option("exclude-op-types", Separator = ',', HelpText = "With --fp16: op types to keep in fp32 (comma-separated or repeated).")]
    public IEnumerable<string> ExcludeOpTypes { get; set; } = [];

    [Option("exclude-nodes", Separator = ',', HelpText = "With --fp16: node names to keep in fp32 (comma-separated or repeated).")]
    public IEnumerable<string> ExcludeNodes { get; set; } = [];

    [Option("input-shape", HelpText = "Fix an input's shape, NAME:1x3x256x256 (NAME may be left out for a single-input model): shape-derived values are folded and the model then runs at that shape only.")]
    public IEnumerable<string> InputShapes { get; set; } = [];

    [Option("fold-max-bytes", MetaValue = "BYTES", HelpText = "Largest tensor constant folding may create (default 1M; suffixes K, M, G).")]
    public string? FoldMaxBytes { get; set; }

    [Option("report", MetaValue = "PATH", HelpText = "Write the JSON report (schema srdeploy.optimize/1, docs/cli.md) to PATH.")]
    public string? Report { get; set; }

    [Option("external-data", MetaValue = "BYTES", HelpText = "Move initializers of at least BYTES to an external data file next to the output (suffixes K, M, G).")]
    public string? ExternalData { get; set; }
}
