using System.Text;

namespace SuperRes.Deploy.Engines.Graph.Symbolic;

/// <summary>One term of a <see cref="DimExpr"/>: an integer coefficient times a monomial.</summary>
public readonly record struct DimTerm(long Coefficient, Monomial Monomial);

/// <summary>
/// An integer-valued symbolic expression for a tensor dimension or a small shape value: a polynomial with integer
/// coefficients over atoms (symbols such as <c>height</c>, floor divisions, max/min). Expressions are immutable and kept
/// in a canonical form, so two expressions that simplification can prove equal compare equal (<see cref="Equals(DimExpr?)"/>
/// compares the canonical <see cref="Key"/>). Only identities valid for every integer value are used when simplifying;
/// identities that need a sign use the symbols' lower bounds (input dims are at least 1). Binding symbols to numbers
/// (<see cref="Evaluate(IReadOnlyDictionary{string,long})"/>) gives exact values.
/// </summary>
/// <remarks>
/// Canonical form of floor division by a constant k: multiples of k are pulled out of the numerator, so what stays inside
/// has every coefficient in [0, k); a common factor of the coefficients and k is divided out; nested floors merge; and a
/// single term with coefficient c &gt; k/2 is rewritten as <c>t - ceil(((k-c)t - d)/k)</c> (for k = 2, floor((t+1)/2) as
/// <c>t - floor(t/2)</c>). Modulo is expanded as
/// <c>a - k*floor(a/k)</c>. With these rules <c>H + (8 - H mod 8) mod 8</c> becomes <c>8*ceil(H/8)</c>.
/// </remarks>
public sealed class DimExpr : IEquatable<DimExpr>
{
    public static readonly DimExpr Zero = new([], 0);
    public static readonly DimExpr One = new([], 1);

    private readonly DimTerm[] _terms;
    private string? _key;
    private SymbolAtom[]? _symbols;

    private DimExpr(DimTerm[] terms, long constant)
    {
        _terms = terms;
        ConstantTerm = constant;
    }

    /// <summary>The non-constant terms in canonical order.</summary>
    public IReadOnlyList<DimTerm> Terms => _terms;

    /// <summary>The constant term.</summary>
    public long ConstantTerm { get; }

    public bool IsConstant => _terms.Length == 0;

    /// <summary>The canonical text; equal keys mean equal expressions.</summary>
    public string Key => _key ??= BuildKey();

    /// <summary>True when the expression prints as one factor (a number, a symbol, an atom) and needs no parentheses.</summary>
    internal bool IsSingleFactor =>
        (_terms.Length == 0) ||
        (_terms.Length == 1 && ConstantTerm == 0 && _terms[0].Coefficient == 1 && _terms[0].Monomial.Factors.Count == 1 && _terms[0].Monomial.Factors[0].Power == 1);

    /// <summary>The symbols the expression depends on (including those inside floor/max/min), sorted by name.</summary>
    public IReadOnlyList<SymbolAtom> Symbols
    {
        get
        {
            if (_symbols is null)
            {
                var set = new HashSet<SymbolAtom>();
                CollectSymbols(set);
                _symbols = [.. set.OrderBy(s => s.Name, StringComparer.Ordinal)];
            }

            return _symbols;
        }
    }

    /// <summary>The atom when the expression is exactly one symbol with coefficient 1 (e.g. <c>height</c>).</summary>
    public SymbolAtom? AsSymbol =>
        _terms.Length == 1 && ConstantTerm == 0 && _terms[0].Coefficient == 1 && _terms[0].Monomial.Factors.Count == 1 &&
        _terms[0].Monomial.Factors[0].Power == 1 && _terms[0].Monomial.Factors[0].Atom is SymbolAtom s ? s : null;

    public static DimExpr Constant(long value) => value switch
    {
        0 => Zero,
        1 => One,
        _ => new DimExpr([], value),
    };

    /// <summary>A symbol. Symbols are identified by name; use one <see cref="SymbolKind"/> per name.</summary>
    public static DimExpr Symbol(string name, SymbolKind kind = SymbolKind.InputDim)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return FromAtom(new SymbolAtom(name, kind));
    }

    public static DimExpr FromAtom(DimAtom atom) => new([new DimTerm(1, Monomial.Of(atom))], 0);

    public static implicit operator DimExpr(long value) => Constant(value);

    public bool TryGetConstant(out long value)
    {
        value = ConstantTerm;
        return IsConstant;
    }

    /// <summary>The value when constant, else null.</summary>
    public long? AsConstant => IsConstant ? ConstantTerm : null;

    public static DimExpr operator +(DimExpr a, DimExpr b) => Add(a, b);

    public static DimExpr operator -(DimExpr a, DimExpr b) => Add(a, Negate(b));

    public static DimExpr operator -(DimExpr a) => Negate(a);

    public static DimExpr operator *(DimExpr a, DimExpr b) => Multiply(a, b);

    public static DimExpr Add(DimExpr a, DimExpr b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.IsConstant && b.IsConstant)
        {
            return Constant(checked(a.ConstantTerm + b.ConstantTerm));
        }

        var builder = new Builder();
        builder.Add(a, 1);
        builder.Add(b, 1);
        return builder.Build();
    }

    public static DimExpr Negate(DimExpr a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return a.Scale(-1);
    }

    public static DimExpr Subtract(DimExpr a, DimExpr b) => Add(a, Negate(b));

    public static DimExpr Multiply(DimExpr a, DimExpr b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.IsConstant)
        {
            return b.Scale(a.ConstantTerm);
        }

        if (b.IsConstant)
        {
            return a.Scale(b.ConstantTerm);
        }

        var builder = new Builder();
        foreach (var ta in a.AllTerms())
        {
            foreach (var tb in b.AllTerms())
            {
                builder.AddTerm(checked(ta.Coefficient * tb.Coefficient), ta.Monomial.Multiply(tb.Monomial));
            }
        }

        return builder.Build();
    }

    /// <summary>floor(a / b). Throws <see cref="DivideByZeroException"/> when b is the constant 0.</summary>
    public static DimExpr FloorDiv(DimExpr a, DimExpr b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (b.TryGetConstant(out var k))
        {
            if (k == 0)
            {
                throw new DivideByZeroException("symbolic floor division by zero");
            }

            return k > 0 ? FloorDivByConstant(a, k) : FloorDivByConstant(Negate(a), checked(-k));
        }

        if (a.Equals(b))
        {
            return One;
        }

        if (a.Equals(Zero))
        {
            return Zero;
        }

        // An exact polynomial quotient: floor((6*N*H*W - 6*N*W) / (2*N*H - 2*N)) = 3*W.
        if (TryDivideExactly(a, b, out var quotient))
        {
            return quotient;
        }

        // A monomial divisor that divides every term of the numerator cancels: floor(B*C*H / (4*C)) = floor(B*H / 4).
        if (b._terms.Length == 1 && b.ConstantTerm == 0 && a.ConstantTerm == 0)
        {
            var divisor = b._terms[0];
            var builder = new Builder();
            var divides = true;
            foreach (var t in a._terms)
            {
                if (!t.Monomial.TryDivide(divisor.Monomial, out var q))
                {
                    divides = false;
                    break;
                }

                builder.AddTerm(t.Coefficient, q);
            }

            if (divides)
            {
                var reduced = builder.Build();
                return FloorDiv(divisor.Coefficient < 0 ? Negate(reduced) : reduced, Math.Abs(divisor.Coefficient));
            }
        }

        return FromAtom(new FloorDivAtom(a, b));
    }

    /// <summary>ceil(a / b) for b &gt; 0: floor((a + b - 1) / b).</summary>
    public static DimExpr CeilDiv(DimExpr a, DimExpr b) => Negate(FloorDiv(Negate(a), b));

    /// <summary>a mod b with the sign of b (Python's %, ONNX Mod with fmod=0): a - b*floor(a/b).</summary>
    public static DimExpr Mod(DimExpr a, DimExpr b) => a - (b * FloorDiv(a, b));

    public static DimExpr Max(DimExpr a, DimExpr b) => Extremum(true, a, b);

    public static DimExpr Min(DimExpr a, DimExpr b) => Extremum(false, a, b);

    /// <summary>The expression with every coefficient multiplied by <paramref name="factor"/>.</summary>
    public DimExpr Scale(long factor)
    {
        if (factor == 0)
        {
            return Zero;
        }

        if (factor == 1)
        {
            return this;
        }

        var terms = new DimTerm[_terms.Length];
        for (var i = 0; i < terms.Length; i++)
        {
            terms[i] = new DimTerm(checked(_terms[i].Coefficient * factor), _terms[i].Monomial);
        }

        return new DimExpr(terms, checked(ConstantTerm * factor));
    }

    /// <summary>
    /// The exact value with the symbols bound; null when a symbol is unbound or a division by zero or an overflow
    /// occurs.
    /// </summary>
    public long? Evaluate(IReadOnlyDictionary<string, long> bindings)
    {
        ArgumentNullException.ThrowIfNull(bindings);
        return Evaluate(s => bindings.TryGetValue(s.Name, out var v) ? v : null);
    }

    /// <summary>The exact value, looking each symbol up with <paramref name="lookup"/>.</summary>
    public long? Evaluate(Func<SymbolAtom, long?> lookup)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        try
        {
            return EvaluateChecked(lookup);
        }
        catch (OverflowException)
        {
            return null;
        }
        catch (DivideByZeroException)
        {
            return null;
        }
        catch (UnboundSymbolException)
        {
            return null;
        }
    }

    /// <summary>Replaces symbols by expressions (partial binding) and re-simplifies.</summary>
    public DimExpr Substitute(Func<SymbolAtom, DimExpr?> replacement)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        if (IsConstant)
        {
            return this;
        }

        var result = Constant(ConstantTerm);
        foreach (var term in _terms)
        {
            DimExpr product = Constant(term.Coefficient);
            foreach (var f in term.Monomial.Factors)
            {
                var atom = SubstituteAtom(f.Atom, replacement);
                for (var p = 0; p < f.Power; p++)
                {
                    product *= atom;
                }
            }

            result += product;
        }

        return result;
    }

    public bool Equals(DimExpr? other) => other is not null && (ReferenceEquals(this, other) || Key == other.Key);

    public override bool Equals(object? obj) => obj is DimExpr e && Equals(e);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Key);

    /// <summary>Readable text (factored where possible, e.g. <c>N*ceil(H/2)*ceil(W/2)</c>); see <see cref="Key"/> for identity.</summary>
    public override string ToString() => DimExprFormatter.Format(this);

    internal void CollectSymbols(HashSet<SymbolAtom> into)
    {
        foreach (var t in _terms)
        {
            foreach (var f in t.Monomial.Factors)
            {
                f.Atom.CollectSymbols(into);
            }
        }
    }

    internal long EvaluateChecked(Func<SymbolAtom, long?> lookup)
    {
        var total = ConstantTerm;
        foreach (var t in _terms)
        {
            var product = t.Coefficient;
            foreach (var f in t.Monomial.Factors)
            {
                var v = EvaluateAtom(f.Atom, lookup);
                for (var p = 0; p < f.Power; p++)
                {
                    product = checked(product * v);
                }
            }

            total = checked(total + product);
        }

        return total;
    }

    /// <summary>Floor division of integers (rounds toward negative infinity).</summary>
    public static long FloorDivide(long a, long b)
    {
        if (b == 0)
        {
            throw new DivideByZeroException();
        }

        var q = a / b;
        if ((a % b != 0) && ((a < 0) != (b < 0)))
        {
            q--;
        }

        return q;
    }

    /// <summary>Floor modulo of integers (result has the sign of b).</summary>
    public static long FloorModulo(long a, long b) => checked(a - (b * FloorDivide(a, b)));

    private static long EvaluateAtom(DimAtom atom, Func<SymbolAtom, long?> lookup) => atom switch
    {
        SymbolAtom s => lookup(s) ?? throw new UnboundSymbolException(),
        FloorDivAtom d => FloorDivide(d.Numerator.EvaluateChecked(lookup), d.Denominator.EvaluateChecked(lookup)),
        ExtremumAtom e => e.IsMax
            ? e.Arguments.Select(a => a.EvaluateChecked(lookup)).Max()
            : e.Arguments.Select(a => a.EvaluateChecked(lookup)).Min(),
        _ => throw new InvalidOperationException($"unknown atom {atom.GetType().Name}"),
    };

    private static DimExpr SubstituteAtom(DimAtom atom, Func<SymbolAtom, DimExpr?> replacement) => atom switch
    {
        SymbolAtom s => replacement(s) ?? FromAtom(s),
        FloorDivAtom d => FloorDiv(d.Numerator.Substitute(replacement), d.Denominator.Substitute(replacement)),
        ExtremumAtom e => e.Arguments.Select(a => a.Substitute(replacement)).Aggregate((x, y) => Extremum(e.IsMax, x, y)),
        _ => FromAtom(atom),
    };

    private IEnumerable<DimTerm> AllTerms()
    {
        foreach (var t in _terms)
        {
            yield return t;
        }

        if (ConstantTerm != 0)
        {
            yield return new DimTerm(ConstantTerm, Monomial.One);
        }
    }

    private string BuildKey()
    {
        if (IsConstant)
        {
            return ConstantTerm.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var sb = new StringBuilder();
        foreach (var t in _terms)
        {
            sb.Append(t.Coefficient >= 0 ? "+" : string.Empty).Append(t.Coefficient.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Append('*').Append(t.Monomial.Key);
        }

        if (ConstantTerm != 0)
        {
            sb.Append(ConstantTerm >= 0 ? "+" : string.Empty).Append(ConstantTerm.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    private static DimExpr FloorDivByConstant(DimExpr a, long k)
    {
        if (k == 1)
        {
            return a;
        }

        if (a.IsConstant)
        {
            return Constant(FloorDivide(a.ConstantTerm, k));
        }

        // a = k*Q + R with every coefficient of R in [0, k): floor(a/k) = Q + floor(R/k).
        var quotient = new Builder();
        var remainder = new Builder();
        foreach (var t in a.AllTerms())
        {
            var q = FloorDivide(t.Coefficient, k);
            quotient.AddTerm(q, t.Monomial);
            remainder.AddTerm(t.Coefficient - (q * k), t.Monomial);
        }

        return quotient.Build() + FloorDivReduced(remainder.Build(), k);
    }

    /// <summary>floor(r/k) where every coefficient of r (constant included) is in [0, k).</summary>
    private static DimExpr FloorDivReduced(DimExpr r, long k)
    {
        if (r.IsConstant)
        {
            return Zero;
        }

        // A factor g common to k and every non-constant coefficient: floor((g*u + d)/(g*m)) = floor((u + floor(d/g))/m).
        var g = k;
        foreach (var t in r._terms)
        {
            g = Gcd(g, t.Coefficient);
        }

        if (g > 1)
        {
            var reduced = new Builder();
            foreach (var t in r._terms)
            {
                reduced.AddTerm(t.Coefficient / g, t.Monomial);
            }

            reduced.AddTerm(r.ConstantTerm / g, Monomial.One);
            return FloorDivByConstant(reduced.Build(), k / g);
        }

        if (r._terms.Length == 1)
        {
            var term = r._terms[0];
            var d = r.ConstantTerm;

            // floor((floor(x/j) + d)/k) = floor((x + d*j)/(j*k)).
            if (term.Coefficient == 1 && term.Monomial.Factors.Count == 1 && term.Monomial.Factors[0].Power == 1 &&
                term.Monomial.Factors[0].Atom is FloorDivAtom inner && inner.Denominator.TryGetConstant(out var j) && j > 0)
            {
                return FloorDivByConstant(inner.Numerator + Constant(checked(d * j)), checked(j * k));
            }

            // floor((c*t + d)/k) with c > k/2 is t - ceil(((k-c)*t - d)/k) = t - floor(((k-c)*t + (k-1-d))/k):
            // one canonical form per function, so floor(7H/8) and H - ceil(H/8) compare equal.
            // k = 2 is the tie of that rule (c = k/2): floor((t+1)/2) is written t - floor(t/2), so ceil(H/2) and
            // H - floor(H/2) have one form.
            if (k == 2 && d == 1)
            {
                var t = new DimExpr([new DimTerm(1, term.Monomial)], 0);
                return t - FromAtom(new FloorDivAtom(t, Constant(2)));
            }

            if (2 * term.Coefficient > k)
            {
                var t = new DimExpr([new DimTerm(1, term.Monomial)], 0);
                var flipped = new DimExpr([new DimTerm(k - term.Coefficient, term.Monomial)], k - 1 - d);
                return t - FloorDivReduced(flipped, k);
            }
        }

        return FromAtom(new FloorDivAtom(r, Constant(k)));
    }

    private static DimExpr Extremum(bool isMax, DimExpr a, DimExpr b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Equals(b))
        {
            return a;
        }

        if (a.IsConstant && b.IsConstant)
        {
            return Constant(isMax ? Math.Max(a.ConstantTerm, b.ConstantTerm) : Math.Min(a.ConstantTerm, b.ConstantTerm));
        }

        var args = new List<DimExpr>();
        Flatten(a);
        Flatten(b);

        // Drop every argument another argument provably dominates.
        var changed = true;
        while (changed && args.Count > 1)
        {
            changed = false;
            for (var i = 0; i < args.Count && !changed; i++)
            {
                for (var j = 0; j < args.Count && !changed; j++)
                {
                    if (i != j && DimProver.IsNonNegative(isMax ? args[i] - args[j] : args[j] - args[i]))
                    {
                        args.RemoveAt(j);
                        changed = true;
                    }
                }
            }
        }

        if (args.Count == 1)
        {
            return args[0];
        }

        args.Sort((x, y) => string.CompareOrdinal(x.Key, y.Key));
        return FromAtom(new ExtremumAtom(isMax, args));

        void Flatten(DimExpr e)
        {
            if (e.IsSingleFactor && !e.IsConstant && e._terms[0].Monomial.Factors[0].Atom is ExtremumAtom x && x.IsMax == isMax)
            {
                foreach (var inner in x.Arguments)
                {
                    if (!args.Contains(inner))
                    {
                        args.Add(inner);
                    }
                }
            }
            else if (!args.Contains(e))
            {
                args.Add(e);
            }
        }
    }

    /// <summary>
    /// Multivariate long division of a by b; succeeds only when it ends with no remainder, and the quotient is checked by
    /// multiplying back, so a wrong leading-term choice can only make it fail, never give a wrong result.
    /// </summary>
    private static bool TryDivideExactly(DimExpr a, DimExpr b, out DimExpr quotient)
    {
        quotient = Zero;
        if (b._terms.Length == 0)
        {
            return false;
        }

        var lead = b._terms[0];
        var remainder = a;
        var q = Zero;
        for (var step = 0; step < 64 && !remainder.Equals(Zero); step++)
        {
            if (remainder._terms.Length == 0)
            {
                return false;
            }

            var r = remainder._terms[0];
            if (r.Coefficient % lead.Coefficient != 0 || !r.Monomial.TryDivide(lead.Monomial, out var m))
            {
                return false;
            }

            var term = new DimExpr([new DimTerm(r.Coefficient / lead.Coefficient, m)], 0);
            if (m.IsOne)
            {
                term = Constant(r.Coefficient / lead.Coefficient);
            }

            q += term;
            remainder -= term * b;
        }

        if (!remainder.Equals(Zero) || !(q * b).Equals(a))
        {
            return false;
        }

        quotient = q;
        return true;
    }

    private static long Gcd(long a, long b)
    {
        a = Math.Abs(a);
        b = Math.Abs(b);
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }

    /// <summary>Accumulates terms by monomial and produces a canonical expression.</summary>
    private sealed class Builder
    {
        private readonly Dictionary<string, (Monomial Monomial, long Coefficient)> _terms = new(StringComparer.Ordinal);
        private long _constant;

        public void Add(DimExpr e, long factor)
        {
            foreach (var t in e._terms)
            {
                AddTerm(checked(t.Coefficient * factor), t.Monomial);
            }

            _constant = checked(_constant + (e.ConstantTerm * factor));
        }

        public void AddTerm(long coefficient, Monomial monomial)
        {
            if (coefficient == 0)
            {
                return;
            }

            if (monomial.IsOne)
            {
                _constant = checked(_constant + coefficient);
                return;
            }

            var key = monomial.Key;
            _terms[key] = _terms.TryGetValue(key, out var existing)
                ? (monomial, checked(existing.Coefficient + coefficient))
                : (monomial, coefficient);
        }

        public DimExpr Build()
        {
            var terms = _terms.Values.Where(t => t.Coefficient != 0).Select(t => new DimTerm(t.Coefficient, t.Monomial)).ToArray();
            Array.Sort(terms, (x, y) => x.Monomial.CompareTo(y.Monomial));
            return terms.Length == 0 ? Constant(_constant) : new DimExpr(terms, _constant);
        }
    }
}

/// <summary>Raised internally when an expression refers to a symbol the binding does not give.</summary>
internal sealed class UnboundSymbolException : Exception
{
    public UnboundSymbolException()
        : base("unbound symbol")
    {
    }

    public UnboundSymbolException(string message)
        : base(message)
    {
    }

    public UnboundSymbolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
