using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Engines.Validation;

/// <summary>Chooses the <see cref="IModelSizeAdvisor"/> for a model.</summary>
public static class ModelSizeAdvisors
{
    /// <summary>
    /// The advisor for the ONNX model at <paramref name="onnxPath"/>: the size rules derived by symbolic shape inference
    /// (<see cref="ModelAnalysis"/>), or, when the graph cannot be analysed, the declared shapes only (ONNX Runtime then
    /// judges the sizes).
    /// </summary>
    public static IModelSizeAdvisor ForModel(string onnxPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(onnxPath);
        try
        {
            using var model = OnnxModel.Load(onnxPath);
            return new AnalysisSizeAdvisor(ModelAnalysis.Run(OnnxGraph.FromModel(model)));
        }
        catch (Exception e) when (e is DeployException or InvalidOperationException or NotSupportedException or ArgumentException or OverflowException)
        {
            return new DeclaredShapeAdvisor($"declared input shapes only (size analysis failed: {e.Message.ReplaceLineEndings(" ")})");
        }
    }
}

/// <summary>
/// An <see cref="IModelSizeAdvisor"/> backed by the model's derived size rules (<see cref="SizeConstraintReport"/>):
/// shapes that break a derived constraint are refused before anything runs, and the default shapes are the valid sizes
/// nearest a small (32×32), a medium (64×64) and a non-square (48×80) size.
/// </summary>
public sealed class AnalysisSizeAdvisor : IModelSizeAdvisor
{
    private static readonly (string Name, long Height, long Width)[] Targets = [("small", 32, 32), ("medium", 64, 64), ("non-square", 48, 80)];

    private readonly ModelAnalysis _analysis;

    public AnalysisSizeAdvisor(ModelAnalysis analysis)
    {
        _analysis = analysis ?? throw new ArgumentNullException(nameof(analysis));
        var rules = analysis.Constraints.Rules.Select(r => r.Description).ToList();
        Description = rules.Count == 0 ? "no size constraints derived: any input size" : $"derived: {string.Join("; ", rules)}";
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public IReadOnlyList<ValidationShapeCase> DefaultCases(IReadOnlyList<TensorInfo> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var report = _analysis.Constraints;
        var symbolOf = _analysis.Shapes.InputDimensions
            .Where(d => d.Dim.AsSymbol is not null)
            .ToDictionary(d => (d.InputName, d.Axis), d => d.Dim.AsSymbol!.Name);
        var cases = new List<ValidationShapeCase>();
        foreach (var (name, height, width) in Targets)
        {
            var values = new Dictionary<string, long>(report.Reference, StringComparer.Ordinal);
            foreach (var input in inputs.Where(i => i.Rank == 4))
            {
                Choose(input.Name, 2, height);
                Choose(input.Name, 3, width);
            }

            if (report.ViolationsAt(values).Count > 0)
            {
                // The sizes chosen one axis at a time do not work together (coupled axes): use the analysis' reference.
                values = new Dictionary<string, long>(report.Reference, StringComparer.Ordinal);
            }

            var shapes = new Dictionary<string, IReadOnlyList<long>>(StringComparer.Ordinal);
            foreach (var input in inputs)
            {
                shapes[input.Name] = input.Dims.Select((d, axis) =>
                    d.Size ?? (symbolOf.TryGetValue((input.Name, axis), out var s) && values.TryGetValue(s, out var v) ? v : Fallback(input.Rank, axis, height, width))).ToArray();
            }

            var candidate = new ValidationShapeCase($"default: {name}", shapes);
            var existing = cases.FindIndex(c => c.SameShapes(candidate));
            if (existing < 0)
            {
                cases.Add(candidate);
            }
            else
            {
                cases[existing] = cases[existing] with { Origin = $"{cases[existing].Origin}, {name}" };
            }

            void Choose(string input, int axis, long target)
            {
                if (symbolOf.TryGetValue((input, axis), out var symbol) && Nearest(symbol, target) is { } value)
                {
                    values[symbol] = value;
                }
            }
        }

        return cases;
    }

    /// <inheritdoc />
    public string? Violation(IReadOnlyDictionary<string, IReadOnlyList<long>> shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        try
        {
            var binding = _analysis.Shapes.Bind(shapes.ToDictionary(s => s.Key, s => s.Value.ToArray(), StringComparer.Ordinal));
            var violations = binding.Violations;
            if (violations.Count == 0)
            {
                return null;
            }

            var rules = _analysis.Constraints.UserRules.Select(r => r.Description).ToList();
            var first = violations[0].Describe();
            return rules.Count > 0
                ? $"{first}{(violations.Count > 1 ? $" (and {violations.Count - 1} more)" : string.Empty)}; the model's rules: {string.Join("; ", rules)}"
                : first;
        }
        catch (DeployException e)
        {
            return e.Message;
        }
    }

    /// <inheritdoc />
    public int SpatialMultiple(string input)
    {
        ArgumentNullException.ThrowIfNull(input);
        long multiple = 1;
        foreach (var rule in _analysis.Constraints.UserRules.Where(r => r.Kind == SizeRuleKind.MultipleOf))
        {
            if (rule.Axes.Any(a => a.InputName == input && a.Axis is 2 or 3) && rule.Value > 1)
            {
                multiple = multiple / Gcd(multiple, rule.Value) * rule.Value;
            }
        }

        return (int)Math.Min(multiple, int.MaxValue);
    }

    private long? Nearest(string symbol, long target)
    {
        // Valid values near the target, at or above it first (a constraint like "multiple of 8" rounds up).
        var candidates = Enumerable.Range(0, (int)target + 1).SelectMany(d => new[] { target + d, target - d }).Where(v => v >= 1).Distinct();
        return _analysis.Constraints.ValidValues(symbol, candidates).Cast<long?>().FirstOrDefault();
    }

    private static long Fallback(int rank, int axis, long height, long width) => (rank, axis) switch
    {
        (4, 0) => 1,
        (4, 1) => 3,
        (4, 2) => height,
        (4, 3) => width,
        (_, 0) => 1,
        _ => 8,
    };

    private static long Gcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}
