using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Graph.Shapes;

/// <summary>
/// The contents of a small tensor known at analysis time: integer (and bool, as 0/1) elements as <see cref="DimExpr"/>s,
/// which may be symbolic (a Shape→Gather→Concat chain yields [batch, 60, height/8, 8]) or unknown (null), or constant
/// floating-point elements. Only tensors of fixed shape with at most <see cref="MaxElements"/> elements are tracked.
/// </summary>
public sealed class SymbolicValue
{
    /// <summary>The largest tensor whose contents are propagated.</summary>
    public const int MaxElements = 4096;

    private SymbolicValue(long[] shape, DimExpr?[]? ints, double[]? floats)
    {
        Shape = shape;
        Ints = ints;
        Floats = floats;
    }

    public IReadOnlyList<long> Shape { get; }

    /// <summary>Integer elements (row-major); null for a floating-point value.</summary>
    public IReadOnlyList<DimExpr?>? Ints { get; }

    /// <summary>Floating-point elements (row-major), all known; null for an integer value.</summary>
    public IReadOnlyList<double>? Floats { get; }

    public int Count => Ints?.Count ?? Floats!.Count;

    public int Rank => Shape.Count;

    public bool IsInteger => Ints is not null;

    /// <summary>True when every integer element is known (possibly symbolic).</summary>
    public bool AllKnown => Floats is not null || Ints!.All(e => e is not null);

    public static SymbolicValue FromInts(IReadOnlyList<long> shape, IEnumerable<DimExpr?> elements)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(elements);
        var array = elements.ToArray();
        CheckCount(shape, array.Length);
        return new SymbolicValue([.. shape], array, null);
    }

    public static SymbolicValue FromConstants(IReadOnlyList<long> shape, IEnumerable<long> elements) =>
        FromInts(shape, elements.Select(e => (DimExpr?)DimExpr.Constant(e)));

    public static SymbolicValue FromFloats(IReadOnlyList<long> shape, IEnumerable<double> elements)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(elements);
        var array = elements.ToArray();
        CheckCount(shape, array.Length);
        return new SymbolicValue([.. shape], null, array);
    }

    public static SymbolicValue Scalar(DimExpr? element) => FromInts([], [element]);

    public static SymbolicValue Vector(IEnumerable<DimExpr?> elements)
    {
        var array = elements.ToArray();
        return FromInts([array.Length], array);
    }

    /// <summary>Integer element i (null when unknown or when the value is floating-point).</summary>
    public DimExpr? Element(int index) => Ints is null ? null : Ints[index];

    /// <summary>Element i as a number when it is constant.</summary>
    public double? Number(int index) => Floats is not null ? Floats[index] : Ints![index]?.AsConstant;

    /// <summary>All elements as constant integers.</summary>
    public bool TryGetConstantInts(out long[] values)
    {
        values = [];
        if (Ints is null || Ints.Any(e => e is not { IsConstant: true }))
        {
            return false;
        }

        values = [.. Ints.Select(e => e!.ConstantTerm)];
        return true;
    }

    /// <summary>All elements as doubles when every one is a constant.</summary>
    public bool TryGetNumbers(out double[] values)
    {
        values = new double[Count];
        for (var i = 0; i < Count; i++)
        {
            if (Number(i) is not { } v)
            {
                values = [];
                return false;
            }

            values[i] = v;
        }

        return true;
    }

    public override string ToString()
    {
        var items = Ints is not null
            ? Ints.Select(e => e?.ToString() ?? "?")
            : Floats!.Select(f => f.ToString("G6", System.Globalization.CultureInfo.InvariantCulture));
        var body = string.Join(", ", items.Take(16)) + (Count > 16 ? ", …" : string.Empty);
        return Rank == 0 ? body : "[" + body + "]";
    }

    internal static bool Fits(IReadOnlyList<long> shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                return false;
            }

            count *= d;
            if (count > MaxElements)
            {
                return false;
            }
        }

        return true;
    }

    private static void CheckCount(IReadOnlyList<long> shape, int count)
    {
        long expected = 1;
        foreach (var d in shape)
        {
            expected *= d;
        }

        if (expected != count)
        {
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {expected} elements, not {count}");
        }
    }
}
