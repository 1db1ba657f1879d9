using Google.Protobuf;
using Onnx;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Passes.Attention;
using SuperRes.Deploy.Tests;
using static SuperRes.Deploy.Tests.TestModelBuilder;

namespace SuperRes.Deploy.Engines.Tests.Passes;

/// <summary>
/// The fusion's rules on small attention models built in code: what it fuses is checked against ONNX Runtime running
/// the original graph; what it refuses comes with the reason.
/// </summary>
public sealed class AttentionFusionTests
{
    private const int Tokens = 6;
    private const int Features = 8;

    /// <summary>
    /// input [B, 6, 8] → q, k, v = input·W (d = 4) → s = q·kᵀ → <paramref name="scores"/> (default: × 0.5) → Softmax(axis)
    /// → p·v → output (through a Relu, so the block output is not a graph output).
    /// </summary>
    private static TestModelBuilder Model(Action<TestModelBuilder>? scores = null, string softmaxInput = "scaled", long axis = -1,
        Action<TestModelBuilder>? keys = null, string keyOperand = "kt", int headDim = 4)
    {
        var b = new TestModelBuilder().Input("input", "B", Tokens, Features)
            .Floats("wq", [Features, headDim], Weights(Features * headDim, 1)).Floats("wk", [Features, headDim], Weights(Features * headDim, 2))
            .Floats("wv", [Features, headDim], Weights(Features * headDim, 3))
            .Node("MatMul", ["input", "wq"], ["q"]).Node("MatMul", ["input", "wk"], ["k"]).Node("MatMul", ["input", "wv"], ["v"]);
        if (keys is null)
        {
            b.Node("Transpose", ["k"], ["kt"], IntsAttr("perm", 0, 2, 1));
        }
        else
        {
            keys(b);
        }

        b.NamedNode("qk", "MatMul", ["q", keyOperand], ["s"]);
        if (scores is null)
        {
            b.ConstFloat("c", 0.5f).NamedNode("scale", "Mul", ["s", "c"], ["scaled"]);
        }
        else
        {
            scores(b);
        }

        return b.NamedNode("softmax", "Softmax", [softmaxInput], ["p"], IntAttr("axis", axis))
            .NamedNode("pv", "MatMul", ["p", "v"], ["o"])
            .Node("Relu", ["o"], ["output"])
            .Output("output");
    }

    private static float[] Weights(int count, int seed) =>
        [.. Enumerable.Range(0, count).Select(i => (float)Math.Sin((i * 0.9) + (seed * 1.7)))];

    private static (IReadOnlyList<AttentionCandidate> Candidates, byte[] Original, byte[] Fused) Fuse(TestModelBuilder builder)
    {
        var proto = builder.Build();
        var original = proto.ToByteArray();
        var graph = OnnxGraph.FromModelProto(proto);
        var candidates = AttentionFusion.Run(graph);
        return (candidates, original, PassTestSupport.Bytes(graph));
    }

    private static void AssertSameOutputs(byte[] original, byte[] fused, params long[] shape)
    {
        var comparison = PassTestSupport.Compare(original, fused, shape, atol: 1e-5);
        Assert.True(comparison.Check.Passed, comparison.Check.Summary);
    }

    [Fact]
    public void Single_head_attention_with_a_constant_scale_becomes_one_node_with_the_scale_attribute()
    {
        var (candidates, original, fused) = Fuse(Model());

        var c = Assert.Single(candidates);
        Assert.True(c.Fused, string.Join("; ", c.Reasons));
        Assert.Equal("attribute 0.5 (1/√d = 0.5 on the scores)", c.Scale);
        Assert.Equal(3, c.Rank);
        var node = ModelProto.Parser.ParseFrom(fused).Graph.Node.Single(n => n.OpType == "FusedAttention");
        Assert.Equal(0.5f, node.Attribute.Single(a => a.Name == "scale").F);
        Assert.Equal(3, node.Input.Count);
        AssertSameOutputs(original, fused, 2, Tokens, Features);
    }

    [Fact]
    public void An_attention_output_that_is_the_graph_output_keeps_its_name_and_shape_inference_continues_through_the_op()
    {
        var proto = Model().Build();
        proto.Graph.Node.Remove(proto.Graph.Node.Single(n => n.OpType == "Relu"));
        proto.Graph.Output[0].Name = "o";
        var original = proto.ToByteArray();
        var graph = OnnxGraph.FromModelProto(proto);

        Assert.True(Assert.Single(AttentionFusion.Run(graph)).Fused);

        Assert.Equal("o", graph.Outputs.Single().Name);
        Assert.Equal("FusedAttention", graph.Outputs.Single().Producer!.OpType);
        var shapes = ShapeInference.Run(graph);
        Assert.Equal("[B, 6, 4]", shapes[graph.Outputs.Single()].Shape!.ToString());
        Assert.Equal(ElementTypes.Float32Type, shapes[graph.Outputs.Single()].ElementType);
        AssertSameOutputs(original, PassTestSupport.Bytes(graph), 2, Tokens, Features);
    }

    [Fact]
    public void A_graph_without_scaling_gets_scale_one_not_the_default_inverse_square_root()
    {
        var (candidates, original, fused) = Fuse(Model(scores: _ => { }, softmaxInput: "s"));

        Assert.True(Assert.Single(candidates).Fused);
        Assert.Equal(1f, ModelProto.Parser.ParseFrom(fused).Graph.Node.Single(n => n.OpType == "FusedAttention").Attribute.Single(a => a.Name == "scale").F);
        AssertSameOutputs(original, fused, 1, Tokens, Features);
    }

    [Fact]
    public void A_scale_computed_at_run_time_becomes_the_scale_input_and_a_zero_temperature_a_constant_input()
    {
        var runtime = Model(scores: b => b
            .Node("ReduceMean", ["input"], ["mean"], IntsAttr("axes", 0, 1, 2), IntAttr("keepdims", 0))
            .NamedNode("scale", "Div", ["s", "mean"], ["scaled"]));
        var (candidates, original, fused) = Fuse(runtime);
        var c = Assert.Single(candidates);
        Assert.True(c.Fused, string.Join("; ", c.Reasons));
        Assert.StartsWith("input 1/'mean'", c.Scale);
        AssertSameOutputs(original, fused, 2, Tokens, Features);

        var zero = Model(scores: b => b.Floats("temperature", [1], 0f).NamedNode("scale", "Mul", ["s", "temperature"], ["scaled"]));
        (candidates, original, fused) = Fuse(zero);
        Assert.Equal("input (constant 0)", Assert.Single(candidates).Scale);
        AssertSameOutputs(original, fused, 2, Tokens, Features);
    }

    [Fact]
    public void A_softmax_over_another_axis_is_not_fused()
    {
        var (candidates, _, fused) = Fuse(Model(axis: 1));

        var c = Assert.Single(candidates);
        Assert.False(c.Fused);
        Assert.Contains(c.Reasons, r => r.Contains("axis 1", StringComparison.Ordinal));
        Assert.DoesNotContain("FusedAttention", ModelProto.Parser.ParseFrom(fused).Graph.Node.Select(n => n.OpType));
    }

    [Fact]
    public void Scores_that_are_also_a_graph_output_are_not_fused()
    {
        var builder = Model();
        builder.Output("scaled");
        var (candidates, _, _) = Fuse(builder);

        var c = Assert.Single(candidates);
        Assert.False(c.Fused);
        Assert.Contains(c.Reasons, r => r.Contains("'scaled'", StringComparison.Ordinal) && (r.Contains("graph output", StringComparison.Ordinal) || r.Contains("consumer", StringComparison.Ordinal)));
    }

    [Fact]
    public void Normalised_queries_read_elsewhere_keep_the_block_unfused()
    {
        // q is normalised, and the normalised q also feeds a ReduceSum outside the block.
        var builder = Model(keys: b => b
            .Node("ReduceL2", ["q"], ["qn2"], IntsAttr("axes", -1), IntAttr("keepdims", 1)).Floats("eps", [], 1e-12f).Node("Clip", ["qn2", "eps"], ["qc"])
            .Node("Div", ["q", "qc"], ["qn"]).Node("ReduceSum", ["qn"], ["qsum"], IntAttr("keepdims", 0))
            .Node("ReduceL2", ["k"], ["kn2"], IntsAttr("axes", -1), IntAttr("keepdims", 1)).Node("Clip", ["kn2", "eps"], ["kc"])
            .Node("Div", ["k", "kc"], ["kn"]).Node("Transpose", ["kn"], ["kt"], IntsAttr("perm", 0, 2, 1)));
        var proto = builder.Build();
        proto.Graph.Node.Single(n => n.Name == "qk").Input[0] = "qn";
        proto.Graph.Output.Add(new ValueInfoProto { Name = "qsum" });
        var graph = OnnxGraph.FromModelProto(proto);

        var c = Assert.Single(AttentionFusion.Run(graph));

        Assert.False(c.Fused);
        Assert.Contains(c.Reasons, r => r.Contains("'qn'", StringComparison.Ordinal) && r.Contains("ReduceSum", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1e-12f, true)]
    [InlineData(1e-6f, false)]
    public void L2_normalisation_is_folded_only_with_the_plugins_epsilon(float epsilon, bool folded)
    {
        var builder = Model(keys: b => b
            .Node("ReduceL2", ["q"], ["qn2"], IntsAttr("axes", -1), IntAttr("keepdims", 1)).Floats("eps", [], epsilon).Node("Clip", ["qn2", "eps"], ["qc"])
            .Node("Div", ["q", "qc"], ["qn"])
            .Node("ReduceL2", ["k"], ["kn2"], IntsAttr("axes", -1), IntAttr("keepdims", 1)).Node("Clip", ["kn2", "eps"], ["kc"])
            .Node("Div", ["k", "kc"], ["kn"]).Node("Transpose", ["kn"], ["kt"], IntsAttr("perm", 0, 2, 1)));
        var proto = builder.Build();
        proto.Graph.Node.Single(n => n.Name == "qk").Input[0] = "qn";
        var original = proto.ToByteArray();
        var graph = OnnxGraph.FromModelProto(proto);

        var c = Assert.Single(AttentionFusion.Run(graph));

        Assert.True(c.Fused, string.Join("; ", c.Reasons));
        Assert.Equal(folded, c.NormalizeQk);
        if (!folded)
        {
            Assert.Contains(c.Notes, n => n.Contains("epsilon 1E-06 differs", StringComparison.Ordinal));
        }

        AssertSameOutputs(original, PassTestSupport.Bytes(graph), 2, Tokens, Features);
    }

    [Fact]
    public void Per_head_scales_are_not_a_scalar_and_are_not_fused()
    {
        // Two heads: q, k, v reshaped to [B, 2, 6, 2]; the scale is [1, 2, 1, 1].
        var builder = new TestModelBuilder().Input("input", "B", Tokens, Features)
            .Floats("wq", [Features, 4], Weights(32, 1)).Floats("wk", [Features, 4], Weights(32, 2)).Floats("wv", [Features, 4], Weights(32, 3))
            .Int64s("heads", [4], 0, Tokens, 2, 2)
            .Node("MatMul", ["input", "wq"], ["q0"]).Node("Reshape", ["q0", "heads"], ["q1"]).Node("Transpose", ["q1"], ["q"], IntsAttr("perm", 0, 2, 1, 3))
            .Node("MatMul", ["input", "wk"], ["k0"]).Node("Reshape", ["k0", "heads"], ["k1"]).Node("Transpose", ["k1"], ["kt"], IntsAttr("perm", 0, 2, 3, 1))
            .Node("MatMul", ["input", "wv"], ["v0"]).Node("Reshape", ["v0", "heads"], ["v1"]).Node("Transpose", ["v1"], ["v"], IntsAttr("perm", 0, 2, 1, 3))
            .NamedNode("qk", "MatMul", ["q", "kt"], ["s"])
            .Floats("head_scale", [1, 2, 1, 1], 0.5f, 0.25f).NamedNode("scale", "Mul", ["s", "head_scale"], ["scaled"])
            .NamedNode("softmax", "Softmax", ["scaled"], ["p"], IntAttr("axis", -1))
            .NamedNode("pv", "MatMul", ["p", "v"], ["o"]).Node("Relu", ["o"], ["output"]).Output("output");

        var (candidates, _, _) = Fuse(builder);

        var c = Assert.Single(candidates);
        Assert.False(c.Fused);
        Assert.Contains(c.Reasons, r => r.Contains("'head_scale' has 2 elements", StringComparison.Ordinal));
    }

    [Fact]
    public void A_bias_that_would_enlarge_the_scores_is_not_fused()
    {
        var builder = Model(scores: b => b
            .Input("mask", 3, 1, Tokens, Tokens)
            .NamedNode("bias", "Add", ["s", "mask"], ["scaled"]));

        var (candidates, _, _) = Fuse(builder);

        var c = Assert.Single(candidates);
        Assert.False(c.Fused);
        Assert.Contains(c.Reasons, r => r.Contains("does not broadcast into the scores", StringComparison.Ordinal));
    }

    [Fact]
    public void A_broadcast_bias_is_passed_to_the_op()
    {
        var builder = Model(scores: b => b
            .Floats("rel_bias", [Tokens, Tokens], Weights(Tokens * Tokens, 5))
            .NamedNode("bias", "Add", ["s", "rel_bias"], ["scaled"]));

        var (candidates, original, fused) = Fuse(builder);

        var c = Assert.Single(candidates);
        Assert.True(c.Fused, string.Join("; ", c.Reasons));
        Assert.Equal("rel_bias", c.Bias);
        AssertSameOutputs(original, fused, 2, Tokens, Features);
    }

    [Fact]
    public void Keys_given_already_transposed_get_a_transpose_into_the_op()
    {
        // kt = MatMul(W, inputᵀ) is [B, d, N]: no Transpose in front of the scores MatMul.
        var builder = Model(keys: b => b
            .Node("Transpose", ["input"], ["input_t"], IntsAttr("perm", 0, 2, 1))
            .Floats("wk_t", [4, Features], Weights(32, 2)).Node("MatMul", ["wk_t", "input_t"], ["kt"]));

        var (candidates, original, fused) = Fuse(builder);

        var c = Assert.Single(candidates);
        Assert.True(c.Fused, string.Join("; ", c.Reasons));
        Assert.Contains(c.Notes, n => n.Contains("Kᵀ", StringComparison.Ordinal));
        AssertSameOutputs(original, fused, 2, Tokens, Features);
    }

    [Fact]
    public void Attention_without_a_batch_axis_is_refused_with_the_rank()
    {
        var builder = new TestModelBuilder().Input("input", Tokens, Features)
            .Floats("wq", [Features, 4], Weights(32, 1)).Floats("wk", [Features, 4], Weights(32, 2)).Floats("wv", [Features, 4], Weights(32, 3))
            .Node("MatMul", ["input", "wq"], ["q"]).Node("MatMul", ["input", "wk"], ["k"]).Node("MatMul", ["input", "wv"], ["v"])
            .Node("Transpose", ["k"], ["kt"], IntsAttr("perm", 1, 0))
            .NamedNode("qk", "MatMul", ["q", "kt"], ["s"])
            .NamedNode("softmax", "Softmax", ["s"], ["p"], IntAttr("axis", -1))
            .NamedNode("pv", "MatMul", ["p", "v"], ["o"]).Node("Relu", ["o"], ["output"]).Output("output");

        var c = Assert.Single(Fuse(builder).Candidates);

        Assert.False(c.Fused);
        Assert.Contains(c.Reasons, r => r.Contains("rank 2", StringComparison.Ordinal));
    }

    [Fact]
    public void Float16_attention_is_not_fused()
    {
        var builder = Model(scores: b => b
            .Node("Cast", ["s"], ["s16"], IntAttr("to", (long)TensorProto.Types.DataType.Float16))
            .Node("Cast", ["s16"], ["scaled"], IntAttr("to", (long)TensorProto.Types.DataType.Float)));

        var c = Assert.Single(Fuse(builder).Candidates);

        Assert.False(c.Fused);
        Assert.Contains(c.Reasons, r => r.Contains("changes the element type", StringComparison.Ordinal));
    }

    [Fact]
    public void Keys_broadcast_over_the_batch_are_not_fused()
    {
        // k comes from a constant [1, 6, 4]: MatMul broadcasts it over the batch, the op does not.
        var builder = Model(keys: b => b
            .Floats("k_const", [1, Tokens, 4], Weights(Tokens * 4, 7)).Node("Transpose", ["k_const"], ["kt"], IntsAttr("perm", 0, 2, 1)));

        var c = Assert.Single(Fuse(builder).Candidates);

        Assert.False(c.Fused);
        Assert.Contains(c.Reasons, r => r.Contains("batch axis 0", StringComparison.Ordinal));
    }
}
