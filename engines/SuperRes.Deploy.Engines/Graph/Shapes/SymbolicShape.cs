using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Graph.Shapes;

/// <summary>A tensor shape of known rank whose dimensions are <see cref="DimExpr"/>s; a null dimension is unknown.</summary>
public sealed class SymbolicShape : IEquatable<SymbolicShape>
{
    private readonly DimExpr?[] _dims;

    public SymbolicShape(IEnumerable<DimExpr?> dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        _dims = [.. dims];
    }

    public static SymbolicShape Scalar { get; } = new([]);

    public IReadOnlyList<DimExpr?> Dims => _dims;

    public int Rank => _dims.Length;

    public DimExpr? this[int axis] => _dims[axis];

    /// <summary>True when every dimension is known (possibly symbolic).</summary>
    public bool IsFullyKnown => _dims.All(d => d is not null);

    /// <summary>True when every dimension is a number.</summary>
    public bool IsStatic => _dims.All(d => d is { IsConstant: true });

    public static SymbolicShape Of(params long[] dims) => new(dims.Select(d => (DimExpr?)DimExpr.Constant(d)));

    public static SymbolicShape Of(params DimExpr?[] dims) => new(dims);

    /// <summary>The product of the dimensions; null when any is unknown.</summary>
    public DimExpr? ElementCount()
    {
        DimExpr count = DimExpr.One;
        foreach (var d in _dims)
        {
            if (d is null)
            {
                return null;
            }

            count *= d;
        }

        return count;
    }

    /// <summary>The product of the dimensions in [from, to).</summary>
    public DimExpr? Product(int from, int to)
    {
        DimExpr count = DimExpr.One;
        for (var i = from; i < to; i++)
        {
            if (_dims[i] is not { } d)
            {
                return null;
            }

            count *= d;
        }

        return count;
    }

    /// <summary>The shape with symbols bound; null when a dimension is unknown or cannot be evaluated.</summary>
    public long[]? Evaluate(Func<SymbolAtom, long?> lookup)
    {
        var result = new long[_dims.Length];
        for (var i = 0; i < _dims.Length; i++)
        {
            if (_dims[i]?.Evaluate(lookup) is not { } v)
            {
                return null;
            }

            result[i] = v;
        }

        return result;
    }

    public SymbolicShape With(int axis, DimExpr? dim)
    {
        var copy = (DimExpr?[])_dims.Clone();
        copy[axis] = dim;
        return new SymbolicShape(copy);
    }

    public bool Equals(SymbolicShape? other)
    {
        if (other is null || other.Rank != Rank)
        {
            return false;
        }

        for (var i = 0; i < Rank; i++)
        {
            if (!Equals(_dims[i], other._dims[i]))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => obj is SymbolicShape s && Equals(s);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in _dims)
        {
            h.Add(d?.Key);
        }

        return h.ToHashCode();
    }

    /// <summary>"[batch, 60, 8*ceil(height/8), ?]".</summary>
    public override string ToString() => "[" + string.Join(", ", _dims.Select(d => d?.ToString() ?? "?")) + "]";
}
