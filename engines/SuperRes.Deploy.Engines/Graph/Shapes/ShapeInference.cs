using Onnx;
using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Graph.Shapes;

/// <summary>Options for <see cref="ShapeInference.Run"/>.</summary>
public sealed record ShapeInferenceOptions
{
    public static ShapeInferenceOptions Default { get; } = new();

    /// <summary>Use shapes the file declares (value_info, outputs) where inference cannot tell. Default true.</summary>
    public bool UseDeclaredShapes { get; init; } = true;

    /// <summary>
    /// Replace the declared shape of graph inputs: name → dims (a null dim stays symbolic, named after the input and axis).
    /// Use this to analyse a model at a fixed size; to evaluate one symbolic analysis at many sizes, use
    /// <see cref="ShapeInferenceResult.Bind(IReadOnlyDictionary{string, long[]})"/> instead.
    /// </summary>
    public IReadOnlyDictionary<string, long?[]>? InputShapes { get; init; }
}

/// <summary>
/// Symbolic shape inference: one pass over the graph in topological order gives every value an element type, a shape
/// whose dims are <see cref="DimExpr"/>s over the inputs' symbols (e.g. <c>[batch, 60, 8*ceil(height/8), 8*ceil(width/8)]</c>),
/// and, for small integer tensors, symbolic contents (so Reshape targets computed by Shape→Gather→Concat chains resolve).
/// Size conditions the graph imposes are collected as <see cref="ShapeConstraint"/>s. Ops without a rule get unknown
/// outputs (or what the file declares) and a diagnostic; a rule that fails records a diagnostic; nothing throws.
/// </summary>
public static class ShapeInference
{
    public static ShapeInferenceResult Run(OnnxGraph graph, ShapeInferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var state = new ShapeInferenceState(graph, options ?? ShapeInferenceOptions.Default);
        state.Run();
        return state.ToResult();
    }
}

/// <summary>The mutable state of one inference run.</summary>
internal sealed class ShapeInferenceState
{
    private readonly OnnxGraph _graph;
    private readonly ShapeInferenceOptions _options;
    private readonly Dictionary<GraphValue, ValueFacts> _facts = [];
    private readonly Dictionary<GraphValue, SymbolicValue?> _decodedConstants = [];
    private readonly List<ShapeConstraint> _constraints = [];
    private readonly HashSet<string> _constraintKeys = new(StringComparer.Ordinal);
    private readonly List<ShapeDiagnostic> _diagnostics = [];
    private readonly List<InputDimension> _inputDimensions = [];
    private readonly Dictionary<string, DimExpr> _symbols = new(StringComparer.Ordinal);
    private IReadOnlyList<GraphNode> _order = [];
    private int _dataDependentCount;

    public ShapeInferenceState(OnnxGraph graph, ShapeInferenceOptions options)
    {
        _graph = graph;
        _options = options;
    }

    public void Run()
    {
        using var run = ShapeRules.EnterRun(this);
        foreach (var input in _graph.Inputs)
        {
            _facts[input] = InputFacts(input);
        }

        foreach (var init in _graph.Initializers)
        {
            _facts[init] = InitializerFacts(init);
        }

        if (!_graph.TryTopologicalOrder(out var order, out var cycle))
        {
            AddDiagnostic(cycle[0], DiagnosticSeverity.Error, "the graph has a cycle; shapes past it are unknown");
            order = [.. order, .. _graph.Nodes.Except(order)];
        }

        _order = order;
        InferNodes(order);
    }

    public ShapeInferenceResult ToResult() => new(_graph, _facts, _constraints, _diagnostics, _inputDimensions, _order);

    public ValueFacts FactsOf(GraphValue value)
    {
        if (_facts.TryGetValue(value, out var f))
        {
            return f;
        }

        // Initializers and inputs of subgraphs, met for the first time through a node of that subgraph.
        if (value.Initializer is not null)
        {
            return _facts[value] = InitializerFacts(value);
        }

        return ValueFacts.Unknown;
    }

    public SymbolicValue? ValueOf(GraphValue value)
    {
        var facts = FactsOf(value);
        if (facts.Value is not null)
        {
            return facts.Value;
        }

        if (!value.IsConstant)
        {
            return null;
        }

        if (_decodedConstants.TryGetValue(value, out var cached))
        {
            return cached;
        }

        SymbolicValue? decoded = null;
        if (value.GetConstantData() is { } data && data.ElementCount <= SymbolicValue.MaxElements)
        {
            try
            {
                if (data.TryGetInt64s(out var ints))
                {
                    decoded = SymbolicValue.FromConstants(data.Shape, ints);
                }
                else if (data.TryGetDoubles(out var doubles))
                {
                    decoded = SymbolicValue.FromFloats(data.Shape, doubles);
                }
            }
            catch (DeployException)
            {
                // Unreadable data (e.g. missing external file): the contents stay unknown.
            }
        }

        _decodedConstants[value] = decoded;
        return decoded;
    }

    public void AddConstraint(ConstraintKind kind, DimExpr left, DimExpr right, GraphNode node, string reason)
    {
        switch (kind)
        {
            case ConstraintKind.Equal when left.Equals(right):
            case ConstraintKind.Broadcastable when left.Equals(right) || left is { IsConstant: true, ConstantTerm: 1 } || right is { IsConstant: true, ConstantTerm: 1 }:
            case ConstraintKind.AtLeast when DimProver.IsNonNegative(left - right):
                return;
        }

        var constraint = new ShapeConstraint(kind, left, right, node, reason);
        if (left.IsConstant && right.IsConstant && constraint.IsSatisfied(_ => null) == false)
        {
            AddDiagnostic(node, DiagnosticSeverity.Error, $"shapes contradict at every input size: {constraint.Describe()}");
        }

        if (_constraintKeys.Add($"{(int)kind}|{left.Key}|{right.Key}|{node.Sequence}|{node.Graph.GetHashCode()}"))
        {
            _constraints.Add(constraint);
        }
    }

    public void AddDiagnostic(GraphNode? node, DiagnosticSeverity severity, string message) =>
        _diagnostics.Add(new ShapeDiagnostic(node, severity, message));

    public DimExpr NewDataDependentSymbol(string hint)
    {
        _dataDependentCount++;
        var clean = new string(hint.Where(c => char.IsLetterOrDigit(c) || c == '_').ToArray());
        return DimExpr.Symbol($"{(clean.Length == 0 ? "n" : clean)}_{_dataDependentCount}", SymbolKind.DataDependent);
    }

    /// <summary>Infers a subgraph (If/Loop body) whose inputs have the given facts; returns its outputs' facts.</summary>
    public IReadOnlyList<ValueFacts> InferSubgraph(OnnxGraph subgraph, IReadOnlyList<ValueFacts> inputFacts)
    {
        for (var i = 0; i < subgraph.Inputs.Count; i++)
        {
            _facts[subgraph.Inputs[i]] = i < inputFacts.Count ? inputFacts[i] : DeclaredFacts(subgraph.Inputs[i]) ?? ValueFacts.Unknown;
        }

        foreach (var init in subgraph.Initializers)
        {
            _facts[init] = InitializerFacts(init);
        }

        var order = subgraph.TryTopologicalOrder(out var sorted, out _) ? sorted : subgraph.Nodes;
        InferNodes(order);
        return [.. subgraph.Outputs.Select(FactsOf)];
    }

    private void InferNodes(IEnumerable<GraphNode> order)
    {
        foreach (var node in order)
        {
            InferNode(node);
        }
    }

    private void InferNode(GraphNode node)
    {
        var context = new ShapeRuleContext(this, node);
        var rule = ShapeRules.Find(node.Domain, node.OpType);
        if (rule is null)
        {
            AddDiagnostic(node, DiagnosticSeverity.Info, $"no shape rule for {(node.Domain.Length == 0 ? string.Empty : node.Domain + ":")}{node.OpType}; its outputs use declared shapes or stay unknown");
        }
        else
        {
            try
            {
                rule(context);
            }
            catch (Exception e) when (e is ShapeRuleException or OverflowException or DivideByZeroException or ArgumentException
                or IndexOutOfRangeException or InvalidOperationException or KeyNotFoundException or FormatException)
            {
                AddDiagnostic(node, DiagnosticSeverity.Warning, $"shape inference failed: {e.Message}");
                for (var i = 0; i < node.Outputs.Count; i++)
                {
                    context.SetOutput(i, ValueFacts.Unknown);
                }
            }
        }

        var dependsOnData = OutputsDependOnData(node);
        for (var i = 0; i < node.Outputs.Count; i++)
        {
            if (node.Outputs[i] is not { } output || output.Producer != node)
            {
                continue;
            }

            var inferred = context.Outputs[i] ?? ValueFacts.Unknown;
            var declared = _options.UseDeclaredShapes ? DeclaredFacts(output) : null;
            _facts[output] = Merge(node, output, inferred, declared, dependsOnData);
        }
    }

    private ValueFacts Merge(GraphNode node, GraphValue output, ValueFacts inferred, ValueFacts? declared, bool dependsOnData)
    {
        var type = inferred.ElementType != 0 ? inferred.ElementType : declared?.ElementType ?? 0;
        var shape = inferred.Shape;
        if (declared?.Shape is { } d)
        {
            if (shape is null)
            {
                shape = d;
            }
            else if (shape.Rank == d.Rank)
            {
                var dims = new DimExpr?[shape.Rank];
                for (var i = 0; i < shape.Rank; i++)
                {
                    dims[i] = shape[i] ?? d[i];
                    if (shape[i] is { IsConstant: true } a && d[i] is { IsConstant: true } b && a.ConstantTerm != b.ConstantTerm)
                    {
                        AddDiagnostic(node, DiagnosticSeverity.Warning,
                            $"'{output.Name}' is declared {d} but inference gives {shape}");
                        break;
                    }
                }

                shape = new SymbolicShape(dims);
            }
            else if (d.Rank != shape.Rank)
            {
                AddDiagnostic(node, DiagnosticSeverity.Warning, $"'{output.Name}' is declared with rank {d.Rank} but inference gives rank {shape.Rank}");
            }
        }

        return new ValueFacts(type, shape, inferred.Value, dependsOnData || inferred.DependsOnData);
    }

    private bool OutputsDependOnData(GraphNode node)
    {
        // Shape-only readers cut the dependency: their outputs depend on shapes, not contents.
        if (node.Domain.Length == 0 && node.OpType is "Shape" or "Size" or "ConstantOfShape" or "EyeLike" or "Constant")
        {
            return false;
        }

        foreach (var v in node.Inputs.Concat(node.ImplicitInputs))
        {
            if (v is null)
            {
                continue;
            }

            if (v.IsGraphInput || FactsOf(v).DependsOnData)
            {
                return true;
            }
        }

        return false;
    }

    private ValueFacts InputFacts(GraphValue input)
    {
        var type = input.DeclaredElementType;
        long?[]? overrideDims = null;
        _options.InputShapes?.TryGetValue(input.Name, out overrideDims);
        var declaredShape = input.DeclaredInfo?.Type?.TensorType?.Shape;
        if (overrideDims is null && declaredShape is null)
        {
            return new ValueFacts(type, null, null, dependsOnData: true);
        }

        var rank = overrideDims?.Length ?? declaredShape!.Dim.Count;
        var dims = new DimExpr?[rank];
        for (var axis = 0; axis < rank; axis++)
        {
            DimExpr dim;
            if (overrideDims is not null && overrideDims[axis] is { } fixedSize)
            {
                dim = DimExpr.Constant(fixedSize);
            }
            else if (overrideDims is null && declaredShape!.Dim[axis] is { HasDimValue: true, DimValue: > 0 } dv)
            {
                dim = DimExpr.Constant(dv.DimValue);
            }
            else
            {
                var param = overrideDims is null ? declaredShape!.Dim[axis].DimParam : null;
                var name = string.IsNullOrWhiteSpace(param) ? $"{input.Name}_d{axis}" : param;
                dim = InputSymbol(name);
            }

            dims[axis] = dim;
            _inputDimensions.Add(new InputDimension(input.Name, axis, dim));
        }

        return new ValueFacts(type, new SymbolicShape(dims), null, dependsOnData: true);
    }

    private DimExpr InputSymbol(string name)
    {
        if (!_symbols.TryGetValue(name, out var s))
        {
            s = DimExpr.Symbol(name, SymbolKind.InputDim);
            _symbols[name] = s;
        }

        return s;
    }

    private static ValueFacts InitializerFacts(GraphValue init)
    {
        if (init.Initializer is not { } t)
        {
            return ValueFacts.Unknown;
        }

        return new ValueFacts(t.DataType, new SymbolicShape(t.Dims.Select(d => (DimExpr?)DimExpr.Constant(d))));
    }

    private ValueFacts? DeclaredFacts(GraphValue value)
    {
        if (value.DeclaredInfo?.Type?.TensorType is not { } tensorType)
        {
            return null;
        }

        SymbolicShape? shape = null;
        if (tensorType.Shape is { } s)
        {
            shape = new SymbolicShape(s.Dim.Select(DeclaredDim));
        }

        return new ValueFacts(tensorType.HasElemType ? tensorType.ElemType : 0, shape);
    }

    private DimExpr? DeclaredDim(TensorShapeProto.Types.Dimension d)
    {
        if (d.HasDimValue && d.DimValue > 0)
        {
            return DimExpr.Constant(d.DimValue);
        }

        if (!string.IsNullOrWhiteSpace(d.DimParam))
        {
            // A name shared with an input dimension means the same size (ONNX semantics); others are opaque.
            return _symbols.TryGetValue(d.DimParam, out var s) ? s : DimExpr.Symbol(d.DimParam, SymbolKind.Declared);
        }

        return null;
    }
}

/// <summary>One dimension of one graph input and the expression that stands for it (a number or a symbol).</summary>
public sealed record InputDimension(string InputName, int Axis, DimExpr Dim);
