namespace SuperRes.Deploy.Engines.Graph.Symbolic;

/// <summary>
/// Sound (never wrong, sometimes inconclusive) sign proofs for <see cref="DimExpr"/>s. Each non-polynomial atom is
/// replaced by a polynomial bound in the direction that keeps the inequality valid (floor(x/k) ≥ (x-k+1)/k,
/// floor(x/k) ≤ x/k, max(a,b) ≥ a, min(a,b) ≤ a); the resulting polynomial over the symbols is shifted to their lower
/// bounds (s = lb + t, t ≥ 0) and proven non-negative when every coefficient is. "False" means "not proven".
/// </summary>
public static class DimProver
{
    private const int MaxChoiceCombinations = 64;
    private const int MaxTerms = 400;

    /// <summary>True when <paramref name="e"/> ≥ 0 for every value of its symbols within their bounds.</summary>
    public static bool IsNonNegative(DimExpr e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.IsConstant)
        {
            return e.ConstantTerm >= 0;
        }

        // Atoms with several usable bounds: each max/min argument, and for floor(x/k) either (x-k+1)/k or the constant
        // floor(min(x)/k) (the tighter one near the symbols' lower bounds). Every combination is tried (capped).
        var choiceAtoms = new List<(DimAtom Atom, int Options)>();
        foreach (var t in e.Terms)
        {
            foreach (var f in t.Monomial.Factors)
            {
                if (choiceAtoms.Any(c => c.Atom.Equals(f.Atom)))
                {
                    continue;
                }

                if (f.Atom is ExtremumAtom x)
                {
                    choiceAtoms.Add((x, x.Arguments.Count));
                }
                else if (f.Atom is FloorDivAtom { Denominator.IsConstant: true })
                {
                    choiceAtoms.Add((f.Atom, 2));
                }
            }
        }

        var combinations = 1;
        foreach (var (_, options) in choiceAtoms)
        {
            combinations *= options;
            if (combinations >= MaxChoiceCombinations)
            {
                combinations = MaxChoiceCombinations;
                break;
            }
        }

        for (var c = 0; c < combinations; c++)
        {
            var choices = new Dictionary<DimAtom, int>();
            var rest = c;
            foreach (var (atom, options) in choiceAtoms)
            {
                choices[atom] = rest % options;
                rest /= options;
            }

            try
            {
                var relaxed = Relax(e, lower: true, choices);
                if (relaxed is not null && relaxed.IsNonNegativeForSymbolsAtLowerBounds())
                {
                    return true;
                }
            }
            catch (OverflowException)
            {
                // Coefficients too large to reason about: inconclusive.
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="e"/> ≥ 1 for every value of its symbols.</summary>
    public static bool IsPositive(DimExpr e) => IsNonNegative(e - DimExpr.One);

    /// <summary>True when a ≥ b always.</summary>
    public static bool IsGreaterOrEqual(DimExpr a, DimExpr b) => IsNonNegative(a - b);

    /// <summary>+1, 0 or -1 when the sign of a - b is proven (0 only for canonically equal expressions); null otherwise.</summary>
    public static int? Compare(DimExpr a, DimExpr b)
    {
        if (a.Equals(b))
        {
            return 0;
        }

        var d = a - b;
        if (IsPositive(d))
        {
            return 1;
        }

        if (IsPositive(-d))
        {
            return -1;
        }

        return null;
    }

    /// <summary>A polynomial over symbols bounding <paramref name="e"/> from below (lower) or above; null when none is found.</summary>
    private static RationalPolynomial? Relax(DimExpr e, bool lower, Dictionary<DimAtom, int> choices)
    {
        var result = RationalPolynomial.Constant(new Rational(e.ConstantTerm, 1));
        foreach (var term in e.Terms)
        {
            var symbolPart = RationalPolynomial.Constant(new Rational(term.Coefficient, 1));
            DimAtom? other = null;
            foreach (var f in term.Monomial.Factors)
            {
                if (f.Atom is SymbolAtom s)
                {
                    for (var p = 0; p < f.Power; p++)
                    {
                        symbolPart = symbolPart.Multiply(RationalPolynomial.Of(s));
                    }
                }
                else if (other is null && f.Power == 1)
                {
                    other = f.Atom;
                }
                else
                {
                    return null;
                }
            }

            if (other is null)
            {
                result = result.Add(symbolPart);
                continue;
            }

            // c*S*atom with S ≥ 0: bound the atom in the direction the coefficient's sign asks for.
            var atomLower = (term.Coefficient > 0) == lower;
            var bound = BoundAtom(other, atomLower, choices);
            if (bound is null)
            {
                return null;
            }

            result = result.Add(symbolPart.Multiply(bound));
            if (result.TermCount > MaxTerms)
            {
                return null;
            }
        }

        return result;
    }

    private static RationalPolynomial? BoundAtom(DimAtom atom, bool lower, Dictionary<DimAtom, int> choices)
    {
        switch (atom)
        {
            case FloorDivAtom d when d.Denominator.TryGetConstant(out var k) && k > 0:
                {
                    if (lower && choices.TryGetValue(atom, out var option) && option == 1)
                    {
                        // floor(x/k) ≥ floor(min(x)/k), with min(x) at the symbols' lower bounds when x only grows with them.
                        var numerator = Relax(d.Numerator, lower: true, []);
                        return numerator?.MinimumAtLowerBounds() is { } minimum
                            ? RationalPolynomial.Constant(new Rational(DimExpr.FloorDivide(minimum.Numerator, checked(minimum.Denominator * k)), 1))
                            : null;
                    }

                    var inner = Relax(d.Numerator, lower, choices);
                    if (inner is null)
                    {
                        return null;
                    }

                    var shifted = lower ? inner.Add(RationalPolynomial.Constant(new Rational(-(k - 1), 1))) : inner;
                    return shifted.Scale(new Rational(1, k));
                }

            case FloorDivAtom d:
                // floor(x/y) ≥ 0 when x ≥ 0 and y ≥ 1; nothing better without division of polynomials.
                return lower && IsNonNegative(d.Numerator) && IsPositive(d.Denominator)
                    ? RationalPolynomial.Constant(Rational.Zero)
                    : null;

            case ExtremumAtom x when x.IsMax == lower:
                {
                    // max(a, b) ≥ a and min(a, b) ≤ a: any argument bounds it on that side.
                    var choice = choices.TryGetValue(x, out var c) ? c : 0;
                    return Relax(x.Arguments[choice], lower, choices);
                }

            default:
                return null;
        }
    }

    /// <summary>An exact fraction with a positive denominator.</summary>
    internal readonly record struct Rational(long Numerator, long Denominator)
    {
        public static Rational Zero => new(0, 1);

        public bool IsNegative => Numerator < 0;

        public bool IsZero => Numerator == 0;

        public static Rational Normalize(long n, long d)
        {
            if (d < 0)
            {
                n = checked(-n);
                d = checked(-d);
            }

            var g = Gcd(Math.Abs(n), d);
            return g > 1 ? new Rational(n / g, d / g) : new Rational(n, d);
        }

        public Rational Plus(Rational o) =>
            Normalize(checked((Numerator * o.Denominator) + (o.Numerator * Denominator)), checked(Denominator * o.Denominator));

        public Rational Times(Rational o) => Normalize(checked(Numerator * o.Numerator), checked(Denominator * o.Denominator));

        private static long Gcd(long a, long b)
        {
            while (b != 0)
            {
                (a, b) = (b, a % b);
            }

            return a == 0 ? 1 : a;
        }
    }

    /// <summary>A polynomial over symbols with rational coefficients (only what the prover needs).</summary>
    internal sealed class RationalPolynomial
    {
        // monomial key (sorted "name^power" list) → (symbol powers, coefficient)
        private readonly Dictionary<string, (SortedDictionary<string, (SymbolAtom Symbol, int Power)> Powers, Rational Coefficient)> _terms;

        private RationalPolynomial(Dictionary<string, (SortedDictionary<string, (SymbolAtom, int)>, Rational)> terms) => _terms = terms;

        public int TermCount => _terms.Count;

        public static RationalPolynomial Constant(Rational value)
        {
            var p = new RationalPolynomial(new Dictionary<string, (SortedDictionary<string, (SymbolAtom, int)>, Rational)>(StringComparer.Ordinal));
            p.AddTerm(new SortedDictionary<string, (SymbolAtom, int)>(StringComparer.Ordinal), value);
            return p;
        }

        public static RationalPolynomial Of(SymbolAtom s)
        {
            var p = Constant(Rational.Zero);
            var powers = new SortedDictionary<string, (SymbolAtom, int)>(StringComparer.Ordinal) { [s.Name] = (s, 1) };
            p.AddTerm(powers, new Rational(1, 1));
            return p;
        }

        public RationalPolynomial Add(RationalPolynomial other)
        {
            var p = Clone();
            foreach (var (powers, c) in other._terms.Values)
            {
                p.AddTerm(powers, c);
            }

            return p;
        }

        public RationalPolynomial Scale(Rational factor)
        {
            var p = Constant(Rational.Zero);
            foreach (var (powers, c) in _terms.Values)
            {
                p.AddTerm(powers, c.Times(factor));
            }

            return p;
        }

        public RationalPolynomial Multiply(RationalPolynomial other)
        {
            var p = Constant(Rational.Zero);
            foreach (var (pa, ca) in _terms.Values)
            {
                foreach (var (pb, cb) in other._terms.Values)
                {
                    var merged = new SortedDictionary<string, (SymbolAtom, int)>(pa, StringComparer.Ordinal);
                    foreach (var (name, (symbol, power)) in pb)
                    {
                        merged[name] = merged.TryGetValue(name, out var existing) ? (symbol, existing.Item2 + power) : (symbol, power);
                    }

                    p.AddTerm(merged, ca.Times(cb));
                }

                if (p.TermCount > MaxTerms)
                {
                    throw new OverflowException("polynomial too large to reason about");
                }
            }

            return p;
        }

        /// <summary>Substitutes s = lb + t for every symbol and checks that every coefficient is ≥ 0.</summary>
        public bool IsNonNegativeForSymbolsAtLowerBounds() => Shifted()._terms.Values.All(t => !t.Coefficient.IsNegative);

        /// <summary>The minimum over the symbols' ranges when every shifted non-constant coefficient is ≥ 0 (it is the constant term).</summary>
        public Rational? MinimumAtLowerBounds()
        {
            var shifted = Shifted();
            Rational constant = Rational.Zero;
            foreach (var (powers, c) in shifted._terms.Values)
            {
                if (powers.Count == 0)
                {
                    constant = c;
                }
                else if (c.IsNegative)
                {
                    return null;
                }
            }

            return constant;
        }

        private RationalPolynomial Shifted()
        {
            var shifted = Constant(Rational.Zero);
            foreach (var (powers, c) in _terms.Values)
            {
                var term = Constant(c);
                foreach (var (symbol, power) in powers.Values)
                {
                    var lb = symbol.LowerBound;
                    var factor = Of(symbol);
                    if (lb != 0)
                    {
                        factor = factor.Add(Constant(new Rational(lb, 1)));
                    }

                    for (var i = 0; i < power; i++)
                    {
                        term = term.Multiply(factor);
                    }
                }

                shifted = shifted.Add(term);
            }

            return shifted;
        }

        private RationalPolynomial Clone()
        {
            var copy = new Dictionary<string, (SortedDictionary<string, (SymbolAtom, int)>, Rational)>(_terms, StringComparer.Ordinal);
            return new RationalPolynomial(copy);
        }

        private void AddTerm(SortedDictionary<string, (SymbolAtom Symbol, int Power)> powers, Rational coefficient)
        {
            if (coefficient.IsZero)
            {
                return;
            }

            var key = string.Join("*", powers.Select(kv => kv.Key + "^" + kv.Value.Power.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (_terms.TryGetValue(key, out var existing))
            {
                var sum = existing.Coefficient.Plus(coefficient);
                if (sum.IsZero)
                {
                    _terms.Remove(key);
                }
                else
                {
                    _terms[key] = (existing.Powers, sum);
                }
            }
            else
            {
                _terms[key] = (powers, coefficient);
            }
        }
    }
}
