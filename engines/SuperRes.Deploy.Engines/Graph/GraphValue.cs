using Onnx;

namespace SuperRes.Deploy.Engines.Graph;

/// <summary>
/// One use of a value: the consuming node and the input slot it fills. <see cref="InputIndex"/> is -1 for an implicit use
/// (the value is read by a subgraph of <see cref="Node"/>, e.g. an If branch referring to an outer-scope value).
/// </summary>
public readonly record struct ValueUse(GraphNode Node, int InputIndex)
{
    public bool IsImplicit => InputIndex < 0;
}

/// <summary>
/// A named tensor of an <see cref="OnnxGraph"/>: produced by at most one node, or a graph input, or an initializer.
/// Shapes and element types that inference derives live in <see cref="Shapes.ShapeInferenceResult"/>; what the file
/// declares is available here (<see cref="DeclaredInfo"/>).
/// </summary>
public sealed class GraphValue
{
    private readonly List<ValueUse> _uses = [];

    internal GraphValue(OnnxGraph graph, string name)
    {
        Graph = graph;
        Name = name;
    }

    /// <summary>The graph that defines the value (for outer-scope references, the enclosing graph).</summary>
    public OnnxGraph Graph { get; }

    public string Name { get; internal set; }

    /// <summary>The node that produces the value, or null for inputs, initializers and dangling names.</summary>
    public GraphNode? Producer { get; internal set; }

    /// <summary>Which output of <see cref="Producer"/> this value is.</summary>
    public int ProducerOutputIndex { get; internal set; } = -1;

    /// <summary>Every use, in the order they were linked (explicit inputs and implicit subgraph reads).</summary>
    public IReadOnlyList<ValueUse> Uses => _uses;

    /// <summary>The distinct consuming nodes.</summary>
    public IEnumerable<GraphNode> Consumers => _uses.Select(u => u.Node).Distinct();

    /// <summary>True when the value is one of the graph's (non-initializer) inputs.</summary>
    public bool IsGraphInput { get; internal set; }

    /// <summary>True when the value is one of the graph's outputs.</summary>
    public bool IsGraphOutput => Graph.OutputsInternal.Contains(this);

    /// <summary>The initializer tensor when the value is an initializer (possibly with external data).</summary>
    public TensorProto? Initializer { get; internal set; }

    /// <summary>True for sparse initializers, which carry no dense <see cref="Initializer"/>.</summary>
    public bool IsSparseInitializer { get; internal set; }

    public bool IsInitializer => Initializer is not null || IsSparseInitializer;

    /// <summary>True when the value's data is fixed in the model: an initializer or the output of a Constant node.</summary>
    public bool IsConstant => IsInitializer || (Producer is { OpType: "Constant", Domain: "" });

    /// <summary>The type and shape the file declares (graph input/output or value_info), if any.</summary>
    public ValueInfoProto? DeclaredInfo { get; internal set; }

    /// <summary>The element type (TensorProto.DataType value) the file declares or the initializer has; 0 when unknown.</summary>
    public int DeclaredElementType =>
        Initializer is not null ? Initializer.DataType :
        DeclaredInfo?.Type?.TensorType is { HasElemType: true } t ? t.ElemType : 0;

    /// <summary>True when no node produces the value and it is neither an input nor an initializer of its graph or an enclosing one.</summary>
    public bool IsDangling => Producer is null && !IsGraphInput && !IsInitializer;

    internal List<ValueUse> MutableUses => _uses;

    /// <summary>The data of an initializer or Constant-node output; null for values computed at run time.</summary>
    public ConstantTensor? GetConstantData()
    {
        if (Initializer is not null)
        {
            return new ConstantTensor(Initializer, Graph.TensorReader);
        }

        if (Producer is { OpType: "Constant", Domain: "" } p && ConstantTensor.FromConstantNode(p.Proto) is { } t)
        {
            return new ConstantTensor(t, Graph.TensorReader);
        }

        return null;
    }

    public override string ToString() => Name;
}
