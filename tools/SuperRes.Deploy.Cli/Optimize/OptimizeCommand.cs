using System.Globalization;
using System.Text.Json;
using Serilog;
using SuperRes.Deploy.Cli.Convert;
using SuperRes.Deploy.Cli.Hosting;
using SuperRes.Deploy.Cli.Inspect;
using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Passes;
using PipelineOptions = SuperRes.Deploy.Engines.Passes.OptimizeOptions;

namespace SuperRes.Deploy.Cli.Optimize;

/// <summary>
/// `srdeploy optimize`: loads the model, runs the selected passes (<see cref="OptimizePipeline"/>), writes the model
/// (temporary file + rename) and the JSON report, and prints a summary. Pass selection: a config's optimize section when
/// --config is given, plus the switches; with neither, nothing is selected and the command is a usage error (exit 2).
/// An invalid model or an unsupported opset/domain is bad input (exit 3).
/// </summary>
public sealed class OptimizeCommand : VerbCommand<OptimizeOptions>
{
    public override int Run(OptimizeOptions options, ILogger log, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(stdout);

        var shapeTexts = options.InputShapes.Where(s => !string.IsNullOrWhiteSpace(s)).ToList();
        var modelPath = options.Model;
        if (string.IsNullOrEmpty(modelPath) && shapeTexts.FindLastIndex(s => !InputShapeParser.LooksLikeShape(s)) is var swallowed and >= 0)
        {
            // "--input-shape S MODEL": the sequence option took MODEL.
            modelPath = shapeTexts[swallowed];
            shapeTexts.RemoveAt(swallowed);
        }

        InputShapeParser.ParseSyntax(shapeTexts);
        var config = options.Config is null ? null : DeployConfigLoader.Load(options.Config);
        modelPath ??= config?.ModelPath;
        if (string.IsNullOrEmpty(modelPath))
        {
            throw DeployException.Usage("optimize needs a MODEL argument or a --config naming one (srdeploy optimize MODEL.onnx -o OUT.onnx --fuse-attention)");
        }

        var pipelineOptions = Options(options, config);
        if (!pipelineOptions.AnyPass)
        {
            throw DeployException.Usage("nothing to do: select passes with --fuse-attention, --fold-constants, --fp16 or --config");
        }

        var saveOptions = new OnnxSaveOptions
        {
            ExternalDataThreshold = options.ExternalData is null ? null : ConvertCommand.ParseByteCount(options.ExternalData),
        };

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var model = OnnxModel.Load(modelPath);
        log.Debug("loaded {Model} in {Ms} ms", model.DisplayName, clock.ElapsedMilliseconds);
        if (shapeTexts.Count > 0)
        {
            var inputs = OnnxGraph.FromModel(model).Inputs.Select(i => i.Name).ToList();
            pipelineOptions = pipelineOptions with { InputShapes = InputShapeParser.Parse(shapeTexts, inputs) };
        }

        var result = OptimizePipeline.Run(model, pipelineOptions, message => log.Debug("{Stage}", message));
        var report = result.Report;
        report.OutputPath = Path.GetFullPath(options.Output);

        clock.Restart();
        var saved = model.SaveWithSummary(options.Output, saveOptions);
        log.Debug("saved {Output} in {Ms} ms", options.Output, clock.ElapsedMilliseconds);
        if (options.Report is not null)
        {
            AtomicFile.WriteAllText(options.Report, report.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine);
        }

        foreach (var warning in report.Warnings)
        {
            log.Warning("{Warning}", warning);
        }

        PrintSummary(stdout, report, saved);
        return (int)ExitCode.Ok;
    }

    /// <summary>The pipeline options: the config's optimize section (when given), then the switches on top.</summary>
    public static PipelineOptions Options(OptimizeOptions options, DeployConfig? config)
    {
        ArgumentNullException.ThrowIfNull(options);
        var baseline = config is null ? new PipelineOptions { KeepIoTypes = false } : PipelineOptions.FromSettings(config.Optimize);
        var attention = options.Fp16Attention switch
        {
            null => baseline.Fp16Attention,
            "fp16" => AttentionPrecision.Fp16,
            "fp32" => AttentionPrecision.Fp32,
            _ => throw DeployException.Usage($"--fp16-attention must be fp16 or fp32 (got '{options.Fp16Attention}')"),
        };
        var fp16 = baseline.Fp16 || options.Fp16;
        if (!fp16 && (options.KeepIoTypes || options.Fp16Attention is not null || options.ExcludeOpTypes.Any() || options.ExcludeNodes.Any()))
        {
            throw DeployException.Usage("--keep-io-types, --fp16-attention, --exclude-op-types and --exclude-nodes apply to --fp16 only");
        }

        return baseline with
        {
            FuseAttention = baseline.FuseAttention || options.FuseAttention,
            FoldConstants = baseline.FoldConstants || options.FoldConstants,
            Fp16 = fp16,
            KeepIoTypes = baseline.KeepIoTypes || options.KeepIoTypes,
            Fp16Attention = attention,
            ExcludeOpTypes = [.. baseline.ExcludeOpTypes.Concat(options.ExcludeOpTypes.SelectMany(Split)).Distinct(StringComparer.Ordinal)],
            ExcludeNodes = [.. baseline.ExcludeNodes.Concat(options.ExcludeNodes.SelectMany(Split)).Distinct(StringComparer.Ordinal)],
            FoldMaxBytes = options.FoldMaxBytes is null ? baseline.FoldMaxBytes : ParseBytes(options.FoldMaxBytes),
        };
    }

    private static IEnumerable<string> Split(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static long ParseBytes(string text)
    {
        try
        {
            return ConvertCommand.ParseByteCount(text);
        }
        catch (DeployException)
        {
            throw DeployException.Usage($"--fold-max-bytes expects a byte count such as 4096, 64K or 1M (got '{text}')");
        }
    }

    private static void PrintSummary(TextWriter stdout, OptimizeReport report, OnnxSaveResult saved)
    {
        var c = CultureInfo.InvariantCulture;
        var after = report.After!;
        stdout.WriteLine(string.Create(c, $"wrote {saved.ModelPath} ({saved.ModelBytes} bytes{(saved.DataPath is null ? string.Empty : $" + {Path.GetFileName(saved.DataPath)} {saved.DataBytes} bytes")}) in {report.TotalMilliseconds:F0} ms"));
        stdout.WriteLine(string.Create(c, $"nodes {report.Before.Nodes} -> {after.Nodes}; Reshape+Transpose {report.Before.ReshapeTransposeCount} -> {after.ReshapeTransposeCount} (Reshape {report.Before.Reshapes} -> {after.Reshapes}, Transpose {report.Before.Transposes} -> {after.Transposes})"));
        foreach (var pass in report.Passes.Where(p => p.NodesAdded > 0 || p.NodesRemoved > 0))
        {
            stdout.WriteLine(string.Create(c, $"  {pass.Name,-28} +{pass.NodesAdded} -{pass.NodesRemoved} nodes  {pass.Milliseconds:F0} ms"));
        }

        if (report.Options.FuseAttention)
        {
            stdout.WriteLine(string.Create(c, $"attention: {report.Attention.Count(a => a.Fused)} of {report.Attention.Count} candidates fused"));
            foreach (var a in report.Attention)
            {
                stdout.WriteLine(a.Fused
                    ? $"  fused     {a.Softmax} -> {a.FusedNode} ({a.InputLayout}->{a.OutputLayout}, rank {a.Rank}{(a.NormalizeQk ? ", normalize_qk" : string.Empty)}{(a.Bias is null ? string.Empty : ", bias")})"
                    : $"  not fused {a.Softmax}: {string.Join("; ", a.Reasons)}");
            }
        }

        if (report.Precision is { } p)
        {
            var attention = after.FusedAttentionNodes == 0 ? string.Empty : $", FusedAttention {(p.Attention == AttentionPrecision.Fp32 ? "fp32" : "fp16")}";
            stdout.WriteLine(string.Create(c, $"fp16: {p.Result.Fp16Nodes} nodes fp16, {p.Result.Fp32Nodes.Count} kept fp32, {p.Result.CastsAdded} Casts{attention}, I/O {(p.KeepIoTypes ? "float32" : "float16")}"));
            foreach (var group in p.Result.Fp32Nodes.GroupBy(n => n.Reason))
            {
                stdout.WriteLine(string.Create(c, $"  fp32 x{group.Count()}: {group.Key}"));
            }
        }
    }
}
