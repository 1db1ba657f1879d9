using Google.Protobuf;
using Onnx;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Passes;
using SuperRes.Deploy.Engines.Validation.Metrics;
using SuperRes.Deploy.Tests;
using static SuperRes.Deploy.Tests.TestModelBuilder;
using DataType = Onnx.TensorProto.Types.DataType;

namespace SuperRes.Deploy.Engines.Tests.Passes;

/// <summary>
/// The fp16 pass. How the fp16 models are executed here: ONNX Runtime's CPU execution provider runs the converted
/// graph as written — its fp16 kernels where it has them, and for the others its InsertCastTransformer computes the op
/// in fp32 between fp16 tensors — so every tensor is stored and passed in fp16 exactly as the ONNX says; FusedAttention
/// runs in fp32 with Casts around it (<c>--fp16-attention fp32</c>), since the plugin's CPU kernel is fp32 only.
/// </summary>
public sealed class Fp16ConversionTests
{
    private static readonly OptimizeOptions Fp16ForCpu = new()
    {
        FuseAttention = true, FoldConstants = true, Fp16 = true, KeepIoTypes = true, Fp16Attention = AttentionPrecision.Fp32,
    };

    [Fact]
    public void The_optimized_default_model_upscales_a_real_image_in_fp16_at_45_dB_or_more_against_fp32()
    {
        var original = File.ReadAllBytes(RepoPaths.DefaultModel);
        using var model = OnnxModel.Load(RepoPaths.DefaultModel);
        var report = OptimizePipeline.Run(model, Fp16ForCpu).Report;
        var image = ImageFile.Read(RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "LRbicx4", "baby.png"));
        long[] shape = [1, 3, image.Height, image.Width];

        var fp32 = PassTestSupport.Run(original, "input", image.ToNchw(), shape).Values.Single();
        var fp16 = PassTestSupport.Run(model.Proto.ToByteArray(), "input", image.ToNchw(), shape, customOps: true).Values.Single();

        Assert.Equal(4, report.After!.FusedAttentionNodes);
        Assert.True(report.Precision!.Result.Fp16Nodes > 200);
        var comparison = TensorComparer.Compare(PassTestSupport.ToFloats(fp16), PassTestSupport.ToFloats(fp32), [.. fp32.Shape.Select(d => (int)d)],
            new ComparisonOptions { PsnrPeak = 1.0, ComputeSsim = false });
        Assert.True(comparison.Psnr >= 45, $"PSNR {comparison.Psnr:F2} dB");
        Assert.True(comparison.AbsoluteError.Max > 0, "the fp16 model computed exactly the fp32 result: it did not run in fp16");
    }

    [Fact]
    public void Every_float_tensor_of_an_fp16_model_is_fp16_except_around_the_fp32_nodes_and_the_kept_io()
    {
        using var model = OnnxModel.Load(RepoPaths.FixtureModel("ditn_small.onnx"));
        OptimizePipeline.Run(model, Fp16ForCpu);
        var graph = OnnxGraph.FromModel(model);
        var shapes = ShapeInference.Run(graph);

        Assert.Equal((int)DataType.Float, graph.Inputs.Single().DeclaredElementType);
        Assert.Equal((int)DataType.Float, graph.Outputs.Single().DeclaredElementType);
        foreach (var node in graph.Nodes.Where(n => n.Is("Conv") || n.Is("MatMul")))
        {
            Assert.All(node.Inputs.Where(i => i is not null), i => Assert.Equal((int)DataType.Float16, shapes[i!].ElementType));
        }

        foreach (var node in graph.Nodes.Where(n => n.OpType == "FusedAttention"))
        {
            Assert.All(node.Inputs.Take(3), i => Assert.Equal((int)DataType.Float, shapes[i!].ElementType));
            Assert.All(node.Inputs.Take(3), i => Assert.True(i!.Producer!.Is("Cast")));
        }

        Assert.All(graph.Initializers.Where(i => i.Initializer!.DataType == (int)DataType.Float), i =>
            Assert.All(i.Uses, u => Assert.True(u.Node.OpType is "FusedAttention" or "Resize", $"{i.Name} read by {u.Node}")));
    }

    [Fact]
    public void With_fp16_attention_the_op_reads_and_writes_fp16_which_ONNX_Runtimes_fp32_op_cannot_load()
    {
        using var model = OnnxModel.Load(RepoPaths.FixtureModel("ditn_small.onnx"));
        OptimizePipeline.Run(model, Fp16ForCpu with { Fp16Attention = AttentionPrecision.Fp16 });
        var graph = OnnxGraph.FromModel(model);
        var shapes = ShapeInference.Run(graph);

        var fused = graph.Nodes.Where(n => n.OpType == "FusedAttention").ToList();
        Assert.Equal(4, fused.Count);
        Assert.All(fused, n =>
        {
            Assert.All(n.Inputs.Take(3), i => Assert.Equal((int)DataType.Float16, shapes[i!].ElementType));
            Assert.Equal((int)DataType.Float16, shapes[n.Outputs[0]!].ElementType);
            Assert.All(n.Inputs.Take(3), i => Assert.False(i!.Producer!.Is("Cast")));
        });

        // The ORT custom op registers a float32 output: its fp16 readers make ONNX Runtime refuse the model at load.
        var error = Assert.Throws<DeployException>(() =>
            PassTestSupport.Run(model.Proto.ToByteArray(), "input", PassTestSupport.Image([1, 3, 16, 16], 1), [1, 3, 16, 16], customOps: true));
        Assert.Contains("bound to different types", error.Message);
    }

    private static TestModelBuilder PolicyModel(float multiplier = 1e5f) =>
        new TestModelBuilder().Input("input", "B", 4, "H", "W")
            .Weight("w", 4, 4, 1, 1).NamedNode("conv", "Conv", ["input", "w"], ["c"])
            .Floats("two", [], 2f).NamedNode("pow", "Pow", ["c", "two"], ["p"])
            .NamedNode("exp", "Exp", ["c"], ["e"])
            .NamedNode("spatial_mean", "ReduceMean", ["e"], ["m"], IntsAttr("axes", 2, 3), IntAttr("keepdims", 1))
            .NamedNode("channel_mean", "ReduceMean", ["p"], ["cm"], IntsAttr("axes", 1), IntAttr("keepdims", 1))
            .NamedNode("add", "Add", ["m", "cm"], ["a"])
            .NamedNode("softmax", "Softmax", ["a"], ["s"], IntAttr("axis", 1))
            .Floats("big", [], multiplier).NamedNode("mul", "Mul", ["s", "big"], ["output"])
            .Output("output", "B", 4, "H", "W");

    [Fact]
    public void The_policy_keeps_overflow_prone_ops_in_fp32_and_reports_why()
    {
        using var model = OnnxModel.FromProto(PolicyModel().Build());
        var report = OptimizePipeline.Run(model, new OptimizeOptions { Fp16 = true, KeepIoTypes = true }).Report;

        var fp32 = report.Precision!.Result.Fp32Nodes.ToDictionary(n => n.Node, n => n.Reason);
        Assert.Equal(["exp", "pow", "softmax", "spatial_mean"], fp32.Keys.Order());
        Assert.Contains("size that depends on the input", fp32["spatial_mean"]);
        Assert.Contains("overflows", fp32["pow"]);
        Assert.DoesNotContain("channel_mean", fp32.Keys);
    }

    [Fact]
    public void Constants_beyond_the_fp16_range_are_clamped_with_a_warning()
    {
        using var model = OnnxModel.FromProto(PolicyModel().Build());
        var report = OptimizePipeline.Run(model, new OptimizeOptions { Fp16 = true, KeepIoTypes = true }).Report;

        var changed = Assert.Single(report.Precision!.Result.ChangedConstants);
        Assert.Equal(("big", 1L), (changed.Name, changed.Clamped));
        Assert.Contains(report.Warnings, w => w.Contains("'big'", StringComparison.Ordinal) && w.Contains("clamped to ±65504", StringComparison.Ordinal));
        var half = model.Proto.Graph.Initializer.Single(t => t.Name.StartsWith("big_fp16", StringComparison.Ordinal));
        Assert.Equal(65504f, (float)BitConverter.ToHalf(half.RawData.ToByteArray()));
    }

    [Fact]
    public void Excluded_op_types_and_nodes_stay_fp32_and_the_model_still_runs()
    {
        var proto = PolicyModel(multiplier: 3f).Build();
        var original = proto.ToByteArray();
        using var model = OnnxModel.FromProto(proto);
        var report = OptimizePipeline.Run(model, new OptimizeOptions { Fp16 = true, KeepIoTypes = true, ExcludeOpTypes = ["Conv"], ExcludeNodes = ["add"] }).Report;

        var fp32 = report.Precision!.Result.Fp32Nodes.ToDictionary(n => n.Node, n => n.Reason);
        Assert.Contains("--exclude-op-types", fp32["conv"]);
        Assert.Contains("--exclude-nodes", fp32["add"]);
        var comparison = PassTestSupport.Compare(original, model.Proto.ToByteArray(), [1, 4, 5, 6], atol: 1e-1, customOps: false);
        Assert.True(comparison.Check.Passed, comparison.Check.Summary);
    }

    [Fact]
    public void Without_keep_io_types_the_inputs_and_outputs_are_declared_float16()
    {
        using var model = OnnxModel.FromProto(PolicyModel(multiplier: 3f).Build());
        OptimizePipeline.Run(model, new OptimizeOptions { Fp16 = true, KeepIoTypes = false });

        Assert.Equal((int)DataType.Float16, model.Proto.Graph.Input[0].Type.TensorType.ElemType);
        Assert.Equal((int)DataType.Float16, model.Proto.Graph.Output[0].Type.TensorType.ElemType);
        var input = Enumerable.Range(0, 4 * 5 * 6).Select(i => (Half)(i * 0.01f)).ToArray();
        using var runner = new SuperRes.Deploy.Engines.Runtime.OrtRunner(SuperRes.Deploy.Engines.Runtime.OrtRunnerOptions.ForBytes(model.Proto.ToByteArray()));
        var output = runner.Run(new Dictionary<string, SuperRes.Deploy.Engines.Runtime.Tensor> { ["input"] = SuperRes.Deploy.Engines.Runtime.Tensor.FromArray(input, 1, 4, 5, 6) }).Values.Single();
        Assert.Equal(SuperRes.Deploy.Engines.Runtime.TensorElementType.Float16, output.ElementType);
    }

    [Fact]
    public void Casts_to_float_and_ConstantOfShape_values_follow_their_nodes_into_fp16()
    {
        var builder = new TestModelBuilder().Input("input", 1, 4)
            .Int64s("shape", [2], 1, 4).Node("ConstantOfShape", ["shape"], ["fill"], TensorAttr("value", FloatTensor(string.Empty, [1], [0.5f])))
            .Int64s("ints", [4], 3, 5, -2, 7).Node("Cast", ["ints"], ["fints"], IntAttr("to", (long)DataType.Float))
            .Node("Add", ["input", "fill"], ["a"]).Node("Mul", ["a", "fints"], ["output"]).Output("output");
        var proto = builder.Build();
        var original = proto.ToByteArray();
        using var model = OnnxModel.FromProto(proto);
        OptimizePipeline.Run(model, new OptimizeOptions { Fp16 = true, KeepIoTypes = true });

        var nodes = model.Proto.Graph.Node;
        Assert.Equal((long)DataType.Float16, nodes.Single(n => n.Input.Contains("ints")).Attribute.Single(a => a.Name == "to").I);
        Assert.Equal((int)DataType.Float16, nodes.Single(n => n.OpType == "ConstantOfShape").Attribute.Single(a => a.Name == "value").T.DataType);
        var comparison = PassTestSupport.Compare(original, model.Proto.ToByteArray(), [1, 4], atol: 1e-2, customOps: false);
        Assert.True(comparison.Check.Passed, comparison.Check.Summary);
    }

    [Theory]
    [InlineData("swin_style")]
    [InlineData("esrt_style")]
    [InlineData("shvit_style")]
    public void Fp16_fixtures_run_in_ONNX_Runtime_close_to_fp32(string name)
    {
        var path = RepoPaths.FixtureModel(name + ".onnx");
        var original = File.ReadAllBytes(path);
        using var model = OnnxModel.Load(path);
        var report = OptimizePipeline.Run(model, Fp16ForCpu).Report;

        Assert.All(report.Precision!.Result.Fp32Nodes.Where(n => n.OpType is "LayerNormalization" or "InstanceNormalization"), n => Assert.Contains("#2564", n.Reason));
        long[] shape = [1, 3, 32, 32];
        var data = PassTestSupport.Image(shape, 3);
        var fp32 = PassTestSupport.Run(original, "input", data, shape).Values.Single();
        var fp16 = PassTestSupport.Run(model.Proto.ToByteArray(), "input", data, shape, customOps: true).Values.Single();
        var comparison = TensorComparer.Compare(PassTestSupport.ToFloats(fp16), PassTestSupport.ToFloats(fp32), [.. fp32.Shape.Select(d => (int)d)],
            new ComparisonOptions { ComputeSsim = false });
        Assert.True(comparison.Psnr >= 45, $"{name}: PSNR {comparison.Psnr:F2} dB");
    }
}
