using Google.Protobuf;
using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Passes;
using SuperRes.Deploy.Engines.Passes.Attention;
using SuperRes.Deploy.Tests;
using AttributeType = Onnx.AttributeProto.Types.AttributeType;

namespace SuperRes.Deploy.Engines.Tests.Passes;

/// <summary>
/// The acceptance criteria on the committed fixtures and the default model: every attention block the analysis finds is
/// fused; ONNX Runtime on the original and ONNX Runtime on the optimized model (with the FusedAttention custom-op
/// library) agree within atol 1e-4 at three input shapes; the Reshape+Transpose count drops and is reported.
/// </summary>
public sealed class FixtureFusionTests
{
    private static readonly OptimizeOptions FuseAndClean = new() { FuseAttention = true, FoldConstants = true };

    /// <summary>
    /// Model, three shapes, and the input: the fixtures (random weights) get uniform noise; the pretrained default model
    /// gets crops of real Set5 images. Fed noise, its outputs reach ±14 instead of [0, 1] and the network amplifies float32
    /// rounding differences of the attention to ~2.5e-4 (measured; with image crops the difference is below 1e-6).
    /// </summary>
    public static TheoryData<string, string, bool> Models() => new()
    {
        { "tests/fixtures/models/ditn_small.onnx", "1x3x32x32 1x3x40x56 2x3x24x24", false },
        { "tests/fixtures/models/esrt_style.onnx", "1x3x32x32 1x3x36x44 2x3x24x24", false },
        { "tests/fixtures/models/swin_style.onnx", "1x3x32x32 1x3x40x56 2x3x24x24", false },
        { "tests/fixtures/models/shvit_style.onnx", "1x3x32x32 1x3x40x56 2x3x24x24", false },
        { "models/ditn_real_x4.onnx", "1x3x32x32 1x3x44x36 2x3x48x40", true },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Every_attention_block_is_fused_and_ORT_agrees_within_1e4_at_three_shapes(string relativePath, string shapes, bool imageInputs)
    {
        var path = Path.Combine(RepoPaths.Root, relativePath);
        var original = File.ReadAllBytes(path);
        var blocks = BlocksIn(path);
        Assert.NotEmpty(blocks);

        using var model = OnnxModel.Load(path);
        var report = OptimizePipeline.Run(model, FuseAndClean).Report;

        Assert.Equal(blocks.Count, report.Attention.Count(a => a.Fused));
        Assert.Equal(blocks.Order(StringComparer.Ordinal), report.Attention.Where(a => a.Fused).Select(a => a.Softmax).Order(StringComparer.Ordinal));
        Assert.Equal(blocks.Count, report.After!.FusedAttentionNodes);
        Assert.Equal(0, report.After.OpHistogram.GetValueOrDefault("Softmax"));
        Assert.True(report.After.ReshapeTransposeCount < report.Before.ReshapeTransposeCount,
            $"Reshape+Transpose {report.Before.ReshapeTransposeCount} -> {report.After.ReshapeTransposeCount}");

        var optimized = model.Proto.ToByteArray();
        var seed = 1;
        foreach (var text in shapes.Split(' '))
        {
            long[] shape = [.. text.Split('x').Select(long.Parse)];
            var comparison = imageInputs
                ? PassTestSupport.Compare(original, optimized, PassTestSupport.ImageCrops(shape), shape, atol: 1e-4)
                : PassTestSupport.Compare(original, optimized, shape, atol: 1e-4, seed: seed++);
            Assert.True(comparison.Check.Passed, $"{relativePath} at {text}: {comparison.Check.Summary}");
        }
    }

    [Fact]
    public void The_static_reshape_lint_model_fuses_both_blocks_and_matches_at_its_export_size()
    {
        var path = RepoPaths.FixtureModel("lint_static_reshape.onnx");
        var original = File.ReadAllBytes(path);
        using var model = OnnxModel.Load(path);
        var report = OptimizePipeline.Run(model, FuseAndClean).Report;

        Assert.Equal(2, report.Attention.Count(a => a.Fused));
        Assert.True(report.After!.ReshapeTransposeCount < report.Before.ReshapeTransposeCount);
        var optimized = model.Proto.ToByteArray();

        // Its reshape targets are baked at 1x3x32x32, the only size it runs at: three inputs at that size.
        for (var seed = 1; seed <= 3; seed++)
        {
            var comparison = PassTestSupport.Compare(original, optimized, [1, 3, 32, 32], atol: 1e-4, seed: seed);
            Assert.True(comparison.Check.Passed, comparison.Check.Summary);
        }
    }

    [Fact]
    public void Swin_blocks_fold_the_qkv_transposes_and_the_output_reshape_and_masked_blocks_become_rank_five()
    {
        using var model = OnnxModel.Load(RepoPaths.FixtureModel("swin_style.onnx"));
        var report = OptimizePipeline.Run(model, FuseAndClean).Report;

        var plain = report.Attention.Where(a => a.Rank == 4).ToList();
        var masked = report.Attention.Where(a => a.Rank == 5).ToList();
        Assert.Equal(2, plain.Count);
        Assert.Equal(2, masked.Count);
        Assert.All(plain, a => Assert.Equal(("BNHD", "BNC"), (a.InputLayout, a.OutputLayout)));
        Assert.All(masked, a => Assert.Contains("+", a.Bias));
        Assert.All(report.Attention, a => Assert.StartsWith("attribute 0.25", a.Scale));
    }

    [Fact]
    public void Ditn_attention_folds_the_normalisation_and_the_learnable_temperature()
    {
        using var model = OnnxModel.Load(RepoPaths.DefaultModel);
        var report = OptimizePipeline.Run(model, FuseAndClean).Report;

        Assert.All(report.Attention, a =>
        {
            Assert.True(a.Fused);
            Assert.True(a.NormalizeQk);
            Assert.Contains("learnable 'UFONE.0.ITLs.", a.Scale);
        });
        Assert.Equal(0, report.After!.OpHistogram.GetValueOrDefault("ReduceL2"));
        Assert.Equal(0, report.After.OpHistogram.GetValueOrDefault("Clip"));
        Assert.True(report.After.Transposes <= 3, $"{report.After.Transposes} transposes left");
    }

    [Fact]
    public void A_softmax_output_read_by_a_second_consumer_is_left_unfused_with_the_reason()
    {
        var path = RepoPaths.FixtureModel("attention_extra_consumer.onnx");
        var original = File.ReadAllBytes(path);
        using var model = OnnxModel.Load(path);
        var report = OptimizePipeline.Run(model, FuseAndClean).Report;

        var candidate = Assert.Single(report.Attention);
        Assert.False(candidate.Fused);
        Assert.Contains(candidate.Reasons, r => r.Contains("ReduceSum", StringComparison.Ordinal) && r.Contains("another consumer", StringComparison.Ordinal));
        Assert.Equal(0, report.After!.FusedAttentionNodes);
        Assert.Contains("not fused", report.ToJson()["passes"]!.ToJsonString(), StringComparison.Ordinal);
        var comparison = PassTestSupport.Compare(original, model.Proto.ToByteArray(), [1, 3, 32, 32], atol: 1e-5, customOps: false);
        Assert.True(comparison.Check.Passed, comparison.Check.Summary);
    }

    [Fact]
    public void Fused_nodes_carry_what_TensorRTs_parser_and_ONNX_Runtime_need()
    {
        using var model = OnnxModel.Load(RepoPaths.FixtureModel("swin_style.onnx"));
        OptimizePipeline.Run(model, FuseAndClean);

        Assert.Contains(model.Proto.OpsetImport, o => o.Domain == "com.superres.deploy" && o.Version == 1);
        var fused = model.Proto.Graph.Node.Where(n => n.OpType == "FusedAttention").ToList();
        Assert.Equal(4, fused.Count);
        Assert.All(fused, n =>
        {
            Assert.Equal("com.superres.deploy", n.Domain);
            Assert.All(n.Attribute, a => Assert.Contains(a.Type, new[] { AttributeType.Int, AttributeType.Float, AttributeType.String }));
            Assert.Equal("1", n.Attribute.Single(a => a.Name == "plugin_version").S.ToStringUtf8());
            Assert.Equal(string.Empty, n.Attribute.Single(a => a.Name == "plugin_namespace").S.ToStringUtf8());
            Assert.Equal(1, n.Attribute.Single(a => a.Name == "has_bias").I);
            Assert.Equal(0, n.Attribute.Single(a => a.Name == "has_scale_input").I);
        });

        // The graph IR of the result is valid and inspect's analysis lists the nodes.
        var graph = OnnxGraph.FromModel(model);
        Assert.Empty(GraphValidator.Validate(graph));
        Assert.Equal(4, ModelAnalysis.Run(graph).FusedAttention.Count);
    }

    private static List<string> BlocksIn(string path)
    {
        using var model = OnnxModel.Load(path);
        return [.. ModelAnalysis.Run(OnnxGraph.FromModel(model)).Attention.Blocks.Select(b => b.Softmax.DisplayName)];
    }
}
