using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Graph.Shapes;

public static partial class ShapeRules
{
    private static void MatMul(ShapeRuleContext c)
    {
        var quantized = c.Node.OpType == "QLinearMatMul";
        var a = c.InputShape(0);
        var b = c.InputShape(quantized ? 3 : 1);
        var type = c.Node.OpType switch
        {
            "MatMulInteger" => ElementTypes.Int32Type,
            "QLinearMatMul" => c.InputType(7),
            _ => c.InputType(0),
        };
        c.SetOutput(0, type, MatMulShape(c, a, b));
    }

    /// <summary>numpy matmul: 1-D operands are promoted and the added axis removed; batch dims broadcast; K must agree.</summary>
    internal static SymbolicShape? MatMulShape(ShapeRuleContext c, SymbolicShape? a, SymbolicShape? b)
    {
        if (a is null || b is null || a.Rank == 0 || b.Rank == 0)
        {
            return null;
        }

        var aDims = a.Rank == 1 ? new[] { DimExpr.One, a[0] } : a.Dims.ToArray();
        var bDims = b.Rank == 1 ? new[] { b[0], DimExpr.One } : b.Dims.ToArray();
        var ka = aDims[^1];
        var kb = bDims[^2];
        if (ka is not null && kb is not null)
        {
            c.RequireEqual(ka, kb, "MatMul inner dimensions must agree");
        }

        var batch = c.Broadcast(new SymbolicShape(aDims[..^2]), new SymbolicShape(bDims[..^2]))!;
        var dims = batch.Dims.ToList();
        if (a.Rank > 1)
        {
            dims.Add(aDims[^2]);
        }

        if (b.Rank > 1)
        {
            dims.Add(bDims[^1]);
        }

        return new SymbolicShape(dims);
    }

    private static void Gemm(ShapeRuleContext c)
    {
        var a = c.InputShape(0);
        var b = c.InputShape(1);
        var ta = c.Attributes.GetInt("transA", 0) != 0;
        var tb = c.Attributes.GetInt("transB", 0) != 0;
        if (a is not { Rank: 2 } || b is not { Rank: 2 })
        {
            c.SetOutput(0, c.InputType(0), SymbolicShape.Of(null, null));
            return;
        }

        var m = ta ? a[1] : a[0];
        var ka = ta ? a[0] : a[1];
        var kb = tb ? b[1] : b[0];
        var n = tb ? b[0] : b[1];
        if (ka is not null && kb is not null)
        {
            c.RequireEqual(ka, kb, "Gemm inner dimensions must agree");
        }

        var shape = SymbolicShape.Of(m, n);
        if (c.HasInput(2) && c.InputShape(2) is { } bias)
        {
            c.Broadcast(shape, bias);
        }

        c.SetOutput(0, c.InputType(0), shape);
    }

    private static void Einsum(ShapeRuleContext c)
    {
        var equation = c.Attributes.GetString("equation", string.Empty).Replace(" ", string.Empty, StringComparison.Ordinal);
        var type = c.InputType(0);
        var parts = equation.Split("->");
        var inputs = parts[0].Split(',');
        if (inputs.Length != c.InputCount)
        {
            ShapeRuleContext.Fail($"equation '{equation}' names {inputs.Length} operands but the node has {c.InputCount}");
        }

        var letters = new Dictionary<char, DimExpr?>();
        var counts = new Dictionary<char, int>();
        SymbolicShape? ellipsis = SymbolicShape.Scalar;
        for (var i = 0; i < inputs.Length; i++)
        {
            var shape = c.InputShape(i);
            var term = inputs[i];
            var hasEllipsis = term.Contains("...", StringComparison.Ordinal);
            var labels = term.Replace("...", string.Empty, StringComparison.Ordinal);
            if (shape is null)
            {
                foreach (var ch in labels)
                {
                    letters.TryAdd(ch, null);
                    counts[ch] = counts.GetValueOrDefault(ch) + 1;
                }

                ellipsis = hasEllipsis ? null : ellipsis;
                continue;
            }

            var ellipsisRank = shape.Rank - labels.Length;
            if (ellipsisRank < 0 || (!hasEllipsis && ellipsisRank != 0))
            {
                ShapeRuleContext.Fail($"operand {i} has rank {shape.Rank} but '{term}' labels {labels.Length} axes");
            }

            var position = 0;
            var before = hasEllipsis ? term.IndexOf("...", StringComparison.Ordinal) : labels.Length;
            for (var k = 0; k < labels.Length; k++)
            {
                if (k == before)
                {
                    position += ellipsisRank;
                }

                var ch = labels[k];
                var d = shape[position++];
                counts[ch] = counts.GetValueOrDefault(ch) + 1;
                if (!letters.TryGetValue(ch, out var existing) || existing is null)
                {
                    letters[ch] = d;
                }
                else if (d is not null && !existing.Equals(d))
                {
                    letters[ch] = c.BroadcastDim(existing, d);
                }
            }

            if (hasEllipsis && ellipsis is not null)
            {
                var own = new SymbolicShape(shape.Dims.Skip(before).Take(ellipsisRank));
                ellipsis = c.Broadcast(ellipsis, own);
            }
        }

        string output;
        if (parts.Length > 1)
        {
            output = parts[1];
        }
        else
        {
            output = (equation.Contains("...", StringComparison.Ordinal) ? "..." : string.Empty) +
                     new string([.. counts.Where(kv => kv.Value == 1).Select(kv => kv.Key).Order()]);
        }

        var dims = new List<DimExpr?>();
        for (var i = 0; i < output.Length; i++)
        {
            if (output[i] == '.')
            {
                if (ellipsis is null)
                {
                    c.SetOutput(0, type, null);
                    return;
                }

                dims.AddRange(ellipsis.Dims);
                i += 2;
                continue;
            }

            dims.Add(letters.TryGetValue(output[i], out var d) ? d : null);
        }

        c.SetOutput(0, type, new SymbolicShape(dims));
    }

    private static void Reduce(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var type = c.InputType(0);
        var keep = c.Attributes.GetInt("keepdims", 1) != 0;
        var inputSince = c.Node.OpType == "ReduceSum" ? 13 : 18;
        var noopWhenEmpty = c.Attributes.GetInt("noop_with_empty_axes", 0) != 0;
        if (x is null)
        {
            c.SetOutput(0, type, null);
            return;
        }

        long[]? axes = c.Opset < inputSince ? c.Attributes.GetInts("axes") : c.HasInput(1) ? ConstantInts(c, "axes", 1, inputSince) : null;
        if (axes is { Length: 0 })
        {
            axes = null;
        }

        if (axes is null && noopWhenEmpty && c.Opset >= inputSince)
        {
            c.SetOutput(0, type, x, c.InputValue(0));
            return;
        }

        var reduced = axes is null ? Enumerable.Range(0, x.Rank).ToHashSet() : axes.Select(a => ShapeRuleContext.NormalizeAxis(a, x.Rank)).ToHashSet();
        var dims = new List<DimExpr?>();
        for (var i = 0; i < x.Rank; i++)
        {
            if (!reduced.Contains(i))
            {
                dims.Add(x[i]);
            }
            else if (keep)
            {
                dims.Add(DimExpr.One);
            }
        }

        SymbolicValue? value = null;
        if (c.InputValue(0) is { Rank: 1, IsInteger: true } v && v.AllKnown && reduced.Count == 1)
        {
            var elements = v.Ints!.Select(e => e!).ToList();
            DimExpr? folded = c.Node.OpType switch
            {
                "ReduceProd" => elements.Aggregate(DimExpr.One, (p, q) => p * q),
                "ReduceSum" => elements.Aggregate(DimExpr.Zero, (p, q) => p + q),
                "ReduceMax" when elements.Count > 0 => elements.Aggregate(DimExpr.Max),
                "ReduceMin" when elements.Count > 0 => elements.Aggregate(DimExpr.Min),
                _ => null,
            };
            if (folded is not null)
            {
                value = keep ? SymbolicValue.Vector([folded]) : SymbolicValue.Scalar(folded);
            }
        }

        c.SetOutput(0, type, new SymbolicShape(dims), value);
    }

    private static void ArgReduce(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        if (x is null)
        {
            c.SetOutput(0, ElementTypes.Int64Type, null);
            return;
        }

        var axis = ShapeRuleContext.NormalizeAxis(c.Attributes.GetInt("axis", 0), x.Rank);
        var keep = c.Attributes.GetInt("keepdims", 1) != 0;
        c.SetOutput(0, ElementTypes.Int64Type, keep ? x.With(axis, DimExpr.One) : new SymbolicShape(x.Dims.Where((_, i) => i != axis)));
    }
}
