using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Analysis;

/// <summary>FLOPs of one node at a binding.</summary>
public sealed record NodeFlops(GraphNode Node, long Flops);

/// <summary>FLOPs of all nodes of one op type at a binding.</summary>
public sealed record OpTypeFlops(string OpType, long Flops, int Nodes);

/// <summary>A value alive at the activation-memory peak, with its size.</summary>
public sealed record LiveValue(GraphValue Value, long Bytes);

/// <summary>
/// Per-node FLOP counts and activation liveness as symbolic expressions, built once from a shape inference result and
/// evaluated cheaply at any binding (<see cref="Evaluate(ShapeBinding)"/>): the profile planner calls it for every
/// candidate shape. FLOPs: 2×MACs for Conv, ConvTranspose, MatMul, Gemm and Einsum; one per output element for
/// element-wise ops (per extra input for variadic ones); Softmax 3 and the normalisations 5 per element, BatchNorm 2;
/// reductions one per input element (ReduceL2/SumSquare 2); pools one per window element; linear Resize/GridSample 4
/// (cubic 16) per output element; data movement (Reshape, Transpose, Slice, Concat, Pad, DepthToSpace…) none. Peak
/// activation memory: the largest sum of the bytes of values alive at once along the topological order (a value lives
/// from its producer to its last reader; graph inputs from the start, graph outputs to the end), excluding initializers
/// and Constant outputs.
/// </summary>
public sealed class CostModel
{
    private static readonly HashSet<string> DataMovement = new(StringComparer.Ordinal)
    {
        "Reshape", "Transpose", "Concat", "Split", "Slice", "Gather", "GatherElements", "GatherND", "ScatterND", "ScatterElements",
        "Scatter", "Expand", "Tile", "Pad", "DepthToSpace", "SpaceToDepth", "Squeeze", "Unsqueeze", "Flatten", "Identity", "Cast",
        "CastLike", "Shape", "Size", "Constant", "ConstantOfShape", "Range", "NonZero", "Dropout", "Compress", "Unique", "OneHot",
        "EyeLike", "Trilu", "CenterCropPad", "Col2Im",
    };

    private static readonly HashSet<string> Elementwise = new(StringComparer.Ordinal)
    {
        "Add", "Sub", "Mul", "Div", "Pow", "Mod", "And", "Or", "Xor", "Not", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
        "Where", "PRelu", "Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Exp", "Log", "Neg", "Abs", "Sqrt",
        "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh",
        "Atanh", "Softplus", "Softsign", "Elu", "Selu", "Celu", "Gelu", "Mish", "ThresholdedRelu", "Shrink", "Clip", "IsNaN", "IsInf",
        "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot", "CumSum",
    };

    private readonly string[] _symbols;
    private readonly List<NodeEntry> _nodes = [];
    private readonly List<ValueEntry> _values = [];
    private readonly int _nodeCount;

    private CostModel(ShapeInferenceResult shapes)
    {
        Shapes = shapes;
        _symbols = [.. shapes.InputSymbols.Select(s => s.Name)];
        var order = shapes.Order;
        _nodeCount = order.Count;
        var position = new Dictionary<GraphNode, int>();
        for (var i = 0; i < order.Count; i++)
        {
            position[order[i]] = i;
            var flops = FlopsOf(order[i], shapes);
            _nodes.Add(new NodeEntry(order[i], flops, flops is null ? null : CompiledDimExpr.Compile(flops, _symbols)));
        }

        var graph = shapes.Graph;
        foreach (var value in graph.Values)
        {
            if (value.IsInitializer || (value.Producer is null && !value.IsGraphInput) || value.IsConstant)
            {
                continue;
            }

            var birth = value.IsGraphInput ? -1 : position.GetValueOrDefault(value.Producer!, -1);
            var death = birth;
            foreach (var use in value.Uses)
            {
                var top = use.Node;
                while (top.Graph.OwnerNode is { } owner)
                {
                    top = owner;
                }

                if (position.TryGetValue(top, out var p))
                {
                    death = Math.Max(death, p);
                }
            }

            if (value.IsGraphOutput)
            {
                death = order.Count;
            }

            var facts = shapes[value];
            var size = ElementTypes.Size(facts.ElementType);
            var count = facts.Shape?.ElementCount();
            var bytes = count is null || size == 0 ? null : count * DimExpr.Constant(size);
            _values.Add(new ValueEntry(value, birth, death, count is null ? null : CompiledDimExpr.Compile(count, _symbols),
                bytes is null ? null : CompiledDimExpr.Compile(bytes, _symbols)));
        }
    }

    public ShapeInferenceResult Shapes { get; }

    /// <summary>Symbolic FLOPs per node in topological order (null where unknown).</summary>
    public IEnumerable<(GraphNode Node, DimExpr? Flops)> NodeFlopExpressions => _nodes.Select(n => (n.Node, n.Flops));

    public static CostModel Build(ShapeInferenceResult shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        return new CostModel(shapes);
    }

    /// <summary>FLOPs and peak activation memory at the given input shapes (name → dims).</summary>
    public CostEvaluation Evaluate(IReadOnlyDictionary<string, long[]> inputShapes) => Evaluate(Shapes.Bind(inputShapes));

    /// <summary>FLOPs and peak activation memory at a binding. Cost: one compiled expression evaluation per node and value.</summary>
    public CostEvaluation Evaluate(ShapeBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        var values = new long[_symbols.Length];
        var bound = new bool[_symbols.Length];
        for (var i = 0; i < _symbols.Length; i++)
        {
            bound[i] = binding.Symbols.TryGetValue(_symbols[i], out values[i]);
        }

        var perNode = new List<NodeFlops>();
        var unknownFlops = new List<GraphNode>();
        long total = 0;
        foreach (var n in _nodes)
        {
            if (n.Compiled is not null && n.Compiled.TryEvaluate(values, out var f) && AllBound(n.Flops!, bound))
            {
                perNode.Add(new NodeFlops(n.Node, f));
                total = SaturatingAdd(total, f);
            }
            else
            {
                unknownFlops.Add(n.Node);
            }
        }

        var byType = perNode.GroupBy(p => p.Node.OpType)
            .Select(g => new OpTypeFlops(g.Key, g.Aggregate(0L, (a, p) => SaturatingAdd(a, p.Flops)), g.Count()))
            .OrderByDescending(t => t.Flops).ThenBy(t => t.OpType, StringComparer.Ordinal).ToList();

        // Liveness sweep: +bytes at birth, -bytes after death; times are node positions (inputs are born at -1).
        var delta = new long[_nodeCount + 3];
        var sizes = new long?[_values.Count];
        var unknownSizes = 0;
        GraphValue? largest = null;
        long largestElements = 0;
        for (var i = 0; i < _values.Count; i++)
        {
            var v = _values[i];
            if (v.Elements is not null && v.Elements.TryEvaluate(values, out var elements) && AllBound(v.Elements.Source, bound) && elements > largestElements)
            {
                largestElements = elements;
                largest = v.Value;
            }

            if (v.Bytes is null || !v.Bytes.TryEvaluate(values, out var bytes) || !AllBound(v.Bytes.Source, bound))
            {
                unknownSizes++;
                continue;
            }

            sizes[i] = bytes;
            delta[v.Birth + 1] = SaturatingAdd(delta[v.Birth + 1], bytes);
            delta[Math.Min(v.Death, _nodeCount) + 2] -= bytes;
        }

        long live = 0;
        long peak = 0;
        var peakTime = -1;
        for (var t = 0; t <= _nodeCount; t++)
        {
            live = SaturatingAdd(live, delta[t]);
            if (live > peak && t >= 1)
            {
                peak = live;
                peakTime = t - 1;
            }
        }

        if (_nodeCount == 0)
        {
            peak = live;
        }

        var liveAtPeak = new List<LiveValue>();
        for (var i = 0; i < _values.Count && peakTime >= 0; i++)
        {
            if (sizes[i] is { } b && _values[i].Birth <= peakTime && _values[i].Death >= peakTime)
            {
                liveAtPeak.Add(new LiveValue(_values[i].Value, b));
            }
        }

        liveAtPeak.Sort((a, b) => b.Bytes.CompareTo(a.Bytes));
        return new CostEvaluation(binding, total, perNode, unknownFlops, byType, peak,
            peakTime >= 0 && peakTime < _nodeCount ? Shapes.Order[peakTime] : null, liveAtPeak, unknownSizes, largest, largestElements);
    }

    private bool AllBound(DimExpr e, bool[] bound)
    {
        foreach (var symbol in e.Symbols)
        {
            var index = Array.IndexOf(_symbols, symbol.Name);
            if (index < 0 || !bound[index])
            {
                return false;
            }
        }

        return true;
    }

    private static long SaturatingAdd(long a, long b)
    {
        var sum = unchecked(a + b);
        return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? long.MinValue : long.MaxValue) : sum;
    }

    /// <summary>The symbolic FLOP count of one node; null when the op's cost is unknown or a shape is missing.</summary>
    public static DimExpr? FlopsOf(GraphNode node, ShapeInferenceResult shapes)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(shapes);
        var op = node.Domain.Length == 0 ? node.OpType : node.Domain + ":" + node.OpType;
        SymbolicShape? In(int i) => node.Input(i) is { } v ? shapes[v].Shape : null;
        var outShape = node.Output(0) is { } o ? shapes[o].Shape : null;
        var outCount = outShape?.ElementCount();
        var two = DimExpr.Constant(2);

        if (DataMovement.Contains(op))
        {
            return DimExpr.Zero;
        }

        if (Elementwise.Contains(op))
        {
            return outCount;
        }

        switch (op)
        {
            case "Conv":
            case "ConvInteger":
            case "QLinearConv":
                {
                    var w = In(op == "QLinearConv" ? 3 : 1);
                    return outCount is null || w?.Product(1, w.Rank) is not { } perOutput ? null : two * outCount * perOutput;
                }

            case "ConvTranspose":
                {
                    var w = In(1);
                    return In(0)?.ElementCount() is not { } inCount || w?.Product(1, w.Rank) is not { } perInput ? null : two * inCount * perInput;
                }

            case "MatMul":
            case "MatMulInteger":
            case "QLinearMatMul":
                {
                    var a = In(0);
                    return outCount is null || a is null || a.Rank == 0 || a[a.Rank - 1] is not { } k ? null : two * outCount * k;
                }

            case "Gemm":
                {
                    var a = In(0);
                    var k = a is { Rank: 2 } ? (node.Attributes.GetInt("transA", 0) != 0 ? a[0] : a[1]) : null;
                    return outCount is null || k is null ? null : two * outCount * k;
                }

            case "Einsum":
                return EinsumFlops(node, shapes);
            case "Sum":
            case "Max":
            case "Min":
            case "Mean":
                return outCount is null ? null : outCount * DimExpr.Constant(Math.Max(node.Inputs.Count(i => i is not null) - 1, 1));
            case "Softmax":
            case "LogSoftmax":
            case "Hardmax":
                return outCount is null ? null : outCount * DimExpr.Constant(3);
            case "LayerNormalization":
            case "GroupNormalization":
            case "InstanceNormalization":
            case "MeanVarianceNormalization":
            case "LpNormalization":
            case "RMSNormalization":
            case "LRN":
                return outCount is null ? null : outCount * DimExpr.Constant(5);
            case "BatchNormalization":
                return outCount is null ? null : outCount * two;
            case "ReduceMean":
            case "ReduceSum":
            case "ReduceMax":
            case "ReduceMin":
            case "ReduceProd":
            case "ReduceL1":
            case "ReduceLogSum":
            case "ReduceLogSumExp":
            case "ArgMax":
            case "ArgMin":
            case "GlobalAveragePool":
            case "GlobalMaxPool":
            case "GlobalLpPool":
            case "TopK":
                return In(0)?.ElementCount();
            case "ReduceL2":
            case "ReduceSumSquare":
                return In(0)?.ElementCount() is { } n ? n * two : null;
            case "AveragePool":
            case "MaxPool":
            case "LpPool":
                {
                    var kernel = node.Attributes.GetInts("kernel_shape");
                    return outCount is null || kernel is null ? null : outCount * DimExpr.Constant(kernel.Aggregate(1L, (x, y) => x * y));
                }

            case "Resize":
            case "Upsample":
            case "GridSample":
                {
                    var mode = node.Attributes.GetString("mode", op == "GridSample" ? "linear" : "nearest");
                    var perElement = mode switch
                    {
                        "nearest" => 0,
                        "cubic" or "bicubic" => 16,
                        _ => 4,
                    };
                    return outCount is null ? null : outCount * DimExpr.Constant(perElement);
                }

            default:
                return null;
        }
    }

    private static DimExpr? EinsumFlops(GraphNode node, ShapeInferenceResult shapes)
    {
        var equation = node.Attributes.GetString("equation", string.Empty).Replace(" ", string.Empty, StringComparison.Ordinal);
        var inputs = equation.Split("->")[0].Split(',');
        if (equation.Contains("...", StringComparison.Ordinal) || inputs.Length != node.Inputs.Count)
        {
            return null;
        }

        var dims = new Dictionary<char, DimExpr>();
        for (var i = 0; i < inputs.Length; i++)
        {
            if (node.Input(i) is not { } v || shapes[v].Shape is not { } s || s.Rank != inputs[i].Length)
            {
                return null;
            }

            for (var k = 0; k < s.Rank; k++)
            {
                if (s[k] is not { } d)
                {
                    return null;
                }

                dims.TryAdd(inputs[i][k], d);
            }
        }

        var product = dims.Values.Aggregate(DimExpr.One, (a, b) => a * b);
        return inputs.Length > 1 ? product * DimExpr.Constant(2) : product;
    }

    private sealed record NodeEntry(GraphNode Node, DimExpr? Flops, CompiledDimExpr? Compiled);

    private sealed record ValueEntry(GraphValue Value, int Birth, int Death, CompiledDimExpr? Elements, CompiledDimExpr? Bytes);
}

/// <summary>FLOPs and activation memory of the graph at one binding.</summary>
public sealed class CostEvaluation
{
    internal CostEvaluation(ShapeBinding binding, long totalFlops, IReadOnlyList<NodeFlops> perNode, IReadOnlyList<GraphNode> unknownFlops,
        IReadOnlyList<OpTypeFlops> byType, long peak, GraphNode? peakNode, IReadOnlyList<LiveValue> liveAtPeak, int unknownSizes,
        GraphValue? largest, long largestElements)
    {
        Binding = binding;
        TotalFlops = totalFlops;
        PerNode = perNode;
        UnknownFlopNodes = unknownFlops;
        FlopsByOpType = byType;
        PeakActivationBytes = peak;
        PeakNode = peakNode;
        LiveAtPeak = liveAtPeak;
        UnknownSizeValues = unknownSizes;
        LargestTensor = largest;
        LargestTensorElements = largestElements;
    }

    public ShapeBinding Binding { get; }

    /// <summary>Sum of the FLOPs of every node whose cost is known.</summary>
    public long TotalFlops { get; }

    /// <summary>FLOPs of every node whose cost is known, in topological order.</summary>
    public IReadOnlyList<NodeFlops> PerNode { get; }

    /// <summary>Nodes whose cost is unknown (an op without a cost formula, or a shape unknown at this binding).</summary>
    public IReadOnlyList<GraphNode> UnknownFlopNodes { get; }

    /// <summary>Totals per op type, largest first.</summary>
    public IReadOnlyList<OpTypeFlops> FlopsByOpType { get; }

    /// <summary>The most activation bytes alive at once (initializers and constants excluded).</summary>
    public long PeakActivationBytes { get; }

    /// <summary>The node during whose execution the peak occurs.</summary>
    public GraphNode? PeakNode { get; }

    /// <summary>The values alive at the peak, largest first.</summary>
    public IReadOnlyList<LiveValue> LiveAtPeak { get; }

    /// <summary>Values whose size is unknown at this binding (not counted in the peak).</summary>
    public int UnknownSizeValues { get; }

    /// <summary>The activation with the most elements (TensorRT refuses tensors of 2^31 elements or more).</summary>
    public GraphValue? LargestTensor { get; }

    public long LargestTensorElements { get; }

    /// <summary>The <paramref name="count"/> nodes with the most FLOPs.</summary>
    public IEnumerable<NodeFlops> TopNodes(int count) => PerNode.OrderByDescending(n => n.Flops).Take(count);
}
