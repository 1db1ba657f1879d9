using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Graph.Shapes;

/// <summary>
/// Element-wise arithmetic on <see cref="SymbolicValue"/>s with numpy broadcasting, following ONNX semantics (integer
/// Div truncates, Mod follows fmod). Results are exact or unknown (null elements), never approximations.
/// </summary>
internal static class ValueMath
{
    /// <summary>Broadcasts two static shapes; null when they do not broadcast.</summary>
    public static long[]? BroadcastShapes(IReadOnlyList<long> a, IReadOnlyList<long> b)
    {
        var rank = Math.Max(a.Count, b.Count);
        var result = new long[rank];
        for (var i = 0; i < rank; i++)
        {
            var da = i - (rank - a.Count) >= 0 ? a[i - (rank - a.Count)] : 1;
            var db = i - (rank - b.Count) >= 0 ? b[i - (rank - b.Count)] : 1;
            if (da != db && da != 1 && db != 1)
            {
                return null;
            }

            result[i] = da == 1 ? db : da;
        }

        return result;
    }

    /// <summary>Row-major index into a tensor of shape <paramref name="source"/> broadcast to <paramref name="target"/>.</summary>
    public static int BroadcastIndex(int flatIndex, IReadOnlyList<long> target, IReadOnlyList<long> source)
    {
        var index = 0L;
        var stride = 1L;
        var rest = (long)flatIndex;
        var coords = new long[target.Count];
        for (var i = target.Count - 1; i >= 0; i--)
        {
            coords[i] = rest % target[i];
            rest /= target[i];
        }

        for (var i = source.Count - 1; i >= 0; i--)
        {
            var t = i + (target.Count - source.Count);
            var c = source[i] == 1 ? 0 : coords[t];
            index += c * stride;
            stride *= source[i];
        }

        return (int)index;
    }

    /// <summary>Applies an element-wise binary op with broadcasting; null when a shape or the result size is not supported.</summary>
    public static SymbolicValue? Binary(SymbolicValue a, SymbolicValue b, Func<DimExpr, DimExpr, DimExpr?> onInts, Func<double, double, double>? onFloats)
    {
        var shape = BroadcastShapes(a.Shape, b.Shape);
        if (shape is null || !SymbolicValue.Fits(shape))
        {
            return null;
        }

        var count = (int)shape.Aggregate(1L, (x, y) => x * y);
        if (a.IsInteger && b.IsInteger)
        {
            var result = new DimExpr?[count];
            for (var i = 0; i < count; i++)
            {
                var x = a.Ints![BroadcastIndex(i, shape, a.Shape)];
                var y = b.Ints![BroadcastIndex(i, shape, b.Shape)];
                result[i] = x is null || y is null ? null : Safe(() => onInts(x, y));
            }

            return SymbolicValue.FromInts(shape, result);
        }

        if (onFloats is null || !a.TryGetNumbers(out var fa) || !b.TryGetNumbers(out var fb))
        {
            return null;
        }

        var floats = new double[count];
        for (var i = 0; i < count; i++)
        {
            floats[i] = onFloats(fa[BroadcastIndex(i, shape, a.Shape)], fb[BroadcastIndex(i, shape, b.Shape)]);
        }

        return SymbolicValue.FromFloats(shape, floats);
    }

    public static SymbolicValue? Unary(SymbolicValue a, Func<DimExpr, DimExpr?> onInts, Func<double, double>? onFloats)
    {
        if (a.IsInteger)
        {
            return SymbolicValue.FromInts(a.Shape, a.Ints!.Select(x => x is null ? null : Safe(() => onInts(x))));
        }

        return onFloats is null ? null : SymbolicValue.FromFloats(a.Shape, a.Floats!.Select(onFloats));
    }

    /// <summary>ONNX integer Div: truncation toward zero; exact symbolic results only when the signs are known.</summary>
    public static DimExpr? TruncDiv(DimExpr a, DimExpr b)
    {
        if (a.TryGetConstant(out var x) && b.TryGetConstant(out var y))
        {
            return y == 0 ? null : x / y;
        }

        var bPositive = DimProver.IsPositive(b);
        if (bPositive && DimProver.IsNonNegative(a))
        {
            return DimExpr.FloorDiv(a, b);
        }

        if (bPositive && DimProver.IsNonNegative(-a))
        {
            return -DimExpr.FloorDiv(-a, b);
        }

        return null;
    }

    /// <summary>Exact division of integer-valued floats: known only when b divides a.</summary>
    public static DimExpr? ExactDiv(DimExpr a, DimExpr b)
    {
        if (!b.TryGetConstant(out var k) || k == 0)
        {
            return null;
        }

        var q = DimExpr.FloorDiv(a, b);
        return (q * DimExpr.Constant(k)).Equals(a) ? q : null;
    }

    public static DimExpr? Modulo(DimExpr a, DimExpr b, bool fmod)
    {
        if (!b.TryGetConstant(out var k) || k == 0)
        {
            return null;
        }

        if (a.TryGetConstant(out var x))
        {
            return fmod ? x % k : DimExpr.FloorModulo(x, k);
        }

        if (!fmod || (k > 0 && DimProver.IsNonNegative(a)))
        {
            return DimExpr.Mod(a, b);
        }

        return null;
    }

    /// <summary>1 when provably true, 0 when provably false, null otherwise.</summary>
    public static DimExpr? Compare(DimExpr a, DimExpr b, string op)
    {
        bool? result = op switch
        {
            "Equal" => a.Equals(b) ? true : DimProver.Compare(a, b) is 1 or -1 ? false : null,
            "Less" => DimProver.IsPositive(b - a) ? true : DimProver.IsNonNegative(a - b) ? false : null,
            "Greater" => DimProver.IsPositive(a - b) ? true : DimProver.IsNonNegative(b - a) ? false : null,
            "LessOrEqual" => DimProver.IsNonNegative(b - a) ? true : DimProver.IsPositive(a - b) ? false : null,
            "GreaterOrEqual" => DimProver.IsNonNegative(a - b) ? true : DimProver.IsPositive(b - a) ? false : null,
            _ => null,
        };
        return result is null ? null : result.Value ? DimExpr.One : DimExpr.Zero;
    }

    public static DimExpr? Logical(DimExpr a, DimExpr b, string op)
    {
        var x = a.AsConstant;
        var y = b.AsConstant;
        return op switch
        {
            "And" when x == 0 || y == 0 => DimExpr.Zero,
            "And" when x is not null && y is not null => DimExpr.One,
            "Or" when (x is not null && x != 0) || (y is not null && y != 0) => DimExpr.One,
            "Or" when x == 0 && y == 0 => DimExpr.Zero,
            "Xor" when x is not null && y is not null => (x != 0) != (y != 0) ? DimExpr.One : DimExpr.Zero,
            _ => null,
        };
    }

    public static DimExpr? Abs(DimExpr a)
    {
        if (DimProver.IsNonNegative(a))
        {
            return a;
        }

        return DimProver.IsNonNegative(-a) ? -a : null;
    }

    public static DimExpr? Sign(DimExpr a)
    {
        if (a.TryGetConstant(out var c))
        {
            return Math.Sign(c);
        }

        if (DimProver.IsPositive(a))
        {
            return DimExpr.One;
        }

        return DimProver.IsPositive(-a) ? DimExpr.Constant(-1) : null;
    }

    /// <summary>Converts a value to the element type a Cast produces.</summary>
    public static SymbolicValue? Cast(SymbolicValue value, int toType)
    {
        if (toType == ElementTypes.BoolType)
        {
            return value.IsInteger
                ? Unary(value, x => x.TryGetConstant(out var c) ? (c != 0 ? 1 : 0) : DimProver.IsPositive(x) ? DimExpr.One : null, null)
                : SymbolicValue.FromInts(value.Shape, value.Floats!.Select(f => (DimExpr?)(f != 0 ? 1 : 0)));
        }

        if (ElementTypes.IsInteger(toType))
        {
            if (value.IsInteger)
            {
                return value;
            }

            return SymbolicValue.FromInts(value.Shape, value.Floats!.Select(f =>
                double.IsFinite(f) && Math.Abs(f) < 9.2e18 ? (DimExpr?)DimExpr.Constant((long)Math.Truncate(f)) : null));
        }

        if (ElementTypes.IsFloatingPoint(toType))
        {
            // Integers stay exact integers (a float tensor holding integral values); constant floats stay floats.
            return value;
        }

        return null;
    }

    /// <summary>A float scale as an exact small fraction p/q (q ≤ 4096), or null.</summary>
    public static (long P, long Q)? AsFraction(double value)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            return null;
        }

        for (long q = 1; q <= 4096; q++)
        {
            var p = Math.Round(value * q);
            if (Math.Abs((value * q) - p) <= 1e-6 * Math.Max(1, p))
            {
                return ((long)p, q);
            }
        }

        return null;
    }

    private static DimExpr? Safe(Func<DimExpr?> f)
    {
        try
        {
            return f();
        }
        catch (OverflowException)
        {
            return null;
        }
        catch (DivideByZeroException)
        {
            return null;
        }
    }
}
