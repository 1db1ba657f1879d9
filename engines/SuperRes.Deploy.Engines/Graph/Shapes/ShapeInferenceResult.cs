using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Graph.Shapes;

/// <summary>
/// The outcome of <see cref="ShapeInference.Run"/>: facts per value, the size constraints, diagnostics, the input
/// dimensions and their symbols, and the topological order used. Immutable: rerun inference after rewriting the graph.
/// </summary>
public sealed class ShapeInferenceResult
{
    private readonly Dictionary<GraphValue, ValueFacts> _facts;

    internal ShapeInferenceResult(OnnxGraph graph, Dictionary<GraphValue, ValueFacts> facts, List<ShapeConstraint> constraints,
        List<ShapeDiagnostic> diagnostics, List<InputDimension> inputDimensions, IReadOnlyList<GraphNode> order)
    {
        Graph = graph;
        _facts = facts;
        Constraints = constraints;
        Diagnostics = diagnostics;
        InputDimensions = inputDimensions;
        Order = order;
        InputSymbols = [.. inputDimensions.SelectMany(d => d.Dim.Symbols).Distinct()];
    }

    public OnnxGraph Graph { get; }

    /// <summary>Size conditions the graph imposes on its inputs, one per node and condition.</summary>
    public IReadOnlyList<ShapeConstraint> Constraints { get; }

    public IReadOnlyList<ShapeDiagnostic> Diagnostics { get; }

    /// <summary>Every dimension of every graph input, with its expression.</summary>
    public IReadOnlyList<InputDimension> InputDimensions { get; }

    /// <summary>The symbols that stand for the inputs' dynamic dimensions (what <see cref="Bind(IReadOnlyDictionary{string, long[]})"/> binds).</summary>
    public IReadOnlyList<SymbolAtom> InputSymbols { get; }

    /// <summary>The main graph's nodes in the order inference visited them (a topological order).</summary>
    public IReadOnlyList<GraphNode> Order { get; }

    /// <summary>Facts of a value (<see cref="ValueFacts.Unknown"/> for values inference never reached).</summary>
    public ValueFacts this[GraphValue value] => _facts.TryGetValue(value, out var f) ? f : ValueFacts.Unknown;

    /// <summary>Facts of the main-graph value with this name; unknown when there is none.</summary>
    public ValueFacts this[string valueName] => Graph.FindValue(valueName) is { } v ? this[v] : ValueFacts.Unknown;

    /// <summary>
    /// The known contents of a value: what inference propagated, or the decoded data of a small initializer or Constant;
    /// null for everything else.
    /// </summary>
    public SymbolicValue? ValueOf(GraphValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (this[value].Value is { } known)
        {
            return known;
        }

        if (value.GetConstantData() is not { ElementCount: <= SymbolicValue.MaxElements } data)
        {
            return null;
        }

        try
        {
            return data.TryGetInt64s(out var ints) ? SymbolicValue.FromConstants(data.Shape, ints)
                : data.TryGetDoubles(out var doubles) ? SymbolicValue.FromFloats(data.Shape, doubles)
                : null;
        }
        catch (DeployException)
        {
            return null;
        }
    }

    /// <summary>Binds the inputs' dynamic dimensions from concrete input shapes (name → dims). See <see cref="ShapeBinding"/>.</summary>
    public ShapeBinding Bind(IReadOnlyDictionary<string, long[]> inputShapes)
    {
        ArgumentNullException.ThrowIfNull(inputShapes);
        var symbols = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, dims) in inputShapes)
        {
            var input = Graph.Inputs.FirstOrDefault(i => i.Name == name)
                ?? throw DeployException.Usage($"'{name}' is not an input of the model (inputs: {string.Join(", ", Graph.Inputs.Select(i => i.Name))})");
            var declared = InputDimensions.Where(d => d.InputName == name).OrderBy(d => d.Axis).ToList();
            if (declared.Count == 0 && this[input].Shape is null)
            {
                throw DeployException.Usage($"input '{name}' has no declared shape, so its dimensions cannot be bound");
            }

            if (declared.Count != dims.Length)
            {
                throw DeployException.Usage($"input '{name}' has rank {declared.Count} but the shape given has {dims.Length} dimensions");
            }

            for (var axis = 0; axis < dims.Length; axis++)
            {
                var size = dims[axis];
                if (size < 1)
                {
                    throw DeployException.Usage($"input '{name}' axis {axis}: size {size} must be at least 1");
                }

                var dim = declared[axis].Dim;
                if (dim.TryGetConstant(out var fixedSize))
                {
                    if (fixedSize != size)
                    {
                        throw DeployException.Usage($"input '{name}' has fixed size {fixedSize} on axis {axis}, but the shape given has {size}");
                    }
                }
                else if (dim.AsSymbol is { } symbol)
                {
                    if (symbols.TryGetValue(symbol.Name, out var earlier) && earlier != size)
                    {
                        throw DeployException.Usage($"dimension '{symbol.Name}' is given as both {earlier} and {size}");
                    }

                    symbols[symbol.Name] = size;
                }
            }
        }

        return new ShapeBinding(this, symbols);
    }

    /// <summary>Binds symbols directly (symbol name → value).</summary>
    public ShapeBinding Bind(IReadOnlyDictionary<string, long> symbolValues)
    {
        ArgumentNullException.ThrowIfNull(symbolValues);
        return new ShapeBinding(this, new Dictionary<string, long>(symbolValues, StringComparer.Ordinal));
    }
}

/// <summary>
/// One symbolic analysis evaluated at concrete input sizes: shapes become numbers, constraints are checked. Creating a
/// binding only stores the symbol values; everything is evaluated on demand and cached, so trying many candidate
/// shapes (profile planning) costs one cheap expression evaluation per value asked for.
/// </summary>
public sealed class ShapeBinding
{
    private readonly Dictionary<string, long> _symbols;
    private readonly Dictionary<GraphValue, long[]?> _shapes = [];
    private IReadOnlyList<ShapeConstraint>? _violations;

    internal ShapeBinding(ShapeInferenceResult shapes, Dictionary<string, long> symbols)
    {
        Shapes = shapes;
        _symbols = symbols;
        Lookup = s => _symbols.TryGetValue(s.Name, out var v) ? v : null;
    }

    public ShapeInferenceResult Shapes { get; }

    /// <summary>Symbol name → value.</summary>
    public IReadOnlyDictionary<string, long> Symbols => _symbols;

    /// <summary>The symbol lookup this binding uses (for evaluating other expressions).</summary>
    public Func<SymbolAtom, long?> Lookup { get; }

    public long? Evaluate(DimExpr expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        return expression.Evaluate(Lookup);
    }

    /// <summary>The concrete shape of a value; null when its rank or a dimension is unknown at this binding.</summary>
    public long[]? ShapeOf(GraphValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!_shapes.TryGetValue(value, out var shape))
        {
            shape = Shapes[value].Shape?.Evaluate(Lookup);
            _shapes[value] = shape;
        }

        return shape;
    }

    /// <summary>The constraints that do not hold at this binding (those that cannot be evaluated are not listed).</summary>
    public IReadOnlyList<ShapeConstraint> Violations =>
        _violations ??= [.. Shapes.Constraints.Where(c => c.IsSatisfied(Lookup) == false)];
}
