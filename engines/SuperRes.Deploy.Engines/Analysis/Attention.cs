using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Analysis;

/// <summary>Which operand order the second MatMul uses.</summary>
public enum AttentionForm
{
    /// <summary>softmax(S) · V with V (…, Nk, dv): the usual form.</summary>
    ProbabilitiesTimesValue,

    /// <summary>V · softmax(S)ᵀ with V (…, dv, Nk): SHViT's <c>v @ attn.transpose(-2, -1)</c>.</summary>
    ValueTimesProbabilitiesTransposed,
}

/// <summary>What the attention scale is.</summary>
public enum AttentionScaleKind
{
    /// <summary>No scaling of the scores.</summary>
    None,

    /// <summary>A constant equal to 1/√d (d = head dim).</summary>
    InverseSqrtHeadDim,

    /// <summary>Another constant (e.g. ESRT's 1/6 = 1/√36 with d = 18).</summary>
    Constant,

    /// <summary>A learnable parameter (an initializer, e.g. DITN's "temperature").</summary>
    LearnedParameter,

    /// <summary>A value computed at run time.</summary>
    Computed,
}

/// <summary>Where the scale is applied.</summary>
public enum AttentionScaleLocation
{
    None,
    Scores,
    Query,
    Key,
}

/// <summary>One scaling Mul/Div of an attention block.</summary>
public sealed record AttentionScale(AttentionScaleKind Kind, AttentionScaleLocation Location, GraphNode? Node, GraphValue? Value, bool IsDivision, IReadOnlyList<double> Values)
{
    public static AttentionScale None { get; } = new(AttentionScaleKind.None, AttentionScaleLocation.None, null, null, false, []);

    /// <summary>The multiplier it applies when it is one known number (1/value for a Div).</summary>
    public double? Effective => Values.Count == 1 ? (IsDivision ? 1 / Values[0] : Values[0]) : null;

    public string Describe()
    {
        if (Kind == AttentionScaleKind.None)
        {
            return "none";
        }

        var c = System.Globalization.CultureInfo.InvariantCulture;
        var where = Location switch
        {
            AttentionScaleLocation.Query => " on Q",
            AttentionScaleLocation.Key => " on K",
            _ => " on the scores",
        };
        var number = Effective is { } e ? e.ToString("0.######", c) : Values.Count > 1 ? $"{Values.Count} values" : "?";
        var root = Effective is { } r && r > 0 && Math.Abs((1 / (r * r)) - Math.Round(1 / (r * r))) < 1e-3 * (1 / (r * r))
            ? $" = 1/√{Math.Round(1 / (r * r)).ToString(c)}"
            : string.Empty;
        return Kind switch
        {
            AttentionScaleKind.InverseSqrtHeadDim => $"1/√d = {number}{where}",
            AttentionScaleKind.Constant => $"constant {number}{root}{where}",
            AttentionScaleKind.LearnedParameter => $"learnable '{Value?.Name}' = {number}{where}",
            _ => $"computed '{Value?.Name}'{where}",
        };
    }
}

/// <summary>A term added to the scores before the softmax (relative-position bias, mask).</summary>
public sealed record AttentionBias(GraphNode AddNode, GraphValue Value, bool IsConstant);

/// <summary>A normalisation of Q or K along the feature axis (F.normalize exports as ReduceL2 → Clip → Expand → Div).</summary>
public sealed record AttentionNormalization(string Kind, GraphValue Input, GraphValue Output, IReadOnlyList<GraphNode> Nodes);

/// <summary>
/// One attention block: MatMul(Q, Kᵀ) → [scale] → [bias Add] → Softmax(last axis) → MatMul with V, with the nodes and
/// values in their roles, the shapes (symbolic), and what is scaled and normalised. "Tokens" are the softmax axis
/// (<see cref="KeyTokens"/>) and the score rows (<see cref="QueryTokens"/>); <see cref="HeadDim"/> is the contracted axis
/// of Q·Kᵀ, whatever the model means by them (DITN's channel attention has 60 channel "tokens" and d = 64 pixels).
/// </summary>
public sealed class AttentionBlock
{
    internal AttentionBlock() { }

    public required GraphNode ScoresMatMul { get; init; }

    public required GraphNode Softmax { get; init; }

    public required GraphNode OutputMatMul { get; init; }

    public required AttentionForm Form { get; init; }

    /// <summary>The value multiplied as the left operand of Q·Kᵀ (after any scaling on Q: see <see cref="Scales"/>).</summary>
    public required GraphValue Query { get; init; }

    /// <summary>K as (…, Nk, d) when a Transpose makes Kᵀ (<see cref="KeyTranspose"/>), else the right operand itself (…, d, Nk).</summary>
    public required GraphValue Key { get; init; }

    /// <summary>The Transpose turning K into Kᵀ; null when the right operand of Q·Kᵀ is already Kᵀ.</summary>
    public GraphNode? KeyTranspose { get; init; }

    /// <summary>V: (…, Nk, dv) for <see cref="AttentionForm.ProbabilitiesTimesValue"/>, (…, dv, Nk) for the transposed form.</summary>
    public required GraphValue Value { get; init; }

    /// <summary>The Transpose of the probabilities in the V·Pᵀ form.</summary>
    public GraphNode? ProbabilitiesTranspose { get; init; }

    public required GraphValue Scores { get; init; }

    public required GraphValue Probabilities { get; init; }

    public required GraphValue Output { get; init; }

    /// <summary>Scaling applied (usually one; on the scores, Q or K).</summary>
    public required IReadOnlyList<AttentionScale> Scales { get; init; }

    public required IReadOnlyList<AttentionBias> Biases { get; init; }

    /// <summary>Nodes between the scores MatMul and the Softmax (scale, bias adds, reshapes), in data-flow order.</summary>
    public required IReadOnlyList<GraphNode> ScoreChain { get; init; }

    public AttentionNormalization? QueryNormalization { get; init; }

    public AttentionNormalization? KeyNormalization { get; init; }

    public SymbolicShape? QueryShape { get; init; }

    public SymbolicShape? KeyShape { get; init; }

    public SymbolicShape? ValueShape { get; init; }

    public SymbolicShape? ScoresShape { get; init; }

    public SymbolicShape? OutputShape { get; init; }

    /// <summary>Heads: the axis after the batch for 4-D and higher scores; 1 for 3-D scores.</summary>
    public DimExpr? Heads { get; init; }

    /// <summary>Score rows (Nq).</summary>
    public DimExpr? QueryTokens { get; init; }

    /// <summary>The softmax axis (Nk).</summary>
    public DimExpr? KeyTokens { get; init; }

    /// <summary>The axis contracted by Q·Kᵀ (d).</summary>
    public DimExpr? HeadDim { get; init; }

    /// <summary>V's feature axis (dv).</summary>
    public DimExpr? ValueDim { get; init; }

    /// <summary>The leading axes of the scores (batch, heads, segments…).</summary>
    public IReadOnlyList<DimExpr?> BatchDims => ScoresShape is { Rank: >= 2 } s ? [.. s.Dims.Take(s.Rank - 2)] : [];

    public bool HasBias => Biases.Count > 0;

    public bool IsQueryL2Normalized => QueryNormalization?.Kind == "L2";

    public bool IsKeyL2Normalized => KeyNormalization?.Kind == "L2";

    /// <summary>The combined scale kind (the first non-trivial scale's kind).</summary>
    public AttentionScaleKind ScaleKind => Scales.Count == 0 ? AttentionScaleKind.None : Scales[0].Kind;

    /// <summary>Every node of the block (core chain, transposes, scaling on Q/K, normalisations), in graph order.</summary>
    public required IReadOnlyList<GraphNode> Nodes { get; init; }
}

/// <summary>A Softmax next to MatMuls that is not a fusable attention block, with why.</summary>
public sealed record AttentionNearMiss(GraphNode Softmax, IReadOnlyList<GraphNode> Nodes, IReadOnlyList<string> Reasons);

/// <summary>Every attention block of a graph and the near misses.</summary>
public sealed class AttentionReport
{
    private AttentionReport(IReadOnlyList<AttentionBlock> blocks, IReadOnlyList<AttentionNearMiss> nearMisses)
    {
        Blocks = blocks;
        NearMisses = nearMisses;
    }

    public IReadOnlyList<AttentionBlock> Blocks { get; }

    public IReadOnlyList<AttentionNearMiss> NearMisses { get; }

    /// <summary>Finds attention blocks around every Softmax of the main graph.</summary>
    public static AttentionReport Find(ShapeInferenceResult shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        var finder = new AttentionFinder(shapes);
        var blocks = new List<AttentionBlock>();
        var misses = new List<AttentionNearMiss>();
        foreach (var softmax in shapes.Order.Where(n => n.Is("Softmax")))
        {
            switch (finder.Match(softmax))
            {
                case AttentionBlock b:
                    blocks.Add(b);
                    break;
                case AttentionNearMiss m:
                    misses.Add(m);
                    break;
            }
        }

        return new AttentionReport(blocks, misses);
    }
}

internal sealed class AttentionFinder
{
    private readonly ShapeInferenceResult _shapes;
    private readonly OnnxGraph _graph;

    public AttentionFinder(ShapeInferenceResult shapes)
    {
        _shapes = shapes;
        _graph = shapes.Graph;
    }

    public object? Match(GraphNode softmax)
    {
        var reasons = new List<string>();
        var nodes = new List<GraphNode> { softmax };
        var scoresIn = softmax.Input(0);
        if (scoresIn is null)
        {
            return null;
        }

        // Backwards: Softmax ← [Reshape | Cast | Add(bias) | Mul/Div(scale)]* ← MatMul(Q, Kᵀ).
        var chain = new List<GraphNode>();
        var scales = new List<AttentionScale>();
        var biases = new List<AttentionBias>();
        GraphNode? scoresMatMul = null;
        var v = scoresIn;
        for (var step = 0; step < 12; step++)
        {
            var p = Producer(v);
            if (p is null)
            {
                break;
            }

            if (p.Is("MatMul"))
            {
                scoresMatMul = p;
                break;
            }

            GraphValue? next = null;
            if ((p.Is("Mul") || p.Is("Div")) && ScaleOperand(p) is { } scaleSide)
            {
                next = p.Input(1 - scaleSide);
                scales.Add(MakeScale(p, scaleSide, AttentionScaleLocation.Scores));
            }
            else if (p.Is("Add"))
            {
                var side = ReachesMatMul(p.Input(0)) ? 0 : ReachesMatMul(p.Input(1)) ? 1 : -1;
                if (side >= 0 && p.Input(1 - side) is { } bias)
                {
                    next = p.Input(side);
                    biases.Add(new AttentionBias(p, bias, bias.IsConstant || _shapes[bias].Value is not null && !_shapes[bias].DependsOnData));
                }
            }
            else if (p.Is("Reshape") || p.Is("Cast"))
            {
                next = p.Input(0);
            }

            if (next is null)
            {
                break;
            }

            chain.Insert(0, p);
            v = next;
        }

        nodes.AddRange(chain);
        foreach (var link in chain.Prepend(scoresMatMul).Where(n => n is not null))
        {
            var output = link!.Output(0)!;
            var readers = MainUses(output);
            if (readers.Count > 1 || output.IsGraphOutput)
            {
                reasons.Add($"the scores '{output.Name}' have another consumer ({Names(readers.Where(r => !chain.Contains(r) && r != softmax))})");
            }
        }

        // Forwards: Softmax → [Cast] → MatMul(P, V), or → Transpose(last two) → MatMul(V, Pᵀ).
        var probabilities = softmax.Output(0)!;
        var uses = MainUses(probabilities);
        if (uses.Count > 1 || probabilities.IsGraphOutput)
        {
            reasons.Add($"the softmax output has another consumer ({Names(uses)})");
        }

        GraphNode? outputMatMul = null;
        GraphNode? probabilitiesTranspose = null;
        var form = AttentionForm.ProbabilitiesTimesValue;
        GraphValue? value = null;
        foreach (var consumer in uses)
        {
            if (consumer.Is("MatMul") && consumer.Input(0) == probabilities)
            {
                outputMatMul = consumer;
                value = consumer.Input(1);
                break;
            }

            if (consumer.Is("Transpose") && SwapsLastTwo(consumer) && consumer.Output(0) is { } transposed &&
                MainUses(transposed) is [{ } m] && m.Is("MatMul") && m.Input(1) == transposed)
            {
                outputMatMul = m;
                probabilitiesTranspose = consumer;
                value = m.Input(0);
                form = AttentionForm.ValueTimesProbabilitiesTransposed;
                break;
            }

            if (consumer.Is("MatMul") && consumer.Input(1) == probabilities)
            {
                reasons.Add($"the probabilities are the right operand of '{consumer.DisplayName}' without a transpose (weights would sum over the wrong axis)");
            }
        }

        if (scoresMatMul is null && outputMatMul is null)
        {
            return null;
        }

        if (scoresMatMul is null)
        {
            reasons.Add("no MatMul produces the scores (through scale, bias, reshape)");
        }

        if (outputMatMul is null)
        {
            reasons.Add("no MatMul consumes the probabilities");
        }

        var scoresShape = _shapes[scoresIn].Shape;
        var rank = scoresShape?.Rank;
        var axis = softmax.Attributes.GetInt("axis", softmax.OpsetVersion >= 13 ? -1 : 1);
        var lastAxis = axis == -1 || (rank is { } r && (axis < 0 ? axis + r : axis) == r - 1);
        if (!lastAxis)
        {
            reasons.Add(rank is null ? $"softmax axis {axis} cannot be checked (the scores' rank is unknown)" : $"softmax is over axis {axis}, not the last axis");
        }
        else if (softmax.OpsetVersion < 13 && rank is { } rk && axis != rk - 1 && axis != -1)
        {
            reasons.Add("softmax (opset < 13) flattens from its axis, which is not the last");
        }

        if (scoresMatMul is not null)
        {
            nodes.Insert(0, scoresMatMul);
        }

        if (probabilitiesTranspose is not null)
        {
            nodes.Add(probabilitiesTranspose);
        }

        if (outputMatMul is not null)
        {
            nodes.Add(outputMatMul);
        }

        if (reasons.Count > 0 || scoresMatMul is null || outputMatMul is null || value is null)
        {
            return new AttentionNearMiss(softmax, Ordered(nodes), reasons);
        }

        // Q side: an optional scalar Mul/Div (pre-scaled Q), then an optional L2 normalisation.
        var query = scoresMatMul.Input(0)!;
        var queryCore = query;
        if (Producer(query) is { } qp && (qp.Is("Mul") || qp.Is("Div")) && ScaleOperand(qp) is { } qs && MainUses(query).Count == 1)
        {
            scales.Add(MakeScale(qp, qs, AttentionScaleLocation.Query));
            nodes.Add(qp);
            queryCore = qp.Input(1 - qs)!;
        }

        // K side: Kᵀ comes from Transpose(K) (possibly with a scalar Mul/Div before or after), or arrives transposed.
        var keyOperand = scoresMatMul.Input(1)!;
        GraphNode? keyTranspose = null;
        var key = keyOperand;
        for (var step = 0; step < 2; step++)
        {
            var kp = Producer(key);
            if (kp is null || MainUses(key).Count != 1)
            {
                break;
            }

            if (keyTranspose is null && kp.Is("Transpose") && SwapsLastTwo(kp))
            {
                keyTranspose = kp;
                nodes.Add(kp);
                key = kp.Input(0)!;
            }
            else if ((kp.Is("Mul") || kp.Is("Div")) && ScaleOperand(kp) is { } ks)
            {
                scales.Add(MakeScale(kp, ks, AttentionScaleLocation.Key));
                nodes.Add(kp);
                key = kp.Input(1 - ks)!;
            }
            else
            {
                break;
            }
        }

        var queryNorm = Normalization(queryCore);
        var keyNorm = Normalization(key);
        if (queryNorm is not null)
        {
            nodes.AddRange(queryNorm.Nodes);
        }

        if (keyNorm is not null)
        {
            nodes.AddRange(keyNorm.Nodes);
        }

        var qShape = _shapes[query].Shape;
        var kShape = _shapes[key].Shape;
        var vShape = _shapes[value].Shape;
        var sShape = _shapes[scoresMatMul.Output(0)!].Shape;
        var headDim = qShape is { Rank: >= 1 } ? qShape[qShape.Rank - 1] : null;
        var valueDim = vShape is { Rank: >= 2 } ? (form == AttentionForm.ProbabilitiesTimesValue ? vShape[vShape.Rank - 1] : vShape[vShape.Rank - 2]) : null;
        var finalScales = scales.Select(s => Classify(s, headDim)).ToList();
        return new AttentionBlock
        {
            ScoresMatMul = scoresMatMul,
            Softmax = softmax,
            OutputMatMul = outputMatMul,
            Form = form,
            Query = query,
            Key = key,
            KeyTranspose = keyTranspose,
            Value = value,
            ProbabilitiesTranspose = probabilitiesTranspose,
            Scores = scoresMatMul.Output(0)!,
            Probabilities = probabilities,
            Output = outputMatMul.Output(0)!,
            Scales = finalScales,
            Biases = biases,
            ScoreChain = chain,
            QueryNormalization = queryNorm,
            KeyNormalization = keyNorm,
            QueryShape = qShape,
            KeyShape = kShape,
            ValueShape = vShape,
            ScoresShape = sShape,
            OutputShape = _shapes[outputMatMul.Output(0)!].Shape,
            Heads = sShape is null ? null : sShape.Rank >= 4 ? sShape[1] : DimExpr.One,
            QueryTokens = sShape is { Rank: >= 2 } ? sShape[sShape.Rank - 2] : null,
            KeyTokens = sShape is { Rank: >= 1 } ? sShape[sShape.Rank - 1] : null,
            HeadDim = headDim,
            ValueDim = valueDim,
            Nodes = Ordered(nodes),
        };
    }

    private GraphNode? Producer(GraphValue? v) => v?.Producer is { } p && p.Graph == _graph ? p : null;

    private List<GraphNode> MainUses(GraphValue v) =>
        [.. v.Uses.Select(u => u.Node).Where(n => n.Graph == _graph).Distinct()];

    private static string Names(IEnumerable<GraphNode> nodes)
    {
        var list = nodes.Select(n => $"{n.OpType} '{n.DisplayName}'").ToList();
        return list.Count == 0 ? "a graph output" : string.Join(", ", list);
    }

    private List<GraphNode> Ordered(IEnumerable<GraphNode> nodes)
    {
        var position = new Dictionary<GraphNode, int>();
        for (var i = 0; i < _shapes.Order.Count; i++)
        {
            position[_shapes.Order[i]] = i;
        }

        return [.. nodes.Distinct().OrderBy(n => position.GetValueOrDefault(n, int.MaxValue))];
    }

    private static bool SwapsLastTwo(GraphNode transpose)
    {
        var perm = transpose.Attributes.GetInts("perm");
        if (perm is null || perm.Length < 2)
        {
            return perm is null;
        }

        for (var i = 0; i < perm.Length - 2; i++)
        {
            if (perm[i] != i)
            {
                return false;
            }
        }

        return perm[^2] == perm.Length - 1 && perm[^1] == perm.Length - 2;
    }

    /// <summary>Which input of a Mul/Div is the scale: a small tensor of statically known size (a scalar or per-head values).</summary>
    private int? ScaleOperand(GraphNode node)
    {
        bool Small(GraphValue? v) => v is not null && _shapes[v].Shape?.ElementCount() is { IsConstant: true, ConstantTerm: <= 64 };
        if (Small(node.Input(1)) && !Small(node.Input(0)))
        {
            return 1;
        }

        if (node.Is("Mul") && Small(node.Input(0)) && !Small(node.Input(1)))
        {
            return 0;
        }

        return null;
    }

    private static AttentionScale MakeScale(GraphNode node, int side, AttentionScaleLocation location)
    {
        var value = node.Input(side)!;
        var data = value.GetConstantData();
        var numbers = data is not null && data.TryGetDoubles(out var d, 64) ? d : null;
        var kind = numbers is null ? AttentionScaleKind.Computed
            : value.IsInitializer && !value.Name.StartsWith("onnx::", StringComparison.Ordinal) ? AttentionScaleKind.LearnedParameter
            : AttentionScaleKind.Constant;
        return new AttentionScale(kind, location, node, value, node.Is("Div"), numbers ?? []);
    }

    /// <summary>A constant equal to 1/√d (on the scores, or 1/√d overall when split between Q and K) is named as such.</summary>
    private static AttentionScale Classify(AttentionScale scale, DimExpr? headDim)
    {
        if (scale.Kind is AttentionScaleKind.Computed or AttentionScaleKind.None || scale.Effective is not { } e || headDim?.AsConstant is not { } d || d <= 0)
        {
            return scale;
        }

        var expected = 1 / Math.Sqrt(d);
        return Math.Abs(e - expected) <= 1e-3 * expected ? scale with { Kind = AttentionScaleKind.InverseSqrtHeadDim } : scale;
    }

    private bool ReachesMatMul(GraphValue? v)
    {
        for (var step = 0; step < 6 && v is not null; step++)
        {
            var p = Producer(v);
            if (p is null)
            {
                return false;
            }

            if (p.Is("MatMul"))
            {
                return true;
            }

            if (p.Is("Mul") || p.Is("Div"))
            {
                v = ScaleOperand(p) is { } s ? p.Input(1 - s) : null;
            }
            else if (p.Is("Reshape") || p.Is("Cast"))
            {
                v = p.Input(0);
            }
            else if (p.Is("Add"))
            {
                return ReachesMatMul(p.Input(0)) || ReachesMatMul(p.Input(1));
            }
            else
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>x / expand(clip(ReduceL2(x, last axis))) or LpNormalization(p=2): F.normalize along the feature axis.</summary>
    private AttentionNormalization? Normalization(GraphValue x)
    {
        var p = Producer(x);
        if (p is null)
        {
            return null;
        }

        if (p.Is("LpNormalization") && p.Attributes.GetInt("p", 2) == 2 && p.Input(0) is { } lpIn)
        {
            return new AttentionNormalization("L2", lpIn, x, [p]);
        }

        if (!p.Is("Div") || p.Input(0) is not { } numerator)
        {
            return null;
        }

        var nodes = new List<GraphNode> { p };
        var d = p.Input(1);
        for (var step = 0; step < 6 && d is not null; step++)
        {
            var q = Producer(d);
            if (q is null)
            {
                return null;
            }

            nodes.Add(q);
            if (q.Is("ReduceL2") && q.Input(0) == numerator)
            {
                return LastAxis(q, numerator) ? new AttentionNormalization("L2", numerator, x, nodes) : null;
            }

            if (q.Is("Sqrt") && Producer(q.Input(0)) is { } sumSquare && sumSquare.Is("ReduceSumSquare") && sumSquare.Input(0) == numerator)
            {
                nodes.Add(sumSquare);
                return LastAxis(sumSquare, numerator) ? new AttentionNormalization("L2", numerator, x, nodes) : null;
            }

            d = q.OpType switch
            {
                "Expand" or "Clip" or "Max" or "Cast" or "Add" => q.Input(0),
                _ => null,
            };
        }

        return null;
    }

    private bool LastAxis(GraphNode reduce, GraphValue input)
    {
        var axes = reduce.Attributes.GetInts("axes");
        if (axes is null && reduce.Input(1) is { } axesInput && _shapes[axesInput].Value is { } v && v.TryGetConstantInts(out var a))
        {
            axes = a;
        }

        var rank = _shapes[input].Shape?.Rank;
        return axes is { Length: 1 } && (axes[0] == -1 || (rank is { } r && axes[0] == r - 1));
    }
}
