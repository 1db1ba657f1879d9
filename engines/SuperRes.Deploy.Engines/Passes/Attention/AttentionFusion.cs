using System.Globalization;
using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Graph.Symbolic;
using static SuperRes.Deploy.Engines.Passes.PassHelpers;

namespace SuperRes.Deploy.Engines.Passes.Attention;

/// <summary>
/// Replaces each attention block the analysis finds (<see cref="AttentionReport"/>) by one FusedAttention node, when the
/// replacement is provably the same computation; otherwise leaves the block and says why. What is proven, per block:
/// every tensor is float32; the Softmax runs over the last axis (= Nk); every scale is one element and does not broadcast
/// the tensor it scales; every bias broadcasts into the scores without enlarging them; no intermediate (scores, scaled or
/// biased scores, probabilities, normalised Q/K…) is read by anything outside the block or is a graph output; Q, K and V
/// have the same rank (3 to 6 as the op receives them) and provably equal batch dims, K's d equals Q's, V's tokens equal
/// K's. Score chains that reshape the scores to split the leading axis (Swin's shifted-window mask: [B·nW, H, N, N] →
/// [B, nW, H, N, N] + mask → back) become a rank+1 op over Q/K/V reshaped the same way. F.normalize on both Q and K
/// (ReduceL2 → Clip(1e-12) → [Expand] → Div) is folded into <c>normalize_qk</c> when its epsilon is the plugin's.
/// Constant scales (1/√d, a learnable temperature) are multiplied into the <c>scale</c> attribute; a scale computed at
/// run time becomes the scale input.
/// </summary>
public static class AttentionFusion
{
    /// <summary>Fuses every fusable block of <paramref name="graph"/>. Returns one entry per candidate.</summary>
    public static IReadOnlyList<AttentionCandidate> Run(OnnxGraph graph, ShapeInferenceOptions? shapeOptions = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var shapes = ShapeInference.Run(graph, shapeOptions);
        var report = AttentionReport.Find(shapes);
        var results = new List<AttentionCandidate>();
        var fusedNodes = new List<string>();
        foreach (var miss in report.NearMisses)
        {
            results.Add(new AttentionCandidate
            {
                Softmax = miss.Softmax.DisplayName,
                Fused = false,
                Reasons = miss.Reasons.Count > 0 ? miss.Reasons : ["not an attention block"],
            });
        }

        foreach (var block in report.Blocks)
        {
            var planner = new Planner(shapes, block);
            var plan = planner.Build();
            if (plan is null)
            {
                results.Add(new AttentionCandidate
                {
                    Softmax = block.Softmax.DisplayName,
                    Fused = false,
                    Form = FormText(block.Form),
                    Reasons = planner.Reasons,
                });
                continue;
            }

            try
            {
                var node = Apply(graph, plan);
                fusedNodes.Add(node);
                results.Add(new AttentionCandidate
                {
                    Softmax = block.Softmax.DisplayName,
                    Fused = true,
                    FusedNode = node,
                    Form = FormText(block.Form),
                    Notes = plan.Notes,
                    InputLayout = FusedAttentionContract.Bhnd,
                    OutputLayout = FusedAttentionContract.Bhnd,
                    Rank = plan.OpRank,
                    NormalizeQk = plan.NormalizeQk,
                    Scale = plan.ScaleText,
                    Bias = plan.Biases.Count == 0 ? null : string.Join(" + ", plan.Biases.Select(b => b.Name)),
                    NodesReplaced = plan.Remove.Count,
                });
            }
            catch (GraphEditException e)
            {
                results.Add(new AttentionCandidate
                {
                    Softmax = block.Softmax.DisplayName,
                    Fused = false,
                    Form = FormText(block.Form),
                    Reasons = [e.Message],
                });
            }
        }

        if (fusedNodes.Count > 0)
        {
            if (graph.Model is { } model)
            {
                FusedAttentionContract.EnsureOpsetImport(model);
            }

            var folded = AttentionLayoutFolding.Run(graph, fusedNodes, shapeOptions);
            results = [.. results.Select(r => r.FusedNode is { } n && folded.TryGetValue(n, out var f)
                ? r with { InputLayout = f.InputLayout, OutputLayout = f.OutputLayout, Notes = [.. r.Notes, .. f.Notes] }
                : r)];
        }

        var order = shapes.Order.Select((n, i) => (n.DisplayName, i)).GroupBy(p => p.DisplayName).ToDictionary(g => g.Key, g => g.First().i);
        return [.. results.OrderBy(r => order.GetValueOrDefault(r.Softmax, int.MaxValue))];
    }

    private static string FormText(AttentionForm form) =>
        form == AttentionForm.ProbabilitiesTimesValue ? "softmax(QK^T)V" : "V softmax(QK^T)^T";

    private static string Apply(OnnxGraph graph, FusionPlan plan)
    {
        using var edit = graph.Edit();
        var block = plan.Block;
        var prefix = NamePrefix(block.Softmax);
        var rank = plan.Rank;

        var q = plan.Query;
        var k = plan.TransposeKey ? AddNode(edit, "Transpose", prefix + "FusedAttention_K_Transpose", [plan.Key], NodeAttributes.IntsAttribute("perm", SwapLastTwo(rank))) : plan.Key;
        var v = plan.TransposeValue ? AddNode(edit, "Transpose", prefix + "FusedAttention_V_Transpose", [plan.Value], NodeAttributes.IntsAttribute("perm", SwapLastTwo(rank))) : plan.Value;

        var valueView = v;
        if (plan.Split is { } split)
        {
            GraphValue? head = null;
            GraphValue ToSplit(GraphValue x, SymbolicShape viewShape, string role)
            {
                var tail = viewShape.Dims.Skip(1).Select(d => d?.AsConstant).ToArray();
                GraphValue target;
                if (split.TargetConstant is { } t5 && tail.All(d => d is not null))
                {
                    target = AddInt64s(edit, prefix + $"FusedAttention_{role}_split_shape", [rank + 1], [t5[0], t5[1], .. tail.Select(d => d!.Value)]);
                }
                else
                {
                    head ??= AddNode(edit, "Slice", prefix + "FusedAttention_split_head",
                        [split.Target, AddInt64s(edit, prefix + "FusedAttention_zero", [1], [0]), AddInt64s(edit, prefix + "FusedAttention_two", [1], [2]),
                         AddInt64s(edit, prefix + "FusedAttention_axis0", [1], [0])]);
                    var tailValue = tail.All(d => d is not null)
                        ? AddInt64s(edit, prefix + $"FusedAttention_{role}_tail", [rank - 1], [.. tail.Select(d => d!.Value)])
                        : ShapeSlice(edit, prefix + $"FusedAttention_{role}", x, 1, rank);
                    target = AddNode(edit, "Concat", prefix + $"FusedAttention_{role}_split_shape", [head, tailValue], NodeAttributes.IntAttribute("axis", 0));
                }

                return AddNode(edit, "Reshape", prefix + $"FusedAttention_{role}_Reshape", [x, target]);
            }

            var qView = plan.QueryShape;
            q = ToSplit(q, qView, "Q");
            k = ToSplit(k, plan.KeyView, "K");
            v = ToSplit(v, plan.ValueView, "V");
        }

        GraphValue? bias = null;
        foreach (var b in plan.Biases)
        {
            bias = bias is null ? b : AddNode(edit, "Add", prefix + "FusedAttention_bias_Add", [bias, b]);
        }

        GraphValue? scaleInput = null;
        if (plan.RuntimeScale is { } runtime)
        {
            scaleInput = plan.RuntimeScaleIsDivisor ? AddNode(edit, "Reciprocal", prefix + "FusedAttention_scale_Reciprocal", [runtime]) : runtime;
            if (plan.ConstantScale != 1)
            {
                scaleInput = AddNode(edit, "Mul", prefix + "FusedAttention_scale_Mul",
                    [scaleInput, AddFloats(edit, prefix + "FusedAttention_scale_factor", [], [(float)plan.ConstantScale])]);
            }
        }
        else if (plan.ScaleAsInput)
        {
            scaleInput = AddFloats(edit, prefix + "FusedAttention_scale", [1], [(float)plan.ConstantScale]);
        }

        var nodeName = edit.UniqueNodeName(prefix + "FusedAttention");
        var outputName = edit.UniqueValueName(nodeName + "_output_0");
        var inputs = new List<string?> { q.Name, k.Name, v.Name, bias?.Name, scaleInput?.Name };
        while (inputs.Count > 3 && inputs[^1] is null)
        {
            inputs.RemoveAt(inputs.Count - 1);
        }

        var attributes = FusedAttentionContract.Attributes(scaleInput is null ? plan.AttributeScale : 0f, plan.NormalizeQk, 0,
            FusedAttentionContract.Bhnd, FusedAttentionContract.Bhnd, bias is not null, scaleInput is not null);
        var fused = edit.AddNode(FusedAttentionContract.OpType, inputs, [outputName], nodeName, FusedAttentionContract.Domain, attributes);
        var output = fused.Outputs[0]!;

        if (plan.Split is not null)
        {
            var qDims = plan.QueryShape.Dims;
            var middle = qDims.Skip(1).Take(rank - 2).Select(d => d?.AsConstant).ToList();
            var dv = plan.ValueView[rank - 1]?.AsConstant;
            GraphValue target;
            if (middle.All(d => d is not null) && dv is not null)
            {
                target = AddInt64s(edit, prefix + "FusedAttention_merge_shape", [rank], [-1, .. middle.Select(d => d!.Value), dv.Value]);
            }
            else
            {
                target = AddNode(edit, "Concat", prefix + "FusedAttention_merge_shape",
                    [AddInt64s(edit, prefix + "FusedAttention_minus_one", [1], [-1]), ShapeSlice(edit, prefix + "FusedAttention_Q", plan.Query, 1, rank - 1),
                     ShapeSlice(edit, prefix + "FusedAttention_V", valueView, rank - 1, rank)],
                    NodeAttributes.IntAttribute("axis", 0));
            }

            output = AddNode(edit, "Reshape", prefix + "FusedAttention_merge_Reshape", [output, target]);
        }

        if (plan.TransposeOutput)
        {
            output = AddNode(edit, "Transpose", prefix + "FusedAttention_output_Transpose", [output], NodeAttributes.IntsAttribute("perm", SwapLastTwo(rank)));
        }

        edit.ReplaceAllUses(block.Output, output);
        edit.RemoveNodes(plan.Remove);
        edit.Commit();
        return nodeName;
    }

    /// <summary>Slice(Shape(x), [from], [to]): dims from..to-1 of x at run time.</summary>
    private static GraphValue ShapeSlice(GraphEditor edit, string hint, GraphValue x, int from, int to)
    {
        var shape = AddNode(edit, "Shape", hint + "_Shape", [x]);
        return AddNode(edit, "Slice", hint + "_Shape_Slice",
            [shape, AddInt64s(edit, hint + "_from", [1], [from]), AddInt64s(edit, hint + "_to", [1], [to]), AddInt64s(edit, hint + "_axis", [1], [0])]);
    }

    private static string NamePrefix(GraphNode softmax)
    {
        var name = softmax.Name;
        var slash = name.LastIndexOf('/');
        return slash >= 0 ? name[..(slash + 1)] : name.Length > 0 ? name + "_" : string.Empty;
    }

    /// <summary>How one block becomes one node: the checked pieces.</summary>
    private sealed class FusionPlan
    {
        public required AttentionBlock Block { get; init; }

        /// <summary>Q as the op receives it before any split reshape: [batch…, Nq, d].</summary>
        public required GraphValue Query { get; init; }

        /// <summary>K: [batch…, Nk, d], or Kᵀ [batch…, d, Nk] when <see cref="TransposeKey"/>.</summary>
        public required GraphValue Key { get; init; }

        /// <summary>V: [batch…, Nk, dv], or [batch…, dv, Nk] when <see cref="TransposeValue"/>.</summary>
        public required GraphValue Value { get; init; }

        public required SymbolicShape QueryShape { get; init; }

        public required SymbolicShape KeyView { get; init; }

        public required SymbolicShape ValueView { get; init; }

        public bool TransposeKey { get; init; }

        public bool TransposeValue { get; init; }

        public bool TransposeOutput { get; init; }

        public bool NormalizeQk { get; init; }

        public required int Rank { get; init; }

        public int OpRank => Split is null ? Rank : Rank + 1;

        public float AttributeScale { get; init; }

        public double ConstantScale { get; init; } = 1;

        public bool ScaleAsInput { get; init; }

        public GraphValue? RuntimeScale { get; init; }

        public bool RuntimeScaleIsDivisor { get; init; }

        public required string ScaleText { get; init; }

        public required IReadOnlyList<GraphValue> Biases { get; init; }

        public SplitInfo? Split { get; init; }

        public required HashSet<GraphNode> Remove { get; init; }

        public required IReadOnlyList<string> Notes { get; init; }
    }

    /// <summary>The score chain reshapes [B', …] to [a, X, …] (splitting the leading axis) and back around a bias.</summary>
    private sealed record SplitInfo(GraphNode SplitReshape, GraphNode MergeReshape, GraphValue Target, long[]? TargetConstant, SymbolicShape SplitShape);

    /// <summary>Checks one block and builds its plan; on failure <see cref="Reasons"/> says why.</summary>
    private sealed class Planner
    {
        private readonly ShapeInferenceResult _shapes;
        private readonly AttentionBlock _block;
        private readonly List<string> _notes = [];

        public Planner(ShapeInferenceResult shapes, AttentionBlock block)
        {
            _shapes = shapes;
            _block = block;
        }

        public List<string> Reasons { get; } = [];

        private SymbolicShape? ShapeOf(GraphValue v) => _shapes[v].Shape;

        public FusionPlan? Build()
        {
            var b = _block;
            var remove = new HashSet<GraphNode> { b.ScoresMatMul, b.Softmax, b.OutputMatMul };
            remove.UnionWith(b.ScoreChain);
            if (b.KeyTranspose is not null)
            {
                remove.Add(b.KeyTranspose);
            }

            if (b.ProbabilitiesTranspose is not null)
            {
                remove.Add(b.ProbabilitiesTranspose);
            }

            // Softmax: the last axis, with opset-13 semantics (before 13 it flattens from its axis; the last axis is the same).
            var scoresShape = ShapeOf(b.Softmax.Input(0)!);
            if (scoresShape is null)
            {
                Reasons.Add("the scores' shape is unknown, so the softmax axis cannot be checked");
                return null;
            }

            var axis = b.Softmax.Attributes.GetInt("axis", b.Softmax.OpsetVersion >= 13 ? -1 : 1);
            if ((axis < 0 ? axis + scoresShape.Rank : axis) != scoresShape.Rank - 1)
            {
                Reasons.Add($"softmax is over axis {axis}, not the last axis of rank {scoresShape.Rank}");
            }

            // Q side: [scale] over [normalisation].
            var qScale = b.Scales.FirstOrDefault(s => s.Location == AttentionScaleLocation.Query);
            var qCore = qScale?.Node is { } qsn ? DataInput(qsn, qScale.Value!) : b.Query;
            if (qCore is null)
            {
                Reasons.Add("the scale on Q does not read Q");
                return null;
            }

            foreach (var s in b.Scales.Where(s => s.Node is not null))
            {
                remove.Add(s.Node!);
            }

            // Normalisation: folded only when Q and K are both L2-normalised over d with the plugin's epsilon.
            var query = qCore;
            var key = b.Key;
            var normalize = false;
            var qn = b.QueryNormalization;
            var kn = b.KeyNormalization;
            if (qn is not null || kn is not null)
            {
                var why = qn is null ? "only K is normalised" : kn is null ? "only Q is normalised"
                    : b.KeyTranspose is null ? "K arrives transposed, so its normalisation runs over the tokens"
                    : qn.Output != qCore || kn.Output != b.Key ? "the normalisation is not next to the scores MatMul"
                    : EpsilonProblem(qn) ?? EpsilonProblem(kn);
                if (why is null)
                {
                    normalize = true;
                    query = qn!.Input;
                    key = kn!.Input;
                    remove.UnionWith(qn.Nodes);
                    remove.UnionWith(kn.Nodes);
                    _notes.Add("L2 normalisation of Q and K folded into normalize_qk");
                }
                else
                {
                    _notes.Add($"L2 normalisation kept outside the op: {why}");
                }
            }

            var transposeKey = b.KeyTranspose is null;
            var transposeValue = b.Form == AttentionForm.ValueTimesProbabilitiesTransposed;
            var value = b.Value;

            // Types: float32 everywhere the op reads or writes.
            foreach (var (what, v) in new[] { ("Q", query), ("K", key), ("V", value), ("scores", b.Scores), ("output", b.Output) })
            {
                var type = _shapes[v].ElementType;
                if (type != ElementTypes.Float32Type)
                {
                    Reasons.Add($"{what} '{v.Name}' is {ElementTypes.Name(type)}, not float32");
                }
            }

            // Shapes: same rank, equal batch dims, d and Nk agree.
            var qs = ShapeOf(query);
            var ks = ShapeOf(key);
            var vs = ShapeOf(value);
            if (qs is null || ks is null || vs is null)
            {
                Reasons.Add("the shapes of Q, K or V are unknown");
                return null;
            }

            var rank = qs.Rank;
            if (ks.Rank != rank || vs.Rank != rank)
            {
                Reasons.Add($"Q, K and V have ranks {qs.Rank}, {ks.Rank}, {vs.Rank} (the op needs one rank, no broadcasting)");
                return null;
            }

            if (rank < 3)
            {
                Reasons.Add($"rank {rank}: the op's layouts need a batch axis (rank 3 to 6)");
                return null;
            }

            var kView = transposeKey ? Swap(ks) : ks;
            var vView = transposeValue ? Swap(vs) : vs;
            for (var i = 0; i < rank - 2; i++)
            {
                if (!Same(qs[i], kView[i]) || !Same(qs[i], vView[i]))
                {
                    Reasons.Add($"batch axis {i} of Q {qs}, K {kView} and V {vView} cannot be proven equal (MatMul broadcasting is not fused)");
                    return null;
                }
            }

            if (!Same(qs[rank - 1], kView[rank - 1]))
            {
                Reasons.Add($"K's d ({kView[rank - 1]}) cannot be proven equal to Q's ({qs[rank - 1]})");
            }

            if (!Same(kView[rank - 2], vView[rank - 2]))
            {
                Reasons.Add($"V's tokens ({vView[rank - 2]}) cannot be proven equal to K's ({kView[rank - 2]})");
            }

            var scores = ShapeOf(b.Scores);
            if (scores is null || scores.Rank != rank || !Same(scores[rank - 2], qs[rank - 2]) || !Same(scores[rank - 1], kView[rank - 2])
                || Enumerable.Range(0, rank - 2).Any(i => !Same(scores[i], qs[i])))
            {
                Reasons.Add($"the scores {scores?.ToString() ?? "?"} are not [batch…, Nq, Nk] of Q {qs} and K {kView}");
            }

            // Score chain: scales, biases, no-op casts, and at most one split/merge reshape pair.
            var biases = new List<(GraphValue Value, int Space)>();
            SplitInfo? split = null;
            var space = 0;
            var current = b.Scores;
            foreach (var node in b.ScoreChain)
            {
                var data = node.Inputs.FirstOrDefault(i => i == current);
                if (data is null)
                {
                    Reasons.Add($"{OpLabel(node)} in the score chain does not read the scores");
                    return null;
                }

                var inShape = ShapeOf(current);
                var outValue = node.Output(0)!;
                var outShape = ShapeOf(outValue);
                switch (node.OpType)
                {
                    case "Mul" or "Div":
                        if (!SameShape(inShape, outShape))
                        {
                            Reasons.Add($"the scale {OpLabel(node)} changes the scores' shape ({inShape} → {outShape})");
                        }

                        break;
                    case "Add":
                        var bias = node.Input(0) == current ? node.Input(1)! : node.Input(0)!;
                        if (!SameShape(inShape, outShape) || !BroadcastsInto(ShapeOf(bias), inShape))
                        {
                            Reasons.Add($"the bias '{bias.Name}' {ShapeOf(bias)?.ToString() ?? "[?]"} does not broadcast into the scores {inShape?.ToString() ?? "[?]"} without enlarging them");
                        }

                        if (_shapes[bias].ElementType != ElementTypes.Float32Type)
                        {
                            Reasons.Add($"the bias '{bias.Name}' is {ElementTypes.Name(_shapes[bias].ElementType)}, not float32");
                        }

                        biases.Add((bias, space));
                        break;
                    case "Cast":
                        if (_shapes[outValue].ElementType != ElementTypes.Float32Type || _shapes[current].ElementType != ElementTypes.Float32Type)
                        {
                            Reasons.Add($"{OpLabel(node)} in the score chain changes the element type");
                        }

                        break;
                    case "Reshape" when SameShape(inShape, outShape):
                        break;
                    case "Reshape" when space == 0 && split is null && inShape is not null && outShape is not null
                                                && outShape.Rank == inShape.Rank + 1 && SplitsLeadingAxis(inShape, outShape):
                        split = new SplitInfo(node, node, node.Input(1)!, ConstantInts(_shapes, node.Input(1)), outShape);
                        space = 1;
                        break;
                    case "Reshape" when space == 1 && SameShape(outShape, scores):
                        split = split! with { MergeReshape = node };
                        space = 2;
                        break;
                    case "Reshape":
                        Reasons.Add($"{OpLabel(node)} reshapes the scores {inShape?.ToString() ?? "[?]"} → {outShape?.ToString() ?? "[?]"}, which is not a split of the leading axis undone before the softmax");
                        return null;
                    default:
                        Reasons.Add($"{OpLabel(node)} in the score chain is not a scale, bias or reshape");
                        return null;
                }

                current = outValue;
            }

            if (space == 1)
            {
                Reasons.Add("the scores are reshaped before the softmax and not back");
                return null;
            }

            if (split is not null && rank + 1 > 6)
            {
                Reasons.Add($"the split scores have rank {rank + 1}; the op supports up to 6");
            }

            // Biases of the unsplit space must lift into the split one: their leading dim (if any) must be 1.
            if (split is not null)
            {
                foreach (var (bias, s) in biases.Where(x => x.Space != 1))
                {
                    var bs = ShapeOf(bias);
                    if (bs is not null && bs.Rank == rank && !IsOne(bs[0]))
                    {
                        Reasons.Add($"the bias '{bias.Name}' {bs} varies along the leading axis that the mask splits");
                    }
                }
            }

            // Scale: every factor one element; constants multiply into the attribute, at most one run-time factor.
            double constant = 1;
            GraphValue? runtime = null;
            var runtimeDivisor = false;
            var scaleParts = new List<string>();
            foreach (var s in b.Scales)
            {
                if (s.Value is null || s.Node is null)
                {
                    continue;
                }

                var count = ElementCount(ShapeOf(s.Value));
                if (count != 1)
                {
                    Reasons.Add($"the scale '{s.Value.Name}' has {count?.ToString(CultureInfo.InvariantCulture) ?? "an unknown number of"} elements, not one (per-head or per-token scales are not fused)");
                    continue;
                }

                if (s.Location != AttentionScaleLocation.Scores)
                {
                    var data = DataInput(s.Node, s.Value);
                    if (data is null || !SameShape(ShapeOf(data), ShapeOf(s.Node.Output(0)!)))
                    {
                        Reasons.Add($"the scale {OpLabel(s.Node)} changes the shape of {(s.Location == AttentionScaleLocation.Query ? "Q" : "K")}");
                    }
                }

                if (_shapes[s.Value].ElementType != ElementTypes.Float32Type)
                {
                    Reasons.Add($"the scale '{s.Value.Name}' is {ElementTypes.Name(_shapes[s.Value].ElementType)}, not float32");
                }

                if (s.Kind == AttentionScaleKind.Computed || s.Values.Count != 1)
                {
                    if (runtime is not null)
                    {
                        Reasons.Add("more than one scale is computed at run time");
                    }

                    runtime = s.Value;
                    runtimeDivisor = s.IsDivision;
                    scaleParts.Add($"{(s.IsDivision ? "1/" : string.Empty)}'{s.Value.Name}'");
                    continue;
                }

                var number = s.Values[0];
                if (s.IsDivision && number == 0)
                {
                    Reasons.Add($"the scale {OpLabel(s.Node)} divides by zero");
                    continue;
                }

                constant *= s.IsDivision ? 1 / number : number;
                scaleParts.Add(s.Describe());
            }

            if (!double.IsFinite(constant))
            {
                Reasons.Add($"the combined constant scale {constant} is not finite");
            }

            // Nothing outside the block may read what the block removes.
            foreach (var node in remove)
            {
                foreach (var output in node.Outputs)
                {
                    if (output is null || output == b.Output)
                    {
                        continue;
                    }

                    if (output.IsGraphOutput)
                    {
                        Reasons.Add($"the intermediate '{output.Name}' ({OpLabel(node)}) is a graph output");
                    }

                    foreach (var reader in Readers(output).Where(r => !remove.Contains(r)))
                    {
                        Reasons.Add($"the intermediate '{output.Name}' ({OpLabel(node)}) is also read by {OpLabel(reader)}");
                    }
                }
            }

            foreach (var external in new[] { query, key, value }.Concat(biases.Select(x => x.Value)).Append(runtime))
            {
                if (external?.Producer is { } p && remove.Contains(p))
                {
                    Reasons.Add($"'{external.Name}' is computed inside the block");
                }
            }

            if (Reasons.Count > 0)
            {
                return null;
            }

            var attributeScale = (float)constant;
            var scaleAsInput = runtime is null && attributeScale == 0;
            var scaleText = runtime is not null
                ? $"input {string.Join(" × ", scaleParts)}"
                : scaleAsInput ? "input (constant 0)"
                : $"attribute {attributeScale.ToString("G9", CultureInfo.InvariantCulture)}{(scaleParts.Count > 0 ? " (" + string.Join(" × ", scaleParts) + ")" : " (no scaling)")}";
            if (split is not null)
            {
                _notes.Add($"the score reshape to {split.SplitShape} (leading axis split for the bias) became a rank-{rank + 1} op");
            }

            if (transposeKey)
            {
                _notes.Add("K arrives as Kᵀ: a Transpose makes [batch…, Nk, d]");
            }

            if (transposeValue)
            {
                _notes.Add("V·softmaxᵀ form: V and the output are transposed around the op");
            }

            return new FusionPlan
            {
                Block = b,
                Query = query,
                Key = key,
                Value = value,
                QueryShape = qs,
                KeyView = kView,
                ValueView = vView,
                TransposeKey = transposeKey,
                TransposeValue = transposeValue,
                TransposeOutput = transposeValue,
                NormalizeQk = normalize,
                Rank = rank,
                AttributeScale = attributeScale,
                ConstantScale = constant,
                ScaleAsInput = scaleAsInput,
                RuntimeScale = runtime,
                RuntimeScaleIsDivisor = runtimeDivisor,
                ScaleText = scaleText,
                Biases = [.. biases.Select(x => x.Value)],
                Split = split,
                Remove = remove,
                Notes = _notes,
            };
        }

        /// <summary>The data operand of a scale node (the one that is not the scale value).</summary>
        private static GraphValue? DataInput(GraphNode node, GraphValue scale) =>
            node.Is("Div") ? node.Input(0) : node.Input(0) == scale ? node.Input(1) : node.Input(0);

        private static SymbolicShape Swap(SymbolicShape s)
        {
            var dims = s.Dims.ToArray();
            (dims[^1], dims[^2]) = (dims[^2], dims[^1]);
            return new SymbolicShape(dims);
        }

        /// <summary>out = [a, X, in[1..]]: only the leading axis is split.</summary>
        private static bool SplitsLeadingAxis(SymbolicShape input, SymbolicShape output)
        {
            for (var i = 1; i < input.Rank; i++)
            {
                if (!Same(input[i], output[i + 1]))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// Null when the normalisation is x / max(ReduceL2(x, last, keepdims), ε) with ε = 1e-12 (float32), through an
        /// optional Expand; else why it is not the plugin's.
        /// </summary>
        private string? EpsilonProblem(AttentionNormalization norm)
        {
            if (norm.Nodes.Count == 1 && norm.Nodes[0].Is("LpNormalization"))
            {
                return "LpNormalization has no epsilon (x / ‖x‖), the plugin uses max(‖x‖, 1e-12)";
            }

            var div = norm.Nodes[0];
            if (!div.Is("Div"))
            {
                return "not a division by the norm";
            }

            double? epsilon = null;
            var v = div.Input(1);
            for (var step = 0; step < 6 && v is not null; step++)
            {
                var p = v.Producer;
                if (p is null)
                {
                    return "the norm is not computed in the graph";
                }

                switch (p.OpType)
                {
                    case "Expand" when SameShape(ShapeOf(p.Output(0)!), ShapeOf(norm.Input)):
                        v = p.Input(0);
                        continue;
                    case "Clip":
                        var min = p.OpsetVersion >= 11 ? ConstantNumbers(p.Input(1))?.SingleOrDefault() : p.Attributes.Has("min") ? p.Attributes.GetFloat("min", 0) : null;
                        var hasMax = p.OpsetVersion >= 11 ? p.Input(2) is not null : p.Attributes.Has("max");
                        if (min is null || hasMax || epsilon is not null)
                        {
                            return "the norm is clipped other than max(‖x‖, ε)";
                        }

                        epsilon = min;
                        v = p.Input(0);
                        continue;
                    case "Max" when p.Inputs.Count == 2:
                        var side = ConstantNumbers(p.Input(1)) is { Length: 1 } ? 1 : ConstantNumbers(p.Input(0)) is { Length: 1 } ? 0 : -1;
                        if (side < 0 || epsilon is not null)
                        {
                            return "the norm is bounded other than max(‖x‖, ε)";
                        }

                        epsilon = ConstantNumbers(p.Input(side))![0];
                        v = p.Input(1 - side);
                        continue;
                    case "ReduceL2" when p.Input(0) == norm.Input:
                    case "Sqrt" when p.Input(0)?.Producer is { } rss && rss.Is("ReduceSumSquare") && rss.Input(0) == norm.Input:
                        var reduce = p.Is("ReduceL2") ? p : p.Input(0)!.Producer!;
                        if (reduce.Attributes.GetInt("keepdims", 1) != 1)
                        {
                            return "the norm does not keep its axis";
                        }

                        if (epsilon is null)
                        {
                            return "no epsilon (x / ‖x‖); the plugin uses max(‖x‖, 1e-12)";
                        }

                        return Math.Abs(epsilon.Value - FusedAttentionContract.NormalizeEpsilon) <= 1e-18
                            ? null
                            : $"epsilon {epsilon.Value.ToString("G6", CultureInfo.InvariantCulture)} differs from the plugin's 1e-12";
                    default:
                        return $"{OpLabel(p)} between the norm and the division";
                }
            }

            return "the norm is not ReduceL2 of the same tensor";
        }
    }
}
