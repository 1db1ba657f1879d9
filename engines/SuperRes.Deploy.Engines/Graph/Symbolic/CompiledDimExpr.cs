namespace SuperRes.Deploy.Engines.Graph.Symbolic;

/// <summary>
/// A <see cref="DimExpr"/> compiled to a delegate over an array of symbol values, for evaluating one expression at many
/// bindings (constraint solving, profile planning). Evaluation is exact; it reports failure (overflow, division by zero,
/// a symbol outside the array's layout) through <see cref="TryEvaluate"/>.
/// </summary>
public sealed class CompiledDimExpr
{
    private readonly Func<long[], long> _evaluate;

    private CompiledDimExpr(DimExpr source, Func<long[], long> evaluate, bool complete)
    {
        Source = source;
        _evaluate = evaluate;
        IsComplete = complete;
    }

    public DimExpr Source { get; }

    /// <summary>False when the expression uses a symbol the layout does not list (it then never evaluates).</summary>
    public bool IsComplete { get; }

    /// <summary>Compiles <paramref name="expression"/> for arrays laid out as <paramref name="symbolOrder"/> (symbol names).</summary>
    public static CompiledDimExpr Compile(DimExpr expression, IReadOnlyList<string> symbolOrder)
    {
        ArgumentNullException.ThrowIfNull(expression);
        ArgumentNullException.ThrowIfNull(symbolOrder);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < symbolOrder.Count; i++)
        {
            index[symbolOrder[i]] = i;
        }

        var complete = expression.Symbols.All(s => index.ContainsKey(s.Name));
        return new CompiledDimExpr(expression, complete ? Build(expression, index) : _ => throw new UnboundSymbolException(), complete);
    }

    /// <summary>Evaluates at <paramref name="symbolValues"/>; false on overflow, division by zero or an unbound symbol.</summary>
    public bool TryEvaluate(long[] symbolValues, out long value)
    {
        try
        {
            value = _evaluate(symbolValues);
            return true;
        }
        catch (Exception e) when (e is OverflowException or DivideByZeroException or UnboundSymbolException)
        {
            value = 0;
            return false;
        }
    }

    private static Func<long[], long> Build(DimExpr e, Dictionary<string, int> index)
    {
        var constant = e.ConstantTerm;
        var terms = e.Terms.Select(t => BuildTerm(t, index)).ToArray();
        if (terms.Length == 0)
        {
            return _ => constant;
        }

        return values =>
        {
            var total = constant;
            foreach (var t in terms)
            {
                total = checked(total + t(values));
            }

            return total;
        };
    }

    private static Func<long[], long> BuildTerm(DimTerm term, Dictionary<string, int> index)
    {
        var coefficient = term.Coefficient;
        var factors = term.Monomial.Factors.Select(f => (Eval: BuildAtom(f.Atom, index), f.Power)).ToArray();
        return values =>
        {
            var product = coefficient;
            foreach (var (eval, power) in factors)
            {
                var v = eval(values);
                for (var p = 0; p < power; p++)
                {
                    product = checked(product * v);
                }
            }

            return product;
        };
    }

    private static Func<long[], long> BuildAtom(DimAtom atom, Dictionary<string, int> index)
    {
        switch (atom)
        {
            case SymbolAtom s:
                var i = index[s.Name];
                return values => values[i];
            case FloorDivAtom d:
                var num = Build(d.Numerator, index);
                var den = Build(d.Denominator, index);
                return values => DimExpr.FloorDivide(num(values), den(values));
            case ExtremumAtom x:
                var args = x.Arguments.Select(a => Build(a, index)).ToArray();
                return x.IsMax
                    ? values => args.Max(a => a(values))
                    : values => args.Min(a => a(values));
            default:
                throw new InvalidOperationException($"unknown atom {atom.GetType().Name}");
        }
    }
}
