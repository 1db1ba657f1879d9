using System.Text;

namespace SuperRes.Deploy.Engines.Graph.Symbolic;

/// <summary>What a symbol stands for, which bounds what values it can take.</summary>
public enum SymbolKind
{
    /// <summary>A dynamic dimension of a graph input (batch, height, width…): a positive integer (at least 1).</summary>
    InputDim,

    /// <summary>A size that depends on tensor data (NonZero's count, Unique's length…): a non-negative integer, never bound by an input shape.</summary>
    DataDependent,

    /// <summary>A dimension a value_info declares by name whose relation to the inputs is unknown (at least 0).</summary>
    Declared,
}

/// <summary>
/// An indivisible factor of a <see cref="DimExpr"/> monomial: a symbol, or a non-polynomial function (floor division,
/// max, min) of other expressions. Atoms are immutable and compared by their canonical <see cref="Key"/>.
/// </summary>
public abstract class DimAtom : IEquatable<DimAtom>
{
    private string? _key;

    /// <summary>The canonical text of the atom; equal keys mean structurally equal atoms.</summary>
    public string Key => _key ??= BuildKey();

    /// <summary>Sort rank of the atom family: symbols before functions, so printed expressions read naturally.</summary>
    internal abstract int FamilyRank { get; }

    public bool Equals(DimAtom? other) => other is not null && (ReferenceEquals(this, other) || Key == other.Key);

    public override bool Equals(object? obj) => obj is DimAtom a && Equals(a);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Key);

    /// <summary>Canonical order: symbols before functions, then by key.</summary>
    public int CompareTo(DimAtom? other)
    {
        if (other is null)
        {
            return 1;
        }

        var c = FamilyRank.CompareTo(other.FamilyRank);
        return c != 0 ? c : string.CompareOrdinal(Key, other.Key);
    }

    public override string ToString() => Display();

    /// <summary>Human-readable text (ceil(x/k) for floor((x+k-1)/k), for instance).</summary>
    public abstract string Display();

    /// <summary>Every symbol the atom depends on, however deeply nested.</summary>
    internal abstract void CollectSymbols(HashSet<SymbolAtom> into);

    protected abstract string BuildKey();
}

/// <summary>A named dimension symbol such as <c>height</c>.</summary>
public sealed class SymbolAtom : DimAtom
{
    internal SymbolAtom(string name, SymbolKind kind)
    {
        Name = name;
        Kind = kind;
    }

    public string Name { get; }

    public SymbolKind Kind { get; }

    /// <summary>The smallest value the symbol can take: 1 for input dimensions, 0 otherwise.</summary>
    public long LowerBound => Kind == SymbolKind.InputDim ? 1 : 0;

    internal override int FamilyRank => 0;

    public override string Display() => QuoteIfNeeded(Name);

    internal override void CollectSymbols(HashSet<SymbolAtom> into) => into.Add(this);

    protected override string BuildKey() => QuoteIfNeeded(Name);

    internal static string QuoteIfNeeded(string name)
    {
        if (name.Length > 0 && (char.IsLetter(name[0]) || name[0] == '_') && name.All(c => char.IsLetterOrDigit(c) || c is '_' or '.' or ':'))
        {
            return name;
        }

        return "'" + name.Replace("'", "''", StringComparison.Ordinal) + "'";
    }
}

/// <summary>floor(numerator / denominator), kept only when it cannot be simplified away.</summary>
public sealed class FloorDivAtom : DimAtom
{
    internal FloorDivAtom(DimExpr numerator, DimExpr denominator)
    {
        Numerator = numerator;
        Denominator = denominator;
    }

    public DimExpr Numerator { get; }

    public DimExpr Denominator { get; }

    internal override int FamilyRank => 1;

    public override string Display()
    {
        // floor((x + k - 1) / k) is ceil(x / k): print the form people write.
        if (Denominator.TryGetConstant(out var k) && k > 1 && Numerator.ConstantTerm >= k - 1)
        {
            var x = Numerator - DimExpr.Constant(k - 1);
            return $"ceil({Wrap(x)}/{k})";
        }

        return $"floor({Wrap(Numerator)}/{Wrap(Denominator)})";
    }

    internal override void CollectSymbols(HashSet<SymbolAtom> into)
    {
        Numerator.CollectSymbols(into);
        Denominator.CollectSymbols(into);
    }

    protected override string BuildKey() => $"floor({Numerator.Key}/{Denominator.Key})";

    private static string Wrap(DimExpr e) => e.IsSingleFactor ? e.ToString() : "(" + e + ")";
}

/// <summary>The maximum or minimum of two or more expressions that could not be ordered symbolically.</summary>
public sealed class ExtremumAtom : DimAtom
{
    internal ExtremumAtom(bool isMax, IReadOnlyList<DimExpr> arguments)
    {
        IsMax = isMax;
        Arguments = arguments;
    }

    /// <summary>True for max, false for min.</summary>
    public bool IsMax { get; }

    public IReadOnlyList<DimExpr> Arguments { get; }

    internal override int FamilyRank => IsMax ? 2 : 3;

    public override string Display() => (IsMax ? "max(" : "min(") + string.Join(", ", Arguments) + ")";

    internal override void CollectSymbols(HashSet<SymbolAtom> into)
    {
        foreach (var a in Arguments)
        {
            a.CollectSymbols(into);
        }
    }

    protected override string BuildKey()
    {
        var sb = new StringBuilder(IsMax ? "max(" : "min(");
        for (var i = 0; i < Arguments.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            sb.Append(Arguments[i].Key);
        }

        return sb.Append(')').ToString();
    }
}
