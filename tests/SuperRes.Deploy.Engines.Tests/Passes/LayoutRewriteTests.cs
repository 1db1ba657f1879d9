using Google.Protobuf;
using Onnx;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Passes.Layout;
using SuperRes.Deploy.Tests;
using static SuperRes.Deploy.Tests.TestModelBuilder;

namespace SuperRes.Deploy.Engines.Tests.Passes;

/// <summary>Each layout rewrite on a small model built in code, against ONNX Runtime on the original (exact: atol 0).</summary>
public sealed class LayoutRewriteTests
{
    private static (IReadOnlyList<string> Notes, byte[] Original, ModelProto Result) Rewrite(TestModelBuilder builder)
    {
        var proto = builder.Build();
        var original = proto.ToByteArray();
        var graph = OnnxGraph.FromModelProto(proto);
        var notes = LayoutRewrites.Run(graph);
        using (var edit = graph.Edit())
        {
            edit.RemoveDeadNodes();
            edit.Commit();
        }

        return (notes, original, graph.WriteBack()!);
    }

    private static void AssertSame(byte[] original, ModelProto result, params long[] shape)
    {
        var comparison = PassTestSupport.Compare(original, result.ToByteArray(), shape, atol: 0, customOps: false);
        Assert.True(comparison.Check.Passed, comparison.Check.Summary);
    }

    private static int Count(ModelProto model, string opType) => model.Graph.Node.Count(n => n.OpType == opType);

    [Fact]
    public void Per_output_reshapes_and_transposes_after_a_split_move_before_it()
    {
        // SHViT's q/k/v: Split the channels, flatten each part's H×W, transpose each to tokens-first.
        var builder = new TestModelBuilder().Input("input", "B", 6, "H", "W")
            .Int64s("sizes", [3], 2, 1, 3).Node("Split", ["input", "sizes"], ["a", "b", "c"], IntAttr("axis", 1))
            .Int64s("flat", [3], 0, 0, -1)
            .Node("Reshape", ["a", "flat"], ["a2"]).Node("Reshape", ["b", "flat"], ["b2"]).Node("Reshape", ["c", "flat"], ["c2"])
            .Node("Transpose", ["a2"], ["at"], IntsAttr("perm", 0, 2, 1)).Node("Transpose", ["b2"], ["bt"], IntsAttr("perm", 0, 2, 1))
            .Node("Transpose", ["c2"], ["ct"], IntsAttr("perm", 0, 2, 1))
            .Node("Concat", ["ct", "at", "bt"], ["output"], IntAttr("axis", 2)).Output("output");

        var (notes, original, result) = Rewrite(builder);

        Assert.Equal(2, notes.Count);
        Assert.Equal(1, Count(result, "Reshape"));
        Assert.Equal(1, Count(result, "Transpose"));
        Assert.Equal(2, result.Graph.Node.Single(n => n.OpType == "Split").Attribute.Single(a => a.Name == "axis").I);
        AssertSame(original, result, 2, 6, 3, 5);
    }

    [Fact]
    public void Slices_of_one_tensor_each_transposed_the_same_way_share_one_transpose()
    {
        // DITN's qkv chunks: Slice the last axis into three, transpose each.
        var builder = new TestModelBuilder().Input("input", "B", 5, 9)
            .Int64s("s0", [1], 0).Int64s("s3", [1], 3).Int64s("s6", [1], 6).Int64s("s9", [1], 9).Int64s("last", [1], -1)
            .Node("Slice", ["input", "s0", "s3", "last"], ["q"]).Node("Slice", ["input", "s3", "s6", "last"], ["k"]).Node("Slice", ["input", "s6", "s9", "last"], ["v"])
            .Node("Transpose", ["q"], ["qt"], IntsAttr("perm", 0, 2, 1)).Node("Transpose", ["k"], ["kt"], IntsAttr("perm", 0, 2, 1))
            .Node("Transpose", ["v"], ["vt"], IntsAttr("perm", 0, 2, 1))
            .Node("Mul", ["qt", "kt"], ["qk"]).Node("Sub", ["qk", "vt"], ["output"]).Output("output");

        var (notes, original, result) = Rewrite(builder);

        Assert.Single(notes);
        Assert.Equal(1, Count(result, "Transpose"));
        AssertSame(original, result, 2, 5, 9);
    }

    [Fact]
    public void Two_transposes_in_a_row_merge_or_cancel()
    {
        var builder = new TestModelBuilder().Input("input", 2, 3, 4)
            .Node("Transpose", ["input"], ["a"], IntsAttr("perm", 1, 2, 0)).Node("Transpose", ["a"], ["b"], IntsAttr("perm", 2, 0, 1))
            .Node("Transpose", ["b"], ["c"], IntsAttr("perm", 0, 2, 1)).Node("Transpose", ["c"], ["output"], IntsAttr("perm", 2, 1, 0))
            .Output("output");

        var (_, original, result) = Rewrite(builder);

        Assert.Equal(1, Count(result, "Transpose"));
        AssertSame(original, result, 2, 3, 4);
    }

    [Fact]
    public void A_transposed_linear_layer_on_transposed_input_becomes_a_matmul_by_the_transposed_weights()
    {
        // (xᵀ·W + b)ᵀ = Wᵀ·x + bᵀ: DITN's qkv projection of channel-first patches.
        var builder = new TestModelBuilder().Input("input", "B", 4, 6)
            .Node("Transpose", ["input"], ["xt"], IntsAttr("perm", 0, 2, 1))
            .Floats("w", [4, 5], [.. Enumerable.Range(0, 20).Select(i => (float)Math.Cos(i))]).Node("MatMul", ["xt", "w"], ["m"])
            .Floats("bias", [5], 0.5f, -1f, 2f, 0f, 0.25f).Node("Add", ["bias", "m"], ["y"])
            .Node("Transpose", ["y"], ["output"], IntsAttr("perm", 0, 2, 1)).Output("output");

        var (notes, original, result) = Rewrite(builder);

        Assert.Contains("became MatMul(Wᵀ, x) + bᵀ", Assert.Single(notes));
        Assert.Equal(0, Count(result, "Transpose"));
        var comparison = PassTestSupport.Compare(original, result.ToByteArray(), [3, 4, 6], atol: 1e-6, customOps: false);
        Assert.True(comparison.Check.Passed, comparison.Check.Summary);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_linear_layer_read_only_through_slices_becomes_one_layer_per_slice(bool weightOnTheLeft)
    {
        // q, k, v = chunks of one projection: W [9, 4] · x [B, 4, 5] + b, sliced into rows 0-3, 3-6, 6-9 (or x · W, columns).
        var builder = new TestModelBuilder().Input("input", "B", 4, 5)
            .Floats("w", weightOnTheLeft ? [9, 4] : [5, 9], [.. Enumerable.Range(0, 36 + (weightOnTheLeft ? 0 : 9)).Select(i => (float)Math.Sin(i))])
            .Node("MatMul", weightOnTheLeft ? ["w", "input"] : ["input", "w"], ["m"])
            .Floats("b", weightOnTheLeft ? [9, 1] : [9], [.. Enumerable.Range(0, 9).Select(i => i * 0.1f)]).Node("Add", ["m", "b"], ["y"])
            .Int64s("s0", [1], 0).Int64s("s3", [1], 3).Int64s("s6", [1], 6).Int64s("end", [1], 9).Int64s("axis", [1], weightOnTheLeft ? 1 : -1)
            .Node("Slice", ["y", "s0", "s3", "axis"], ["q"]).Node("Slice", ["y", "s3", "s6", "axis"], ["k"]).Node("Slice", ["y", "s6", "end", "axis"], ["v"])
            .Node("Mul", ["q", "k"], ["qk"]).Node("Add", ["qk", "v"], ["output"]).Output("output");

        var (notes, original, result) = Rewrite(builder);

        Assert.Contains("became 3 MatMuls", Assert.Single(notes));
        Assert.Equal(3, Count(result, "MatMul"));
        Assert.Equal(0, Count(result, "Slice"));
        var comparison = PassTestSupport.Compare(original, result.ToByteArray(), [2, 4, 5], atol: 1e-6, customOps: false);
        Assert.True(comparison.Check.Passed, comparison.Check.Summary);
    }

    [Fact]
    public void A_transpose_whose_input_is_read_elsewhere_is_left_alone()
    {
        var builder = new TestModelBuilder().Input("input", "B", 4, 6)
            .Node("Transpose", ["input"], ["xt"], IntsAttr("perm", 0, 2, 1))
            .Floats("w", [4, 5], [.. Enumerable.Range(0, 20).Select(i => (float)i)]).Node("MatMul", ["xt", "w"], ["m"])
            .Node("Transpose", ["m"], ["output"], IntsAttr("perm", 0, 2, 1)).Node("Relu", ["m"], ["side"])
            .Output("output").Output("side");

        var (notes, _, result) = Rewrite(builder);

        Assert.Empty(notes);
        Assert.Equal(2, Count(result, "Transpose"));
    }
}
