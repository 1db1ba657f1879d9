using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;

namespace SuperRes.Deploy.Engines.Passes.Cleanup;

/// <summary>What constant folding did.</summary>
public sealed record ConstantFoldingResult(int FoldedNodes, int NewInitializers, int ShapeDerived, IReadOnlyList<string> SkippedTooLarge);

/// <summary>
/// Replaces nodes whose outputs are fixed by initializers for those outputs. Two sources of fixed values:
/// <list type="bullet">
/// <item>nodes whose inputs are all constant, evaluated by <see cref="ConstantEvaluator"/> (exact C# for shape, mask and
/// simple float ops);</item>
/// <item>integer values that symbolic shape inference proves to be the same numbers at every input size (a static dim
/// read through Shape → Gather, a Concat of such dims) — and, when the input shape is fixed (<c>--input-shape</c>),
/// every shape-derived value, since then all dims are numbers. Values whose contents depend on tensor data are never
/// folded this way.</item>
/// </list>
/// No folded tensor may exceed <c>maxBytes</c> (default 1 MiB): a large constant is cheaper to compute than to store.
/// Constant nodes themselves and graph outputs stay; nodes with subgraphs and custom-domain nodes are not evaluated.
/// </summary>
public static class ConstantFolding
{
    public const long DefaultMaxBytes = 1 << 20;

    public static ConstantFoldingResult Run(OnnxGraph graph, ShapeInferenceResult shapes, long maxBytes = DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(shapes);
        var known = new Dictionary<GraphValue, HostTensor>();
        var folded = new List<GraphNode>();
        var skipped = new List<string>();
        var shapeDerived = 0;

        HostTensor? Known(GraphValue v)
        {
            if (known.TryGetValue(v, out var t))
            {
                return t;
            }

            if (v.Graph != graph || !v.IsConstant || v.GetConstantData() is not { } data)
            {
                return null;
            }

            try
            {
                t = HostTensor.From(data, maxBytes);
            }
            catch (DeployException)
            {
                t = null;
            }

            if (t is not null)
            {
                known[v] = t;
            }

            return t;
        }

        foreach (var node in shapes.Order)
        {
            if (node.Graph != graph || node.Domain.Length != 0 || node.OpType == "Constant" || node.Subgraphs.Count > 0 || node.ImplicitInputs.Count > 0
                || node.Outputs.Count == 0 || node.Outputs.Any(o => o is null || o.IsGraphOutput))
            {
                continue;
            }

            HostTensor[]? results = null;
            var inputs = node.Inputs.Select(i => i is null ? null : Known(i)).ToList();
            if (node.Inputs.Count > 0 && node.Inputs.Select((v, i) => v is null || inputs[i] is not null).All(ok => ok))
            {
                results = ConstantEvaluator.Evaluate(node, inputs, maxBytes);
                if (results is null && node.Outputs.All(o => shapes[o!].Shape?.ElementCount()?.AsConstant is { } n && n * 4 > maxBytes))
                {
                    skipped.Add($"{node.OpType} '{node.DisplayName}'");
                }
            }

            if (results is null && node.Outputs.All(o => FromInference(shapes, o!) is not null))
            {
                results = [.. node.Outputs.Select(o => FromInference(shapes, o!)!)];
                shapeDerived++;
            }

            if (results is null || results.Length != node.Outputs.Count)
            {
                continue;
            }

            for (var i = 0; i < results.Length; i++)
            {
                known[node.Outputs[i]!] = results[i];
            }

            folded.Add(node);
        }

        if (folded.Count == 0)
        {
            return new ConstantFoldingResult(0, 0, 0, skipped);
        }

        var foldedSet = folded.ToHashSet();
        var materialize = folded.SelectMany(n => n.Outputs).Select(o => o!)
            .Where(o => o.Uses.Any(u => !foldedSet.Contains(u.Node)))
            .ToList();
        using var edit = graph.Edit();
        edit.RemoveNodes(folded);
        foreach (var value in materialize)
        {
            edit.AddInitializer(known[value].ToTensorProto(value.Name));
        }

        edit.Commit();
        return new ConstantFoldingResult(folded.Count, materialize.Count, shapeDerived, skipped);
    }

    /// <summary>An integer value inference proves constant (and not computed from tensor data), as a tensor.</summary>
    private static HostTensor? FromInference(ShapeInferenceResult shapes, GraphValue value)
    {
        var facts = shapes[value];
        if (facts.DependsOnData || facts.Value is not { IsInteger: true } v || !v.TryGetConstantInts(out var ints)
            || !HostTensor.Supports(facts.ElementType) || facts.ElementType == ElementTypes.Float32Type)
        {
            return null;
        }

        return HostTensor.OfInts(facts.ElementType, [.. v.Shape], ints);
    }
}
