using CommandLine;
using SuperRes.Deploy.Cli.Hosting;

namespace SuperRes.Deploy.Cli.Convert;

[Verb("convert", HelpText = "Re-save an ONNX model with the chosen weight layout: inline, or large initializers in an external data file.")]
public sealed class ConvertOptions : CommonOptions
{
    [Value(0, MetaName = "MODEL", Required = true, HelpText = "The ONNX model to read (its external data files, if any, beside it).")]
    public string Model { get; set; } = string.Empty;

    [Option('o', "output", Required = true, HelpText = "Where to write the model (may be MODEL itself: everything is read before anything is replaced).")]
    public string Output { get; set; } = string.Empty;

    [Option("external-data", MetaValue = "BYTES",
        HelpText = "Move initializers of at least BYTES to an external data file. Suffixes K, M, G (powers of 1024), e.g. 1K, 4M.")]
    public string? ExternalData { get; set; }

    [Option("external-data-file", MetaValue = "NAME",
        HelpText = "Name of the external data file, relative to the output's folder (default: OUTPUT file name + .data).")]
    public string? ExternalDataFile { get; set; }

    [Option("inline", HelpText = "Keep every tensor inline (fails for models over protobuf's 2 GiB limit). Without --inline or --external-data, models over 2 GiB get external data automatically.")]
    public bool Inline { get; set; }
}
