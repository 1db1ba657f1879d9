using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Engines.Analysis;

/// <summary>How many nodes of one op type the graph has.</summary>
public sealed record OpCount(string Domain, string OpType, int Count);

/// <summary>Initializers of one element type: tensors, elements and bytes.</summary>
public sealed record ParameterGroup(int ElementType, int Tensors, long Elements, long Bytes)
{
    public string ElementTypeName => ElementTypes.Name(ElementType);
}

/// <summary>
/// Counts that need no shapes: the op histogram, parameters (initializers, by element type), and the Reshape/Transpose
/// count (the DITN paper's deployment metric: these ops cost latency and memory under dynamic shapes but no FLOPs).
/// </summary>
public sealed class OpStatistics
{
    private OpStatistics(IReadOnlyList<OpCount> histogram, int nodeCount, IReadOnlyList<ParameterGroup> parameters, int reshapes, int transposes)
    {
        Histogram = histogram;
        NodeCount = nodeCount;
        ParametersByType = parameters;
        ReshapeCount = reshapes;
        TransposeCount = transposes;
    }

    /// <summary>Op types by descending count (then by name).</summary>
    public IReadOnlyList<OpCount> Histogram { get; }

    /// <summary>Nodes of the main graph (subgraph nodes are not counted).</summary>
    public int NodeCount { get; }

    public IReadOnlyList<ParameterGroup> ParametersByType { get; }

    /// <summary>Elements of floating-point initializers: the model's weights.</summary>
    public long ParameterCount => ParametersByType.Where(p => ElementTypes.IsFloatingPoint(p.ElementType)).Sum(p => p.Elements);

    /// <summary>Bytes of every initializer.</summary>
    public long ParameterBytes => ParametersByType.Sum(p => p.Bytes);

    public int InitializerCount => ParametersByType.Sum(p => p.Tensors);

    public int ReshapeCount { get; }

    public int TransposeCount { get; }

    public int ReshapeTransposeCount => ReshapeCount + TransposeCount;

    /// <summary>The number of nodes with this default-domain op type.</summary>
    public int CountOf(string opType) => Histogram.Where(h => h.Domain.Length == 0 && h.OpType == opType).Sum(h => h.Count);

    public static OpStatistics Compute(OnnxGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var histogram = graph.Nodes
            .GroupBy(n => (n.Domain, n.OpType))
            .Select(g => new OpCount(g.Key.Domain, g.Key.OpType, g.Count()))
            .OrderByDescending(h => h.Count)
            .ThenBy(h => h.OpType, StringComparer.Ordinal)
            .ToList();
        var parameters = graph.Initializers
            .Where(v => v.Initializer is not null)
            .GroupBy(v => v.Initializer!.DataType)
            .Select(g => new ParameterGroup(g.Key, g.Count(),
                g.Sum(v => TensorData.ElementCount(v.Initializer!)),
                g.Sum(v => TensorData.ByteSize(v.Initializer!))))
            .OrderByDescending(p => p.Bytes)
            .ToList();
        var reshapes = graph.Nodes.Count(n => n.Is("Reshape"));
        var transposes = graph.Nodes.Count(n => n.Is("Transpose"));
        return new OpStatistics(histogram, graph.Nodes.Count, parameters, reshapes, transposes);
    }
}
