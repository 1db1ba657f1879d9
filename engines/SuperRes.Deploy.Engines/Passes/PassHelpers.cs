using Onnx;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Passes;

/// <summary>Small graph questions the passes ask again and again: consumers, constant contents, symbolic dims.</summary>
internal static class PassHelpers
{
    /// <summary>The distinct nodes of <paramref name="value"/>'s own graph that read it (explicitly or through a subgraph).</summary>
    public static List<GraphNode> Readers(GraphValue value) => [.. value.Uses.Select(u => u.Node).Distinct()];

    /// <summary>The single node reading <paramref name="value"/> when there is exactly one and the value is not a graph output.</summary>
    public static GraphNode? SoleReader(GraphValue value)
    {
        if (value.IsGraphOutput)
        {
            return null;
        }

        var readers = Readers(value);
        return readers.Count == 1 && value.Uses.All(u => !u.IsImplicit) ? readers[0] : null;
    }

    /// <summary>The producer when it is a default-domain node of type <paramref name="opType"/>.</summary>
    public static GraphNode? ProducedBy(GraphValue? value, string opType) =>
        value?.Producer is { } p && p.Is(opType) ? p : null;

    /// <summary>Constant integer contents (initializer, Constant node, or inferred) of a small tensor.</summary>
    public static long[]? ConstantInts(ShapeInferenceResult? shapes, GraphValue? value)
    {
        if (value is null)
        {
            return null;
        }

        if (value.GetConstantData() is { } data && data.TryGetInt64s(out var ints))
        {
            return ints;
        }

        return shapes?.ValueOf(value) is { } v && v.TryGetConstantInts(out var inferred) ? inferred : null;
    }

    /// <summary>Constant numeric contents of a small tensor (initializer or Constant node).</summary>
    public static double[]? ConstantNumbers(GraphValue? value, long maxElements = 64) =>
        value?.GetConstantData() is { } data && data.TryGetDoubles(out var numbers, maxElements) ? numbers : null;

    public static bool Same(DimExpr? a, DimExpr? b) => a is not null && b is not null && a.Equals(b);

    public static bool IsOne(DimExpr? d) => d is { IsConstant: true, ConstantTerm: 1 };

    /// <summary>True when every dim of <paramref name="a"/> is known and equal to the same dim of <paramref name="b"/>.</summary>
    public static bool SameShape(SymbolicShape? a, SymbolicShape? b)
    {
        if (a is null || b is null || a.Rank != b.Rank)
        {
            return false;
        }

        for (var i = 0; i < a.Rank; i++)
        {
            if (!Same(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// True when a tensor of shape <paramref name="operand"/> broadcasts into <paramref name="target"/> without enlarging
    /// it (NumPy rules, right-aligned): its rank is not larger and every dim is 1 or provably equal to the target's.
    /// </summary>
    public static bool BroadcastsInto(SymbolicShape? operand, SymbolicShape? target)
    {
        if (operand is null || target is null || operand.Rank > target.Rank)
        {
            return false;
        }

        var offset = target.Rank - operand.Rank;
        for (var i = 0; i < operand.Rank; i++)
        {
            if (!IsOne(operand[i]) && !Same(operand[i], target[offset + i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Constant element count of a shape, or null.</summary>
    public static long? ElementCount(SymbolicShape? shape) => shape?.ElementCount()?.AsConstant;

    /// <summary>The Transpose's permutation (the default reverses the axes), normalised; null when malformed.</summary>
    public static int[]? Permutation(GraphNode transpose, int rank)
    {
        var perm = transpose.Attributes.GetInts("perm");
        if (perm is null)
        {
            return rank < 0 ? null : [.. Enumerable.Range(0, rank).Reverse()];
        }

        if (rank >= 0 && perm.Length != rank)
        {
            return null;
        }

        var n = perm.Length;
        var result = new int[n];
        var seen = new bool[n];
        for (var i = 0; i < n; i++)
        {
            var p = perm[i] < 0 ? perm[i] + n : perm[i];
            if (p < 0 || p >= n || seen[p])
            {
                return null;
            }

            seen[p] = true;
            result[i] = (int)p;
        }

        return result;
    }

    public static bool IsIdentity(IReadOnlyList<int> perm) => perm.Select((p, i) => p == i).All(b => b);

    /// <summary>The permutation that swaps the last two of <paramref name="rank"/> axes.</summary>
    public static long[] SwapLastTwo(int rank)
    {
        var perm = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        return perm;
    }

    public static bool IsFloat32(ShapeInferenceResult shapes, GraphValue value) => shapes[value].ElementType == ElementTypes.Float32Type;

    public static string OpLabel(GraphNode node) => $"{node.OpType} '{node.DisplayName}'";

    /// <summary>An int64 initializer with a fresh name derived from <paramref name="hint"/>.</summary>
    public static GraphValue AddInt64s(GraphEditor edit, string hint, long[] dims, long[] values) =>
        edit.AddInitializer(Tensors.FromInt64s(dims, values, edit.UniqueValueName(hint)));

    /// <summary>A float initializer with a fresh name derived from <paramref name="hint"/>.</summary>
    public static GraphValue AddFloats(GraphEditor edit, string hint, long[] dims, float[] values) =>
        edit.AddInitializer(Tensors.FromFloats(dims, values, edit.UniqueValueName(hint)));

    /// <summary>Adds a one-output node and returns its output value.</summary>
    public static GraphValue AddNode(GraphEditor edit, string opType, string nameHint, IEnumerable<GraphValue?> inputs,
        params AttributeProto[] attributes)
    {
        var name = edit.UniqueNodeName(nameHint);
        var output = edit.UniqueValueName(name + "_output_0");
        var node = edit.AddNode(opType, inputs.Select(i => i?.Name), [output], name, string.Empty, attributes);
        return node.Outputs[0]!;
    }
}
