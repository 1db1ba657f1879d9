using CommandLine;
using SuperRes.Deploy.Cli.Hosting;
using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Cli.Bench;

[Verb("bench", HelpText = "Measure a model's inference latency and throughput per input shape (ONNX Runtime, or TensorRT for plans), as a table and optionally JSON.")]
public sealed class BenchOptions : CommonOptions
{
    [Option("model", Required = true, MetaValue = "MODEL", HelpText = "An ONNX model, a TensorRT plan (.plan/.engine), or a bundle (.tar.gz: its shipped plan when one fits this machine, else its optimized ONNX).")]
    public string Model { get; set; } = string.Empty;

    [Option("shape", MetaValue = "NAME:1x3x256x256", HelpText = "An input shape set to measure (repeat for several; separate several inputs with commas). Default: the model's fixed input shape.")]
    public IEnumerable<string> Shapes { get; set; } = [];

    [Option("backend", Default = InferenceBackend.Auto, MetaValue = "auto|ort|trt", HelpText = "Runtime: ort (ONNX Runtime, CPU), trt (TensorRT, plans), auto (by model type).")]
    public InferenceBackend Backend { get; set; } = InferenceBackend.Auto;

    [Option("warmup", Default = 5, MetaValue = "N", HelpText = "Warm-up inferences before timing (at least this many).")]
    public int Warmup { get; set; } = 5;

    [Option("warmup-ms", Default = 0, MetaValue = "MS", HelpText = "Warm up for at least this many milliseconds as well.")]
    public int WarmupMs { get; set; }

    [Option("iterations", Default = 10, MetaValue = "N", HelpText = "Time at least this many inferences.")]
    public int Iterations { get; set; } = 10;

    [Option("duration", Default = 3.0, MetaValue = "SECONDS", HelpText = "Time for at least this many seconds (0 = exactly --iterations inferences).")]
    public double Duration { get; set; } = 3.0;

    [Option("threads", Default = 0, MetaValue = "N", HelpText = "ONNX Runtime intra-op threads (0 = one per physical core).")]
    public int Threads { get; set; }

    [Option("custom-ops", MetaValue = "LIB", HelpText = "ONNX Runtime custom-op library to register (repeatable).")]
    public IEnumerable<string> CustomOps { get; set; } = [];

    [Option("plugins", MetaValue = "LIB", HelpText = "TensorRT plugin library to load before the plan (repeatable).")]
    public IEnumerable<string> Plugins { get; set; } = [];

    [Option("seed", Default = 0, MetaValue = "N", HelpText = "Seed of the random input values.")]
    public int Seed { get; set; }

    [Option("json", MetaValue = "OUT.json", HelpText = "Also write the results as JSON (schema srdeploy.bench/1, see docs/cli.md).")]
    public string? Json { get; set; }
}
