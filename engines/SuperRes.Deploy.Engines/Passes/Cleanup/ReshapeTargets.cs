using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using static SuperRes.Deploy.Engines.Passes.PassHelpers;

namespace SuperRes.Deploy.Engines.Passes.Cleanup;

/// <summary>
/// Replaces a Reshape's computed target (PyTorch's Shape → Gather → Unsqueeze → Concat chains for view(B, C, -1) under
/// dynamic shapes) by a constant when the output shape is known symbolically: each dim becomes its number when it is a
/// constant, 0 ("copy the input's dim") when it provably equals the input dim at the same position, and at most one
/// dim -1 (inferred). The result is the same at every input size; the shape chain then becomes dead. Reshapes with
/// <c>allowzero = 1</c> are left alone (0 would mean an empty dim there).
/// </summary>
public static class ReshapeTargets
{
    public static IReadOnlyList<string> Run(OnnxGraph graph, ShapeInferenceResult shapes)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(shapes);
        var notes = new List<string>();
        var plans = new List<(GraphNode Node, long[] Target)>();
        foreach (var node in graph.Nodes.Where(n => n.Is("Reshape")))
        {
            var target = node.Input(1);
            if (target is null || target.IsConstant || node.Attributes.GetInt("allowzero", 0) != 0 || node.Input(0) is not { } x)
            {
                continue;
            }

            var inShape = shapes[x].Shape;
            var outShape = shapes[node.Output(0)!].Shape;
            if (inShape is null || outShape is null || !outShape.IsFullyKnown || shapes[target].DependsOnData)
            {
                continue;
            }

            var dims = new long[outShape.Rank];
            var inferred = 0;
            for (var i = 0; i < outShape.Rank; i++)
            {
                var d = outShape[i]!;
                if (d.AsConstant is { } c && c > 0)
                {
                    dims[i] = c;
                }
                else if (i < inShape.Rank && Same(d, inShape[i]))
                {
                    dims[i] = 0;
                }
                else
                {
                    dims[i] = -1;
                    inferred++;
                }
            }

            if (inferred <= 1)
            {
                plans.Add((node, dims));
            }
        }

        if (plans.Count == 0)
        {
            return notes;
        }

        using var edit = graph.Edit();
        foreach (var (node, dims) in plans)
        {
            var value = AddInt64s(edit, node.DisplayName + "_static_shape", [dims.Length], dims);
            edit.SetInput(node, 1, value);
            notes.Add($"Reshape '{node.DisplayName}': computed target → [{string.Join(", ", dims)}]");
        }

        edit.Commit();
        return notes;
    }
}
