using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Graph.Shapes;

/// <summary>A shape rule: reads the node's input facts from the context and sets its outputs' facts.</summary>
public delegate void ShapeRule(ShapeRuleContext context);

/// <summary>
/// What a <see cref="ShapeRule"/> sees of one node: its inputs' facts (type, symbolic shape, contents), its attributes,
/// and ways to set outputs, record size constraints and create data-dependent symbols. A rule that cannot infer
/// something leaves the output unknown or calls <see cref="Fail"/>; it never needs to catch anything.
/// </summary>
public sealed class ShapeRuleContext
{
    private readonly ShapeInferenceState _state;
    private readonly ValueFacts?[] _outputs;

    internal ShapeRuleContext(ShapeInferenceState state, GraphNode node)
    {
        _state = state;
        Node = node;
        _outputs = new ValueFacts?[node.Outputs.Count];
    }

    public GraphNode Node { get; }

    /// <summary>The opset version of the node's domain.</summary>
    public int Opset => Node.OpsetVersion;

    public NodeAttributes Attributes => Node.Attributes;

    public int InputCount => Node.Inputs.Count;

    public int OutputCount => Node.Outputs.Count;

    internal IReadOnlyList<ValueFacts?> Outputs => _outputs;

    public bool HasInput(int index) => Node.Input(index) is not null;

    /// <summary>The facts of input <paramref name="index"/> (<see cref="ValueFacts.Unknown"/> when absent or unknown).</summary>
    public ValueFacts Input(int index) => Node.Input(index) is { } v ? _state.FactsOf(v) : ValueFacts.Unknown;

    public SymbolicShape? InputShape(int index) => Input(index).Shape;

    public int InputType(int index) => Input(index).ElementType;

    /// <summary>The contents of input <paramref name="index"/> when known (constants are decoded on demand).</summary>
    public SymbolicValue? InputValue(int index) => Node.Input(index) is { } v ? _state.ValueOf(v) : null;

    /// <summary>The constant data of input <paramref name="index"/> (initializer or Constant node), if any.</summary>
    public ConstantTensor? InputConstant(int index) => Node.Input(index)?.GetConstantData();

    public bool HasOutput(int index) => Node.Output(index) is not null;

    public void SetOutput(int index, int elementType, SymbolicShape? shape, SymbolicValue? value = null)
    {
        if (index < _outputs.Length)
        {
            _outputs[index] = new ValueFacts(elementType, shape, value);
        }
    }

    public void SetOutput(int index, ValueFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        if (index < _outputs.Length)
        {
            _outputs[index] = facts;
        }
    }

    /// <summary>Records that <paramref name="left"/> must equal <paramref name="right"/> for the node to run.</summary>
    public void RequireEqual(DimExpr left, DimExpr right, string reason) => _state.AddConstraint(ConstraintKind.Equal, left, right, Node, reason);

    /// <summary>Records that the two dimensions must broadcast (equal, or one of them 1).</summary>
    public void RequireBroadcastable(DimExpr left, DimExpr right, string reason) =>
        _state.AddConstraint(ConstraintKind.Broadcastable, left, right, Node, reason);

    /// <summary>Records that <paramref name="left"/> ≥ <paramref name="right"/> must hold.</summary>
    public void RequireAtLeast(DimExpr left, DimExpr right, string reason) => _state.AddConstraint(ConstraintKind.AtLeast, left, right, Node, reason);

    /// <summary>A fresh symbol for a size only the data decides (NonZero's count, for instance).</summary>
    public DimExpr NewDataDependentSymbol(string hint) => _state.NewDataDependentSymbol(hint);

    /// <summary>Adds a diagnostic for this node.</summary>
    public void Note(DiagnosticSeverity severity, string message) => _state.AddDiagnostic(Node, severity, message);

    /// <summary>Stops the rule: outputs stay unknown and the message becomes a diagnostic.</summary>
    public static void Fail(string message) => throw new ShapeRuleException(message);

    /// <summary>Numpy-style broadcast of several shapes, recording a constraint for every pair of dims that must agree.</summary>
    public SymbolicShape? Broadcast(params SymbolicShape?[] shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        if (shapes.Any(s => s is null))
        {
            return null;
        }

        var rank = shapes.Max(s => s!.Rank);
        var result = new DimExpr?[rank];
        for (var axis = 0; axis < rank; axis++)
        {
            DimExpr? current = DimExpr.One;
            var sawUnknown = false;
            foreach (var s in shapes)
            {
                var offset = axis - (rank - s!.Rank);
                if (offset < 0)
                {
                    continue;
                }

                var d = s[offset];
                if (d is null)
                {
                    sawUnknown = true;
                    continue;
                }

                current = BroadcastDim(current!, d);
            }

            // An unknown dim broadcast with a known dim other than 1 yields that dim whenever the graph is valid.
            result[axis] = sawUnknown && current is { IsConstant: true, ConstantTerm: 1 } ? null : current;
        }

        return new SymbolicShape(result);
    }

    /// <summary>The broadcast of two dims: equal dims stay, 1 gives way, otherwise the larger (recording the constraint).</summary>
    public DimExpr BroadcastDim(DimExpr a, DimExpr b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Equals(b) || b is { IsConstant: true, ConstantTerm: 1 })
        {
            return a;
        }

        if (a is { IsConstant: true, ConstantTerm: 1 })
        {
            return b;
        }

        RequireBroadcastable(a, b, "operands must broadcast");
        if (a.IsConstant && !b.IsConstant)
        {
            return a;
        }

        if (b.IsConstant && !a.IsConstant)
        {
            return b;
        }

        return DimExpr.Max(a, b);
    }

    /// <summary>Normalises a possibly negative axis against <paramref name="rank"/> (fails when out of range).</summary>
    public static int NormalizeAxis(long axis, int rank)
    {
        var a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.Max(rank, 1))
        {
            Fail($"axis {axis} is out of range for rank {rank}");
        }

        return (int)a;
    }
}

/// <summary>A shape rule could not infer the node's outputs (becomes a diagnostic, never escapes inference).</summary>
public sealed class ShapeRuleException : Exception
{
    public ShapeRuleException()
    {
    }

    public ShapeRuleException(string message)
        : base(message)
    {
    }

    public ShapeRuleException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
