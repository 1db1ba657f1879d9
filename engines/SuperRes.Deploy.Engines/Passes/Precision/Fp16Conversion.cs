using System.Globalization;
using Onnx;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Passes.Attention;
using SuperRes.Deploy.Engines.Passes.Cleanup;
using static SuperRes.Deploy.Engines.Passes.PassHelpers;
using DataType = Onnx.TensorProto.Types.DataType;

namespace SuperRes.Deploy.Engines.Passes.Precision;

/// <summary>A node the fp16 pass left in fp32, and why.</summary>
public sealed record Fp32Node(string Node, string OpType, string Reason);

/// <summary>A constant converted to fp16 whose values changed beyond rounding.</summary>
public sealed record ConvertedConstant(string Name, long Clamped, long Flushed, double LargestMagnitude);

/// <summary>What the fp16 pass did.</summary>
public sealed record Fp16Result(
    IReadOnlyList<Fp32Node> Fp32Nodes, IReadOnlyList<ConvertedConstant> ChangedConstants, int ConvertedConstants, int CastsAdded, int Fp16Nodes);

/// <summary>
/// Converts a float32 model to mixed fp16/fp32 for a strongly typed TensorRT build, where every tensor has exactly the
/// type the ONNX gives it: weights and activations become fp16, except in nodes kept in fp32 by the policy
/// (<see cref="KeepReason"/>) or by the user, and every edge where the two meet gets an explicit Cast. Integer and
/// shape subgraphs are untouched. Cast nodes producing float32 become fp16 Casts inside fp16 regions; ConstantOfShape
/// values follow their node. Constants are converted once per precision they are read in (clamped to ±65504, see
/// <see cref="HalfConversion"/>). With <see cref="OptimizeOptions.KeepIoTypes"/> the inputs and outputs stay float32
/// (a Cast after each input, before each output); without, they are declared float16.
/// </summary>
public static class Fp16Conversion
{
    private const int Float = (int)DataType.Float;
    private const int Float16 = (int)DataType.Float16;

    /// <summary>Reductions over more elements than this stay fp32 (sums of many fp16 terms overflow or lose the small ones).</summary>
    public const long LargeReduction = 1024;

    public static Fp16Result Run(OnnxGraph graph, ShapeInferenceResult shapes, OptimizeOptions options)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentNullException.ThrowIfNull(options);

        var reasons = PolicyReasons(graph, shapes, options);
        var fp32 = reasons.Keys.ToHashSet();

        // A float32-producing Cast is fp32 when every reader of its output computes in fp32 (no round trip through fp16).
        foreach (var cast in graph.Nodes.Where(n => n.Is("Cast") && n.Attributes.GetInt("to", 0) == Float && !fp32.Contains(n)))
        {
            var readers = Readers(cast.Output(0)!);
            if (readers.Count > 0 && readers.All(fp32.Contains) && !cast.Output(0)!.IsGraphOutput)
            {
                fp32.Add(cast);
            }
        }

        int TypeOf(GraphValue v) => shapes[v].ElementType != 0 ? shapes[v].ElementType : v.DeclaredElementType;

        // New element type of every float32 value produced by a node or given as input.
        var newType = new Dictionary<GraphValue, int>();
        foreach (var input in graph.Inputs.Where(i => TypeOf(i) == Float))
        {
            newType[input] = options.KeepIoTypes ? Float : Float16;
        }

        var fp16Nodes = 0;
        foreach (var node in graph.Nodes)
        {
            if (node.OpType == "Constant" && node.Domain.Length == 0)
            {
                continue;
            }

            var isFp16 = !fp32.Contains(node);
            var producesFloat = false;
            foreach (var o in node.Outputs)
            {
                if (o is not null && TypeOf(o) == Float)
                {
                    newType[o] = isFp16 ? Float16 : Float;
                    producesFloat = true;
                }
            }

            if (isFp16 && (producesFloat || node.Inputs.Any(i => i is not null && TypeOf(i) == Float)))
            {
                fp16Nodes++;
            }
        }

        var casts = 0;
        var convertedConstants = 0;
        var changed = new List<ConvertedConstant>();
        var castCache = new Dictionary<(GraphValue, int), GraphValue>();
        var halfCache = new Dictionary<GraphValue, GraphValue>();
        using var edit = graph.Edit();

        GraphValue CastTo(GraphValue v, int type)
        {
            if (!castCache.TryGetValue((v, type), out var c))
            {
                var suffix = type == Float16 ? "_fp16" : "_fp32";
                c = AddNode(edit, "Cast", v.Name + suffix + "_Cast", [v], NodeAttributes.IntAttribute("to", type));
                castCache[(v, type)] = c;
                casts++;
            }

            return c;
        }

        GraphValue HalfConstant(GraphValue v)
        {
            if (!halfCache.TryGetValue(v, out var h))
            {
                var data = v.GetConstantData()!;
                var half = HalfConversion.ToHalfBytes(data.ReadBytes(), out var stats);
                h = edit.AddInitializer(Tensors.Make(edit.UniqueValueName(v.Name + "_fp16"), DataType.Float16, [.. data.Shape], half));
                halfCache[v] = h;
                convertedConstants++;
                if (stats.Clamped > 0 || stats.Flushed > 0)
                {
                    changed.Add(new ConvertedConstant(v.Name, stats.Clamped, stats.Flushed, stats.LargestMagnitude));
                }
            }

            return h;
        }

        foreach (var node in graph.Nodes.ToList())
        {
            var precision = fp32.Contains(node) ? Float : Float16;
            if (node.OpType == "Constant" && node.Domain.Length == 0)
            {
                continue;
            }

            for (var i = 0; i < node.Inputs.Count; i++)
            {
                var v = node.Inputs[i];
                if (v is null || TypeOf(v) != Float || IsTypeFreeSlot(node, i))
                {
                    continue;
                }

                var required = IsFloat32Slot(node, i) ? Float : precision;
                var current = newType.TryGetValue(v, out var t) ? t : Float;
                if (v.IsConstant && !newType.ContainsKey(v))
                {
                    if (required == Float16)
                    {
                        edit.SetInput(node, i, HalfConstant(v));
                    }

                    continue;
                }

                if (current != required)
                {
                    edit.SetInput(node, i, CastTo(v, required));
                }
            }

            if (precision == Float16)
            {
                if (node.Is("Cast") && node.Attributes.GetInt("to", 0) == Float)
                {
                    edit.SetAttribute(node, NodeAttributes.IntAttribute("to", Float16));
                }
                else if (node.Is("ConstantOfShape") && TypeOf(node.Output(0)!) == Float)
                {
                    var value = node.Attributes.GetTensor("value") is { } tensor
                        ? HalfConversion.ToHalfBytes(SuperRes.Deploy.Engines.Onnx.TensorData.InlineBytes(tensor, "ConstantOfShape"), out _)
                        : new byte[2];
                    edit.SetAttribute(node, NodeAttributes.TensorAttribute("value", Tensors.Make(string.Empty, DataType.Float16, [1], value)));
                }
            }
        }

        // Outputs: keep float32 through a Cast, or declare them float16.
        for (var j = 0; j < graph.Outputs.Count; j++)
        {
            var v = graph.Outputs[j];
            if (!newType.TryGetValue(v, out var type) || type != Float16)
            {
                continue;
            }

            if (options.KeepIoTypes)
            {
                var interfaceName = v.Name;
                edit.RenameValue(v, edit.UniqueValueName(interfaceName + "_fp16"));
                var cast = edit.AddNode("Cast", [v.Name], [interfaceName], edit.UniqueNodeName(interfaceName + "_fp32_Cast"), string.Empty,
                    [NodeAttributes.IntAttribute("to", Float)]);
                edit.SetGraphOutput(j, cast.Outputs[0]!);
                casts++;
            }
            else
            {
                SetElementType(v.DeclaredInfo, Float16);
            }
        }

        if (!options.KeepIoTypes)
        {
            foreach (var input in graph.Inputs.Where(i => newType.TryGetValue(i, out var t) && t == Float16))
            {
                SetElementType(input.DeclaredInfo, Float16);
            }
        }

        edit.Commit();

        // value_info entries keep describing the values: update the converted ones.
        foreach (var info in graph.Proto.ValueInfo)
        {
            if (graph.FindValue(info.Name) is { } v && newType.TryGetValue(v, out var type) && type == Float16)
            {
                SetElementType(info, Float16);
            }
        }

        var fp32List = reasons.Select(kv => new Fp32Node(kv.Key.DisplayName, kv.Key.OpType, kv.Value)).ToList();
        return new Fp16Result(fp32List, changed, convertedConstants, casts, fp16Nodes);
    }

    /// <summary>Why the policy keeps a node in fp32 (null: it may run in fp16). Public for documentation and tests.</summary>
    public static string? KeepReason(GraphNode node, ShapeInferenceResult shapes, OptimizeOptions options)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentNullException.ThrowIfNull(options);
        if (options.ExcludeNodes.Contains(node.Name))
        {
            return "excluded by name (--exclude-nodes)";
        }

        if (options.ExcludeOpTypes.Contains(node.OpType))
        {
            return $"excluded by op type {node.OpType} (--exclude-op-types)";
        }

        if (FusedAttentionContract.IsFusedAttention(node))
        {
            return options.Fp16Attention == AttentionPrecision.Fp32
                ? "FusedAttention kept fp32 with Casts around it (--fp16-attention fp32: ONNX Runtime's CPU kernel is fp32 only)"
                : null;
        }

        if (node.Domain.Length != 0)
        {
            return $"op of domain '{node.Domain}' (its fp16 support is unknown)";
        }

        if (node.Subgraphs.Count > 0)
        {
            return "has subgraphs (not converted)";
        }

        switch (node.OpType)
        {
            case "LayerNormalization" or "GroupNormalization" or "InstanceNormalization" or "MeanVarianceNormalization" or "RMSNormalization":
                return $"{node.OpType}: its mean/variance overflow or lose precision in fp16 (TensorRT issue #2564)";
            case "Pow":
                return "Pow overflows fp16 (|x|^p beyond 65504)";
            case "Exp":
                return "Exp overflows fp16 above x ≈ 11.1";
            case "Softmax" or "LogSoftmax":
                return $"{node.OpType}: the scores path stays fp32";
            case "ReduceL2" or "ReduceSumSquare":
                return $"{node.OpType}: sums of squares overflow fp16";
            case "ReduceLogSumExp":
                return "ReduceLogSumExp exponentiates";
            case "ReduceSum" or "ReduceMean" or "ReduceProd":
                {
                    var extent = ReducedExtent(node, shapes);
                    return extent is null ? $"{node.OpType} over a size that depends on the input (e.g. spatial dims)"
                        : extent > LargeReduction ? $"{node.OpType} over {extent.Value.ToString(CultureInfo.InvariantCulture)} elements (> {LargeReduction})"
                        : null;
                }

            case "Range" or "RandomNormal" or "RandomUniform" or "RandomNormalLike" or "RandomUniformLike" or "Multinomial" or "EyeLike":
                return $"{node.OpType} generates values (kept as exported)";
            default:
                return null;
        }
    }

    private static Dictionary<GraphNode, string> PolicyReasons(OnnxGraph graph, ShapeInferenceResult shapes, OptimizeOptions options)
    {
        var reasons = new Dictionary<GraphNode, string>();
        foreach (var node in graph.Nodes)
        {
            if (KeepReason(node, shapes, options) is { } r)
            {
                reasons[node] = r;
            }
        }

        foreach (var pattern in LayerNormFusion.FindAll(graph, shapes))
        {
            foreach (var n in pattern.Nodes)
            {
                reasons.TryAdd(n, "part of a LayerNorm decomposition (ReduceMean → Sub → Pow → ReduceMean → Add → Sqrt → Div → Mul → Add)");
            }
        }

        // The scores path of attention left unfused: from the scores MatMul through scale and bias to the Softmax.
        foreach (var softmax in graph.Nodes.Where(n => n.Is("Softmax")))
        {
            var chain = new List<GraphNode>();
            var v = softmax.Input(0);
            for (var step = 0; step < 12 && v?.Producer is { } p && p.Graph == graph; step++)
            {
                if (!(p.Is("MatMul") || p.Is("Mul") || p.Is("Div") || p.Is("Add") || p.Is("Reshape") || p.Is("Cast")))
                {
                    break;
                }

                chain.Add(p);
                if (p.Is("MatMul"))
                {
                    foreach (var n in chain)
                    {
                        reasons.TryAdd(n, $"attention scores path feeding Softmax '{softmax.DisplayName}'");
                    }

                    break;
                }

                v = p.Is("Add") && p.Input(1)?.Producer is { } b && b.Is("MatMul") ? p.Input(1) : p.Input(0);
            }
        }

        return reasons;
    }

    /// <summary>The number of elements each output of a reduction sums, when constant.</summary>
    private static long? ReducedExtent(GraphNode node, ShapeInferenceResult shapes)
    {
        if (node.Input(0) is not { } x || shapes[x].Shape is not { } shape)
        {
            return null;
        }

        var axesFromInput = node.Is("ReduceSum") ? node.OpsetVersion >= 13 : node.OpsetVersion >= 18;
        var axes = axesFromInput ? ConstantInts(shapes, node.Input(1)) : node.Attributes.GetInts("axes");
        var all = axes is null || axes.Length == 0;
        long extent = 1;
        for (var i = 0; i < shape.Rank; i++)
        {
            if (!all && !axes!.Any(a => (a < 0 ? a + shape.Rank : a) == i))
            {
                continue;
            }

            if (shape[i]?.AsConstant is not { } d)
            {
                return null;
            }

            extent *= d;
        }

        return extent;
    }

    /// <summary>Inputs whose type the op does not tie to its compute type (Shape/Size read any type; a Cast reads any type).</summary>
    private static bool IsTypeFreeSlot(GraphNode node, int slot) =>
        node.Domain.Length == 0 && (node.OpType is "Shape" or "Size" or "Cast" || (node.OpType == "CastLike" && slot == 0));

    /// <summary>Inputs that must stay float32 whatever the node computes in.</summary>
    private static bool IsFloat32Slot(GraphNode node, int slot) =>
        (node.Is("Resize") && slot is 1 or 2) || (node.Is("Upsample") && slot == 1) || (FusedAttentionContract.IsFusedAttention(node) && slot == 4);

    private static void SetElementType(ValueInfoProto? info, int type)
    {
        if (info?.Type?.TensorType is { } tensor)
        {
            tensor.ElemType = type;
        }
    }
}
