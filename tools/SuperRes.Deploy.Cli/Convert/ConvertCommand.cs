using System.Globalization;
using Serilog;
using SuperRes.Deploy.Cli.Hosting;
using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Cli.Convert;

/// <summary>`srdeploy convert`: load a model (external data read lazily) and save it with the requested data layout.</summary>
public sealed class ConvertCommand : VerbCommand<ConvertOptions>
{
    public override int Run(ConvertOptions options, ILogger log, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(stdout);
        var saveOptions = ToSaveOptions(options);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var model = OnnxModel.Load(options.Model);
        log.Debug("loaded {Model} in {Ms} ms: {Nodes} nodes, {Tensors} tensors", options.Model, clock.ElapsedMilliseconds,
            model.Proto.Graph.Node.Count, OnnxModelWalker.Tensors(model.Proto).Count());
        clock.Restart();
        var result = model.SaveWithSummary(options.Output, saveOptions);
        log.Debug("saved {Output} in {Ms} ms", options.Output, clock.ElapsedMilliseconds);
        stdout.WriteLine(result.DataPath is null
            ? $"wrote {options.Output} ({result.ModelBytes} bytes, every tensor inline)"
            : $"wrote {options.Output} ({result.ModelBytes} bytes) and {Path.GetFileName(result.DataPath)} ({result.DataBytes} bytes, {result.ExternalTensors} external tensors)");
        log.Debug("read {Bytes} bytes of external data from the source", model.ExternalBytesRead);
        return (int)ExitCode.Ok;
    }

    /// <summary>Parses a byte count as configs write sizes (<see cref="ByteSize"/>): 4096, 1K, 4M, 2G, 1.5M, 4MiB.</summary>
    public static long ParseByteCount(string text) =>
        ByteSize.TryParse(text, out var bytes)
            ? bytes
            : throw DeployException.Usage($"--external-data expects a byte count such as 4096, 1K or 4M (got '{text}')");

    private static OnnxSaveOptions ToSaveOptions(ConvertOptions options)
    {
        if (options.Inline && options.ExternalData is not null)
        {
            throw DeployException.Usage("--inline and --external-data exclude each other");
        }

        if (options.Inline && options.ExternalDataFile is not null)
        {
            throw DeployException.Usage("--external-data-file has no effect with --inline");
        }

        return new OnnxSaveOptions
        {
            ExternalDataThreshold = options.ExternalData is null ? null : ParseByteCount(options.ExternalData),
            ExternalDataFileName = options.ExternalDataFile,
            ForceInline = options.Inline,
        };
    }
}
