using System.Text;

namespace SuperRes.Deploy.Engines.Graph.Symbolic;

/// <summary>One atom raised to a positive power inside a <see cref="Monomial"/>.</summary>
public readonly record struct MonomialFactor(DimAtom Atom, int Power);

/// <summary>A product of atoms with positive integer powers, in canonical (sorted) order. The empty monomial is 1.</summary>
public sealed class Monomial : IEquatable<Monomial>
{
    public static readonly Monomial One = new([]);

    private readonly MonomialFactor[] _factors;
    private string? _key;

    internal Monomial(MonomialFactor[] factors)
    {
        _factors = factors;
        Degree = factors.Sum(f => f.Power);
    }

    public IReadOnlyList<MonomialFactor> Factors => _factors;

    public int Degree { get; }

    public bool IsOne => _factors.Length == 0;

    public string Key => _key ??= BuildKey();

    public static Monomial Of(DimAtom atom) => new([new MonomialFactor(atom, 1)]);

    public Monomial Multiply(Monomial other)
    {
        if (IsOne)
        {
            return other;
        }

        if (other.IsOne)
        {
            return this;
        }

        var merged = new List<MonomialFactor>(_factors.Length + other._factors.Length);
        int i = 0, j = 0;
        while (i < _factors.Length || j < other._factors.Length)
        {
            if (j >= other._factors.Length || (i < _factors.Length && _factors[i].Atom.CompareTo(other._factors[j].Atom) < 0))
            {
                merged.Add(_factors[i++]);
            }
            else if (i >= _factors.Length || _factors[i].Atom.CompareTo(other._factors[j].Atom) > 0)
            {
                merged.Add(other._factors[j++]);
            }
            else
            {
                merged.Add(new MonomialFactor(_factors[i].Atom, _factors[i].Power + other._factors[j].Power));
                i++;
                j++;
            }
        }

        return new Monomial([.. merged]);
    }

    /// <summary>This monomial divided by <paramref name="divisor"/> when every factor of the divisor appears here with at least its power.</summary>
    public bool TryDivide(Monomial divisor, out Monomial quotient)
    {
        quotient = this;
        if (divisor.IsOne)
        {
            return true;
        }

        var remaining = new List<MonomialFactor>(_factors);
        foreach (var d in divisor._factors)
        {
            var index = remaining.FindIndex(f => f.Atom.Equals(d.Atom));
            if (index < 0 || remaining[index].Power < d.Power)
            {
                return false;
            }

            var left = remaining[index].Power - d.Power;
            if (left == 0)
            {
                remaining.RemoveAt(index);
            }
            else
            {
                remaining[index] = new MonomialFactor(d.Atom, left);
            }
        }

        quotient = new Monomial([.. remaining]);
        return true;
    }

    public bool Equals(Monomial? other) => other is not null && Key == other.Key;

    public override bool Equals(object? obj) => obj is Monomial m && Equals(m);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Key);

    /// <summary>Higher degree first, then atom order: the order terms are printed in.</summary>
    public int CompareTo(Monomial? other)
    {
        if (other is null)
        {
            return 1;
        }

        var c = other.Degree.CompareTo(Degree);
        if (c != 0)
        {
            return c;
        }

        for (var i = 0; i < Math.Min(_factors.Length, other._factors.Length); i++)
        {
            c = _factors[i].Atom.CompareTo(other._factors[i].Atom);
            if (c != 0)
            {
                return c;
            }

            c = other._factors[i].Power.CompareTo(_factors[i].Power);
            if (c != 0)
            {
                return c;
            }
        }

        return _factors.Length.CompareTo(other._factors.Length);
    }

    public string Display()
    {
        var sb = new StringBuilder();
        foreach (var f in _factors)
        {
            if (sb.Length > 0)
            {
                sb.Append('*');
            }

            sb.Append(f.Atom.Display());
            if (f.Power > 1)
            {
                sb.Append('^').Append(f.Power);
            }
        }

        return sb.ToString();
    }

    public override string ToString() => Display();

    private string BuildKey()
    {
        var sb = new StringBuilder();
        foreach (var f in _factors)
        {
            if (sb.Length > 0)
            {
                sb.Append('*');
            }

            sb.Append(f.Atom.Key);
            if (f.Power > 1)
            {
                sb.Append('^').Append(f.Power);
            }
        }

        return sb.ToString();
    }
}
