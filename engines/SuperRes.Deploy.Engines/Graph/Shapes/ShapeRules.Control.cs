using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Graph.Shapes;

public static partial class ShapeRules
{
    /// <summary>The inference run a control-flow rule is part of (set while a run is in progress on this thread).</summary>
    [ThreadStatic]
    private static ShapeInferenceState? _currentState;

    internal static IDisposable EnterRun(ShapeInferenceState state)
    {
        var previous = _currentState;
        _currentState = state;
        return new Restore(() => _currentState = previous);
    }

    private static void If(ShapeRuleContext c)
    {
        var branches = c.Node.Subgraphs;
        if (_currentState is null || branches.Count != 2)
        {
            ShapeRuleContext.Fail("If needs its two branch graphs");
            return;
        }

        var thenOut = _currentState.InferSubgraph(branches[0], []);
        var elseOut = _currentState.InferSubgraph(branches[1], []);
        var condition = c.InputValue(0)?.Element(0)?.AsConstant;
        for (var i = 0; i < c.OutputCount; i++)
        {
            var t = i < thenOut.Count ? thenOut[i] : ValueFacts.Unknown;
            var e = i < elseOut.Count ? elseOut[i] : ValueFacts.Unknown;
            if (condition is { } k)
            {
                c.SetOutput(i, k != 0 ? t : e);
                continue;
            }

            c.SetOutput(i, t.ElementType != 0 ? t.ElementType : e.ElementType, MergeBranches(t.Shape, e.Shape));
        }
    }

    private static SymbolicShape? MergeBranches(SymbolicShape? a, SymbolicShape? b)
    {
        if (a is null || b is null || a.Rank != b.Rank)
        {
            return null;
        }

        return new SymbolicShape(a.Dims.Select((d, i) => d is not null && d.Equals(b[i]) ? d : null));
    }

    private static void Loop(ShapeRuleContext c)
    {
        if (_currentState is null || c.Node.Subgraphs.Count != 1)
        {
            ShapeRuleContext.Fail("Loop needs its body graph");
            return;
        }

        var body = c.Node.Subgraphs[0];
        var carried = Math.Max(c.InputCount - 2, 0);
        var inputs = new List<ValueFacts>
        {
            new(ElementTypes.Int64Type, SymbolicShape.Scalar),
            new(ElementTypes.BoolType, SymbolicShape.Scalar),
        };
        for (var i = 0; i < carried; i++)
        {
            inputs.Add(c.Input(i + 2));
        }

        var outputs = _currentState.InferSubgraph(body, inputs);
        var tripCount = c.InputValue(0)?.Element(0);
        DimExpr iterations = tripCount is not null && !c.HasInput(1) ? tripCount : c.NewDataDependentSymbol("loop");
        for (var i = 0; i < c.OutputCount; i++)
        {
            if (i < carried)
            {
                var initial = c.Input(i + 2);
                var after = 1 + i < outputs.Count ? outputs[1 + i] : ValueFacts.Unknown;
                c.SetOutput(i, initial.ElementType, MergeBranches(initial.Shape, after.Shape));
            }
            else
            {
                var scan = 1 + i < outputs.Count ? outputs[1 + i] : ValueFacts.Unknown;
                c.SetOutput(i, scan.ElementType, scan.Shape is null ? null : new SymbolicShape(new DimExpr?[] { iterations }.Concat(scan.Shape.Dims)));
            }
        }
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
