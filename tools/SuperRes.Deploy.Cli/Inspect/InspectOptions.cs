using CommandLine;
using SuperRes.Deploy.Cli.Hosting;

namespace SuperRes.Deploy.Cli.Inspect;

/// <summary>What `srdeploy inspect` takes.</summary>
[Verb("inspect", HelpText = "Describe an ONNX model: inputs and outputs with symbolic dims, op histogram, parameters, Reshape/Transpose count, scale factor, size constraints, attention blocks, fused attention nodes and deployment lints; with --input-shape also FLOPs and peak activation memory.")]
public sealed class InspectOptions : CommonOptions
{
    // Not Required for the parser: "--input-shape S MODEL" hands MODEL to the sequence, and the command takes it back.
    [Value(0, MetaName = "MODEL", HelpText = "The ONNX model file (required).")]
    public string Model { get; set; } = string.Empty;

    [Option("json", HelpText = "Write the report as JSON (schema srdeploy.inspect/1, see docs/cli.md) instead of tables.")]
    public bool Json { get; set; }

    [Option("input-shape", HelpText = "Evaluate at an input shape, NAME:1x3x256x256 (NAME may be left out when the model has one input). Repeat the option, or separate with commas, for several inputs.")]
    public IEnumerable<string> InputShapes { get; set; } = [];

    [Option("top", Default = 10, HelpText = "How many nodes to list by FLOPs, and values alive at the memory peak.")]
    public int Top { get; set; } = 10;
}
