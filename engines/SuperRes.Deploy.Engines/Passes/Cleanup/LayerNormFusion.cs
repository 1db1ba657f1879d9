using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using static SuperRes.Deploy.Engines.Passes.PassHelpers;

namespace SuperRes.Deploy.Engines.Passes.Cleanup;

/// <summary>One decomposed layer normalisation: its nodes and parameters.</summary>
public sealed record LayerNormPattern(
    GraphValue Input, int Axis, double Epsilon, GraphValue? Scale, GraphValue? Bias, GraphValue Output, IReadOnlyList<GraphNode> Nodes);

/// <summary>
/// Recognises PyTorch's LayerNorm decomposition (opset &lt; 17 exports):
/// <c>μ = ReduceMean(x) → d = Sub(x, μ) → Pow(d, 2) → ReduceMean → Add(ε) → Sqrt → Div(d, ·) → Mul(γ) → Add(β)</c>,
/// both means over the same trailing axes with keepdims = 1, exponent exactly 2, ε, γ and β constants, γ and β of the
/// normalised shape, every intermediate read only inside the pattern (d by exactly the Pow and the Div). The fusion
/// replaces it by <c>LayerNormalization(x, γ, β, axis, epsilon)</c> (opset ≥ 17); the fp16 pass uses the matcher to keep
/// the decomposition in fp32.
/// </summary>
public static class LayerNormFusion
{
    /// <summary>Replaces every match by a LayerNormalization node (only when the model imports opset 17 or newer).</summary>
    public static IReadOnlyList<string> Run(OnnxGraph graph, ShapeInferenceResult shapes)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(shapes);
        var notes = new List<string>();
        if (graph.Opsets.Default < 17)
        {
            return notes;
        }

        foreach (var match in FindAll(graph, shapes).Where(m => m.Scale is not null))
        {
            using var edit = graph.Edit();
            var name = edit.UniqueNodeName(match.Nodes[0].DisplayName + "_LayerNormalization");
            var output = edit.UniqueValueName(name + "_output_0");
            var node = edit.AddNode("LayerNormalization", [match.Input.Name, match.Scale!.Name, match.Bias?.Name], [output], name, string.Empty,
                [NodeAttributes.IntAttribute("axis", match.Axis), NodeAttributes.FloatAttribute("epsilon", (float)match.Epsilon)]);
            edit.ReplaceAllUses(match.Output, node.Outputs[0]!);
            edit.RemoveNodes(match.Nodes);
            edit.Commit();
            notes.Add($"{match.Nodes.Count} nodes from '{match.Nodes[0].DisplayName}' → LayerNormalization (axis {match.Axis}, epsilon {match.Epsilon:G6})");
        }

        return notes;
    }

    /// <summary>Every decomposed layer normalisation of the graph (γ/β may be absent when the Mul/Add are not there).</summary>
    public static IReadOnlyList<LayerNormPattern> FindAll(OnnxGraph graph, ShapeInferenceResult shapes)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(shapes);
        var result = new List<LayerNormPattern>();
        foreach (var mean in graph.Nodes.Where(n => n.Is("ReduceMean")).ToList())
        {
            if (Match(mean, shapes) is { } m)
            {
                result.Add(m);
            }
        }

        return result;
    }

    private static LayerNormPattern? Match(GraphNode mean, ShapeInferenceResult shapes)
    {
        var x = mean.Input(0);
        if (x is null || shapes[x].Shape is not { } xs || shapes[x].ElementType != ElementTypes.Float32Type || ReducedAxes(mean, shapes, xs.Rank) is not { } axes)
        {
            return null;
        }

        var mu = mean.Output(0)!;
        if (SoleReader(mu) is not { } sub || !sub.Is("Sub") || sub.Input(0) != x || sub.Input(1) != mu)
        {
            return null;
        }

        var d = sub.Output(0)!;
        var dReaders = Readers(d);
        if (d.IsGraphOutput || dReaders.Count != 2 || dReaders.FirstOrDefault(n => n.Is("Pow")) is not { } pow || dReaders.FirstOrDefault(n => n.Is("Div")) is not { } div
            || pow.Input(0) != d || ConstantNumbers(pow.Input(1)) is not [2.0] || div.Input(0) != d)
        {
            return null;
        }

        if (SoleReader(pow.Output(0)!) is not { } mean2 || !mean2.Is("ReduceMean") || ReducedAxes(mean2, shapes, xs.Rank) is not { } axes2 || !axes.SequenceEqual(axes2))
        {
            return null;
        }

        if (SoleReader(mean2.Output(0)!) is not { } addEps || !addEps.Is("Add"))
        {
            return null;
        }

        var epsSide = addEps.Input(0) == mean2.Output(0) ? 1 : 0;
        if (ConstantNumbers(addEps.Input(epsSide)) is not [var eps] || SoleReader(addEps.Output(0)!) is not { } sqrt || !sqrt.Is("Sqrt")
            || SoleReader(sqrt.Output(0)!) != div || div.Input(1) != sqrt.Output(0))
        {
            return null;
        }

        var nodes = new List<GraphNode> { mean, sub, pow, mean2, addEps, sqrt, div };
        var normalized = div.Output(0)!;
        var axis = axes[0];
        var normShape = new SymbolicShape(xs.Dims.Skip(axis));
        GraphValue? scale = null;
        GraphValue? bias = null;
        var output = normalized;
        if (SoleReader(normalized) is { } mul && mul.Is("Mul"))
        {
            var g = mul.Input(0) == normalized ? mul.Input(1) : mul.Input(0);
            if (g is not null && g.IsConstant && NormalizedShape(shapes[g].Shape, normShape))
            {
                scale = g;
                nodes.Add(mul);
                output = mul.Output(0)!;
                if (SoleReader(output) is { } add && add.Is("Add"))
                {
                    var b = add.Input(0) == output ? add.Input(1) : add.Input(0);
                    if (b is not null && b.IsConstant && NormalizedShape(shapes[b].Shape, normShape))
                    {
                        bias = b;
                        nodes.Add(add);
                        output = add.Output(0)!;
                    }
                }
            }
        }

        return new LayerNormPattern(x, axis, eps, scale, bias, output, nodes);
    }

    /// <summary>The reduced axes when they are the trailing axes of a rank-<paramref name="rank"/> input and keepdims = 1.</summary>
    private static int[]? ReducedAxes(GraphNode reduce, ShapeInferenceResult shapes, int rank)
    {
        if (reduce.Attributes.GetInt("keepdims", 1) != 1)
        {
            return null;
        }

        var axes = reduce.OpsetVersion >= 18 ? ConstantInts(shapes, reduce.Input(1)) : reduce.Attributes.GetInts("axes");
        if (axes is null || axes.Length == 0)
        {
            return null;
        }

        var normalized = axes.Select(a => (int)(a < 0 ? a + rank : a)).Order().ToArray();
        for (var i = 0; i < normalized.Length; i++)
        {
            if (normalized[i] != rank - normalized.Length + i)
            {
                return null;
            }
        }

        return normalized;
    }

    private static bool NormalizedShape(SymbolicShape? parameter, SymbolicShape normalized) =>
        parameter is not null && SameShape(parameter, normalized);
}
