using SuperRes.Deploy.Engines.Analysis;

namespace SuperRes.Deploy.Engines.Building;

/// <summary>What the graph costs at one input shape: the numbers the planner's limits are checked against.</summary>
/// <param name="PeakActivationBytes">Largest sum of live activation bytes (the analysis' liveness sweep).</param>
/// <param name="LargestTensorElements">Element count of the largest tensor of the graph (every value, not only the
/// output: TensorRT's 2^31 limit applies to each).</param>
/// <param name="LargestTensor">Name of that tensor.</param>
/// <param name="UnknownSizes">Values whose size could not be evaluated (the limits are checked on the others).</param>
public readonly record struct ShapeCost(long PeakActivationBytes, long LargestTensorElements, string? LargestTensor, int UnknownSizes);

/// <summary>
/// The model as the profile planner sees it: one NCHW image input, the sizes each spatial axis accepts, and the cost
/// at any shape. <see cref="AnalysisProfileSizeModel"/> reads these from <see cref="ModelAnalysis"/>; property tests
/// use synthetic models.
/// </summary>
public interface IProfileSizeModel
{
    /// <summary>The image input's name.</summary>
    string InputName { get; }

    /// <summary>The channel count (axis 1).</summary>
    long Channels { get; }

    /// <summary>The batch size when the model declares it static.</summary>
    long? FixedBatch { get; }

    AxisSizeRule Height { get; }

    AxisSizeRule Width { get; }

    /// <summary>Output size over input size (for explanations); null when unknown.</summary>
    double? Scale { get; }

    ShapeCost CostAt(long batch, long height, long width);

    /// <summary>The model's shape constraints broken at this shape, described (empty when it is valid).</summary>
    IReadOnlyList<string> ViolationsAt(long batch, long height, long width);
}

/// <summary>
/// <see cref="IProfileSizeModel"/> over a <see cref="ModelAnalysis"/>: axis rules from the derived size rules
/// (multiple-of, congruence, minimum, fixed; "padded to a multiple" is a note, not a constraint), costs from the
/// symbolic cost model (memoized: the planner asks for the same shapes repeatedly).
/// </summary>
public sealed class AnalysisProfileSizeModel : IProfileSizeModel
{
    private readonly ModelAnalysis _analysis;
    private readonly Dictionary<(long, long, long), ShapeCost> _costs = [];

    private AnalysisProfileSizeModel(ModelAnalysis analysis, string input, long channels, long? batch, AxisSizeRule height, AxisSizeRule width)
    {
        _analysis = analysis;
        InputName = input;
        Channels = channels;
        FixedBatch = batch;
        Height = height;
        Width = width;
        Scale = analysis.Scale is { IsUniform: true } s && s.InputName == input ? s.Height : null;
    }

    public string InputName { get; }

    public long Channels { get; }

    public long? FixedBatch { get; }

    public AxisSizeRule Height { get; }

    public AxisSizeRule Width { get; }

    public double? Scale { get; }

    /// <summary>Reads the image input's rules from the analysis.</summary>
    /// <param name="analysis">The analysis of the graph the engine is built from.</param>
    /// <param name="inputName">The image input (null: the model's only input).</param>
    /// <exception cref="DeployException">BadInput when the model cannot be planned automatically (several inputs, not
    /// NCHW, a dynamic channel count, size rules without a simple pattern): give explicit profiles instead.</exception>
    public static AnalysisProfileSizeModel From(ModelAnalysis analysis, string? inputName = null)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var inputs = analysis.Graph.Inputs.Where(i => !i.IsInitializer).ToList();
        if (inputName is null && inputs.Count != 1)
        {
            throw DeployException.BadInput(
                $"the profile planner needs one image input, the model has {inputs.Count} ({string.Join(", ", inputs.Select(i => i.Name))}); give explicit profiles");
        }

        var input = inputName is null ? inputs[0] : inputs.FirstOrDefault(i => i.Name == inputName)
            ?? throw DeployException.BadInput($"the model has no input named '{inputName}' (inputs: {string.Join(", ", inputs.Select(i => i.Name))})");
        if (inputs.Count > 1)
        {
            throw DeployException.BadInput(
                $"the profile planner handles models with one input; this one has {inputs.Count} ({string.Join(", ", inputs.Select(i => i.Name))}); give explicit profiles");
        }

        var dims = analysis.Shapes.InputDimensions.Where(d => d.InputName == input.Name).OrderBy(d => d.Axis).ToList();
        if (dims.Count != 4)
        {
            throw DeployException.BadInput($"input '{input.Name}' has rank {dims.Count}; the profile planner needs an NCHW image input (rank 4)");
        }

        if (!dims[1].Dim.TryGetConstant(out var channels))
        {
            throw DeployException.BadInput($"input '{input.Name}' has a dynamic channel count ({dims[1].Dim}); give explicit profiles");
        }

        long? batch = dims[0].Dim.TryGetConstant(out var b) ? b
            : dims[0].Dim.AsSymbol is { } batchSymbol
                && analysis.Constraints.Rules.FirstOrDefault(r => r.Symbol == batchSymbol.Name && r.Kind == SizeRuleKind.FixedSize) is { } pinned
                ? pinned.Value
                : null;
        var height = AxisRule(analysis, input.Name, dims[2].Dim, "height");
        var width = AxisRule(analysis, input.Name, dims[3].Dim, "width");
        var hSymbol = dims[2].Dim.AsSymbol?.Name;
        if (hSymbol is not null && hSymbol == dims[3].Dim.AsSymbol?.Name)
        {
            throw DeployException.BadInput($"input '{input.Name}' declares height and width as the same symbol '{hSymbol}' (square images only); give explicit profiles");
        }

        return new AnalysisProfileSizeModel(analysis, input.Name, channels, batch, height, width);
    }

    public ShapeCost CostAt(long batch, long height, long width)
    {
        if (_costs.TryGetValue((batch, height, width), out var cached))
        {
            return cached;
        }

        var cost = _analysis.Cost.Evaluate(Shapes(batch, height, width));
        var result = new ShapeCost(cost.PeakActivationBytes, cost.LargestTensorElements, cost.LargestTensor?.Name, cost.UnknownSizeValues);
        _costs[(batch, height, width)] = result;
        return result;
    }

    public IReadOnlyList<string> ViolationsAt(long batch, long height, long width) =>
        [.. _analysis.Shapes.Bind(Shapes(batch, height, width)).Violations.Select(v => v.Describe())];

    private Dictionary<string, long[]> Shapes(long batch, long height, long width) =>
        new(StringComparer.Ordinal) { [InputName] = [batch, Channels, height, width] };

    private static AxisSizeRule AxisRule(ModelAnalysis analysis, string input, Graph.Symbolic.DimExpr dim, string axisName)
    {
        if (dim.TryGetConstant(out var fixedSize))
        {
            return new AxisSizeRule(@fixed: fixedSize);
        }

        if (dim.AsSymbol is not { } symbol)
        {
            throw DeployException.BadInput($"input '{input}' {axisName} is declared as the expression {dim}, not a plain symbol; give explicit profiles");
        }

        long multiple = 1, remainder = 0, minimum = 1;
        long? padded = null;
        foreach (var rule in analysis.Constraints.Rules.Where(r => r.Symbol == symbol.Name))
        {
            switch (rule.Kind)
            {
                case SizeRuleKind.MultipleOf:
                    multiple = rule.Value;
                    minimum = Math.Max(minimum, rule.Minimum);
                    break;
                case SizeRuleKind.Congruent:
                    multiple = rule.Value;
                    remainder = rule.Remainder;
                    minimum = Math.Max(minimum, rule.Minimum);
                    break;
                case SizeRuleKind.Minimum:
                    minimum = Math.Max(minimum, rule.Minimum);
                    break;
                case SizeRuleKind.FixedSize:
                    return new AxisSizeRule(@fixed: rule.Value);
                case SizeRuleKind.PaddedToMultiple:
                    padded = rule.Value;
                    break;
                default:
                    throw DeployException.BadInput(
                        $"input '{input}' {axisName} ({symbol.Name}) has no simple size rule for the planner ({rule.Description}); give explicit profiles");
            }
        }

        return new AxisSizeRule(multiple, remainder, minimum, paddedMultiple: padded);
    }
}
