using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Analysis;

public enum LintSeverity
{
    Info,
    Warning,
    Error,
}

/// <summary>One deployment problem: a stable id (SRDnnn) and name, a severity, a one-line message and the nodes involved.</summary>
public sealed record LintFinding(string Id, string Name, LintSeverity Severity, string Message, IReadOnlyList<string> NodeNames);

/// <summary>
/// Deployment lints: graphs whose declared dynamic inputs only work at one size (constant shape targets baked at export,
/// shapes that contradict each other once H and W vary), constructs that are slow or unsupported in TensorRT under dynamic
/// shapes (computed ScatterND indices, data-dependent shapes, control flow, contrib GridSample), and, at a given input
/// shape, tensors over TensorRT's 2^31-element limit and violated size constraints. Ids are stable; docs/cli.md lists them.
/// </summary>
public static class DeploymentLints
{
    public const string StaticShapeTarget = "SRD001";
    public const string ShapeContradiction = "SRD002";
    public const string ScatterIndexChain = "SRD003";
    public const string DataDependentShape = "SRD004";
    public const string ControlFlow = "SRD005";
    public const string GridSampleExport = "SRD006";
    public const string TensorVolume = "SRD007";
    public const string IncompleteShapes = "SRD008";
    public const string InputShapeViolation = "SRD009";

    /// <summary>Id → short name, for reports.</summary>
    public static IReadOnlyDictionary<string, string> Names { get; } = new Dictionary<string, string>
    {
        [StaticShapeTarget] = "static-shape-target",
        [ShapeContradiction] = "shape-contradiction",
        [ScatterIndexChain] = "scatter-index-chain",
        [DataDependentShape] = "data-dependent-shape",
        [ControlFlow] = "control-flow",
        [GridSampleExport] = "gridsample-export",
        [TensorVolume] = "tensor-volume",
        [IncompleteShapes] = "incomplete-shapes",
        [InputShapeViolation] = "input-shape-violation",
    };

    /// <summary>The 2^31 element limit of TensorRT tensors.</summary>
    public const long TensorRtVolumeLimit = (1L << 31) - 1;

    private static readonly Dictionary<string, int[]> ShapeArguments = new(StringComparer.Ordinal)
    {
        ["Reshape"] = [1],
        ["Expand"] = [1],
        ["Tile"] = [1],
        ["ConstantOfShape"] = [0],
        ["Resize"] = [2, 3],
        ["Upsample"] = [1],
        ["Slice"] = [1, 2, 3, 4],
        ["Pad"] = [1],
        ["Range"] = [0, 1, 2],
        ["TopK"] = [1],
        ["Split"] = [1],
        ["OneHot"] = [1],
    };

    /// <summary>Lints that need no input shape.</summary>
    public static IReadOnlyList<LintFinding> Run(ShapeInferenceResult shapes, SizeConstraintReport constraints)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentNullException.ThrowIfNull(constraints);
        var findings = new List<LintFinding>();
        PinnedSizes(shapes, constraints, findings);
        var reported = findings.SelectMany(f => f.NodeNames).ToHashSet(StringComparer.Ordinal);
        ConstantCrops(shapes, findings, [.. shapes.Order.Where(n => reported.Contains(n.DisplayName))]);
        Scatter(shapes, findings);
        DataDependent(shapes, findings);
        Control(shapes, findings);
        GridSample(shapes, findings);
        Incomplete(shapes, findings);
        return findings;
    }

    /// <summary>Lints at one input shape: tensors over the volume limit, violated constraints.</summary>
    public static IReadOnlyList<LintFinding> RunAt(CostEvaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        var findings = new List<LintFinding>();
        if (evaluation.LargestTensorElements > TensorRtVolumeLimit && evaluation.LargestTensor is { } big)
        {
            findings.Add(new LintFinding(TensorVolume, Names[TensorVolume], LintSeverity.Error,
                $"'{big.Name}' has {evaluation.LargestTensorElements:N0} elements at this shape; TensorRT tensors are limited to 2^31-1 elements (use a smaller max shape or tile the image)",
                big.Producer is { } p ? [p.DisplayName] : []));
        }

        var violations = evaluation.Binding.Violations;
        if (violations.Count > 0)
        {
            findings.Add(new LintFinding(InputShapeViolation, Names[InputShapeViolation], LintSeverity.Error,
                $"the input shape violates {violations.Count} size constraint{(violations.Count > 1 ? "s" : string.Empty)}, e.g. {violations[0].Describe()}",
                [.. violations.Select(v => v.Node.DisplayName).Distinct().Take(20)]));
        }

        return findings;
    }

    private static readonly HashSet<string> TargetOps = new(StringComparer.Ordinal) { "Reshape", "Expand", "Tile", "ConstantOfShape", "Resize", "Slice", "Upsample" };

    /// <summary>(a) constant shape targets and (b) contradicting shapes: constraints that leave one size (or none) for a dynamic input dim.</summary>
    private static void PinnedSizes(ShapeInferenceResult shapes, SizeConstraintReport constraints, List<LintFinding> findings)
    {
        var symbols = shapes.InputSymbols.Where(s => s.Kind == SymbolKind.InputDim).Select(s => s.Name).ToList();
        var pinnedTargets = new List<(GraphNode Node, string Detail)>();
        var contradictions = new List<(GraphNode Node, string Detail)>();
        foreach (var group in shapes.Constraints.GroupBy(c => c.Node))
        {
            var node = group.Key;
            var pins = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var c in group)
            {
                foreach (var s in c.Symbols.Where(s => s.Kind == SymbolKind.InputDim).Select(s => s.Name).Distinct())
                {
                    // A spatial size of 1 passing by broadcasting does not make the size usable.
                    var isBatch = constraints.Symbols.Any(x => x.Symbol == s && x.IsBatch);
                    var valid = ValidAlone(c, s, symbols, constraints).Take(3).ToList();
                    var meaningful = isBatch ? valid : valid.Where(v => v != 1).ToList();
                    if (valid.Count == 0)
                    {
                        pins[s] = $"no {s} up to {constraints.ScanLimit}";
                    }
                    else if (meaningful.Count <= 1 && valid.Count <= 2)
                    {
                        pins[s] = $"{s}={(meaningful.Count == 1 ? meaningful[0] : valid[0])}";
                    }
                }
            }

            if (pins.Count == 0)
            {
                continue;
            }

            var where = string.Join(", ", pins.Values);
            if (TargetOps.Contains(node.OpType) && HasConstantTarget(node, shapes))
            {
                pinnedTargets.Add((node, where));
            }
            else
            {
                contradictions.Add((node, $"{group.First().Describe()} holds only at {where}"));
            }
        }

        if (pinnedTargets.Count > 0)
        {
            // Once one constant target pins the size, everything after it is static too: name those nodes as well.
            var pinned = pinnedTargets.Select(p => p.Node).ToHashSet();
            var downstream = shapes.Order.Where(n => !pinned.Contains(n) && TargetOps.Contains(n.OpType) && HasConstantTarget(n, shapes) &&
                n.Input(0) is { } data && shapes[data].DependsOnData && shapes[data].Shape is { IsStatic: true }).ToList();
            var first = pinnedTargets[0];
            var ops = string.Join("/", pinnedTargets.Select(p => p.Node.OpType).Distinct());
            var more = downstream.Count > 0 ? $"; {downstream.Count} more node{(downstream.Count > 1 ? "s" : string.Empty)} downstream also have constant targets" : string.Empty;
            findings.Add(new LintFinding(StaticShapeTarget, Names[StaticShapeTarget], LintSeverity.Error,
                $"{pinnedTargets.Count} {ops} node{(pinnedTargets.Count > 1 ? "s have constant targets" : " has a constant target")} baked at export that fit the declared-dynamic input only at {first.Detail} (e.g. '{first.Node.DisplayName}' {TargetDescription(first.Node, shapes)}){more}; re-export with shapes computed from the input",
                [.. pinnedTargets.Select(p => p.Node.DisplayName), .. downstream.Select(n => n.DisplayName)]));
        }

        if (contradictions.Count > 0)
        {
            findings.Add(new LintFinding(ShapeContradiction, Names[ShapeContradiction], LintSeverity.Error,
                $"shapes contradict each other once the input size varies: {contradictions[0].Detail}{(contradictions.Count > 1 ? $" (and {contradictions.Count - 1} more node{(contradictions.Count > 2 ? "s" : string.Empty)})" : string.Empty)}",
                [.. contradictions.Select(c => c.Node.DisplayName)]));
        }

        var always = shapes.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error && d.Node is not null && d.Message.StartsWith("shapes contradict", StringComparison.Ordinal)).ToList();
        if (always.Count > 0)
        {
            findings.Add(new LintFinding(ShapeContradiction, Names[ShapeContradiction], LintSeverity.Error,
                $"{always[0].Message}{(always.Count > 1 ? $" (and {always.Count - 1} more)" : string.Empty)}",
                [.. always.Select(d => d.Node!.DisplayName).Distinct()]));
        }
    }

    private static IEnumerable<long> ValidAlone(ShapeConstraint c, string symbol, List<string> symbols, SizeConstraintReport constraints)
    {
        var layout = symbols.ToArray();
        var left = CompiledDimExpr.Compile(c.Left, layout);
        var right = CompiledDimExpr.Compile(c.Right, layout);
        var values = layout.Select(s => constraints.Reference.TryGetValue(s, out var v) ? v : 1).ToArray();
        var index = Array.IndexOf(layout, symbol);
        for (long v = 1; v <= constraints.ScanLimit; v++)
        {
            values[index] = v;
            if (!left.TryEvaluate(values, out var l) || !right.TryEvaluate(values, out var r))
            {
                yield return v;
                continue;
            }

            var ok = c.Kind switch
            {
                ConstraintKind.Equal => l == r,
                ConstraintKind.Broadcastable => l == r || l == 1 || r == 1,
                _ => l >= r,
            };
            if (ok)
            {
                yield return v;
            }
        }
    }

    private static bool HasConstantTarget(GraphNode node, ShapeInferenceResult shapes)
    {
        var indices = ShapeArguments.TryGetValue(node.OpType, out var i) ? i : [];
        var targets = indices.Select(node.Input).Where(v => v is not null).ToList();
        return targets.Count > 0 && targets.All(v => shapes.ValueOf(v!) is { } value && value.IsInteger && value.Ints!.All(e => e is { IsConstant: true }));
    }

    private static string TargetDescription(GraphNode node, ShapeInferenceResult shapes)
    {
        var indices = ShapeArguments.TryGetValue(node.OpType, out var i) ? i : [];
        var value = indices.Select(node.Input).FirstOrDefault(v => v is not null && shapes.ValueOf(v) is not null);
        return value is null ? string.Empty : $"target {shapes.ValueOf(value)}";
    }

    /// <summary>
    /// A Resize to constant sizes on a dynamic axis, and graph outputs whose spatial size no longer follows a dynamic
    /// input (a crop or resize baked at the export size), named by the node where the size became constant.
    /// </summary>
    private static void ConstantCrops(ShapeInferenceResult shapes, List<LintFinding> findings, HashSet<GraphNode> reported)
    {
        var hits = new List<(GraphNode Node, string Detail)>();
        foreach (var node in shapes.Order.Where(n => n.Is("Resize") || n.Is("Upsample")))
        {
            if (!reported.Contains(node) && ConstantAxis(node, shapes) is { } detail)
            {
                hits.Add((node, detail));
            }
        }

        // When a pinned size is already reported, a fixed output is its consequence, not a second finding.
        var dynamicInput = reported.Count == 0 && shapes.InputDimensions.Any(d => d.Dim.Symbols.Any(s => s.Kind == SymbolKind.InputDim) && d.Axis >= 2);
        foreach (var output in shapes.Graph.Outputs)
        {
            if (!dynamicInput || shapes[output].Shape is not { Rank: 4 } s || !(IsFixed(s[2]) || IsFixed(s[3])))
            {
                continue;
            }

            // Walk back through inputs that are already fixed to the node where the spatial size stopped following the input.
            var v = output;
            while (v.Producer is { } p && p.Inputs.FirstOrDefault(i => i is not null && shapes[i].Shape is { Rank: 4 } ds && (IsFixed(ds[2]) || IsFixed(ds[3]))) is { } fixedInput)
            {
                v = fixedInput;
            }

            if (v.Producer is { } culprit && hits.All(h => h.Node != culprit) && !reported.Contains(culprit))
            {
                hits.Add((culprit, $"makes the output '{output.Name}' {s} whatever the input size"));
            }
        }

        if (hits.Count > 0)
        {
            findings.Add(new LintFinding(StaticShapeTarget, Names[StaticShapeTarget], LintSeverity.Warning,
                $"{hits.Count} node{(hits.Count > 1 ? "s" : string.Empty)} fix a dynamic size to a constant baked at export (e.g. {hits[0].Node.OpType} '{hits[0].Node.DisplayName}' {hits[0].Detail}): the result no longer follows the input size",
                [.. hits.Select(h => h.Node.DisplayName)]));
        }

        static bool IsFixed(DimExpr? d) => d is not null && (d.IsConstant || IsClampedToConstant(d));
    }

    private static string? ConstantAxis(GraphNode node, ShapeInferenceResult shapes)
    {
        if (node.Input(0) is not { } input || node.Output(0) is not { } output || shapes[input].Shape is not { } inShape ||
            shapes[output].Shape is not { } outShape || inShape.Rank != outShape.Rank)
        {
            return null;
        }

        for (var axis = 0; axis < inShape.Rank; axis++)
        {
            if (inShape[axis] is { IsConstant: false } d && d.Symbols.Any(s => s.Kind == SymbolKind.InputDim) && outShape[axis] is { IsConstant: true } o)
            {
                return $"axis {axis}: {d} → {o}";
            }
        }

        return null;
    }

    private static bool IsClampedToConstant(DimExpr e) =>
        e.IsSingleFactor && e.Terms[0].Monomial.Factors[0].Atom is ExtremumAtom { IsMax: false } x && x.Arguments.Any(a => a.IsConstant);

    private static void Scatter(ShapeInferenceResult shapes, List<LintFinding> findings)
    {
        foreach (var node in shapes.Order.Where(n => n.Is("ScatterND") || n.Is("ScatterElements") || n.Is("Scatter")))
        {
            if (node.Input(1) is not { } indices || indices.IsConstant)
            {
                continue;
            }

            var chain = Ancestors(indices, 16).ToList();
            var ops = string.Join("/", chain.Select(n => n.OpType).Distinct().Take(6));
            findings.Add(new LintFinding(ScatterIndexChain, Names[ScatterIndexChain], LintSeverity.Warning,
                $"{node.OpType} '{node.DisplayName}' writes through indices computed at run time ({ops}): slow or unsupported under dynamic shapes in TensorRT; an in-place slice assignment exports better as Slice + Concat",
                [node.DisplayName, .. chain.Select(n => n.DisplayName)]));
        }
    }

    private static IEnumerable<GraphNode> Ancestors(GraphValue start, int limit)
    {
        var seen = new HashSet<GraphNode>();
        var queue = new Queue<GraphValue>([start]);
        while (queue.Count > 0 && seen.Count < limit)
        {
            var v = queue.Dequeue();
            if (v.Producer is not { } p || p.OpType is "Shape" or "Constant" || !seen.Add(p))
            {
                continue;
            }

            yield return p;
            foreach (var input in p.Inputs)
            {
                if (input is not null)
                {
                    queue.Enqueue(input);
                }
            }
        }
    }

    private static void DataDependent(ShapeInferenceResult shapes, List<LintFinding> findings)
    {
        var hits = new List<(GraphNode Node, string Why)>();
        foreach (var node in shapes.Order)
        {
            if (node.Domain.Length != 0)
            {
                continue;
            }

            if (node.OpType is "NonZero" or "Unique" or "Compress")
            {
                hits.Add((node, "output size depends on the data"));
                continue;
            }

            if (!ShapeArguments.TryGetValue(node.OpType, out var arguments))
            {
                continue;
            }

            foreach (var index in arguments)
            {
                if (node.Input(index) is { } arg && shapes[arg].DependsOnData && !arg.IsGraphInput)
                {
                    hits.Add((node, $"its shape argument '{arg.Name}' is computed from tensor values"));
                    break;
                }
            }
        }

        if (hits.Count > 0)
        {
            findings.Add(new LintFinding(DataDependentShape, Names[DataDependentShape], LintSeverity.Warning,
                $"data-dependent shapes: {string.Join("; ", hits.Take(4).Select(h => $"{h.Node.OpType} '{h.Node.DisplayName}' ({h.Why})"))}{(hits.Count > 4 ? $"; and {hits.Count - 4} more" : string.Empty)}. TensorRT needs data-dependent-shape support for these (slow, or unsupported on older versions)",
                [.. hits.Select(h => h.Node.DisplayName)]));
        }
    }

    private static void Control(ShapeInferenceResult shapes, List<LintFinding> findings)
    {
        var nodes = shapes.Order.Where(n => n.Is("If") || n.Is("Loop") || n.Is("Scan")).ToList();
        if (nodes.Count > 0)
        {
            findings.Add(new LintFinding(ControlFlow, Names[ControlFlow], LintSeverity.Warning,
                $"{nodes.Count} control-flow node{(nodes.Count > 1 ? "s" : string.Empty)} ({string.Join(", ", nodes.Select(n => n.OpType).Distinct())}): TensorRT runs them as conditionals/loops that block fusion and are slow under dynamic shapes; export without data-dependent Python control flow",
                [.. nodes.Select(n => n.DisplayName)]));
        }
    }

    private static void GridSample(ShapeInferenceResult shapes, List<LintFinding> findings)
    {
        foreach (var node in shapes.Order.Where(n => n.OpType == "GridSample"))
        {
            if (node.Domain.Length != 0)
            {
                findings.Add(new LintFinding(GridSampleExport, Names[GridSampleExport], LintSeverity.Warning,
                    $"GridSample '{node.DisplayName}' is the contrib op of domain '{node.Domain}'; TensorRT's ONNX parser takes the standard GridSample: re-export at opset 16 or later",
                    [node.DisplayName]));
            }
            else if (node.OpsetVersion < 16)
            {
                findings.Add(new LintFinding(GridSampleExport, Names[GridSampleExport], LintSeverity.Error,
                    $"GridSample '{node.DisplayName}' needs opset 16 or later but the model imports opset {node.OpsetVersion}",
                    [node.DisplayName]));
            }
        }
    }

    private static void Incomplete(ShapeInferenceResult shapes, List<LintFinding> findings)
    {
        var nodes = shapes.Diagnostics
            .Where(d => d.Node is not null && d.Node.Graph == shapes.Graph && d.Severity != DiagnosticSeverity.Error &&
                        (d.Message.StartsWith("no shape rule", StringComparison.Ordinal) || d.Message.StartsWith("shape inference failed", StringComparison.Ordinal)))
            .Select(d => d.Node!)
            .Distinct()
            .ToList();
        if (nodes.Count > 0)
        {
            findings.Add(new LintFinding(IncompleteShapes, Names[IncompleteShapes], LintSeverity.Info,
                $"shapes could not be inferred for {nodes.Count} node{(nodes.Count > 1 ? "s" : string.Empty)} ({string.Join(", ", nodes.Select(n => n.OpType).Distinct().Take(6))}); downstream sizes, FLOPs and memory may be incomplete",
                [.. nodes.Select(n => n.DisplayName)]));
        }
    }
}
