using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Graph.Symbolic;
using static SuperRes.Deploy.Engines.Passes.PassHelpers;

namespace SuperRes.Deploy.Engines.Passes.Attention;

/// <summary>The layouts a fused node ended with, and what was folded into them.</summary>
public sealed record FoldedLayout(string InputLayout, string OutputLayout, IReadOnlyList<string> Notes);

/// <summary>
/// Folds the transposes and reshapes around freshly fused nodes into the op's layouts, where that is exact:
/// <list type="bullet">
/// <item>Q, K, V of rank 4 that are each <c>Transpose(x, [0,2,1,3])</c> of a [B, N, H, d] tensor, or
/// <c>Gather(Transpose(x, p), axis, i)</c> whose transpose, pushed below the Gather, is that same [0,2,1,3] (Swin's and
/// ViT's packed qkv: [B, N, 3, H, d] → [3, B, H, N, d] → q), read the [B, N, H, d] tensor directly: <c>input_layout = BNHD</c>.</item>
/// <item>An output [B, H, Nq, dv] read only by <c>Transpose([0,2,1,3])</c> is produced as [B, Nq, H, dv]:
/// <c>output_layout = BNHD</c>; if that is read only by a Reshape to [B, Nq, H·dv], <c>output_layout = BNC</c>.</item>
/// </list>
/// </summary>
public static class AttentionLayoutFolding
{
    private static readonly int[] HeadSwap = [0, 2, 1, 3];

    public static IReadOnlyDictionary<string, FoldedLayout> Run(OnnxGraph graph, IReadOnlyCollection<string> fusedNodeNames, ShapeInferenceOptions? shapeOptions = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(fusedNodeNames);
        var shapes = ShapeInference.Run(graph, shapeOptions);
        var result = new Dictionary<string, FoldedLayout>(StringComparer.Ordinal);
        foreach (var name in fusedNodeNames)
        {
            var node = graph.FindNode(name);
            if (node is null || !FusedAttentionContract.IsFusedAttention(node))
            {
                continue;
            }

            var notes = new List<string>();
            var inputLayout = node.Attributes.GetString("input_layout", FusedAttentionContract.Bhnd);
            var outputLayout = node.Attributes.GetString("output_layout", inputLayout);
            if (inputLayout == FusedAttentionContract.Bhnd && shapes[node.Input(0)!].Shape is { Rank: 4 } qShape && TryFoldInputs(graph, node, shapes, notes))
            {
                inputLayout = FusedAttentionContract.Bnhd;
                if (qShape[1]?.AsConstant is { } heads)
                {
                    using var edit = graph.Edit();
                    edit.SetAttribute(node, NodeAttributes.IntAttribute("num_heads", heads));
                    edit.Commit();
                }
            }

            var output = node.Outputs[0]!;
            var outShape = shapes[output].Shape;
            var rank4Output = outShape is { Rank: 4 } && (inputLayout != FusedAttentionContract.Bhnd || shapes[node.Input(0)!].Shape?.Rank == 4);
            if (outputLayout == FusedAttentionContract.Bhnd && rank4Output && SoleReader(output) is { } t && t.Is("Transpose")
                && Permutation(t, 4) is { } perm && perm.SequenceEqual(HeadSwap))
            {
                var transposed = t.Output(0)!;
                var transposedShape = shapes[transposed].Shape;
                using (var edit = graph.Edit())
                {
                    edit.SetAttribute(node, NodeAttributes.StringAttribute("output_layout", FusedAttentionContract.Bnhd));
                    edit.ReplaceAllUses(transposed, output);
                    edit.RemoveNode(t);
                    edit.Commit();
                }

                outputLayout = FusedAttentionContract.Bnhd;
                notes.Add($"output Transpose '{t.DisplayName}' folded: output_layout BNHD");

                if (SoleReader(output) is { } r && r.Is("Reshape") && transposedShape is { Rank: 4 } ts
                    && shapes[r.Output(0)!].Shape is { Rank: 3 } rs && Same(rs[0], ts[0]) && Same(rs[1], ts[1])
                    && ts[2] is { } h && ts[3] is { } dv && Same(rs[2], h * dv))
                {
                    var merged = r.Output(0)!;
                    using var edit = graph.Edit();
                    edit.SetAttribute(node, NodeAttributes.StringAttribute("output_layout", FusedAttentionContract.Bnc));
                    edit.ReplaceAllUses(merged, output);
                    edit.RemoveNode(r);
                    edit.Commit();
                    outputLayout = FusedAttentionContract.Bnc;
                    notes.Add($"output Reshape '{r.DisplayName}' to [B, Nq, H·dv] folded: output_layout BNC");
                }
            }

            result[name] = new FoldedLayout(inputLayout, outputLayout, notes);
        }

        return result;
    }

    /// <summary>Rewires Q, K, V to their [B, N, H, d] sources when all three have one; true when done.</summary>
    private static bool TryFoldInputs(OnnxGraph graph, GraphNode node, ShapeInferenceResult shapes, List<string> notes)
    {
        var sources = new List<Source>();
        for (var i = 0; i < 3; i++)
        {
            if (node.Input(i) is not { } x || FindSource(x, node, shapes) is not { } source)
            {
                return false;
            }

            sources.Add(source);
        }

        using var edit = graph.Edit();
        for (var i = 0; i < 3; i++)
        {
            var s = sources[i];
            GraphValue replacement;
            if (s.Gather is { } g)
            {
                replacement = AddNode(edit, "Gather", g.DisplayName + "_BNHD", [s.Data, g.Input(1)], NodeAttributes.IntAttribute("axis", s.GatherAxis));
                notes.Add($"{"QKV"[i]}: Gather '{g.DisplayName}' of Transpose '{s.Transpose.DisplayName}' reads the [B, N, H, d] tensor on axis {s.GatherAxis}");
            }
            else
            {
                replacement = s.Data;
                notes.Add($"{"QKV"[i]}: Transpose '{s.Transpose.DisplayName}' folded");
            }

            edit.SetInput(node, i, replacement);
        }

        edit.SetAttribute(node, NodeAttributes.StringAttribute("input_layout", FusedAttentionContract.Bnhd));
        edit.RemoveDeadNodes(removeUnusedInitializers: false);
        edit.Commit();
        notes.Add("input_layout BNHD");
        return true;
    }

    private sealed record Source(GraphValue Data, GraphNode Transpose, GraphNode? Gather, int GatherAxis);

    private static Source? FindSource(GraphValue x, GraphNode reader, ShapeInferenceResult shapes)
    {
        if (SoleReader(x) != reader || x.Producer is not { } p)
        {
            return null;
        }

        if (p.Is("Transpose") && Permutation(p, 4) is { } perm && perm.SequenceEqual(HeadSwap))
        {
            return new Source(p.Input(0)!, p, null, 0);
        }

        // Gather(Transpose(X, perm), axis a, scalar i) = Transpose'(Gather(X, perm[a], i)) with perm' = perm without a.
        if (p.Is("Gather") && p.Input(0)?.Producer is { } t && t.Is("Transpose") && shapes[t.Input(0)!].Shape is { } dataShape
            && Permutation(t, dataShape.Rank) is { } tp && shapes[p.Input(1)!].Shape is { Rank: 0 } && ConstantInts(shapes, p.Input(1)) is { Length: 1 })
        {
            var axis = (int)p.Attributes.GetInt("axis", 0);
            axis = axis < 0 ? axis + tp.Length : axis;
            if (axis < 0 || axis >= tp.Length)
            {
                return null;
            }

            var removed = tp[axis];
            var pushed = tp.Where((_, i) => i != axis).Select(q => q > removed ? q - 1 : q).ToArray();
            return pushed.SequenceEqual(HeadSwap) ? new Source(t.Input(0)!, t, p, removed) : null;
        }

        return null;
    }

}
