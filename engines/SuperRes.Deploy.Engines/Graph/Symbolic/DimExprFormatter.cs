using System.Text;

namespace SuperRes.Deploy.Engines.Graph.Symbolic;

/// <summary>
/// Prints expressions for people: the canonical form is an expanded polynomial, which for a product of per-axis sizes
/// reads badly (<c>H*W - H*floor(W/2) - …</c>), so products of factors over disjoint symbols are factored back
/// (<c>N*ceil(H/2)*ceil(W/2)</c>), a common integer factor is pulled out, and <c>t - floor(t/2)</c> prints as
/// <c>ceil(t/2)</c>. Printing only; equality uses the canonical key.
/// </summary>
internal static class DimExprFormatter
{
    public static string Format(DimExpr e)
    {
        if (e.IsConstant)
        {
            return e.ConstantTerm.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        // Common integer factor: 8*H + 8 → 8*(H + 1).
        var content = e.Terms.Select(t => t.Coefficient).Append(e.ConstantTerm).Where(c => c != 0).Aggregate(0L, Gcd);
        if (AllTerms(e).All(t => t.Coefficient < 0))
        {
            content = -content;
        }

        if (content != 1 && content != 0)
        {
            var inner = Divide(e, content);
            var text = FormatPrimitive(inner);
            var wrapped = NeedsParentheses(inner, text) ? "(" + text + ")" : text;
            return content == -1 ? "-" + wrapped : $"{content}*{wrapped}";
        }

        return FormatPrimitive(e);
    }

    private static string FormatPrimitive(DimExpr e)
    {
        if (TryCeilHalf(e) is { } ceil)
        {
            return ceil;
        }

        if (e.Terms.Count > 1 && TryFactor(e) is { } factors)
        {
            return string.Join("*", factors.Select(f =>
            {
                var text = Format(f);
                return NeedsParentheses(f, text) ? "(" + text + ")" : text;
            }));
        }

        return Plain(e);
    }

    private static bool NeedsParentheses(DimExpr e, string text) =>
        !e.IsConstant && (e.Terms.Count > 1 || e.ConstantTerm != 0) && !(text.StartsWith("ceil(", StringComparison.Ordinal) && Balanced(text));

    private static bool Balanced(string text)
    {
        // "ceil(x)" is one factor only when its first parenthesis closes at the end.
        var depth = 0;
        for (var i = 0; i < text.Length; i++)
        {
            depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
            if (depth == 0 && i > 4 && i < text.Length - 1)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>t - floor(t/2) is ceil(t/2) (the canonical form keeps the former).</summary>
    private static string? TryCeilHalf(DimExpr e)
    {
        if (e.ConstantTerm != 0 || e.Terms.Count != 2)
        {
            return null;
        }

        foreach (var (a, b) in new[] { (e.Terms[0], e.Terms[1]), (e.Terms[1], e.Terms[0]) })
        {
            if (a.Coefficient == 1 && b.Coefficient == -1 && b.Monomial.Factors.Count == 1 && b.Monomial.Factors[0].Power == 1 &&
                b.Monomial.Factors[0].Atom is FloorDivAtom { Denominator: { IsConstant: true, ConstantTerm: 2 } } half &&
                half.Numerator.Terms.Count == 1 && half.Numerator.ConstantTerm == 0 && half.Numerator.Terms[0].Coefficient == 1 &&
                half.Numerator.Terms[0].Monomial.Equals(a.Monomial))
            {
                var t = a.Monomial.Display();
                return a.Monomial.Factors.Count == 1 && a.Monomial.Factors[0].Power == 1 ? $"ceil({t}/2)" : $"ceil(({t})/2)";
            }
        }

        return null;
    }

    /// <summary>Splits e into factors over disjoint symbol sets (a rank-one coefficient matrix), or null.</summary>
    private static List<DimExpr>? TryFactor(DimExpr e)
    {
        var symbols = e.Symbols.Select(s => s.Name).ToList();
        foreach (var symbol in symbols)
        {
            var split = Split(e, symbol);
            if (split is not null)
            {
                var factors = new List<DimExpr>();
                foreach (var part in split)
                {
                    if (part.Terms.Count > 1 && part.Symbols.Count > 1 && TryFactor(part) is { } deeper)
                    {
                        factors.AddRange(deeper);
                    }
                    else
                    {
                        factors.Add(part);
                    }
                }

                // Numbers, then plain symbols, then the rest: N*ceil(H/2)*ceil(W/2).
                return [.. factors.OrderBy(f => f.IsConstant ? 0 : f.AsSymbol is not null ? 1 : 2).ThenBy(f => f.Key, StringComparer.Ordinal)];
            }
        }

        return null;
    }

    /// <summary>e = A(atoms of <paramref name="symbol"/>) * B(the rest), when that product exists and both are non-trivial.</summary>
    private static List<DimExpr>? Split(DimExpr e, string symbol)
    {
        var rows = new List<Monomial>();
        var columns = new List<Monomial>();
        var entries = new Dictionary<(int, int), long>();
        foreach (var term in AllTerms(e))
        {
            var mine = new List<MonomialFactor>();
            var rest = new List<MonomialFactor>();
            foreach (var f in term.Monomial.Factors)
            {
                var names = new HashSet<SymbolAtom>();
                f.Atom.CollectSymbols(names);
                if (names.All(n => n.Name == symbol))
                {
                    mine.Add(f);
                }
                else if (names.Any(n => n.Name == symbol))
                {
                    return null;
                }
                else
                {
                    rest.Add(f);
                }
            }

            var r = Index(rows, new Monomial([.. mine]));
            var c = Index(columns, new Monomial([.. rest]));
            entries[(r, c)] = term.Coefficient;
        }

        if (rows.All(m => m.IsOne) || columns.All(m => m.IsOne))
        {
            return null;
        }

        var (r0, c0) = entries.Keys.First();
        var pivot = entries[(r0, c0)];
        for (var r = 0; r < rows.Count; r++)
        {
            for (var c = 0; c < columns.Count; c++)
            {
                var m = entries.GetValueOrDefault((r, c));
                if (checked(m * pivot) != checked(entries.GetValueOrDefault((r, c0)) * entries.GetValueOrDefault((r0, c))))
                {
                    return null;
                }
            }
        }

        var a = Sum(rows.Select((m, r) => (entries.GetValueOrDefault((r, c0)), m)));
        var b = Sum(columns.Select((m, c) => (entries.GetValueOrDefault((r0, c)), m)));
        var ga = Content(a);
        var gb = Content(b);
        a = Divide(a, ga);
        b = Divide(b, gb);
        if (checked(ga * gb) % pivot != 0)
        {
            return null;
        }

        var k = checked(ga * gb) / pivot;
        return k == 1 ? [a, b] : [DimExpr.Constant(k), a, b];
    }

    private static IEnumerable<DimTerm> AllTerms(DimExpr e) =>
        e.ConstantTerm == 0 ? e.Terms : e.Terms.Append(new DimTerm(e.ConstantTerm, Monomial.One));

    private static int Index(List<Monomial> list, Monomial m)
    {
        var i = list.FindIndex(x => x.Equals(m));
        if (i >= 0)
        {
            return i;
        }

        list.Add(m);
        return list.Count - 1;
    }

    private static DimExpr Sum(IEnumerable<(long Coefficient, Monomial Monomial)> terms)
    {
        var result = DimExpr.Zero;
        foreach (var (c, m) in terms)
        {
            if (c == 0)
            {
                continue;
            }

            DimExpr product = DimExpr.Constant(c);
            foreach (var f in m.Factors)
            {
                for (var p = 0; p < f.Power; p++)
                {
                    product *= DimExpr.FromAtom(f.Atom);
                }
            }

            result += product;
        }

        return result;
    }

    private static long Content(DimExpr e)
    {
        var g = AllTerms(e).Aggregate(0L, (acc, t) => Gcd(acc, t.Coefficient));
        return g == 0 ? 1 : g;
    }

    private static DimExpr Divide(DimExpr e, long k) => Sum(AllTerms(e).Select(t => (t.Coefficient / k, t.Monomial)));

    private static string Plain(DimExpr e)
    {
        var sb = new StringBuilder();
        foreach (var t in e.Terms)
        {
            Append(sb, t.Coefficient, t.Monomial.Display());
        }

        if (e.ConstantTerm != 0)
        {
            Append(sb, e.ConstantTerm, string.Empty);
        }

        return sb.ToString();
    }

    private static void Append(StringBuilder sb, long coefficient, string monomial)
    {
        var negative = coefficient < 0;
        var magnitude = negative ? -(decimal)coefficient : coefficient;
        if (sb.Length == 0)
        {
            if (negative)
            {
                sb.Append('-');
            }
        }
        else
        {
            sb.Append(negative ? " - " : " + ");
        }

        var number = magnitude.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (monomial.Length == 0)
        {
            sb.Append(number);
        }
        else if (magnitude == 1)
        {
            sb.Append(monomial);
        }
        else
        {
            sb.Append(number).Append('*').Append(monomial);
        }
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
}
