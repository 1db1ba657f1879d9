using CommandLine;
using SuperRes.Deploy.Cli.Hosting;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Upscaling;

namespace SuperRes.Deploy.Cli.Upscale;

[Verb("upscale", HelpText = "Upscale a PNG/PPM image, or every image of a folder, with a model, in seamlessly blended tiles and in bounded memory.")]
public sealed class UpscaleOptions : CommonOptions
{
    [Value(0, MetaName = "INPUT", Required = true, HelpText = "A PNG or PGM/PPM file, or a folder of them (not recursive).")]
    public string Input { get; set; } = string.Empty;

    [Option('o', "output", Required = true, MetaValue = "OUTPUT",
        HelpText = "The output file (.png, .ppm, .pgm, .pnm), or a folder (for a folder INPUT, or to keep the input's name).")]
    public string Output { get; set; } = string.Empty;

    [Option("model", MetaValue = "MODEL", HelpText = "An ONNX model, a TensorRT plan (.plan/.engine), or a bundle (.tar.gz). Default: the --config's model.")]
    public string? Model { get; set; }

    [Option("config", MetaValue = "CONFIG.yaml", HelpText = "Deploy config: I/O names, value range, colour order, scale, max_tile; for a plan, the ONNX whose size rules apply.")]
    public string? Config { get; set; }

    [Option("tile", Default = TileSettings.DefaultTile, MetaValue = "PIXELS",
        HelpText = "Tile side in input pixels, rounded down to the model's alignment and kept inside its limits; 0 = the whole image in one run.")]
    public int Tile { get; set; } = TileSettings.DefaultTile;

    [Option("overlap", Default = TileSettings.DefaultOverlap, MetaValue = "PIXELS",
        HelpText = "Least overlap between neighbouring tiles in input pixels (at most half a tile), blended with raised-cosine ramps.")]
    public int Overlap { get; set; } = TileSettings.DefaultOverlap;

    [Option("backend", Default = InferenceBackend.Auto, MetaValue = "auto|ort|trt", HelpText = "Runtime: ort (ONNX Runtime, CPU), trt (TensorRT, plans), auto (by model type).")]
    public InferenceBackend Backend { get; set; } = InferenceBackend.Auto;

    [Option("bit-depth", MetaValue = "8|16", HelpText = "Bits per sample of the output. Default: 16 for 16-bit inputs, else 8.")]
    public int? BitDepth { get; set; }

    [Option("format", MetaValue = "png|ppm|pgm|pnm", HelpText = "Output format for a folder OUTPUT (default png). A file OUTPUT's extension decides its format.")]
    public string? Format { get; set; }

    [Option("threads", Default = 0, MetaValue = "N", HelpText = "ONNX Runtime intra-op threads (0 = one per physical core).")]
    public int Threads { get; set; }

    [Option("custom-ops", MetaValue = "LIB", HelpText = "ONNX Runtime custom-op library to register (repeatable), e.g. the fused-attention op.")]
    public IEnumerable<string> CustomOps { get; set; } = [];

    [Option("plugins", MetaValue = "LIB", HelpText = "TensorRT plugin library to load before the plan (repeatable).")]
    public IEnumerable<string> Plugins { get; set; } = [];

    [Option("band-memory", Default = 16, MetaValue = "MiB",
        HelpText = "Finished output rows wait in memory for the rest of their band up to this size; beyond it they wait in a temporary file beside the output.")]
    public int BandMemory { get; set; } = 16;

    [Option("align", MetaValue = "PIXELS", HelpText = "Align tiles to this many pixels as well (for a plan whose ONNX size rules are not available).")]
    public int? Align { get; set; }
}
