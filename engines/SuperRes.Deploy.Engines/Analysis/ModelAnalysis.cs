using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;

namespace SuperRes.Deploy.Engines.Analysis;

/// <summary>Options for <see cref="ModelAnalysis.Run"/>.</summary>
public sealed record ModelAnalysisOptions
{
    public static ModelAnalysisOptions Default { get; } = new();

    /// <summary>Largest input size scanned when deriving size rules (default 1024).</summary>
    public long SizeScanLimit { get; init; } = 1024;

    public ShapeInferenceOptions ShapeInference { get; init; } = ShapeInferenceOptions.Default;
}

/// <summary>A FusedAttention node of our own domain, as the fusion pass wrote it.</summary>
public sealed record FusedAttentionNode(GraphNode Node, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// Everything the tools derive from a graph without running it: shapes, statistics, size rules, the scale factor,
/// attention blocks, lints, and a cost model to evaluate at any input shape (<see cref="At"/>). One symbolic shape
/// inference feeds all of it; evaluating another input shape only binds symbols.
/// </summary>
public sealed class ModelAnalysis
{
    private ModelAnalysis(OnnxGraph graph, ShapeInferenceResult shapes, ModelAnalysisOptions options)
    {
        Graph = graph;
        Shapes = shapes;
        Statistics = OpStatistics.Compute(graph);
        Constraints = SizeConstraintReport.Analyze(shapes, options.SizeScanLimit);
        Scale = ScaleFactor.Derive(shapes, Constraints);
        Attention = AttentionReport.Find(shapes);
        Lints = DeploymentLints.Run(shapes, Constraints);
        Cost = CostModel.Build(shapes);
        FusedAttention = [.. graph.Nodes
            .Where(n => n.Domain == OpCatalog.SuperResDomain && n.OpType == OpCatalog.FusedAttentionOp)
            .Select(n => new FusedAttentionNode(n, n.Proto.Attribute.ToDictionary(a => a.Name, NodeAttributes.Format, StringComparer.Ordinal)))];
    }

    public OnnxGraph Graph { get; }

    public ShapeInferenceResult Shapes { get; }

    public OpStatistics Statistics { get; }

    public SizeConstraintReport Constraints { get; }

    /// <summary>The SR scale factor; null when it is not a constant ratio (or there is no 4-D input/output).</summary>
    public ScaleFactor? Scale { get; }

    public AttentionReport Attention { get; }

    /// <summary>Lints that hold at every input size.</summary>
    public IReadOnlyList<LintFinding> Lints { get; }

    public CostModel Cost { get; }

    /// <summary>FusedAttention nodes (domain com.superres.deploy) with their attributes.</summary>
    public IReadOnlyList<FusedAttentionNode> FusedAttention { get; }

    public static ModelAnalysis Run(OnnxGraph graph, ModelAnalysisOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        options ??= ModelAnalysisOptions.Default;
        return new ModelAnalysis(graph, ShapeInference.Run(graph, options.ShapeInference), options);
    }

    /// <summary>
    /// Evaluates the analysis at concrete input shapes (name → dims): FLOPs, peak activation memory, violated
    /// constraints and the shape-specific lints. Throws a usage <see cref="DeployException"/> when a shape does not fit an
    /// input's declared rank or fixed dims.
    /// </summary>
    public AnalysisAtShape At(IReadOnlyDictionary<string, long[]> inputShapes)
    {
        ArgumentNullException.ThrowIfNull(inputShapes);
        var binding = Shapes.Bind(inputShapes);
        var cost = Cost.Evaluate(binding);
        return new AnalysisAtShape(inputShapes, binding, cost, DeploymentLints.RunAt(cost));
    }
}

/// <summary>The analysis at one set of input shapes.</summary>
public sealed record AnalysisAtShape(IReadOnlyDictionary<string, long[]> InputShapes, ShapeBinding Binding, CostEvaluation Cost, IReadOnlyList<LintFinding> Lints)
{
    public IReadOnlyList<ShapeConstraint> Violations => Binding.Violations;
}
