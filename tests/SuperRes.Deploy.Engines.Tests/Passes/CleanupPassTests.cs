using Google.Protobuf;
using Onnx;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Passes;
using SuperRes.Deploy.Engines.Passes.Cleanup;
using SuperRes.Deploy.Tests;
using static SuperRes.Deploy.Tests.TestModelBuilder;
using DataType = Onnx.TensorProto.Types.DataType;

namespace SuperRes.Deploy.Engines.Tests.Passes;

/// <summary>
/// Each cleanup pass on a small model built in code, checked against ONNX Runtime running the original graph (the folded
/// values must be the bits ORT computes: atol 0 where the pass only moves or folds exact values).
/// </summary>
public sealed class CleanupPassTests
{
    private static readonly OptimizeOptions Clean = new() { FoldConstants = true };

    private static (OptimizeReport Report, byte[] Original, byte[] Optimized, ModelProto Result) Optimize(TestModelBuilder builder, OptimizeOptions? options = null)
    {
        var proto = builder.Build();
        var original = proto.ToByteArray();
        using var model = OnnxModel.FromProto(proto);
        var report = OptimizePipeline.Run(model, options ?? Clean).Report;
        return (report, original, model.Proto.ToByteArray(), model.Proto);
    }

    private static void AssertSame(byte[] original, byte[] optimized, double atol, params long[] shape)
    {
        var comparison = PassTestSupport.Compare(original, optimized, shape, atol, customOps: false);
        Assert.True(comparison.Check.Passed, comparison.Check.Summary);
    }

    private static int Count(ModelProto model, string opType) => model.Graph.Node.Count(n => n.OpType == opType);

    [Fact]
    public void Shape_chains_of_static_dims_and_constant_float_subgraphs_fold_into_initializers()
    {
        // y = Reshape(input, [N, 3, H·W]) with the target built from Shape/Gather/Concat, then + (2 · 3) / 4.
        var builder = new TestModelBuilder().Input("input", "N", 3, "H", "W")
            .Node("Shape", ["input"], ["shape"])
            .ConstInts("i1", [1], scalar: true).Node("Gather", ["shape", "i1"], ["c"], IntAttr("axis", 0))
            .ConstInts("ax", [0]).Node("Unsqueeze", ["c", "ax"], ["c1"])
            .ConstInts("minus", [-1]).ConstInts("zero", [0])
            .Node("Concat", ["zero", "c1", "minus"], ["target"], IntAttr("axis", 0))
            .Node("Reshape", ["input", "target"], ["r"])
            .ConstFloat("two", 2f).ConstFloat("three", 3f).ConstFloat("four", 4f)
            .Node("Mul", ["two", "three"], ["six"]).Node("Div", ["six", "four"], ["k"])
            .Node("Add", ["r", "k"], ["output"]).Output("output");

        var (report, original, optimized, result) = Optimize(builder);

        Assert.Equal(0, Count(result, "Shape") + Count(result, "Gather") + Count(result, "Concat") + Count(result, "Mul") + Count(result, "Div"));
        Assert.Contains(result.Graph.Initializer, t => t.Name == "k");
        Assert.True(report.After!.Nodes < report.Before.Nodes);
        AssertSame(original, optimized, 0, 1, 3, 5, 7);
        AssertSame(original, optimized, 0, 2, 3, 4, 4);
    }

    [Fact]
    public void The_constant_evaluator_matches_ONNX_Runtime_bit_for_bit_on_shape_and_mask_ops()
    {
        // A mask built only from constants with the ops shape and mask subgraphs use; ORT computes it at run time in the
        // original, the folded model carries it as an initializer.
        var builder = new TestModelBuilder().Input("input", 2, 3, 4)
            .Int64s("start", [], 7).Int64s("limit", [], -8).Int64s("delta", [], -3).Node("Range", ["start", "limit", "delta"], ["range"])
            .Int64s("four", [], 4).Node("Mod", ["range", "four"], ["mod"]).Node("Div", ["range", "four"], ["div"])
            .Node("Concat", ["mod", "div"], ["cat"], IntAttr("axis", 0))
            .Int64s("starts", [1], -1).Int64s("ends", [1], -100).Int64s("axes", [1], 0).Int64s("steps", [1], -2)
            .Node("Slice", ["cat", "starts", "ends", "axes", "steps"], ["sliced"])
            .Int64s("axis0", [1], 0).Node("Unsqueeze", ["sliced", "axis0"], ["row"])
            .Int64s("reps_rows", [2], 2, 1).Node("Tile", ["row", "reps_rows"], ["rows"])
            .Node("Transpose", ["rows"], ["cols"], IntsAttr("perm", 1, 0))
            .Int64s("idx", [2], 3, 0).Node("Gather", ["cols", "idx"], ["picked"], IntAttr("axis", 0))
            .Int64s("zero", [], 0).Node("Less", ["picked", "zero"], ["negative"]).Node("Not", ["negative"], ["nonneg"])
            .Int64s("big", [], 100).Node("Where", ["nonneg", "picked", "big"], ["masked"])
            .Int64s("reps_cols", [2], 1, 2).Node("Tile", ["masked", "reps_cols"], ["tiled"])
            .Int64s("axis1", [1], 1).Node("Unsqueeze", ["tiled", "axis1"], ["u"])
            .Int64s("full", [3], 2, 3, 4).Node("Expand", ["u", "full"], ["expanded"])
            .Node("Unsqueeze", ["expanded", "axis0"], ["e4"]).Node("Squeeze", ["e4", "axis0"], ["e3"])
            .Node("Cast", ["e3"], ["maskf"], IntAttr("to", (long)DataType.Float))
            .Floats("k", [], 0.1f).Node("Mul", ["maskf", "k"], ["scaled"])
            .Node("Max", ["scaled", "k"], ["bias"])
            .Node("Add", ["input", "bias"], ["output"]).Output("output");
        var proto = builder.Build();

        using var model = OnnxModel.FromProto(proto);
        var original = proto.ToByteArray();
        var report = OptimizePipeline.Run(model, Clean).Report;

        Assert.Equal(["Add"], model.Proto.Graph.Node.Select(n => n.OpType));
        Assert.Contains(report.Passes, p => p.Name == "constant-folding" && p.NodesRemoved > 15);
        AssertSame(original, model.Proto.ToByteArray(), 0, 2, 3, 4);
    }

    [Fact]
    public void With_a_fixed_input_shape_shape_derived_values_fold_and_the_input_is_declared_static()
    {
        var builder = new TestModelBuilder().Input("input", "N", 3, "H", "W")
            .Node("Shape", ["input"], ["shape"])
            .ConstInts("i2", [2], scalar: true).Node("Gather", ["shape", "i2"], ["h"], IntAttr("axis", 0))
            .Node("Cast", ["h"], ["hf"], IntAttr("to", (long)DataType.Float))
            .Node("Mul", ["input", "hf"], ["output"]).Output("output");

        var (report, original, optimized, result) = Optimize(builder, Clean with { InputShapes = new Dictionary<string, long[]> { ["input"] = [1, 3, 6, 5] } });

        Assert.Equal(["Mul"], result.Graph.Node.Select(n => n.OpType));
        Assert.Equal([1L, 3, 6, 5], result.Graph.Input[0].Type.TensorType.Shape.Dim.Select(d => d.DimValue));
        Assert.Contains(report.Warnings, w => w.Contains("input:1x3x6x5", StringComparison.Ordinal));
        AssertSame(original, optimized, 0, 1, 3, 6, 5);
    }

    [Fact]
    public void Without_a_fixed_input_shape_dynamic_dims_are_not_folded()
    {
        var builder = new TestModelBuilder().Input("input", "N", 3, "H", "W")
            .Node("Shape", ["input"], ["shape"])
            .ConstInts("i2", [2], scalar: true).Node("Gather", ["shape", "i2"], ["h"], IntAttr("axis", 0))
            .Node("Cast", ["h"], ["hf"], IntAttr("to", (long)DataType.Float))
            .Node("Mul", ["input", "hf"], ["output"]).Output("output");

        var (_, original, optimized, result) = Optimize(builder);

        Assert.Equal(1, Count(result, "Shape"));
        AssertSame(original, optimized, 0, 1, 3, 6, 5);
        AssertSame(original, optimized, 0, 1, 3, 2, 9);
    }

    [Fact]
    public void Folding_never_creates_a_tensor_over_the_size_limit()
    {
        // Expand of a scalar to [1, 128, 64, 64] float32 = 2 MiB, over the default 1 MiB limit.
        var builder = new TestModelBuilder().Input("input", 1, 128, 64, 64)
            .Floats("one", [], 1f).Int64s("big", [4], 1, 128, 64, 64).Node("Expand", ["one", "big"], ["ones"])
            .Node("Add", ["input", "ones"], ["output"]).Output("output");

        var (report, _, _, result) = Optimize(builder);
        Assert.Equal(1, Count(result, "Expand"));
        Assert.Contains(report.Passes.SelectMany(p => p.Details), d => d.Contains("not folded (result over 1048576 bytes): Expand", StringComparison.Ordinal));

        var (_, original, optimized, larger) = Optimize(builder, Clean with { FoldMaxBytes = 4 << 20 });
        Assert.Equal(0, Count(larger, "Expand"));
        AssertSame(original, optimized, 0, 1, 128, 64, 64);
    }

    [Fact]
    public void Computed_reshape_targets_become_constants_with_copy_and_infer_dims()
    {
        // view(B, C, H*W) with the target from Shape → Slice → Concat([-1]).
        var builder = new TestModelBuilder().Input("input", "B", 4, "H", "W")
            .Node("Shape", ["input"], ["shape"])
            .Int64s("s0", [1], 0).Int64s("s2", [1], 2).Node("Slice", ["shape", "s0", "s2"], ["bc"])
            .Int64s("minus", [1], -1).Node("Concat", ["bc", "minus"], ["target"], IntAttr("axis", 0))
            .Node("Reshape", ["input", "target"], ["flat"])
            .Node("Relu", ["flat"], ["output"]).Output("output");

        var (report, original, optimized, result) = Optimize(builder);

        var target = result.Graph.Initializer.Single(t => t.Name == result.Graph.Node.Single(n => n.OpType == "Reshape").Input[1]);
        Assert.Equal([0L, 4, -1], ConstantValues(target));
        Assert.Contains(report.Passes.SelectMany(p => p.Details), d => d.Contains("computed target → [0, 4, -1]", StringComparison.Ordinal));
        AssertSame(original, optimized, 0, 2, 4, 3, 5);
        AssertSame(original, optimized, 0, 1, 4, 7, 2);
    }

    [Fact]
    public void Identities_are_removed_except_where_they_name_a_graph_output_after_an_input()
    {
        var builder = new TestModelBuilder().Input("input", 1, 4)
            .Node("Identity", ["input"], ["a"]).Node("Relu", ["a"], ["b"]).Node("Identity", ["b"], ["c"]).Node("Identity", ["c"], ["output"])
            .Node("Identity", ["input"], ["passthrough"])
            .Output("output").Output("passthrough");

        var (_, original, optimized, result) = Optimize(builder);

        Assert.Equal(["Relu", "Identity"], result.Graph.Node.Select(n => n.OpType).Order().Reverse());
        Assert.Equal(["output", "passthrough"], result.Graph.Output.Select(o => o.Name));
        Assert.Equal("output", result.Graph.Node.Single(n => n.OpType == "Relu").Output[0]);
        AssertSame(original, optimized, 0, 1, 4);
    }

    [Fact]
    public void Duplicate_initializers_with_the_same_bytes_are_merged()
    {
        var builder = new TestModelBuilder().Input("input", 1, 4)
            .Floats("a", [4], 1, 2, 3, 4).Floats("b", [4], 1, 2, 3, 4).Floats("c", [4], 1, 2, 3, 5)
            .Node("Add", ["input", "a"], ["x"]).Node("Mul", ["x", "b"], ["y"]).Node("Sub", ["y", "c"], ["output"]).Output("output");

        var (report, original, optimized, result) = Optimize(builder);

        Assert.Equal(["a", "c"], result.Graph.Initializer.Select(t => t.Name).Order());
        Assert.Equal("a", result.Graph.Node.Single(n => n.OpType == "Mul").Input[1]);
        Assert.Contains(report.Passes, p => p.Name == "initializer-deduplication" && p.Details.Contains("1 duplicate initializers merged"));
        AssertSame(original, optimized, 0, 1, 4);
    }

    private static TestModelBuilder LayerNormModel(float exponent = 2f)
    {
        return new TestModelBuilder().Input("input", "B", 5, 8)
            .Node("ReduceMean", ["input"], ["mu"], IntsAttr("axes", -1), IntAttr("keepdims", 1))
            .Node("Sub", ["input", "mu"], ["d"])
            .Floats("two", [], exponent).Node("Pow", ["d", "two"], ["sq"])
            .Node("ReduceMean", ["sq"], ["var"], IntsAttr("axes", -1), IntAttr("keepdims", 1))
            .Floats("eps", [], 1e-5f).Node("Add", ["var", "eps"], ["ve"]).Node("Sqrt", ["ve"], ["std"])
            .Node("Div", ["d", "std"], ["n"])
            .Floats("gamma", [8], 1.5f, -0.5f, 2f, 1f, 0.25f, 3f, -1f, 0.75f).Node("Mul", ["n", "gamma"], ["g"])
            .Floats("beta", [8], 0.1f, 0.2f, -0.3f, 0f, 0.5f, -0.5f, 1f, 2f).Node("Add", ["g", "beta"], ["output"])
            .Output("output");
    }

    [Fact]
    public void A_LayerNorm_decomposition_becomes_LayerNormalization()
    {
        var (report, original, optimized, result) = Optimize(LayerNormModel());

        var ln = Assert.Single(result.Graph.Node);
        Assert.Equal("LayerNormalization", ln.OpType);
        Assert.Equal(["input", "gamma", "beta"], ln.Input);
        Assert.Equal(-1 + 3, ln.Attribute.Single(a => a.Name == "axis").I);
        Assert.Equal(1e-5f, ln.Attribute.Single(a => a.Name == "epsilon").F);
        Assert.Contains(report.Passes, p => p.Name == "layernorm-fusion" && p.NodesRemoved == 9 && p.NodesAdded == 1);
        AssertSame(original, optimized, 1e-5, 3, 5, 8);
    }

    [Fact]
    public void A_decomposition_with_another_exponent_is_not_a_LayerNorm()
    {
        var (_, _, _, result) = Optimize(LayerNormModel(exponent: 3f));

        Assert.Equal(0, Count(result, "LayerNormalization"));
        Assert.Equal(1, Count(result, "Pow"));
    }

    [Fact]
    public void Every_cleanup_pass_keeps_a_model_that_validates_and_ORT_loads()
    {
        foreach (var name in new[] { "plksr_style", "igconv_x3", "lint_scatternd", "plain_sr" })
        {
            var path = RepoPaths.FixtureModel(name + ".onnx");
            var original = File.ReadAllBytes(path);
            using var model = OnnxModel.Load(path);
            OptimizePipeline.Run(model, Clean);
            Assert.Empty(GraphValidator.Validate(OnnxGraph.FromModel(model)));
            AssertSame(original, model.Proto.ToByteArray(), 1e-6, 1, 3, 24, 32);
        }
    }

    private static long[] ConstantValues(TensorProto tensor) =>
        new ConstantTensor(tensor, t => t.RawData.ToByteArray()).TryGetInt64s(out var v) ? v : [];
}
