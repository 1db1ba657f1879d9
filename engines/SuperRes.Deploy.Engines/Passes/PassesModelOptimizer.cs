using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Engines.Passes;

/// <summary>
/// The build-engine optimize step (<see cref="IModelOptimizer"/>) backed by <see cref="OptimizePipeline"/>: the config's
/// optimize section selects the passes, the precision plan decides fp16 (<see cref="ModelOptimizeRequest.ConvertToFp16"/>),
/// and FusedAttention stays in the config's <c>fp16_attention</c> precision (fp16 by default: the engine is built for
/// TensorRT). The model is rewritten in place and returned; <see cref="LastReport"/> keeps the full report.
/// </summary>
public sealed class PassesModelOptimizer : IModelOptimizer
{
    /// <summary>The report of the last <see cref="Optimize"/> call (null before the first).</summary>
    public OptimizeReport? LastReport { get; private set; }

    public OptimizedModel Optimize(OnnxModel model, ModelOptimizeRequest request, IBuildLog log)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(log);
        var options = OptimizeOptions.FromSettings(request.Settings) with { Fp16 = request.ConvertToFp16 };
        var report = OptimizePipeline.Run(model, options, message => log.Debug("optimize: " + message)).Report;
        LastReport = report;

        var applied = report.Passes.Where(p => p.NodesAdded > 0 || p.NodesRemoved > 0).Select(p => p.Name).ToList();
        var notes = new List<string>
        {
            $"nodes {report.Before.Nodes} -> {report.After!.Nodes}; Reshape+Transpose {report.Before.ReshapeTransposeCount} -> {report.After.ReshapeTransposeCount}",
        };
        if (options.FuseAttention)
        {
            notes.Add($"attention: {report.Attention.Count(a => a.Fused)} of {report.Attention.Count} candidates fused");
            notes.AddRange(report.Attention.Where(a => !a.Fused).Select(a => $"not fused '{a.Softmax}': {string.Join("; ", a.Reasons)}"));
        }

        if (report.Precision is { } precision)
        {
            notes.Add($"fp16: {precision.Result.Fp16Nodes} nodes fp16, {precision.Result.Fp32Nodes.Count} kept fp32, FusedAttention {(precision.Attention == AttentionPrecision.Fp32 ? "fp32" : "fp16")}");
            notes.AddRange(precision.Result.Fp32Nodes.GroupBy(n => n.Reason).Select(g => $"fp32 x{g.Count()}: {g.Key}"));
        }

        notes.AddRange(report.Warnings);
        foreach (var warning in report.Warnings)
        {
            log.Warning("optimize: " + warning);
        }

        return new OptimizedModel(model, applied, notes, report.Precision is not null);
    }
}
