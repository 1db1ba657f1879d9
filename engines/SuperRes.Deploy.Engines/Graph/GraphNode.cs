using Onnx;

namespace SuperRes.Deploy.Engines.Graph;

/// <summary>
/// A node of an <see cref="OnnxGraph"/>. It wraps the file's <see cref="NodeProto"/> (kept as it was unless a rewrite
/// changes the node, so fields this code does not know survive a round trip) and links its inputs and outputs to
/// <see cref="GraphValue"/>s. Change the graph through <see cref="GraphEditor"/>, not through the proto.
/// </summary>
public sealed class GraphNode
{
    private readonly List<GraphValue?> _inputs = [];
    private readonly List<GraphValue?> _outputs = [];
    private readonly List<GraphValue> _implicitInputs = [];
    private readonly List<OnnxGraph> _subgraphs = [];

    internal GraphNode(OnnxGraph graph, NodeProto proto, long sequence)
    {
        Graph = graph;
        Proto = proto;
        Sequence = sequence;
        Attributes = new NodeAttributes(proto);
    }

    public OnnxGraph Graph { get; }

    /// <summary>The underlying protobuf node.</summary>
    public NodeProto Proto { get; }

    /// <summary>The node's name as in the file (may be empty).</summary>
    public string Name => Proto.Name;

    /// <summary>The name when there is one, else "OpType(first output)": what messages and reports print.</summary>
    public string DisplayName =>
        !string.IsNullOrEmpty(Proto.Name) ? Proto.Name :
        Proto.Output.Count > 0 && !string.IsNullOrEmpty(Proto.Output[0]) ? $"{Proto.OpType}({Proto.Output[0]})" : Proto.OpType;

    public string OpType => Proto.OpType;

    /// <summary>The operator set domain, normalised: "" for the default ONNX domain ("" and "ai.onnx").</summary>
    public string Domain => NormalizeDomain(Proto.Domain);

    /// <summary>The opset version of <see cref="Domain"/> the model imports (0 when it imports none).</summary>
    public int OpsetVersion => Graph.Opsets.VersionOf(Domain);

    /// <summary>Inputs in slot order; null where an optional input is omitted ("").</summary>
    public IReadOnlyList<GraphValue?> Inputs => _inputs;

    /// <summary>Outputs in slot order; null where an optional output is omitted ("").</summary>
    public IReadOnlyList<GraphValue?> Outputs => _outputs;

    /// <summary>Outer-scope values that the node's subgraphs read (If/Loop/Scan bodies).</summary>
    public IReadOnlyList<GraphValue> ImplicitInputs => _implicitInputs;

    /// <summary>Subgraphs held in the node's graph attributes.</summary>
    public IReadOnlyList<OnnxGraph> Subgraphs => _subgraphs;

    public NodeAttributes Attributes { get; }

    /// <summary>Orders nodes stably (original file order first, nodes added later after them).</summary>
    internal long Sequence { get; set; }

    /// <summary>Index of the node in the last topological order computed (for liveness and reports).</summary>
    internal int OrderIndex { get; set; } = -1;

    internal List<GraphValue?> MutableInputs => _inputs;

    internal List<GraphValue?> MutableOutputs => _outputs;

    internal List<GraphValue> MutableImplicitInputs => _implicitInputs;

    internal List<OnnxGraph> MutableSubgraphs => _subgraphs;

    /// <summary>The input at <paramref name="index"/>, or null when absent or omitted.</summary>
    public GraphValue? Input(int index) => index < _inputs.Count ? _inputs[index] : null;

    /// <summary>The output at <paramref name="index"/>, or null when absent or omitted.</summary>
    public GraphValue? Output(int index) => index < _outputs.Count ? _outputs[index] : null;

    /// <summary>True for an op of the default ONNX domain with the given type.</summary>
    public bool Is(string opType) => Domain.Length == 0 && OpType == opType;

    public override string ToString() => $"{DisplayName} [{(Domain.Length == 0 ? string.Empty : Domain + ":")}{OpType}]";

    public static string NormalizeDomain(string? domain) => string.IsNullOrEmpty(domain) || domain == "ai.onnx" ? string.Empty : domain;
}
