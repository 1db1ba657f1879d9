using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Graph.Shapes;

public static partial class ShapeRules
{
    private const long SliceToEnd = int.MaxValue;

    private static void Reshape(ShapeRuleContext c)
    {
        var x = c.Input(0);
        var target = c.InputValue(1);
        var allowZero = c.Attributes.GetInt("allowzero", 0) != 0;
        var type = x.ElementType;
        if (target is null || target.Rank != 1 || !target.IsInteger)
        {
            // The target's length still gives the rank.
            var length = c.InputShape(1) is { Rank: 1 } ts ? ts[0]?.AsConstant : null;
            c.SetOutput(0, type, length is { } n ? new SymbolicShape(Enumerable.Repeat<DimExpr?>(null, (int)n)) : null);
            return;
        }

        var dims = new DimExpr?[target.Count];
        var inferIndex = -1;
        var unknownIndex = -1;
        var unknownCount = 0;
        for (var i = 0; i < target.Count; i++)
        {
            var t = target.Element(i);
            if (t is null)
            {
                unknownIndex = i;
                unknownCount++;
                continue;
            }

            if (t.TryGetConstant(out var k) && k == -1)
            {
                inferIndex = i;
                continue;
            }

            if (t.TryGetConstant(out k) && k == 0 && !allowZero)
            {
                dims[i] = x.Shape is { } s && i < s.Rank ? s[i] : null;
                if (x.Shape is { } s2 && i >= s2.Rank)
                {
                    ShapeRuleContext.Fail($"target dim {i} copies input dim {i}, but the input has rank {s2.Rank}");
                }

                continue;
            }

            dims[i] = t;
        }

        // With exactly one dim left open (-1, or an element inference could not see), it follows from the element count:
        // whatever that element holds (-1, 0, or the size), a valid graph gives it count / product(others).
        var openIndex = inferIndex >= 0 ? inferIndex : unknownCount == 1 ? unknownIndex : -1;
        var total = x.Shape?.ElementCount();
        if (openIndex >= 0 && unknownCount <= (inferIndex >= 0 ? 0 : 1) && total is not null)
        {
            DimExpr known = DimExpr.One;
            var allKnown = true;
            for (var i = 0; i < dims.Length; i++)
            {
                if (i == openIndex)
                {
                    continue;
                }

                if (dims[i] is null)
                {
                    allKnown = false;
                    break;
                }

                known *= dims[i]!;
            }

            if (allKnown)
            {
                dims[openIndex] = DimExpr.FloorDiv(total, known);
            }
        }

        var shape = new SymbolicShape(dims);
        if (total is not null && shape.ElementCount() is { } outCount)
        {
            c.RequireEqual(total, outCount, "Reshape must keep the element count");
        }

        SymbolicValue? value = null;
        if (c.InputValue(0) is { } data && shape.IsStatic)
        {
            var staticShape = shape.Dims.Select(d => d!.ConstantTerm).ToArray();
            if (staticShape.Aggregate(1L, (a, b) => a * b) == data.Count)
            {
                value = data.IsInteger ? SymbolicValue.FromInts(staticShape, data.Ints!) : SymbolicValue.FromFloats(staticShape, data.Floats!);
            }
        }

        c.SetOutput(0, type, shape, value);
    }

    private static void Flatten(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        if (x is null)
        {
            c.SetOutput(0, c.InputType(0), SymbolicShape.Of(null, null));
            return;
        }

        var axis = c.Attributes.GetInt("axis", 1);
        var a = (int)(axis < 0 ? axis + x.Rank : axis);
        if (a < 0 || a > x.Rank)
        {
            ShapeRuleContext.Fail($"axis {axis} is out of range for rank {x.Rank}");
        }

        c.SetOutput(0, c.InputType(0), SymbolicShape.Of(x.Product(0, a), x.Product(a, x.Rank)), Reshaped(c.InputValue(0), SymbolicShape.Of(x.Product(0, a), x.Product(a, x.Rank))));
    }

    private static SymbolicValue? Reshaped(SymbolicValue? value, SymbolicShape shape)
    {
        if (value is null || !shape.IsStatic)
        {
            return null;
        }

        var dims = shape.Dims.Select(d => d!.ConstantTerm).ToArray();
        return value.IsInteger ? SymbolicValue.FromInts(dims, value.Ints!) : SymbolicValue.FromFloats(dims, value.Floats!);
    }

    private static void Squeeze(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var axes = ConstantInts(c, "axes", 1, 13);
        if (x is null)
        {
            c.SetOutput(0, c.InputType(0), null);
            return;
        }

        HashSet<int> remove;
        if (axes is null)
        {
            remove = [.. Enumerable.Range(0, x.Rank).Where(i => x[i] is { IsConstant: true, ConstantTerm: 1 })];
            if (x.Dims.Any(d => d is null || !d.IsConstant))
            {
                c.Note(DiagnosticSeverity.Info, "Squeeze without axes on a symbolic shape: assuming symbolic dims are not 1");
            }
        }
        else
        {
            remove = [.. axes.Select(a => ShapeRuleContext.NormalizeAxis(a, x.Rank))];
            foreach (var a in remove)
            {
                if (x[a] is { } d)
                {
                    c.RequireEqual(d, DimExpr.One, "a squeezed axis must have size 1");
                }
            }
        }

        var shape = new SymbolicShape(x.Dims.Where((_, i) => !remove.Contains(i)));
        c.SetOutput(0, c.InputType(0), shape, Reshaped(c.InputValue(0), shape));
    }

    private static void Unsqueeze(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var axes = ConstantInts(c, "axes", 1, 13);
        if (x is null || axes is null)
        {
            c.SetOutput(0, c.InputType(0), null);
            return;
        }

        var rank = x.Rank + axes.Length;
        var inserted = axes.Select(a => ShapeRuleContext.NormalizeAxis(a, rank)).ToHashSet();
        var dims = new DimExpr?[rank];
        var next = 0;
        for (var i = 0; i < rank; i++)
        {
            dims[i] = inserted.Contains(i) ? DimExpr.One : x[next++];
        }

        var shape = new SymbolicShape(dims);
        c.SetOutput(0, c.InputType(0), shape, Reshaped(c.InputValue(0), shape));
    }

    private static void Transpose(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        if (x is null)
        {
            c.SetOutput(0, c.InputType(0), null);
            return;
        }

        var perm = c.Attributes.GetInts("perm")?.Select(p => ShapeRuleContext.NormalizeAxis(p, x.Rank)).ToArray()
            ?? [.. Enumerable.Range(0, x.Rank).Reverse()];
        if (perm.Length != x.Rank)
        {
            ShapeRuleContext.Fail($"perm has {perm.Length} entries for rank {x.Rank}");
        }

        var shape = new SymbolicShape(perm.Select(p => x[p]));
        SymbolicValue? value = null;
        if (c.InputValue(0) is { } v && v.Rank == perm.Length)
        {
            var inShape = v.Shape.ToArray();
            var outShape = perm.Select(p => inShape[p]).ToArray();
            var inStrides = Strides(inShape);
            var count = v.Count;
            var map = new int[count];
            for (var i = 0; i < count; i++)
            {
                var coords = Unravel(i, outShape);
                long source = 0;
                for (var k = 0; k < perm.Length; k++)
                {
                    source += coords[k] * inStrides[perm[k]];
                }

                map[i] = (int)source;
            }

            value = Gathered(v, outShape, map);
        }

        c.SetOutput(0, c.InputType(0), shape, value);
    }

    private static void Concat(ShapeRuleContext c)
    {
        var shapes = Enumerable.Range(0, c.InputCount).Where(c.HasInput).Select(c.InputShape).ToList();
        var type = Enumerable.Range(0, c.InputCount).Select(c.InputType).FirstOrDefault(t => t != 0);
        var known = shapes.Where(s => s is not null).Select(s => s!).ToList();
        if (known.Count == 0)
        {
            c.SetOutput(0, type, null);
            return;
        }

        var rank = known[0].Rank;
        var axis = ShapeRuleContext.NormalizeAxis(c.Attributes.GetInt("axis", 0), rank);
        var dims = new DimExpr?[rank];
        for (var i = 0; i < rank; i++)
        {
            if (i == axis)
            {
                DimExpr? sum = DimExpr.Zero;
                foreach (var s in shapes)
                {
                    sum = s?[i] is { } d && sum is not null ? sum + d : null;
                }

                dims[i] = sum;
                continue;
            }

            DimExpr? merged = null;
            foreach (var s in known)
            {
                if (s.Rank != rank)
                {
                    ShapeRuleContext.Fail("Concat inputs have different ranks");
                }

                if (s[i] is not { } d)
                {
                    continue;
                }

                if (merged is null)
                {
                    merged = d;
                }
                else if (!merged.Equals(d))
                {
                    c.RequireEqual(merged, d, $"Concat inputs must agree on axis {i}");
                    merged = merged.IsConstant ? merged : d;
                }
            }

            dims[i] = merged;
        }

        SymbolicValue? value = null;
        var values = Enumerable.Range(0, c.InputCount).Where(c.HasInput).Select(c.InputValue).ToList();
        if (values.All(v => v is not null && v.Rank == rank) && values.Count > 0)
        {
            value = ConcatValues(values!, axis);
        }

        c.SetOutput(0, type, new SymbolicShape(dims), value);
    }

    private static SymbolicValue? ConcatValues(List<SymbolicValue> values, int axis)
    {
        var integer = values.All(v => v.IsInteger);
        if (!integer && values.Any(v => v.IsInteger))
        {
            return null;
        }

        var outShape = values[0].Shape.ToArray();
        outShape[axis] = values.Sum(v => v.Shape[axis]);
        if (!SymbolicValue.Fits(outShape))
        {
            return null;
        }

        var outer = outShape[..axis].Aggregate(1L, (a, b) => a * b);
        var ints = new List<DimExpr?>();
        var floats = new List<double>();
        for (var o = 0; o < outer; o++)
        {
            foreach (var v in values)
            {
                var block = (int)v.Shape.Skip(axis).Aggregate(1L, (a, b) => a * b);
                for (var k = 0; k < block; k++)
                {
                    var index = (o * block) + k;
                    if (integer)
                    {
                        ints.Add(v.Ints![index]);
                    }
                    else
                    {
                        floats.Add(v.Floats![index]);
                    }
                }
            }
        }

        return integer ? SymbolicValue.FromInts(outShape, ints) : SymbolicValue.FromFloats(outShape, floats);
    }

    private static void Split(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var type = c.InputType(0);
        var n = c.OutputCount;
        if (x is null)
        {
            for (var i = 0; i < n; i++)
            {
                c.SetOutput(i, type, null);
            }

            return;
        }

        var axis = ShapeRuleContext.NormalizeAxis(c.Attributes.GetInt("axis", 0), x.Rank);
        DimExpr?[]? sizes = null;
        if (c.Opset < 13)
        {
            sizes = c.Attributes.GetInts("split")?.Select(s => (DimExpr?)s).ToArray();
        }
        else if (c.HasInput(1))
        {
            sizes = IntsInput(c, 1) ?? new DimExpr?[n];
        }

        var dim = x[axis];
        if (sizes is null && dim is not null)
        {
            sizes = new DimExpr?[n];
            var numOutputs = c.Attributes.GetIntOrNull("num_outputs");
            if (numOutputs is { } parts && c.Opset >= 18)
            {
                // Chunks of ceil(d/n); the last one takes what is left.
                var chunk = DimExpr.CeilDiv(dim, parts);
                for (var i = 0; i < n; i++)
                {
                    sizes[i] = i < n - 1 ? chunk : dim - (chunk * DimExpr.Constant(n - 1));
                }
            }
            else
            {
                var chunk = DimExpr.FloorDiv(dim, n);
                c.RequireEqual(chunk * DimExpr.Constant(n), dim, $"an equal Split into {n} needs a multiple of {n}");
                for (var i = 0; i < n; i++)
                {
                    sizes[i] = chunk;
                }
            }
        }

        if (sizes is not null && dim is not null && sizes.All(s => s is not null))
        {
            c.RequireEqual(sizes.Aggregate(DimExpr.Zero, (a, b) => a + b!), dim, "Split sizes must add up to the dimension");
        }

        var offset = 0L;
        for (var i = 0; i < n; i++)
        {
            var size = sizes is not null && i < sizes.Length ? sizes[i] : null;
            var shape = x.With(axis, size);
            SymbolicValue? value = null;
            if (c.InputValue(0) is { Rank: 1 } v && v.IsInteger && size?.AsConstant is { } k)
            {
                value = SymbolicValue.Vector(v.Ints!.Skip((int)offset).Take((int)k));
                offset += k;
            }

            c.SetOutput(i, type, shape, value);
        }
    }

    private static void Slice(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var type = c.InputType(0);
        if (x is null)
        {
            c.SetOutput(0, type, null);
            return;
        }

        DimExpr?[]? starts, ends, axesValues, steps;
        if (c.Opset < 10)
        {
            starts = c.Attributes.GetInts("starts")?.Select(v => (DimExpr?)v).ToArray();
            ends = c.Attributes.GetInts("ends")?.Select(v => (DimExpr?)v).ToArray();
            axesValues = c.Attributes.GetInts("axes")?.Select(v => (DimExpr?)v).ToArray();
            steps = null;
        }
        else
        {
            starts = IntsInput(c, 1);
            ends = IntsInput(c, 2);
            axesValues = c.HasInput(3) ? IntsInput(c, 3) : null;
            steps = c.HasInput(4) ? IntsInput(c, 4) : null;
        }

        var count = starts?.Length ?? (c.InputShape(1) is { Rank: 1 } ss ? (int?)ss[0]?.AsConstant : null);
        if (count is null)
        {
            c.SetOutput(0, type, new SymbolicShape(Enumerable.Repeat<DimExpr?>(null, x.Rank)));
            return;
        }

        int[]? axes = axesValues is null && !c.HasInput(3)
            ? [.. Enumerable.Range(0, count.Value)]
            : axesValues is not null && axesValues.All(a => a is { IsConstant: true })
                ? [.. axesValues.Select(a => ShapeRuleContext.NormalizeAxis(a!.ConstantTerm, x.Rank))]
                : null;
        var dims = x.Dims.ToArray();
        if (axes is null)
        {
            c.SetOutput(0, type, new SymbolicShape(Enumerable.Repeat<DimExpr?>(null, x.Rank)));
            return;
        }

        var plan = new (long Start, long End, long Step)?[x.Rank];
        for (var i = 0; i < axes.Length; i++)
        {
            var axis = axes[i];
            var step = steps is null ? DimExpr.One : steps[i];
            var start = starts?[i];
            var end = ends?[i];
            dims[axis] = x[axis] is { } d && start is not null && end is not null && step is { IsConstant: true }
                ? SliceLength(d, start, end, step.ConstantTerm)
                : null;
            if (start?.AsConstant is { } s && end?.AsConstant is { } e && step?.AsConstant is { } st)
            {
                plan[axis] = (s, e, st);
            }
        }

        SymbolicValue? value = null;
        if (c.InputValue(0) is { } v && axes.All(a => plan[a] is not null))
        {
            value = SliceValue(v, plan);
        }

        c.SetOutput(0, type, new SymbolicShape(dims), value);
    }

    /// <summary>ONNX Slice output length with its clamping rules, symbolic where the signs of start and end are known.</summary>
    internal static DimExpr? SliceLength(DimExpr d, DimExpr start, DimExpr end, long step)
    {
        if (step == 0)
        {
            ShapeRuleContext.Fail("Slice step is 0");
        }

        if (step > 0)
        {
            var s = ClampIndex(start, d, DimExpr.Zero, d);
            var e = ClampIndex(end, d, DimExpr.Zero, d);
            return s is null || e is null ? null : DimExpr.Max(DimExpr.CeilDiv(e - s, step), DimExpr.Zero);
        }

        var sn = ClampIndex(start, d, DimExpr.Zero, d - DimExpr.One);
        var en = ClampIndex(end, d, DimExpr.Constant(-1), d - DimExpr.One);
        return sn is null || en is null ? null : DimExpr.Max(DimExpr.CeilDiv(sn - en, -step), DimExpr.Zero);
    }

    /// <summary>Resolves a negative index against d and clamps it into [low, high]; null when the sign is unknown.</summary>
    private static DimExpr? ClampIndex(DimExpr index, DimExpr d, DimExpr low, DimExpr high)
    {
        if (index.TryGetConstant(out var k))
        {
            if (k >= SliceToEnd)
            {
                return high;
            }

            if (k <= -SliceToEnd)
            {
                return low;
            }
        }

        DimExpr resolved;
        if (DimProver.IsNonNegative(index))
        {
            resolved = index;
        }
        else if (DimProver.IsPositive(-index))
        {
            resolved = index + d;
        }
        else
        {
            return null;
        }

        return DimExpr.Min(DimExpr.Max(resolved, low), high);
    }

    private static SymbolicValue? SliceValue(SymbolicValue v, (long Start, long End, long Step)?[] plan)
    {
        var shape = v.Shape.ToArray();
        if (plan.Length != shape.Length)
        {
            return null;
        }

        var ranges = new List<long>[shape.Length];
        for (var axis = 0; axis < shape.Length; axis++)
        {
            var d = shape[axis];
            var list = new List<long>();
            if (plan[axis] is not { } p)
            {
                for (long i = 0; i < d; i++)
                {
                    list.Add(i);
                }
            }
            else
            {
                var length = SliceLength(d, p.Start, p.End, p.Step)?.AsConstant ?? 0;
                var s = p.Start < 0 ? p.Start + d : p.Start;
                s = p.Step > 0 ? Math.Clamp(s, 0, d) : Math.Clamp(s, 0, d - 1);
                for (long i = 0; i < length; i++)
                {
                    list.Add(s + (i * p.Step));
                }
            }

            ranges[axis] = list;
        }

        var outShape = ranges.Select(r => (long)r.Count).ToArray();
        var strides = Strides(shape);
        var count = (int)outShape.Aggregate(1L, (a, b) => a * b);
        var map = new int[count];
        for (var i = 0; i < count; i++)
        {
            var coords = Unravel(i, outShape);
            long source = 0;
            for (var axis = 0; axis < shape.Length; axis++)
            {
                source += ranges[axis][(int)coords[axis]] * strides[axis];
            }

            map[i] = (int)source;
        }

        return Gathered(v, outShape, map);
    }

    private static void Gather(ShapeRuleContext c)
    {
        var data = c.InputShape(0);
        var indices = c.InputShape(1);
        var type = c.InputType(0);
        if (data is null || indices is null)
        {
            c.SetOutput(0, type, null);
            return;
        }

        var axis = ShapeRuleContext.NormalizeAxis(c.Attributes.GetInt("axis", 0), data.Rank);
        var shape = new SymbolicShape(data.Dims.Take(axis).Concat(indices.Dims).Concat(data.Dims.Skip(axis + 1)));
        SymbolicValue? value = null;
        if (c.InputValue(0) is { } v && c.InputValue(1) is { } iv && iv.TryGetConstantInts(out var idx) && shape.IsStatic)
        {
            var inShape = v.Shape.ToArray();
            var outShape = shape.Dims.Select(d => d!.ConstantTerm).ToArray();
            var strides = Strides(inShape);
            var count = (int)outShape.Aggregate(1L, (a, b) => a * b);
            var map = new int[count];
            var valid = true;
            for (var i = 0; i < count && valid; i++)
            {
                var coords = Unravel(i, outShape);
                long source = 0;
                for (var k = 0; k < axis; k++)
                {
                    source += coords[k] * strides[k];
                }

                var flatIndex = 0L;
                var indexStrides = Strides(iv.Shape.ToArray());
                for (var k = 0; k < iv.Rank; k++)
                {
                    flatIndex += coords[axis + k] * indexStrides[k];
                }

                var g = idx[flatIndex];
                g = g < 0 ? g + inShape[axis] : g;
                valid = g >= 0 && g < inShape[axis];
                source += g * strides[axis];
                for (var k = axis + 1; k < inShape.Length; k++)
                {
                    source += coords[k - 1 + iv.Rank] * strides[k];
                }

                map[i] = (int)source;
            }

            value = valid ? Gathered(v, outShape, map) : null;
        }

        c.SetOutput(0, type, shape, value);
    }

    private static void GatherElements(ShapeRuleContext c) => c.SetOutput(0, c.InputType(0), c.InputShape(1));

    private static void GatherND(ShapeRuleContext c)
    {
        var data = c.InputShape(0);
        var indices = c.InputShape(1);
        var batch = (int)c.Attributes.GetInt("batch_dims", 0);
        if (data is null || indices is null || indices.Rank == 0 || indices[indices.Rank - 1]?.AsConstant is not { } last)
        {
            c.SetOutput(0, c.InputType(0), null);
            return;
        }

        c.SetOutput(0, c.InputType(0), new SymbolicShape(indices.Dims.Take(indices.Rank - 1).Concat(data.Dims.Skip(batch + (int)last))));
    }

    private static void Expand(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var target = c.InputValue(1);
        var type = c.InputType(0);
        if (target is null || !target.IsInteger || target.Rank != 1)
        {
            var length = c.InputShape(1) is { Rank: 1 } ts ? ts[0]?.AsConstant : null;
            c.SetOutput(0, type, length is { } n && x is not null ? new SymbolicShape(Enumerable.Repeat<DimExpr?>(null, (int)Math.Max(n, x.Rank))) : null);
            return;
        }

        var shape = c.Broadcast(x, new SymbolicShape(target.Ints!));
        SymbolicValue? value = null;
        if (c.InputValue(0) is { } v && shape is { IsStatic: true })
        {
            var outShape = shape.Dims.Select(d => d!.ConstantTerm).ToArray();
            if (SymbolicValue.Fits(outShape))
            {
                var count = (int)outShape.Aggregate(1L, (a, b) => a * b);
                value = Gathered(v, outShape, [.. Enumerable.Range(0, count).Select(i => ValueMath.BroadcastIndex(i, outShape, v.Shape))]);
            }
        }

        c.SetOutput(0, type, shape, value);
    }

    private static void Tile(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var repeats = IntsInput(c, 1);
        if (x is null)
        {
            c.SetOutput(0, c.InputType(0), null);
            return;
        }

        if (repeats is null || repeats.Length != x.Rank)
        {
            c.SetOutput(0, c.InputType(0), new SymbolicShape(Enumerable.Repeat<DimExpr?>(null, x.Rank)));
            return;
        }

        c.SetOutput(0, c.InputType(0), new SymbolicShape(x.Dims.Select((d, i) => d is null || repeats[i] is null ? null : d * repeats[i]!)));
    }

    private static void Shape(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        if (x is null)
        {
            c.SetOutput(0, ElementTypes.Int64Type, SymbolicShape.Of((DimExpr?)null));
            return;
        }

        var start = c.Attributes.GetInt("start", 0);
        var end = c.Attributes.GetInt("end", x.Rank);
        var s = (int)Math.Clamp(start < 0 ? start + x.Rank : start, 0, x.Rank);
        var e = (int)Math.Clamp(end < 0 ? end + x.Rank : end, 0, x.Rank);
        var dims = x.Dims.Skip(s).Take(Math.Max(e - s, 0)).ToArray();
        c.SetOutput(0, ElementTypes.Int64Type, SymbolicShape.Of(dims.Length), SymbolicValue.Vector(dims));
    }

    private static void Size(ShapeRuleContext c) =>
        c.SetOutput(0, ElementTypes.Int64Type, SymbolicShape.Scalar, SymbolicValue.Scalar(c.InputShape(0)?.ElementCount()));

    private static void Constant(ShapeRuleContext c)
    {
        var tensor = ConstantTensor.FromConstantNode(c.Node.Proto);
        if (tensor is null)
        {
            c.SetOutput(0, 0, null);
            return;
        }

        SymbolicValue? value = null;
        var data = c.Node.Output(0)?.GetConstantData();
        if (data is not null && data.ElementCount <= SymbolicValue.MaxElements)
        {
            if (data.TryGetInt64s(out var ints))
            {
                value = SymbolicValue.FromConstants(data.Shape, ints);
            }
            else if (data.TryGetDoubles(out var doubles))
            {
                value = SymbolicValue.FromFloats(data.Shape, doubles);
            }
        }

        c.SetOutput(0, tensor.DataType, SymbolicShape.Of([.. tensor.Dims]), value);
    }

    private static void ConstantOfShape(ShapeRuleContext c)
    {
        var target = c.InputValue(0);
        var tensor = c.Attributes.GetTensor("value");
        var type = tensor?.DataType ?? ElementTypes.Float32Type;
        if (target is null || !target.IsInteger)
        {
            var length = c.InputShape(0) is { Rank: 1 } ts ? ts[0]?.AsConstant : null;
            c.SetOutput(0, type, length is { } n ? new SymbolicShape(Enumerable.Repeat<DimExpr?>(null, (int)n)) : null);
            return;
        }

        var shape = new SymbolicShape(target.Ints!);
        SymbolicValue? value = null;
        if (shape.IsStatic)
        {
            var dims = shape.Dims.Select(d => d!.ConstantTerm).ToArray();
            if (SymbolicValue.Fits(dims))
            {
                var count = (int)dims.Aggregate(1L, (a, b) => a * b);
                var fill = tensor is null ? null : new ConstantTensor(tensor, t => Onnx.TensorData.ReadBytes(t, null, "ConstantOfShape"));
                if (fill is null)
                {
                    value = SymbolicValue.FromFloats(dims, new double[count]);
                }
                else if (fill.TryGetInt64s(out var iv) && iv.Length == 1)
                {
                    value = SymbolicValue.FromConstants(dims, Enumerable.Repeat(iv[0], count));
                }
                else if (fill.TryGetDoubles(out var fv) && fv.Length == 1)
                {
                    value = SymbolicValue.FromFloats(dims, Enumerable.Repeat(fv[0], count));
                }
            }
        }

        c.SetOutput(0, type, shape, value);
    }

    private static void Range(ShapeRuleContext c)
    {
        var type = c.InputType(0);
        var start = c.InputValue(0);
        var limit = c.InputValue(1);
        var delta = c.InputValue(2);
        DimExpr? length = null;
        SymbolicValue? value = null;
        if (start is { Count: 1 } && limit is { Count: 1 } && delta is { Count: 1 })
        {
            if (start.IsInteger && limit.IsInteger && delta.IsInteger && start.Element(0) is { } s && limit.Element(0) is { } l && delta.Element(0)?.AsConstant is { } d && d != 0)
            {
                length = d > 0 ? DimExpr.Max(DimExpr.CeilDiv(l - s, d), DimExpr.Zero) : DimExpr.Max(DimExpr.CeilDiv(s - l, -d), DimExpr.Zero);
                if (length.AsConstant is { } n && n <= SymbolicValue.MaxElements)
                {
                    value = SymbolicValue.Vector(Enumerable.Range(0, (int)n).Select(i => (DimExpr?)(s + DimExpr.Constant(i * d))));
                }
            }
            else if (start.Number(0) is { } fs && limit.Number(0) is { } fl && delta.Number(0) is { } fd && fd != 0)
            {
                var n = (long)Math.Max(Math.Ceiling((fl - fs) / fd), 0);
                length = n;
                if (n <= SymbolicValue.MaxElements)
                {
                    value = start.IsInteger
                        ? SymbolicValue.FromConstants([n], Enumerable.Range(0, (int)n).Select(i => (long)(fs + (i * fd))))
                        : SymbolicValue.FromFloats([n], Enumerable.Range(0, (int)n).Select(i => fs + (i * fd)));
                }
            }
        }

        length ??= c.NewDataDependentSymbol("range");
        c.SetOutput(0, type, SymbolicShape.Of(length), value);
    }

    private static void NonZero(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        c.SetOutput(0, ElementTypes.Int64Type, SymbolicShape.Of(x is null ? null : DimExpr.Constant(x.Rank), c.NewDataDependentSymbol("nonzero")));
    }

    private static void TopK(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        if (x is null)
        {
            c.SetOutput(0, c.InputType(0), null);
            c.SetOutput(1, ElementTypes.Int64Type, null);
            return;
        }

        var axis = ShapeRuleContext.NormalizeAxis(c.Attributes.GetInt("axis", -1), x.Rank);
        DimExpr? k = c.Opset < 10 ? c.Attributes.GetInt("k", 0) : c.InputValue(1) is { Count: 1 } kv ? kv.Element(0) : null;
        k ??= c.NewDataDependentSymbol("topk");
        var shape = x.With(axis, k);
        c.SetOutput(0, c.InputType(0), shape);
        c.SetOutput(1, ElementTypes.Int64Type, shape);
    }

    private static void Unique(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var n = c.NewDataDependentSymbol("unique");
        var axis = c.Attributes.GetIntOrNull("axis");
        SymbolicShape? y = axis is null || x is null ? SymbolicShape.Of(n) : x.With(ShapeRuleContext.NormalizeAxis(axis.Value, x.Rank), n);
        c.SetOutput(0, c.InputType(0), y);
        c.SetOutput(1, ElementTypes.Int64Type, SymbolicShape.Of(n));
        c.SetOutput(2, ElementTypes.Int64Type, SymbolicShape.Of(axis is null ? x?.ElementCount() : x?[ShapeRuleContext.NormalizeAxis(axis.Value, x.Rank)]));
        c.SetOutput(3, ElementTypes.Int64Type, SymbolicShape.Of(n));
    }

    private static void Compress(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var n = c.NewDataDependentSymbol("compress");
        var axis = c.Attributes.GetIntOrNull("axis");
        c.SetOutput(0, c.InputType(0), axis is null || x is null ? SymbolicShape.Of(n) : x.With(ShapeRuleContext.NormalizeAxis(axis.Value, x.Rank), n));
    }

    private static void OneHot(ShapeRuleContext c)
    {
        var indices = c.InputShape(0);
        var depth = c.InputValue(1) is { Count: 1 } d ? d.Element(0) : null;
        if (indices is null)
        {
            c.SetOutput(0, c.InputType(2), null);
            return;
        }

        var rank = indices.Rank + 1;
        var axis = ShapeRuleContext.NormalizeAxis(c.Attributes.GetInt("axis", -1), rank);
        var dims = indices.Dims.ToList();
        dims.Insert(axis, depth);
        c.SetOutput(0, c.InputType(2), new SymbolicShape(dims));
    }

    private static long[] Strides(long[] shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }

        return strides;
    }

    private static long[] Unravel(long index, long[] shape)
    {
        var coords = new long[shape.Length];
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            coords[i] = shape[i] == 0 ? 0 : index % shape[i];
            index = shape[i] == 0 ? 0 : index / shape[i];
        }

        return coords;
    }

    private static SymbolicValue Gathered(SymbolicValue v, long[] shape, int[] map) =>
        v.IsInteger
            ? SymbolicValue.FromInts(shape, map.Select(i => v.Ints![i]))
            : SymbolicValue.FromFloats(shape, map.Select(i => v.Floats![i]));
}
