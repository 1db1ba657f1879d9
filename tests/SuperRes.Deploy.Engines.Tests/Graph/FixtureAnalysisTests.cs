using System.Text.Json;
using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Graph;

/// <summary>
/// The analysis on every committed fixture and the default model, checked against ONNX's own shape inference at
/// 1×3×256×256 (<c>*.shapes-256.json</c>) and ONNX Runtime's actual shapes at 1×3×64×64 (<c>*.runtime-shapes-64.json</c>),
/// and against the attention counts docs/models.md gives.
/// </summary>
public class FixtureAnalysisTests
{
    public static TheoryData<string> Models() =>
    [
        "ditn_real_x4", "ditn_small", "esrt_style", "plksr_style", "igconv_x2", "igconv_x3", "igconv_x4", "swin_style", "shvit_style",
        "plain_sr", "lint_static_reshape", "lint_scatternd", "lint_shape_contradiction", "lint_data_dependent", "attention_extra_consumer",
    ];

    private static string ModelPath(string name) => name == "ditn_real_x4" ? RepoPaths.DefaultModel : RepoPaths.FixtureModel(name + ".onnx");

    private static ModelAnalysis Analyze(string name)
    {
        using var model = OnnxModel.Load(ModelPath(name));
        return ModelAnalysis.Run(OnnxGraph.FromModel(model));
    }

    /// <summary>Compares bound dims with a reference file: (dims both know and agree, dims both know and disagree, dims only the reference knows).</summary>
    private static (int Agree, List<string> Disagree, List<string> OnlyReference) Compare(ModelAnalysis a, string referenceFile, long size)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(referenceFile));
        var binding = a.Shapes.Bind(new Dictionary<string, long[]> { ["input"] = [1, 3, size, size] });
        var agree = 0;
        var disagree = new List<string>();
        var onlyReference = new List<string>();
        foreach (var entry in json.RootElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            var value = a.Graph.FindValue(entry.Name);
            Assert.True(value is not null, $"{entry.Name} from {Path.GetFileName(referenceFile)} is not in the graph");
            var ours = a.Shapes[value].Shape;
            var theirs = entry.Value.EnumerateArray().ToList();
            if (ours is not null && ours.Rank != theirs.Count)
            {
                disagree.Add($"{entry.Name}: rank {ours.Rank} vs {theirs.Count}");
                continue;
            }

            for (var i = 0; i < theirs.Count; i++)
            {
                if (theirs[i].ValueKind != JsonValueKind.Number)
                {
                    continue;
                }

                var expected = theirs[i].GetInt64();
                var actual = ours?[i] is { } d ? binding.Evaluate(d) : null;
                if (actual is null)
                {
                    onlyReference.Add($"{entry.Name}[{i}] = {expected} (ours: {ours?[i]?.ToString() ?? "?"})");
                }
                else if (actual == expected)
                {
                    agree++;
                }
                else
                {
                    disagree.Add($"{entry.Name}[{i}]: {expected} vs ours {actual} ({ours![i]})");
                }
            }
        }

        return (agree, disagree, onlyReference);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Inferred_shapes_at_256_agree_with_onnx_shape_inference_wherever_onnx_knows_a_dim(string name)
    {
        var a = Analyze(name);
        if (a.Shapes.Bind(new Dictionary<string, long[]> { ["input"] = [1, 3, 256, 256] }).Violations.Count > 0)
        {
            // The graph cannot run at 256×256 (its shapes only fit 32×32); ONNX's non-strict inference still reports
            // [N, 16, 256, 256] for the impossible broadcast, which no valid run produces. Nothing to compare.
            Assert.StartsWith("lint_", name, StringComparison.Ordinal);
            return;
        }

        var (agree, disagree, onlyOnnx) = Compare(a, RepoPaths.FixtureModel(name + ".shapes-256.json"), 256);
        Assert.True(agree > 0);
        Assert.Empty(disagree);
        Assert.Empty(onlyOnnx);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Inferred_shapes_at_64_agree_with_the_shapes_onnx_runtime_produced(string name)
    {
        var file = RepoPaths.FixtureModel(name + ".runtime-shapes-64.json");
        using (var json = JsonDocument.Parse(File.ReadAllText(file)))
        {
            if (json.RootElement.TryGetProperty("__errors__", out _))
            {
                // The model cannot run at 64×64 (lint fixtures fixed at 32×32): our constraints must say so too.
                var binding = Analyze(name).Shapes.Bind(new Dictionary<string, long[]> { ["input"] = [1, 3, 64, 64] });
                Assert.NotEmpty(binding.Violations);
                return;
            }
        }

        var (agree, disagree, onlyRuntime) = Compare(Analyze(name), file, 64);
        Assert.True(agree > 0);
        Assert.Empty(disagree);

        // Only sizes that depend on pixel values (NonZero's count and what follows it) can be unknown to a static analysis.
        Assert.All(onlyRuntime, entry => Assert.Equal("lint_data_dependent", name));
    }

    [Theory]
    [InlineData("ditn_real_x4", 4, 0)]
    [InlineData("ditn_small", 4, 0)]
    [InlineData("esrt_style", 1, 0)]
    [InlineData("plksr_style", 0, 0)]
    [InlineData("igconv_x2", 0, 0)]
    [InlineData("igconv_x3", 0, 0)]
    [InlineData("igconv_x4", 0, 0)]
    [InlineData("swin_style", 4, 0)]
    [InlineData("shvit_style", 3, 0)]
    [InlineData("plain_sr", 0, 0)]
    [InlineData("lint_static_reshape", 2, 0)]
    [InlineData("lint_scatternd", 0, 0)]
    [InlineData("lint_shape_contradiction", 0, 0)]
    [InlineData("lint_data_dependent", 0, 0)]
    [InlineData("attention_extra_consumer", 0, 1)]
    public void Attention_blocks_and_near_misses_match_the_fixture_documentation(string name, int blocks, int nearMisses)
    {
        var a = Analyze(name);
        Assert.Equal(blocks, a.Attention.Blocks.Count);
        Assert.Equal(nearMisses, a.Attention.NearMisses.Count);
    }

    [Fact]
    public void The_default_model_is_x4_padded_to_multiples_of_8_with_four_channel_attention_blocks()
    {
        var a = Analyze("ditn_real_x4");
        Assert.Equal(444_112, a.Statistics.ParameterCount);
        Assert.Equal(4.0, a.Scale!.Height);
        Assert.Equal(4.0, a.Scale.Width);
        Assert.Equal("4*H", a.Scale.HeightExpression);
        Assert.Contains(a.Constraints.Rules, r => r.Kind == SizeRuleKind.PaddedToMultiple && r.Symbol == "H" && r.Value == 8 && !r.ConstrainsInput);
        Assert.Contains(a.Constraints.Rules, r => r.Kind == SizeRuleKind.PaddedToMultiple && r.Symbol == "W" && r.Value == 8);
        Assert.DoesNotContain(a.Constraints.UserRules, r => r.Kind is SizeRuleKind.MultipleOf or SizeRuleKind.FixedSize);
        Assert.Empty(a.Lints);
        Assert.Equal(4, a.Attention.Blocks.Count);
        foreach (var block in a.Attention.Blocks)
        {
            Assert.Equal(1, block.Heads!.AsConstant);
            Assert.Equal(60, block.QueryTokens!.AsConstant);
            Assert.Equal(60, block.KeyTokens!.AsConstant);
            Assert.Equal(64, block.HeadDim!.AsConstant);
            Assert.Equal(64, block.ValueDim!.AsConstant);
            Assert.True(block.IsQueryL2Normalized);
            Assert.True(block.IsKeyL2Normalized);
            Assert.False(block.HasBias);
            var scale = Assert.Single(block.Scales);
            Assert.Equal(AttentionScaleKind.LearnedParameter, scale.Kind);
            Assert.EndsWith("attn.temperature", scale.Value!.Name, StringComparison.Ordinal);
            Assert.Equal("[N*ceil(H/8)*ceil(W/8), 60, 60]", block.ScoresShape!.ToString());
        }

        var at = a.At(new Dictionary<string, long[]> { ["input"] = [1, 3, 250, 256] });
        Assert.Empty(at.Violations);
        Assert.Equal([1L, 3, 1000, 1024], at.Binding.ShapeOf(a.Graph.Outputs[0])!);
        Assert.Equal([32L * 32, 60, 60], at.Binding.ShapeOf(a.Attention.Blocks[0].Scores)!);
        Assert.Empty(at.Cost.UnknownFlopNodes);
        Assert.True(at.Cost.PeakActivationBytes > 0);
    }

    [Fact]
    public void The_esrt_style_attention_is_five_dimensional_with_eight_heads_of_eighteen()
    {
        var block = Assert.Single(Analyze("esrt_style").Attention.Blocks);
        Assert.Equal(8, block.Heads!.AsConstant);
        Assert.Equal(18, block.HeadDim!.AsConstant);
        Assert.Equal(5, block.ScoresShape!.Rank);
        Assert.Equal(AttentionScaleKind.Constant, block.ScaleKind);
        Assert.Equal(1.0 / 6, block.Scales[0].Effective!.Value, 5);
    }

    [Fact]
    public void The_shvit_style_attention_uses_the_transposed_form_with_one_head()
    {
        var a = Analyze("shvit_style");
        Assert.All(a.Attention.Blocks, b =>
        {
            Assert.Equal(AttentionForm.ValueTimesProbabilitiesTransposed, b.Form);
            Assert.Equal(1, b.Heads!.AsConstant);
            Assert.Equal(16, b.HeadDim!.AsConstant);
            Assert.Equal(AttentionScaleKind.InverseSqrtHeadDim, b.ScaleKind);
        });
    }

    [Theory]
    [InlineData("lint_static_reshape", DeploymentLints.StaticShapeTarget)]
    [InlineData("lint_scatternd", DeploymentLints.ScatterIndexChain)]
    [InlineData("lint_shape_contradiction", DeploymentLints.ShapeContradiction)]
    [InlineData("lint_data_dependent", DeploymentLints.DataDependentShape)]
    public void Each_lint_fixture_triggers_its_lint(string name, string id)
    {
        var a = Analyze(name);
        var lint = Assert.Single(a.Lints, l => l.Id == id);
        Assert.NotEmpty(lint.NodeNames);
        Assert.All(lint.NodeNames, n => Assert.NotNull(a.Graph.Nodes.FirstOrDefault(node => node.DisplayName == n)));
    }

    [Theory]
    [InlineData("ditn_small")]
    [InlineData("esrt_style")]
    [InlineData("plksr_style")]
    [InlineData("igconv_x3")]
    [InlineData("swin_style")]
    [InlineData("shvit_style")]
    [InlineData("plain_sr")]
    [InlineData("attention_extra_consumer")]
    public void Models_without_deployment_hazards_have_no_warnings_or_errors(string name) =>
        Assert.DoesNotContain(Analyze(name).Lints, l => l.Severity != LintSeverity.Info);

    [Fact]
    public void Swin_style_window_attention_keeps_its_tokens_per_window_and_both_biases()
    {
        var a = Analyze("swin_style");
        Assert.All(a.Attention.Blocks, b =>
        {
            Assert.Equal(4, b.Heads!.AsConstant);
            Assert.Equal(64, b.QueryTokens!.AsConstant);
            Assert.Equal(AttentionScaleLocation.Query, b.Scales.Single().Location);
        });
        Assert.Equal([1, 2, 1, 2], a.Attention.Blocks.Select(b => b.Biases.Count));
        Assert.Contains(a.Constraints.Rules, r => r.Kind == SizeRuleKind.PaddedToMultiple && r.Value == 8);
    }
}
