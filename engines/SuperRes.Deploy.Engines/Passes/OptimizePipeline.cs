using System.Diagnostics;
using Onnx;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Passes.Attention;
using SuperRes.Deploy.Engines.Passes.Cleanup;
using SuperRes.Deploy.Engines.Passes.Layout;
using SuperRes.Deploy.Engines.Passes.Precision;

namespace SuperRes.Deploy.Engines.Passes;

/// <summary>The rewritten model (the same <see cref="OnnxModel"/>, changed in place) and what was done to it.</summary>
public sealed record OptimizeResult(OnnxModel Model, OptimizeReport Report);

/// <summary>
/// The pass pipeline behind <c>srdeploy optimize</c> (and <c>build-engine</c>): validate the graph and its opsets, then
/// in this order, each stage when selected:
/// <list type="number">
/// <item><b>cleanup</b> (<see cref="OptimizeOptions.FoldConstants"/>): identity removal, constant folding with static
/// reshape targets (repeated until nothing changes), LayerNorm decomposition → LayerNormalization, duplicate
/// initializers merged, dead nodes removed;</item>
/// <item><b>attention fusion</b> (<see cref="OptimizeOptions.FuseAttention"/>): FusedAttention nodes with their layouts
/// folded, then the layout rewrites around them (<see cref="LayoutRewrites"/>) and dead-node removal;</item>
/// <item><b>fp16</b> (<see cref="OptimizeOptions.Fp16"/>): mixed-precision conversion for a strongly typed build.</item>
/// </list>
/// Dead nodes are removed at the end in every case, and the graph is written back in topological order. Every rewrite
/// is a checked <see cref="GraphEditor"/> transaction, so a failing rewrite leaves the graph as it was.
/// </summary>
public static class OptimizePipeline
{
    /// <summary>Runs the selected passes on <paramref name="model"/> (changed in place). Failures are <see cref="DeployException"/>s.</summary>
    public static OptimizeResult Run(OnnxModel model, OptimizeOptions options, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var total = Stopwatch.StartNew();
        var graph = OnnxGraph.FromModel(model);
        GraphValidator.EnsureValid(graph, model.DisplayName);
        OpsetSupport.EnsureSupported(graph, model.DisplayName);
        var report = new OptimizeReport { Options = options, Before = GraphCounts.Of(graph), ModelPath = model.SourcePath };

        ShapeInferenceOptions? shapeOptions = null;
        if (options.InputShapes is { Count: > 0 } fixedShapes)
        {
            FixInputShapes(graph, fixedShapes);
            shapeOptions = new ShapeInferenceOptions
            {
                InputShapes = fixedShapes.ToDictionary(kv => kv.Key, kv => kv.Value.Select(d => (long?)d).ToArray(), StringComparer.Ordinal),
            };
            report.Warnings.Add($"inputs fixed to {string.Join(", ", fixedShapes.Select(kv => $"{kv.Key}:{string.Join("x", kv.Value)}"))}: shape-derived values are folded, so the model runs at these shapes only");
        }

        ShapeInferenceResult Shapes() => ShapeInference.Run(graph, shapeOptions);

        if (options.FoldConstants)
        {
            progress?.Invoke("cleanup: identities, constant folding, reshape targets");
            RunPass(report, graph, "identity-elimination", p => p.Details.Add($"{IdentityElimination.Run(graph)} Identity/Dropout nodes removed"));
            RunPass(report, graph, "constant-folding", p =>
            {
                for (var round = 0; round < 4; round++)
                {
                    var folded = ConstantFolding.Run(graph, Shapes(), options.FoldMaxBytes);
                    var targets = ReshapeTargets.Run(graph, Shapes());
                    var dead = RemoveDead(graph);
                    if (folded.FoldedNodes > 0)
                    {
                        p.Details.Add($"round {round + 1}: {folded.FoldedNodes} nodes folded ({folded.ShapeDerived} from inferred shape values), {folded.NewInitializers} initializers created");
                    }

                    p.Details.AddRange(targets);
                    p.Details.AddRange(folded.SkippedTooLarge.Select(s => $"not folded (result over {options.FoldMaxBytes} bytes): {s}"));
                    if (folded.FoldedNodes == 0 && targets.Count == 0 && dead == 0)
                    {
                        break;
                    }
                }
            });
            RunPass(report, graph, "layernorm-fusion", p => p.Details.AddRange(LayerNormFusion.Run(graph, Shapes())));
            RunPass(report, graph, "initializer-deduplication", p => p.Details.Add($"{InitializerDeduplication.Run(graph)} duplicate initializers merged"));
            RunPass(report, graph, "dead-node-elimination", p => p.Details.Add($"{RemoveDead(graph)} dead nodes removed"));
        }

        if (options.FuseAttention)
        {
            progress?.Invoke("attention fusion");
            RunPass(report, graph, "attention-fusion", p =>
            {
                var candidates = AttentionFusion.Run(graph, shapeOptions);
                report.Attention.AddRange(candidates);
                p.Details.AddRange(candidates.Select(c => c.Fused
                    ? $"fused '{c.Softmax}' → '{c.FusedNode}' ({c.InputLayout}→{c.OutputLayout}, rank {c.Rank}, scale {c.Scale}{(c.Bias is null ? string.Empty : ", bias " + c.Bias)}{(c.NormalizeQk ? ", normalize_qk" : string.Empty)})"
                    : $"not fused '{c.Softmax}': {string.Join("; ", c.Reasons)}"));
            });
            RunPass(report, graph, "layout-rewrites", p =>
            {
                p.Details.AddRange(LayoutRewrites.Run(graph, shapeOptions));
                if (options.FoldConstants)
                {
                    p.Details.AddRange(ReshapeTargets.Run(graph, Shapes()));
                }

                RemoveDead(graph);
            });
        }

        if (options.Fp16)
        {
            progress?.Invoke("fp16 conversion");
            RunPass(report, graph, "fp16", p =>
            {
                var result = Fp16Conversion.Run(graph, Shapes(), options);
                report.Precision = new PrecisionSummary(options.KeepIoTypes, options.Fp16Attention, result);
                p.Details.Add($"{result.Fp16Nodes} nodes in fp16, {result.Fp32Nodes.Count} kept in fp32, {result.CastsAdded} Casts, {result.ConvertedConstants} constants converted");
                foreach (var c in result.ChangedConstants.Where(c => c.Clamped > 0))
                {
                    report.Warnings.Add($"constant '{c.Name}': {c.Clamped} values beyond the fp16 range clamped to ±65504 (largest |x| {c.LargestMagnitude:G4})");
                }

                var flushed = result.ChangedConstants.Where(c => c.Flushed > 0).ToList();
                if (flushed.Count > 0)
                {
                    report.Warnings.Add($"{flushed.Sum(c => c.Flushed)} non-zero values in {flushed.Count} constants round to 0 in fp16 (|x| < 2^-25, half the smallest subnormal; counts per constant in the report)");
                }
            });
        }

        RunPass(report, graph, "final-dead-node-elimination", p => p.Details.Add($"{RemoveDead(graph)} dead nodes removed"));
        graph.WriteBack();
        if (graph.Nodes.Any(FusedAttentionContract.IsFusedAttention))
        {
            FusedAttentionContract.EnsureOpsetImport(model.Proto);
        }

        report.After = GraphCounts.Of(graph);
        report.TotalMilliseconds = total.Elapsed.TotalMilliseconds;
        return new OptimizeResult(model, report);
    }

    private static int RemoveDead(OnnxGraph graph)
    {
        using var edit = graph.Edit();
        var removed = edit.RemoveDeadNodes();
        edit.Commit();
        return removed;
    }

    private static void RunPass(OptimizeReport report, OnnxGraph graph, string name, Action<PassRecord> body)
    {
        var record = new PassRecord { Name = name };
        var before = graph.Nodes.ToHashSet();
        var clock = Stopwatch.StartNew();
        body(record);
        record.Milliseconds = clock.Elapsed.TotalMilliseconds;
        var after = graph.Nodes.ToHashSet();
        foreach (var n in after.Where(n => !before.Contains(n)))
        {
            record.NodesAdded++;
            record.AddedByOp[Key(n)] = record.AddedByOp.GetValueOrDefault(Key(n)) + 1;
        }

        foreach (var n in before.Where(n => !after.Contains(n)))
        {
            record.NodesRemoved++;
            record.RemovedByOp[Key(n)] = record.RemovedByOp.GetValueOrDefault(Key(n)) + 1;
        }

        report.Passes.Add(record);

        static string Key(GraphNode n) => n.Domain.Length == 0 ? n.OpType : $"{n.Domain}:{n.OpType}";
    }

    /// <summary>Checks the shapes against the inputs (usage error on a mismatch) and declares them on the graph inputs.</summary>
    private static void FixInputShapes(OnnxGraph graph, IReadOnlyDictionary<string, long[]> shapes)
    {
        ShapeInference.Run(graph).Bind(shapes);
        foreach (var (name, dims) in shapes)
        {
            var input = graph.Inputs.First(i => i.Name == name);
            var tensor = input.DeclaredInfo?.Type?.TensorType;
            if (tensor is null)
            {
                continue;
            }

            tensor.Shape = new TensorShapeProto();
            foreach (var d in dims)
            {
                tensor.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            }
        }
    }
}
