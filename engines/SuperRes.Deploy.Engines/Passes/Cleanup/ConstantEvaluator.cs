using SuperRes.Deploy.Engines.Graph;
using DataType = Onnx.TensorProto.Types.DataType;

namespace SuperRes.Deploy.Engines.Passes.Cleanup;

/// <summary>
/// Evaluates one node on constant inputs, in C#, for the ops shape and mask subgraphs use: data movement (Reshape,
/// Squeeze, Unsqueeze, Flatten, Concat, Gather, Slice, Transpose, Expand, Tile, Identity), integer and comparison
/// arithmetic, Cast, Where, ConstantOfShape, integer Range, and float32 Add/Sub/Mul/Div/Neg/Abs/Sqrt/Reciprocal/Max/Min/
/// Floor/Ceil. Every result is exact: integers in 64 bits, float32 operations computed in double and rounded once (which
/// is the correctly rounded float32 result for +, −, ×, ÷ and √), so folding gives the bits ONNX Runtime would. Anything
/// else (transcendentals, reductions of floats) returns null and is not folded. Results over <c>maxBytes</c> are refused.
/// </summary>
internal static class ConstantEvaluator
{
    public static HostTensor[]? Evaluate(GraphNode node, IReadOnlyList<HostTensor?> inputs, long maxBytes)
    {
        try
        {
            var result = EvaluateCore(node, inputs, maxBytes);
            return result is not null && result.All(r => r.ByteSize <= maxBytes) ? result : null;
        }
        catch (Exception e) when (e is OverflowException or IndexOutOfRangeException or ArgumentException or InvalidOperationException or DivideByZeroException)
        {
            return null;
        }
    }

    private static HostTensor[]? EvaluateCore(GraphNode node, IReadOnlyList<HostTensor?> inputs, long maxBytes)
    {
        HostTensor In(int i) => i < inputs.Count && inputs[i] is { } t ? t : throw new InvalidOperationException("missing input");
        bool Has(int i) => i < inputs.Count && inputs[i] is not null;
        var a = node.Attributes;
        var opset = node.OpsetVersion;
        switch (node.OpType)
        {
            case "Identity":
                return [In(0)];
            case "Cast":
                return Cast(In(0), (int)a.GetInt("to", 0)) is { } c ? [c] : null;
            case "Reshape":
                return [In(0).WithShape(ReshapeTarget(In(0).Shape, In(1).Ints!, a.GetInt("allowzero", 0) != 0))];
            case "Flatten":
                {
                    var x = In(0);
                    var axis = (int)a.GetInt("axis", 1);
                    axis = axis < 0 ? axis + x.Rank : axis;
                    return [x.WithShape([HostTensor.Product(x.Shape.Take(axis)), HostTensor.Product(x.Shape.Skip(axis))])];
                }

            case "Squeeze":
                {
                    var x = In(0);
                    var axes = (opset >= 13 ? (Has(1) ? In(1).Ints : null) : a.GetInts("axes"))?.Select(v => (int)(v < 0 ? v + x.Rank : v)).ToHashSet();
                    return [x.WithShape([.. x.Shape.Where((d, i) => axes is null ? d != 1 : !axes.Contains(i))])];
                }

            case "Unsqueeze":
                {
                    var x = In(0);
                    var raw = opset >= 13 ? In(1).Ints! : a.GetInts("axes")!;
                    var rank = x.Rank + raw.Length;
                    var axes = raw.Select(v => (int)(v < 0 ? v + rank : v)).ToHashSet();
                    var shape = new long[rank];
                    var k = 0;
                    for (var i = 0; i < rank; i++)
                    {
                        shape[i] = axes.Contains(i) ? 1 : x.Shape[k++];
                    }

                    return [x.WithShape(shape)];
                }

            case "Concat":
                return [Concat(inputs.Where(t => t is not null).Select(t => t!).ToList(), (int)a.GetInt("axis", 0))];
            case "Gather":
                return [Gather(In(0), In(1), (int)a.GetInt("axis", 0))];
            case "Slice":
                return [Slice(In(0), In(1).Ints!, In(2).Ints!, Has(3) ? In(3).Ints : null, Has(4) ? In(4).Ints : null)];
            case "Transpose":
                {
                    var x = In(0);
                    var perm = a.GetInts("perm")?.Select(p => (int)p).ToArray() ?? [.. Enumerable.Range(0, x.Rank).Reverse()];
                    return [Transpose(x, perm)];
                }

            case "Expand":
                {
                    var x = In(0);
                    var shape = BroadcastShape(x.Shape, In(1).Ints!);
                    return HostTensor.Product(shape) * 8 > maxBytes ? null : [Broadcast(x, shape)];
                }

            case "Tile":
                {
                    var x = In(0);
                    var repeats = In(1).Ints!;
                    var shape = x.Shape.Select((d, i) => d * repeats[i]).ToArray();
                    if (HostTensor.Product(shape) * 8 > maxBytes)
                    {
                        return null;
                    }

                    var outStrides = HostTensor.Strides(shape);
                    var inStrides = HostTensor.Strides(x.Shape);
                    var map = new long[HostTensor.Product(shape)];
                    for (long i = 0; i < map.Length; i++)
                    {
                        long source = 0;
                        var rest = i;
                        for (var k = 0; k < shape.Length; k++)
                        {
                            var coord = rest / outStrides[k];
                            rest %= outStrides[k];
                            source += coord % x.Shape[k] * inStrides[k];
                        }

                        map[i] = source;
                    }

                    return [x.Gather(shape, map)];
                }

            case "ConstantOfShape":
                {
                    var shape = In(0).Ints!;
                    var count = HostTensor.Product(shape);
                    if (count * 8 > maxBytes)
                    {
                        return null;
                    }

                    var value = a.GetTensor("value") is { } t ? HostTensor.From(new ConstantTensor(t, p => SuperRes.Deploy.Engines.Onnx.TensorData.InlineBytes(p, "ConstantOfShape")), 64) : HostTensor.OfFloats([1], [0f]);
                    if (value is null || value.Count != 1)
                    {
                        return null;
                    }

                    return value.IsFloat
                        ? [HostTensor.OfFloats(shape, Enumerable.Repeat(value.Floats![0], (int)count).ToArray())]
                        : [HostTensor.OfInts(value.Type, shape, Enumerable.Repeat(value.Ints![0], (int)count).ToArray())];
                }

            case "Range":
                {
                    var (start, limit, delta) = (In(0), In(1), In(2));
                    if (start.IsFloat || start.Count != 1 || limit.Count != 1 || delta.Count != 1 || delta.Ints![0] == 0)
                    {
                        return null;
                    }

                    var (s, l, d) = (start.Ints![0], limit.Ints![0], delta.Ints[0]);
                    var n = Math.Max((long)Math.Ceiling((double)(l - s) / d), 0);
                    return n * 8 > maxBytes ? null : [HostTensor.OfInts(start.Type, [n], [.. Enumerable.Range(0, (int)n).Select(i => s + (i * d))])];
                }

            case "Where":
                {
                    var (cond, x, y) = (In(0), In(1), In(2));
                    var shape = BroadcastShape(BroadcastShape(cond.Shape, x.Shape), y.Shape);
                    var mask = Broadcast(cond, shape);
                    var bx = Broadcast(x, shape);
                    var by = Broadcast(y, shape);
                    return bx.IsFloat
                        ? [HostTensor.OfFloats(shape, [.. mask.Ints!.Select((v, i) => v != 0 ? bx.Floats![i] : by.Floats![i])])]
                        : [HostTensor.OfInts(bx.Type, shape, [.. mask.Ints!.Select((v, i) => v != 0 ? bx.Ints![i] : by.Ints![i])])];
                }

            case "Not":
                return [HostTensor.OfInts((int)DataType.Bool, In(0).Shape, [.. In(0).Ints!.Select(v => v == 0 ? 1L : 0L)])];
            case "Neg" or "Abs" or "Sqrt" or "Reciprocal" or "Floor" or "Ceil" or "Sign":
                return Unary(node.OpType, In(0)) is { } u ? [u] : null;
            case "Add" or "Sub" or "Mul" or "Div" or "Mod" or "Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual" or "And" or "Or" or "Xor":
                return Binary(node.OpType, In(0), In(1), a.GetInt("fmod", 0) != 0) is { } b ? [b] : null;
            case "Max" or "Min" or "Sum":
                {
                    var list = inputs.Where(t => t is not null).Select(t => t!).ToList();
                    var acc = list[0];
                    for (var i = 1; i < list.Count; i++)
                    {
                        acc = Binary(node.OpType == "Sum" ? "Add" : node.OpType, acc, list[i], false) ?? throw new InvalidOperationException("unsupported");
                    }

                    return [acc];
                }

            case "Shape":
                {
                    var shape = In(0).Shape;
                    var start = (int)a.GetInt("start", 0);
                    var end = (int)a.GetInt("end", shape.Length);
                    start = Math.Clamp(start < 0 ? start + shape.Length : start, 0, shape.Length);
                    end = Math.Clamp(end < 0 ? end + shape.Length : end, 0, shape.Length);
                    var dims = shape[start..Math.Max(start, end)];
                    return [HostTensor.OfInts((int)DataType.Int64, [dims.Length], dims)];
                }

            case "Size":
                return [HostTensor.OfInts((int)DataType.Int64, [], [In(0).Count])];
            default:
                return null;
        }
    }

    private static HostTensor? Cast(HostTensor x, int to)
    {
        if (!HostTensor.Supports(to))
        {
            return null;
        }

        if (to == (int)DataType.Float)
        {
            return x.IsFloat ? x : HostTensor.OfFloats(x.Shape, [.. x.Ints!.Select(v => (float)v)]);
        }

        if (!x.IsFloat)
        {
            return HostTensor.OfInts(to, x.Shape, x.Ints!);
        }

        if (to == (int)DataType.Bool)
        {
            return HostTensor.OfInts(to, x.Shape, [.. x.Floats!.Select(v => v != 0 ? 1L : 0L)]);
        }

        if (x.Floats!.Any(v => !float.IsFinite(v) || Math.Abs(v) >= 9.2e18f))
        {
            return null;
        }

        return HostTensor.OfInts(to, x.Shape, [.. x.Floats!.Select(v => (long)Math.Truncate(v))]);
    }

    private static HostTensor? Unary(string op, HostTensor x)
    {
        if (x.IsFloat)
        {
            Func<double, double> f = op switch
            {
                "Neg" => v => -v,
                "Abs" => Math.Abs,
                "Sqrt" => Math.Sqrt,
                "Reciprocal" => v => 1 / v,
                "Floor" => Math.Floor,
                "Ceil" => Math.Ceiling,
                _ => v => Math.Sign(v),
            };
            return HostTensor.OfFloats(x.Shape, [.. x.Floats!.Select(v => (float)f(v))]);
        }

        Func<long, long>? g = op switch
        {
            "Neg" => v => -v,
            "Abs" => Math.Abs,
            "Sign" => v => Math.Sign(v),
            "Floor" or "Ceil" => v => v,
            _ => null,
        };
        return g is null ? null : HostTensor.OfInts(x.Type, x.Shape, [.. x.Ints!.Select(g)]);
    }

    private static HostTensor? Binary(string op, HostTensor x, HostTensor y, bool fmod)
    {
        if (x.IsFloat != y.IsFloat)
        {
            return null;
        }

        var shape = BroadcastShape(x.Shape, y.Shape);
        var bx = Broadcast(x, shape);
        var by = Broadcast(y, shape);
        var n = bx.Count;
        var isCompare = op is "Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual";
        if (x.IsFloat)
        {
            var xs = bx.Floats!;
            var ys = by.Floats!;
            if (isCompare)
            {
                return HostTensor.OfInts((int)DataType.Bool, shape, [.. Enumerable.Range(0, n).Select(i => Compare(op, xs[i].CompareTo(ys[i]), xs[i], ys[i]) ? 1L : 0L)]);
            }

            Func<double, double, double>? f = op switch
            {
                "Add" => (p, q) => p + q,
                "Sub" => (p, q) => p - q,
                "Mul" => (p, q) => p * q,
                "Div" => (p, q) => p / q,
                "Max" => (p, q) => double.IsNaN(p) || double.IsNaN(q) ? double.NaN : Math.Max(p, q),
                "Min" => (p, q) => double.IsNaN(p) || double.IsNaN(q) ? double.NaN : Math.Min(p, q),
                _ => null,
            };
            return f is null ? null : HostTensor.OfFloats(shape, [.. Enumerable.Range(0, n).Select(i => (float)f(xs[i], ys[i]))]);
        }

        var xi = bx.Ints!;
        var yi = by.Ints!;
        if (isCompare)
        {
            return HostTensor.OfInts((int)DataType.Bool, shape, [.. Enumerable.Range(0, n).Select(i => Compare(op, xi[i].CompareTo(yi[i]), 0, 0) ? 1L : 0L)]);
        }

        Func<long, long, long>? g = op switch
        {
            "Add" => (p, q) => unchecked(p + q),
            "Sub" => (p, q) => unchecked(p - q),
            "Mul" => (p, q) => unchecked(p * q),
            "Div" => (p, q) => q == 0 ? throw new DivideByZeroException() : p / q,
            "Mod" => (p, q) => q == 0 ? throw new DivideByZeroException() : fmod ? p % q : ((p % q) + q) % q,
            "Max" => Math.Max,
            "Min" => Math.Min,
            "And" => (p, q) => p != 0 && q != 0 ? 1 : 0,
            "Or" => (p, q) => p != 0 || q != 0 ? 1 : 0,
            "Xor" => (p, q) => (p != 0) ^ (q != 0) ? 1 : 0,
            _ => null,
        };
        var type = op is "And" or "Or" or "Xor" ? (int)DataType.Bool : x.Type;
        return g is null ? null : HostTensor.OfInts(type, shape, [.. Enumerable.Range(0, n).Select(i => g(xi[i], yi[i]))]);
    }

    private static bool Compare(string op, int order, float p, float q)
    {
        if (float.IsNaN(p) || float.IsNaN(q))
        {
            return false;
        }

        return op switch
        {
            "Equal" => order == 0,
            "Less" => order < 0,
            "Greater" => order > 0,
            "LessOrEqual" => order <= 0,
            _ => order >= 0,
        };
    }

    private static long[] ReshapeTarget(long[] input, long[] target, bool allowZero)
    {
        var dims = new long[target.Length];
        var infer = -1;
        long known = 1;
        for (var i = 0; i < target.Length; i++)
        {
            var t = target[i];
            if (t == -1)
            {
                infer = infer < 0 ? i : throw new ArgumentException("two -1 dims");
                continue;
            }

            dims[i] = t == 0 && !allowZero ? input[i] : t;
            known *= dims[i];
        }

        var total = HostTensor.Product(input);
        if (infer >= 0)
        {
            dims[infer] = known == 0 ? throw new ArgumentException("cannot infer") : total / known;
        }

        return HostTensor.Product(dims) == total ? dims : throw new ArgumentException("element count differs");
    }

    private static HostTensor Concat(List<HostTensor> parts, int axis)
    {
        var rank = parts[0].Rank;
        axis = axis < 0 ? axis + rank : axis;
        var shape = (long[])parts[0].Shape.Clone();
        shape[axis] = parts.Sum(p => p.Shape[axis]);
        var outer = HostTensor.Product(shape.Take(axis));
        var map = new List<(int Part, long Index)>();
        for (long o = 0; o < outer; o++)
        {
            for (var p = 0; p < parts.Count; p++)
            {
                var inner = HostTensor.Product(parts[p].Shape.Skip(axis));
                for (long j = 0; j < inner; j++)
                {
                    map.Add((p, (o * inner) + j));
                }
            }
        }

        return parts.Any(p => p.IsFloat)
            ? HostTensor.OfFloats(shape, [.. map.Select(m => parts[m.Part].Floats![m.Index])])
            : HostTensor.OfInts(parts[0].Type, shape, [.. map.Select(m => parts[m.Part].Ints![m.Index])]);
    }

    private static HostTensor Gather(HostTensor data, HostTensor indices, int axis)
    {
        axis = axis < 0 ? axis + data.Rank : axis;
        var shape = data.Shape.Take(axis).Concat(indices.Shape).Concat(data.Shape.Skip(axis + 1)).ToArray();
        var outer = HostTensor.Product(data.Shape.Take(axis));
        var inner = HostTensor.Product(data.Shape.Skip(axis + 1));
        var extent = data.Shape[axis];
        var map = new long[HostTensor.Product(shape)];
        var k = 0;
        for (long o = 0; o < outer; o++)
        {
            foreach (var raw in indices.Ints!)
            {
                var index = raw < 0 ? raw + extent : raw;
                if (index < 0 || index >= extent)
                {
                    throw new ArgumentException($"index {raw} is out of range for an axis of {extent}");
                }

                for (long j = 0; j < inner; j++)
                {
                    map[k++] = (((o * extent) + index) * inner) + j;
                }
            }
        }

        return data.Gather(shape, map);
    }

    private static HostTensor Slice(HostTensor data, long[] starts, long[] ends, long[]? axes, long[]? steps)
    {
        var rank = data.Rank;
        var begin = new long[rank];
        var step = Enumerable.Repeat(1L, rank).ToArray();
        var count = (long[])data.Shape.Clone();
        for (var i = 0; i < starts.Length; i++)
        {
            var axis = (int)(axes is null ? i : axes[i] < 0 ? axes[i] + rank : axes[i]);
            var dim = data.Shape[axis];
            var s = steps is null ? 1 : steps[i];
            if (s == 0)
            {
                throw new ArgumentException("zero step");
            }

            var start = starts[i] < 0 ? starts[i] + dim : starts[i];
            var end = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (s > 0)
            {
                start = Math.Clamp(start, 0, dim);
                end = Math.Clamp(end, 0, dim);
                count[axis] = Math.Max(0, (end - start + s - 1) / s);
            }
            else
            {
                start = Math.Clamp(start, 0, dim - 1);
                end = Math.Clamp(end, -1, dim - 1);
                count[axis] = Math.Max(0, (start - end + (-s) - 1) / -s);
            }

            begin[axis] = start;
            step[axis] = s;
        }

        var strides = HostTensor.Strides(data.Shape);
        var outStrides = HostTensor.Strides(count);
        var map = new long[HostTensor.Product(count)];
        for (long i = 0; i < map.Length; i++)
        {
            long source = 0;
            var rest = i;
            for (var k = 0; k < rank; k++)
            {
                var coord = rest / outStrides[k];
                rest %= outStrides[k];
                source += (begin[k] + (coord * step[k])) * strides[k];
            }

            map[i] = source;
        }

        return data.Gather(count, map);
    }

    private static HostTensor Transpose(HostTensor x, int[] perm)
    {
        var shape = perm.Select(p => x.Shape[p]).ToArray();
        var inStrides = HostTensor.Strides(x.Shape);
        var outStrides = HostTensor.Strides(shape);
        var map = new long[x.Count];
        for (long i = 0; i < map.Length; i++)
        {
            long source = 0;
            var rest = i;
            for (var k = 0; k < shape.Length; k++)
            {
                var coord = rest / outStrides[k];
                rest %= outStrides[k];
                source += coord * inStrides[perm[k]];
            }

            map[i] = source;
        }

        return x.Gather(shape, map);
    }

    private static long[] BroadcastShape(long[] a, long[] b)
    {
        var rank = Math.Max(a.Length, b.Length);
        var result = new long[rank];
        for (var i = 0; i < rank; i++)
        {
            var x = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            var y = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            result[i] = x == y || y == 1 ? x : x == 1 ? y : throw new ArgumentException("shapes do not broadcast");
        }

        return result;
    }

    private static HostTensor Broadcast(HostTensor x, long[] shape)
    {
        if (x.Shape.SequenceEqual(shape))
        {
            return x;
        }

        var offset = shape.Length - x.Rank;
        var inStrides = HostTensor.Strides(x.Shape);
        var outStrides = HostTensor.Strides(shape);
        var map = new long[HostTensor.Product(shape)];
        for (long i = 0; i < map.Length; i++)
        {
            long source = 0;
            var rest = i;
            for (var k = 0; k < shape.Length; k++)
            {
                var coord = rest / outStrides[k];
                rest %= outStrides[k];
                var axis = k - offset;
                if (axis >= 0 && x.Shape[axis] != 1)
                {
                    source += coord * inStrides[axis];
                }
            }

            map[i] = source;
        }

        return x.Gather(shape, map);
    }
}
