using System.Buffers.Binary;
using Onnx;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using static SuperRes.Deploy.Engines.Passes.PassHelpers;

namespace SuperRes.Deploy.Engines.Passes.Layout;

/// <summary>
/// Exact rewrites that remove Transpose and Reshape nodes (the data movement the DITN paper counts), run after fusion
/// when the op's layouts have absorbed what they can:
/// <list type="number">
/// <item><b>Split → Reshape</b>: when every output of <c>Split(X, axis a)</c> is read only by a Reshape that merges the
/// dims after a ([…, cᵢ, h, w] → […, cᵢ, h·w]), reshape X once and split that.</item>
/// <item><b>Split/Slice → Transpose</b>: when every output of a Split (or two or more Slices of one tensor) is read
/// only by a Transpose with the same permutation, transpose the source once and split/slice along the moved axis.</item>
/// <item><b>Transpose → Transpose</b>: two transposes in a row become one (or none).</item>
/// <item><b>Transpose of a linear layer on transposed input</b>: <c>Transpose(MatMul(Transpose(x), W) + b)</c> with the
/// last two axes swapped both times is <c>MatMul(Wᵀ, x) + bᵀ</c> (W a constant matrix, b a constant vector): DITN's qkv
/// projection on channel-first patches.</item>
/// <item><b>Sliced linear layer</b>: a constant-weight MatMul (+ bias) read only through Slices of its output rows (or
/// columns) becomes one MatMul per slice, so q, k and v are computed apart instead of computed together and copied
/// apart (see <see cref="LinearThenSlices"/>).</item>
/// </list>
/// Every rule checks shapes symbolically (valid at every input size) and that the nodes it removes have no other readers.
/// </summary>
public static class LayoutRewrites
{
    /// <summary>Applies the rules until none applies (at most 16 rounds). Returns one line per rewrite.</summary>
    public static IReadOnlyList<string> Run(OnnxGraph graph, ShapeInferenceOptions? shapeOptions = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var notes = new List<string>();
        for (var round = 0; round < 16; round++)
        {
            var before = notes.Count;
            var shapes = ShapeInference.Run(graph, shapeOptions);
            var alive = graph.Nodes.ToHashSet();
            foreach (var node in shapes.Order.ToList())
            {
                if (node.Graph != graph || !alive.Contains(node))
                {
                    continue;
                }

                string? note = null;
                if (node.Is("Split"))
                {
                    note = SplitThenReshape(graph, node, shapes) ?? SplitThenTranspose(graph, node, shapes);
                }
                else if (node.Is("Transpose"))
                {
                    note = TransposeOfTranspose(graph, node) ?? TransposeOfLinear(graph, node, shapes);
                }

                if (note is not null)
                {
                    notes.Add(note);
                    alive = graph.Nodes.ToHashSet();
                }
            }

            if (notes.Count == before && SlicesThenTranspose(graph, shapes) is { } slices)
            {
                notes.Add(slices);
            }

            if (notes.Count == before)
            {
                break;
            }
        }

        // Last, once the transposes are gone: a linear layer whose output is only sliced becomes one layer per slice.
        var sliced = ShapeInference.Run(graph, shapeOptions);
        foreach (var node in sliced.Order.Where(n => n.Is("MatMul")).ToList())
        {
            if (graph.Nodes.Contains(node) && LinearThenSlices(graph, node, sliced) is { } note)
            {
                notes.Add(note);
            }
        }

        return notes;
    }

    private static string? SplitThenReshape(OnnxGraph graph, GraphNode split, ShapeInferenceResult shapes)
    {
        var x = split.Input(0);
        if (x is null || shapes[x].Shape is not { } xs)
        {
            return null;
        }

        var axis = (int)split.Attributes.GetInt("axis", 0);
        axis = axis < 0 ? axis + xs.Rank : axis;
        if (axis < 0 || axis >= xs.Rank - 1 || split.Outputs.Count < 1)
        {
            return null;
        }

        var reshapes = new List<GraphNode>();
        foreach (var o in split.Outputs)
        {
            if (o is null || SoleReader(o) is not { } r || !r.Is("Reshape") || r.Input(0) != o || r.Attributes.GetInt("allowzero", 0) != 0)
            {
                return null;
            }

            var s = shapes[o].Shape;
            var t = shapes[r.Output(0)!].Shape;
            if (s is null || t is null || s.Rank <= axis + 1 || t.Rank != axis + 2 || s.Product(axis + 1, s.Rank) is not { } rest || !Same(t[axis + 1], rest))
            {
                return null;
            }

            for (var i = 0; i <= axis; i++)
            {
                if (!Same(s[i], t[i]))
                {
                    return null;
                }
            }

            reshapes.Add(r);
        }

        using var edit = graph.Edit();
        var target = AddInt64s(edit, split.DisplayName + "_merge_shape", [axis + 2], [.. Enumerable.Repeat(0L, axis + 1), -1]);
        var merged = AddNode(edit, "Reshape", split.DisplayName + "_Reshape", [x, target]);
        var newSplit = CopySplit(edit, split, merged, axis);
        for (var i = 0; i < reshapes.Count; i++)
        {
            edit.ReplaceAllUses(reshapes[i].Output(0)!, newSplit.Outputs[i]!);
        }

        edit.RemoveNodes(reshapes);
        edit.RemoveNode(split);
        edit.Commit();
        return $"Split '{split.DisplayName}': {reshapes.Count} Reshapes merging the dims after axis {axis} became one Reshape before the split";
    }

    private static string? SplitThenTranspose(OnnxGraph graph, GraphNode split, ShapeInferenceResult shapes)
    {
        var y = split.Input(0);
        if (y is null || shapes[y].Shape is not { } ys || split.Outputs.Count < 2)
        {
            return null;
        }

        var axis = (int)split.Attributes.GetInt("axis", 0);
        axis = axis < 0 ? axis + ys.Rank : axis;
        int[]? perm = null;
        var transposes = new List<GraphNode>();
        foreach (var o in split.Outputs)
        {
            if (o is null || SoleReader(o) is not { } t || !t.Is("Transpose") || Permutation(t, ys.Rank) is not { } p)
            {
                return null;
            }

            if (perm is not null && !perm.SequenceEqual(p))
            {
                return null;
            }

            perm = p;
            transposes.Add(t);
        }

        var newAxis = Array.IndexOf(perm!, axis);
        using var edit = graph.Edit();
        var transposed = AddNode(edit, "Transpose", split.DisplayName + "_Transpose", [y], NodeAttributes.IntsAttribute("perm", [.. perm!.Select(p => (long)p)]));
        var newSplit = CopySplit(edit, split, transposed, newAxis);
        for (var i = 0; i < transposes.Count; i++)
        {
            edit.ReplaceAllUses(transposes[i].Output(0)!, newSplit.Outputs[i]!);
        }

        edit.RemoveNodes(transposes);
        edit.RemoveNode(split);
        edit.Commit();
        return $"Split '{split.DisplayName}': {transposes.Count} Transposes of its outputs became one Transpose before the split";
    }

    private static GraphNode CopySplit(GraphEditor edit, GraphNode split, GraphValue input, int axis)
    {
        var name = edit.UniqueNodeName(split.DisplayName + "_hoisted");
        var proto = new NodeProto { OpType = "Split", Name = name, Domain = split.Proto.Domain };
        proto.Input.Add(input.Name);
        for (var i = 1; i < split.Inputs.Count; i++)
        {
            proto.Input.Add(split.Inputs[i]?.Name ?? string.Empty);
        }

        for (var i = 0; i < split.Outputs.Count; i++)
        {
            proto.Output.Add(edit.UniqueValueName($"{name}_output_{i}"));
        }

        proto.Attribute.AddRange(split.Proto.Attribute.Where(a => a.Name != "axis").Select(a => a.Clone()));
        proto.Attribute.Add(NodeAttributes.IntAttribute("axis", axis));
        return edit.AddNode(proto);
    }

    private static string? SlicesThenTranspose(OnnxGraph graph, ShapeInferenceResult shapes)
    {
        foreach (var y in graph.Values.ToList())
        {
            if (shapes[y].Shape is not { } ys)
            {
                continue;
            }

            var groups = new Dictionary<string, List<(GraphNode Slice, GraphNode Transpose, long[] Axes)>>(StringComparer.Ordinal);
            foreach (var slice in Readers(y).Where(n => n.Is("Slice") && n.Input(0) == y))
            {
                if (slice.Output(0) is not { } o || SoleReader(o) is not { } t || !t.Is("Transpose") || Permutation(t, ys.Rank) is not { } p)
                {
                    continue;
                }

                long[]? axes = slice.Input(3) is { } axesValue ? ConstantInts(shapes, axesValue) : shapes[slice.Input(1)!].Shape is { Rank: 1 } st && st[0]?.AsConstant is { } n
                    ? [.. Enumerable.Range(0, (int)n).Select(i => (long)i)]
                    : null;
                if (axes is null)
                {
                    continue;
                }

                var key = string.Join(",", p);
                if (!groups.TryGetValue(key, out var list))
                {
                    groups[key] = list = [];
                }

                list.Add((slice, t, [.. axes.Select(a => a < 0 ? a + ys.Rank : a)]));
            }

            foreach (var group in groups.Values.Where(g => g.Count >= 2))
            {
                var perm = Permutation(group[0].Transpose, ys.Rank)!;
                using var edit = graph.Edit();
                var transposed = AddNode(edit, "Transpose", group[0].Slice.DisplayName + "_source_Transpose", [y], NodeAttributes.IntsAttribute("perm", [.. perm.Select(p => (long)p)]));
                foreach (var (slice, transpose, axes) in group)
                {
                    var newAxes = AddInt64s(edit, slice.DisplayName + "_axes", [axes.Length], [.. axes.Select(a => (long)Array.IndexOf(perm, (int)a))]);
                    var inputs = new List<GraphValue?> { transposed, slice.Input(1), slice.Input(2), newAxes };
                    if (slice.Input(4) is { } steps)
                    {
                        inputs.Add(steps);
                    }

                    var sliced = AddNode(edit, "Slice", slice.DisplayName + "_transposed", inputs);
                    edit.ReplaceAllUses(transpose.Output(0)!, sliced);
                    edit.RemoveNode(transpose);
                    edit.RemoveNode(slice);
                }

                edit.Commit();
                return $"'{y.Name}': {group.Count} Slices each followed by the same Transpose became one Transpose before the slices";
            }
        }

        return null;
    }

    /// <summary>
    /// <c>MatMul(W, x) [+ b]</c> (W a constant [n, k] matrix, b a constant [n, 1] column) read only by Slices of the rows
    /// (axis −2, constant bounds, step 1): each slice becomes <c>MatMul(W[s:e], x) [+ b[s:e]]</c>, so the product is
    /// never materialised and then copied apart. The same with W on the right (<c>MatMul(x, W) [+ b]</c>, b of [n]) and
    /// slices of the columns (last axis). Every output element is the same dot product as before.
    /// </summary>
    private static string? LinearThenSlices(OnnxGraph graph, GraphNode matmul, ShapeInferenceResult shapes)
    {
        var left = matmul.Input(0)?.Initializer is { Dims.Count: 2, DataType: (int)TensorProto.Types.DataType.Float } && !matmul.Input(0)!.IsGraphInput;
        var right = matmul.Input(1)?.Initializer is { Dims.Count: 2, DataType: (int)TensorProto.Types.DataType.Float } && !matmul.Input(1)!.IsGraphInput;
        if (left == right)
        {
            return null;
        }

        var weight = matmul.Input(left ? 0 : 1)!;
        var x = matmul.Input(left ? 1 : 0)!;
        var w = weight.Initializer!;
        var (rows, cols) = (w.Dims[0], w.Dims[1]);
        var n = left ? rows : cols;
        var product = matmul.Output(0)!;
        if (shapes[product].Shape is not { Rank: >= 2 } ps || product.IsGraphOutput)
        {
            return null;
        }

        GraphNode? add = null;
        float[]? bias = null;
        var y = product;
        if (SoleReader(product) is { } a && a.Is("Add"))
        {
            var b = a.Input(0) == product ? a.Input(1) : a.Input(0);
            var expected = left ? new long[] { n, 1 } : [n];
            if (b?.GetConstantData() is not { } bd || !bd.Shape.SequenceEqual(expected) || !bd.TryGetDoubles(out var values, n))
            {
                return null;
            }

            add = a;
            bias = [.. values.Select(v => (float)v)];
            y = a.Output(0)!;
            if (y.IsGraphOutput)
            {
                return null;
            }
        }

        var axis = left ? ps.Rank - 2 : ps.Rank - 1;
        var slices = new List<(GraphNode Slice, long Start, long End)>();
        foreach (var reader in Readers(y))
        {
            if (!reader.Is("Slice") || reader.Input(0) != y || reader.Input(4) is { } steps && ConstantInts(shapes, steps) is not [1]
                || ConstantInts(shapes, reader.Input(3)) is not [var ax] || (ax < 0 ? ax + ps.Rank : ax) != axis
                || ConstantInts(shapes, reader.Input(1)) is not [var start] || ConstantInts(shapes, reader.Input(2)) is not [var end])
            {
                return null;
            }

            start = Math.Clamp(start < 0 ? start + n : start, 0, n);
            end = Math.Clamp(end < 0 ? end + n : end, 0, n);
            if (end <= start)
            {
                return null;
            }

            slices.Add((reader, start, end));
        }

        if (slices.Count < 2 || y.Uses.Count != slices.Count)
        {
            return null;
        }

        var data = weight.GetConstantData()!.ReadBytes();
        using var edit = graph.Edit();
        foreach (var (slice, start, end) in slices)
        {
            var count = end - start;
            var part = new float[left ? count * cols : rows * count];
            for (long i = 0; i < (left ? count : rows); i++)
            {
                for (long j = 0; j < (left ? cols : count); j++)
                {
                    var (si, sj) = left ? (start + i, j) : (i, start + j);
                    part[(i * (left ? cols : count)) + j] = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan((int)(((si * cols) + sj) * 4)));
                }
            }

            var partWeight = AddFloats(edit, $"{weight.Name}_rows_{start}_{end}", left ? [count, cols] : [rows, count], part);
            var result = AddNode(edit, "MatMul", $"{matmul.DisplayName}_{start}_{end}", left ? [partWeight, x] : [x, partWeight]);
            if (bias is not null)
            {
                var partBias = AddFloats(edit, $"{add!.DisplayName}_bias_{start}_{end}", left ? [count, 1] : [count], bias[(int)start..(int)end]);
                result = AddNode(edit, "Add", $"{add.DisplayName}_{start}_{end}", [result, partBias]);
            }

            edit.ReplaceAllUses(slice.Output(0)!, result);
            edit.RemoveNode(slice);
        }

        if (add is not null)
        {
            edit.RemoveNode(add);
        }

        edit.RemoveNode(matmul);
        edit.RemoveDeadNodes();
        edit.Commit();
        return $"MatMul '{matmul.DisplayName}' read only through {slices.Count} Slices became {slices.Count} MatMuls by the matching {(left ? "rows" : "columns")} of '{weight.Name}'";
    }

    private static string? TransposeOfTranspose(OnnxGraph graph, GraphNode outer)
    {
        if (outer.Input(0)?.Producer is not { } inner || !inner.Is("Transpose") || SoleReader(inner.Output(0)!) != outer)
        {
            return null;
        }

        var rank = inner.Attributes.GetInts("perm")?.Length ?? outer.Attributes.GetInts("perm")?.Length ?? -1;
        if (rank < 0 || Permutation(inner, rank) is not { } p1 || Permutation(outer, rank) is not { } p2)
        {
            return null;
        }

        var composed = p2.Select(i => p1[i]).ToArray();
        using var edit = graph.Edit();
        var x = inner.Input(0)!;
        if (IsIdentity(composed))
        {
            edit.ReplaceAllUses(outer.Output(0)!, x);
        }
        else
        {
            var merged = AddNode(edit, "Transpose", outer.DisplayName + "_merged", [x], NodeAttributes.IntsAttribute("perm", [.. composed.Select(p => (long)p)]));
            edit.ReplaceAllUses(outer.Output(0)!, merged);
        }

        edit.RemoveNode(outer);
        edit.RemoveNode(inner);
        edit.Commit();
        return $"Transposes '{inner.DisplayName}' and '{outer.DisplayName}' {(IsIdentity(composed) ? "cancel" : "merged into one")}";
    }

    private static string? TransposeOfLinear(OnnxGraph graph, GraphNode t, ShapeInferenceResult shapes)
    {
        var y = t.Input(0);
        if (y is null || shapes[y].Shape is not { Rank: >= 2 } ys || Permutation(t, ys.Rank) is not { } perm || !perm.SequenceEqual(SwapLastTwo(ys.Rank).Select(p => (int)p)))
        {
            return null;
        }

        GraphNode? add = null;
        GraphValue? bias = null;
        var m = y.Producer;
        if (m is not null && m.Is("Add") && SoleReader(y) == t)
        {
            add = m;
            var side = add.Input(0)?.Producer is { } p0 && p0.Is("MatMul") ? 0 : 1;
            m = add.Input(side)?.Producer;
            bias = add.Input(1 - side);
            if (m is null || SoleReader(m.Output(0)!) != add)
            {
                return null;
            }
        }
        else if (SoleReader(y) != t)
        {
            return null;
        }

        if (m is null || !m.Is("MatMul") || m.Input(1) is not { Initializer: { } w } weight || w.Dims.Count != 2 || w.DataType != (int)TensorProto.Types.DataType.Float
            || weight.IsGraphInput || m.Input(0)?.Producer is not { } a || !a.Is("Transpose") || SoleReader(a.Output(0)!) != m)
        {
            return null;
        }

        var xs = shapes[a.Input(0)!].Shape;
        if (xs is null || xs.Rank < 2 || Permutation(a, xs.Rank) is not { } ap || !ap.SequenceEqual(SwapLastTwo(xs.Rank).Select(p => (int)p)))
        {
            return null;
        }

        var k = w.Dims[0];
        var n = w.Dims[1];
        float[]? b = null;
        if (bias is not null)
        {
            if (bias.GetConstantData() is not { } bd || bd.Shape.Count != 1 || bd.Shape[0] != n || !bd.TryGetDoubles(out var values, n))
            {
                return null;
            }

            b = [.. values.Select(v => (float)v)];
        }

        var bytes = weight.GetConstantData()!.ReadBytes();
        var transposedWeights = new float[k * n];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < n; j++)
            {
                transposedWeights[(j * k) + i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(((i * n) + j) * 4)));
            }
        }

        using var edit = graph.Edit();
        var wt = AddFloats(edit, weight.Name + "_transposed", [n, k], transposedWeights);
        var product = AddNode(edit, "MatMul", m.DisplayName + "_transposed", [wt, a.Input(0)]);
        var result = b is null ? product : AddNode(edit, "Add", (add?.DisplayName ?? m.DisplayName) + "_transposed", [product, AddFloats(edit, bias!.Name + "_column", [n, 1], b)]);
        edit.ReplaceAllUses(t.Output(0)!, result);
        edit.RemoveNode(t);
        if (add is not null)
        {
            edit.RemoveNode(add);
        }

        edit.RemoveNode(m);
        edit.RemoveNode(a);
        edit.RemoveDeadNodes();
        edit.Commit();
        return $"Transpose '{t.DisplayName}' of MatMul '{m.DisplayName}' on Transpose '{a.DisplayName}' became MatMul(Wᵀ, x){(b is null ? string.Empty : " + bᵀ")}";
    }
}
