using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Engines.Validation;

/// <summary>One set of input shapes to validate at, and where it came from.</summary>
/// <param name="Origin">E.g. "--shape", "config validation.shapes[0]", "engine profile 0 opt", "derived: medium".</param>
/// <param name="Shapes">Input name → shape, one entry per model input.</param>
public sealed record ValidationShapeCase(string Origin, IReadOnlyDictionary<string, IReadOnlyList<long>> Shapes)
{
    /// <summary>
    /// For a shape taken from an engine's optimization profile: that profile, which the candidate engine then runs
    /// with (so each profile is exercised, not only the first that contains the shape). Null otherwise.
    /// </summary>
    public int? Profile { get; init; }

    /// <summary>E.g. <c>input:1x3x64x64</c> (several inputs comma-separated).</summary>
    public string Label => Format(Shapes);

    /// <summary>trtexec-style shapes: <c>a:1x3x64x64,b:1x1</c>.</summary>
    public static string Format(IReadOnlyDictionary<string, IReadOnlyList<long>> shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        return string.Join(",", shapes.Select(s => $"{s.Key}:{string.Join('x', s.Value)}"));
    }

    /// <summary>Whether two cases have the same shapes.</summary>
    public bool SameShapes(ValidationShapeCase other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Shapes.Count == other.Shapes.Count
               && Shapes.All(s => other.Shapes.TryGetValue(s.Key, out var o) && o.SequenceEqual(s.Value));
    }
}

/// <summary>
/// What validation knows about the sizes a model accepts: its default validation shapes, and whether a given shape
/// violates a derived constraint. The seam between validation and the model's size analysis: the declared-shape
/// implementation knows only the graph's declared input shapes; one backed by symbolic shape inference knows the
/// derived rules ("H, W multiples of 8", "padded internally").
/// </summary>
public interface IModelSizeAdvisor
{
    /// <summary>One line about what is known, for the reports (e.g. "H and W: multiples of 8 (derived)").</summary>
    string Description { get; }

    /// <summary>Default validation shapes: a small, a medium and a non-square size that satisfy the constraints.</summary>
    IReadOnlyList<ValidationShapeCase> DefaultCases(IReadOnlyList<TensorInfo> inputs);

    /// <summary>A one-line reason when <paramref name="shapes"/> break a known constraint; null when none is known broken.</summary>
    string? Violation(IReadOnlyDictionary<string, IReadOnlyList<long>> shapes);

    /// <summary>
    /// The multiple the spatial axes (H, W) of <paramref name="input"/> must be for the caller to feed them; 1 when the
    /// model takes any size (including models that pad internally).
    /// </summary>
    int SpatialMultiple(string input);
}

/// <summary>
/// The fallback <see cref="IModelSizeAdvisor"/>: only the declared input shapes are known. Dynamic batch axes become 1,
/// dynamic channel axes 3, dynamic H/W of a rank-4 input 32×32, 64×64 and 48×80 (multiples of 16, which satisfy the
/// usual window/patch constraints); other dynamic axes 8. It knows no constraint, so ONNX Runtime is the judge.
/// </summary>
public sealed class DeclaredShapeAdvisor : IModelSizeAdvisor
{
    private static readonly (string Name, long Height, long Width)[] Sizes = [("small", 32, 32), ("medium", 64, 64), ("non-square", 48, 80)];

    /// <summary>An advisor with <paramref name="description"/> (default: "declared input shapes only").</summary>
    public DeclaredShapeAdvisor(string? description = null) =>
        Description = description ?? "declared input shapes only (no size-constraint analysis)";

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public IReadOnlyList<ValidationShapeCase> DefaultCases(IReadOnlyList<TensorInfo> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var cases = new List<ValidationShapeCase>();
        foreach (var (name, height, width) in Sizes)
        {
            var shapes = new Dictionary<string, IReadOnlyList<long>>(StringComparer.Ordinal);
            foreach (var input in inputs)
            {
                shapes[input.Name] = input.Dims.Select((d, axis) => d.Size ?? DefaultSize(input.Rank, axis, height, width)).ToArray();
            }

            var candidate = new ValidationShapeCase($"default: {name}", shapes);
            if (!cases.Any(c => c.SameShapes(candidate)))
            {
                cases.Add(candidate);
            }
        }

        return cases;
    }

    /// <inheritdoc />
    public string? Violation(IReadOnlyDictionary<string, IReadOnlyList<long>> shapes) => null;

    /// <inheritdoc />
    public int SpatialMultiple(string input) => 1;

    private static long DefaultSize(int rank, int axis, long height, long width) => (rank, axis) switch
    {
        (4, 0) => 1,
        (4, 1) => 3,
        (4, 2) => height,
        (4, 3) => width,
        (_, 0) => 1,
        _ => 8,
    };
}

/// <summary>
/// Chooses the shapes to validate at. In order of precedence: shapes given explicitly (<c>--shape</c>); the config's
/// <c>validation.shapes</c>; a TensorRT candidate's optimization profiles (min, opt and max of each); the config's
/// explicit <c>profiles</c>; the model's defaults from its <see cref="IModelSizeAdvisor"/>. Duplicates are dropped.
/// Every case is checked against the model's declared inputs (names, ranks, fixed sizes) and the advisor's constraints.
/// </summary>
public static class ValidationShapePlanner
{
    /// <summary>Plans the cases; throws a <see cref="DeployException"/> (usage or bad input) naming a wrong shape.</summary>
    public static IReadOnlyList<ValidationShapeCase> Plan(
        IReadOnlyList<TensorInfo> inputs,
        IReadOnlyList<IReadOnlyList<ShapeSpec>>? explicitShapes,
        DeployConfig? config,
        IReadOnlyList<OptimizationProfile>? engineProfiles,
        IModelSizeAdvisor advisor)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(advisor);
        var cases = new List<ValidationShapeCase>();
        if (explicitShapes is { Count: > 0 })
        {
            cases.AddRange(explicitShapes.Select((s, i) => FromSpecs(inputs, s, explicitShapes.Count == 1 ? "--shape" : $"--shape #{i + 1}")));
        }
        else if (config?.Validation.Shapes is { Count: > 0 } configured)
        {
            cases.AddRange(configured.Select((s, i) => FromSpecs(inputs, s, $"config validation.shapes[{i}]")));
        }
        else if (engineProfiles is { Count: > 0 } && engineProfiles.Any(p => p.Inputs.Count > 0))
        {
            foreach (var profile in engineProfiles)
            {
                cases.Add(FromProfile(inputs, profile.Inputs, r => r.Min, $"engine profile {profile.Index} min") with { Profile = profile.Index });
                cases.Add(FromProfile(inputs, profile.Inputs, r => r.Opt, $"engine profile {profile.Index} opt") with { Profile = profile.Index });
                cases.Add(FromProfile(inputs, profile.Inputs, r => r.Max, $"engine profile {profile.Index} max") with { Profile = profile.Index });
            }
        }
        else if (config?.Profiles is { Count: > 0 } profiles)
        {
            for (var i = 0; i < profiles.Count; i++)
            {
                cases.Add(FromSpecs(inputs, profiles[i].Min, $"config profile {i} min"));
                cases.Add(FromSpecs(inputs, profiles[i].Opt, $"config profile {i} opt"));
                cases.Add(FromSpecs(inputs, profiles[i].Max, $"config profile {i} max"));
            }
        }
        else
        {
            cases.AddRange(advisor.DefaultCases(inputs));
        }

        // The same shapes in two profiles are two cases: each profile is run.
        var distinct = new List<ValidationShapeCase>();
        foreach (var c in cases)
        {
            var existing = distinct.FindIndex(d => d.SameShapes(c) && d.Profile == c.Profile);
            if (existing < 0)
            {
                Check(inputs, c, advisor);
                distinct.Add(c);
            }
            else
            {
                distinct[existing] = distinct[existing] with { Origin = $"{distinct[existing].Origin}, {c.Origin}" };
            }
        }

        return distinct;
    }

    /// <summary>Checks a case against the declared inputs and the advisor's constraints.</summary>
    public static void Check(IReadOnlyList<TensorInfo> inputs, ValidationShapeCase shapeCase, IModelSizeAdvisor advisor)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(shapeCase);
        ArgumentNullException.ThrowIfNull(advisor);
        foreach (var name in shapeCase.Shapes.Keys.Where(n => inputs.All(i => i.Name != n)))
        {
            throw DeployException.BadInput(
                $"shape {shapeCase.Label} ({shapeCase.Origin}) names input '{name}', which the model does not have (inputs: {string.Join(", ", inputs.Select(i => i.Name))})");
        }

        foreach (var input in inputs)
        {
            if (!shapeCase.Shapes.TryGetValue(input.Name, out var shape))
            {
                throw DeployException.BadInput($"shape {shapeCase.Label} ({shapeCase.Origin}) gives no shape for input '{input.Name}' ({input.Signature})");
            }

            if (shape.Count != input.Rank)
            {
                throw DeployException.BadInput(
                    $"shape {input.Name}:{string.Join('x', shape)} ({shapeCase.Origin}) has rank {shape.Count}; input '{input.Name}' is {input.Signature}");
            }

            for (var axis = 0; axis < shape.Count; axis++)
            {
                if (input.Dims[axis].Size is { } size && shape[axis] != size)
                {
                    throw DeployException.BadInput(
                        $"shape {input.Name}:{string.Join('x', shape)} ({shapeCase.Origin}) has {shape[axis]} on axis {axis}; input '{input.Name}' is {input.Signature}");
                }
            }
        }

        if (advisor.Violation(shapeCase.Shapes) is { } violation)
        {
            throw DeployException.BadInput($"shape {shapeCase.Label} ({shapeCase.Origin}) violates the model's size constraints: {violation}");
        }
    }

    private static ValidationShapeCase FromSpecs(IReadOnlyList<TensorInfo> inputs, IReadOnlyList<ShapeSpec> specs, string origin)
    {
        var shapes = new Dictionary<string, IReadOnlyList<long>>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            shapes[spec.Name] = spec.Dims.ToArray();
        }

        // Inputs of entirely fixed shape need not be spelled out.
        foreach (var input in inputs.Where(i => !shapes.ContainsKey(i.Name) && i.Dims.All(d => d.IsFixed)))
        {
            shapes[input.Name] = input.Dims.Select(d => d.Size!.Value).ToArray();
        }

        return new ValidationShapeCase(origin, Ordered(inputs, shapes));
    }

    private static ValidationShapeCase FromProfile(
        IReadOnlyList<TensorInfo> inputs, IReadOnlyDictionary<string, ProfileRange> ranges, Func<ProfileRange, IReadOnlyList<long>> pick, string origin)
    {
        var shapes = new Dictionary<string, IReadOnlyList<long>>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            shapes[input.Name] = ranges.TryGetValue(input.Name, out var range)
                ? pick(range).ToArray()
                : input.Dims.Select(d => d.Size ?? 1).ToArray();
        }

        return new ValidationShapeCase(origin, shapes);
    }

    private static Dictionary<string, IReadOnlyList<long>> Ordered(IReadOnlyList<TensorInfo> inputs, Dictionary<string, IReadOnlyList<long>> shapes)
    {
        var ordered = new Dictionary<string, IReadOnlyList<long>>(StringComparer.Ordinal);
        foreach (var input in inputs.Where(i => shapes.ContainsKey(i.Name)))
        {
            ordered[input.Name] = shapes[input.Name];
        }

        foreach (var extra in shapes.Where(s => !ordered.ContainsKey(s.Key)))
        {
            ordered[extra.Key] = extra.Value;
        }

        return ordered;
    }
}
