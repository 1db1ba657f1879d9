using Onnx;
using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Tests;
using static SuperRes.Deploy.Tests.TestModelBuilder;

namespace SuperRes.Deploy.Engines.Tests.Graph;

public class AnalysisTests
{
    private static ModelAnalysis Analyze(TestModelBuilder b) => ModelAnalysis.Run(OnnxGraph.FromModelProto(b.Build()));

    private static TestModelBuilder Image() => new TestModelBuilder().Input("x", "N", 3, "H", "W");

    private static Dictionary<string, long[]> At(long n, long c, long h, long w) => new() { ["x"] = [n, c, h, w] };

    // ---------------------------------------------------------------- statistics, scale

    [Fact]
    public void Statistics_count_ops_parameters_by_type_and_reshapes_and_transposes()
    {
        var b = Image().Weight("w", 12, 3, 3, 3).Int64s("shape", [3], 0, 12, -1)
            .Node("Conv", ["x", "w"], ["c"], IntsAttr("pads", 1, 1, 1, 1))
            .Node("Reshape", ["c", "shape"], ["r"])
            .Node("Transpose", ["r"], ["t"], IntsAttr("perm", 0, 2, 1))
            .Node("Transpose", ["t"], ["y"], IntsAttr("perm", 0, 2, 1))
            .Output("y");
        var a = Analyze(b);
        Assert.Equal(4, a.Statistics.NodeCount);
        Assert.Equal(2, a.Statistics.CountOf("Transpose"));
        Assert.Equal(3, a.Statistics.ReshapeTransposeCount);
        Assert.Equal(12 * 27, a.Statistics.ParameterCount);
        Assert.Equal((12 * 27 * 4) + (3 * 8), a.Statistics.ParameterBytes);
        Assert.Contains(a.Statistics.ParametersByType, p => p.ElementTypeName == "int64" && p.Elements == 3);
    }

    [Theory]
    [InlineData(2, 2.0)]
    [InlineData(3, 3.0)]
    public void The_scale_factor_is_output_over_input_size(long block, double expected)
    {
        var b = Image().Weight("w", 3 * block * block, 3, 3, 3)
            .Node("Conv", ["x", "w"], ["c"], IntsAttr("pads", 1, 1, 1, 1))
            .Node("DepthToSpace", ["c"], ["y"], IntAttr("blocksize", block)).Output("y");
        var a = Analyze(b);
        Assert.Equal(expected, a.Scale!.Height);
        Assert.True(a.Scale.IsUniform);
        Assert.Equal($"{block}*H", a.Scale.HeightExpression);
    }

    [Fact]
    public void A_downscaler_has_a_fractional_scale_and_a_fixed_output_has_none()
    {
        var down = Analyze(Image().Node("AveragePool", ["x"], ["y"], IntsAttr("kernel_shape", 2, 2), IntsAttr("strides", 2, 2)).Output("y"));
        Assert.Equal(0.5, down.Scale!.Height);
        var fixedOutput = Analyze(Image().Floats("empty", [0]).Int64s("sizes", [4], 1, 3, 64, 64).Node("Resize", ["x", "", "empty", "sizes"], ["y"]).Output("y"));
        Assert.Null(fixedOutput.Scale);
    }

    // ---------------------------------------------------------------- size rules

    [Fact]
    public void SpaceToDepth_makes_the_size_a_multiple_of_its_block()
    {
        var a = Analyze(Image().Node("SpaceToDepth", ["x"], ["y"], IntAttr("blocksize", 8)).Output("y"));
        var rule = Assert.Single(a.Constraints.UserRules, r => r.Symbol == "H");
        Assert.Equal(SizeRuleKind.MultipleOf, rule.Kind);
        Assert.Equal(8, rule.Value);
        Assert.Contains("multiple of 8", rule.Description);
        Assert.Equal([InputAxisOf("x", 2)], rule.Axes);
    }

    private static InputAxis InputAxisOf(string input, int axis) => new(input, axis);

    [Fact]
    public void A_valid_convolution_chain_sets_a_minimum_size()
    {
        var a = Analyze(Image().Weight("w", 4, 3, 7, 7).Weight("w2", 4, 4, 5, 5)
            .Node("Conv", ["x", "w"], ["c"]).Node("Conv", ["c", "w2"], ["y"]).Output("y"));
        var rule = a.Constraints.UserRules.Single(r => r.Symbol == "W");
        Assert.Equal(SizeRuleKind.Minimum, rule.Kind);
        Assert.Equal(11, rule.Minimum);
    }

    [Fact]
    public void A_pad_computed_to_round_up_is_reported_as_padding_not_as_a_constraint()
    {
        // H + (8 - H % 8) % 8, built like torch exports F.pad(x, (0, 0, 0, pad)).
        var b = Image()
            .Node("Shape", ["x"], ["s"]).ConstInts("i2", [2], scalar: true).Node("Gather", ["s", "i2"], ["h"])
            .ConstInts("eight", [8], scalar: true)
            .Node("Mod", ["h", "eight"], ["m"]).Node("Sub", ["eight", "m"], ["d"]).Node("Mod", ["d", "eight"], ["pad"])
            .ConstInts("ax", [0]).Node("Unsqueeze", ["pad", "ax"], ["padv"])
            .ConstInts("zeros6", [0, 0, 0, 0, 0, 0]).ConstInts("zero1", [0])
            .Node("Concat", ["zeros6", "padv", "zero1"], ["pads"], IntAttr("axis", 0))
            .Node("Pad", ["x", "pads"], ["p"])
            .Node("SpaceToDepth", ["p"], ["y"], IntAttr("blocksize", 8)).Output("y");
        var a = Analyze(b);
        var pad = Assert.Single(a.Constraints.Rules, r => r.Symbol == "H");
        Assert.Equal(SizeRuleKind.PaddedToMultiple, pad.Kind);
        Assert.Contains(a.Constraints.UserRules, r => r.Symbol == "W" && r.Kind == SizeRuleKind.MultipleOf && r.Value == 8);
        Assert.Equal(8, pad.Value);
        Assert.False(pad.ConstrainsInput);
        Assert.Equal("[N, 3, 8*ceil(H/8), W]", a.Shapes["p"].Shape!.ToString());
    }

    [Fact]
    public void A_constant_reshape_target_pins_the_dynamic_sizes()
    {
        var a = Analyze(Image().Int64s("t", [3], 1, 3, 1024).Node("Reshape", ["x", "t"], ["y"]).Output("y"));
        Assert.Contains(a.Constraints.Rules, r => r.Kind == SizeRuleKind.FixedSize && r.Symbol == "H" && r.Value == 32);
        Assert.Contains(a.Constraints.Rules, r => r.Kind == SizeRuleKind.FixedSize && r.Symbol == "N" && r.Value == 1);
        Assert.Equal(32, a.Constraints.Reference["W"]);
    }

    [Fact]
    public void A_constraint_on_the_product_of_two_sizes_is_reported_as_coupling()
    {
        var a = Analyze(new TestModelBuilder().Input("x", "N", 1, "H", "W").Int64s("t", [3], 0, -1, 4).Node("Reshape", ["x", "t"], ["y"]).Output("y"));
        var coupled = Assert.Single(a.Constraints.Rules, r => r.Kind == SizeRuleKind.Coupled);
        Assert.Contains("H", coupled.Description);
        Assert.Contains("W", coupled.Description);
        Assert.Empty(a.Constraints.ViolationsAt(new Dictionary<string, long> { ["N"] = 1, ["H"] = 6, ["W"] = 2 }));
        Assert.NotEmpty(a.Constraints.ViolationsAt(new Dictionary<string, long> { ["N"] = 1, ["H"] = 3, ["W"] = 2 }));
    }

    [Fact]
    public void A_downsample_and_upsample_pair_added_back_to_its_input_requires_even_sizes()
    {
        // ESRT's high-frequency branch: x - up(down(x)) with AvgPool(2) and a 2x Resize.
        var a = Analyze(Image()
            .Node("AveragePool", ["x"], ["down"], IntsAttr("kernel_shape", 2, 2), IntsAttr("strides", 2, 2))
            .Floats("scales", [4], 1, 1, 2, 2).Node("Resize", ["down", "", "scales"], ["up"])
            .NamedNode("high", "Sub", ["x", "up"], ["y"]).Output("y"));
        var rule = a.Constraints.UserRules.Single(r => r.Symbol == "H");
        Assert.Equal(SizeRuleKind.MultipleOf, rule.Kind);
        Assert.Equal(2, rule.Value);
        Assert.Equal(["high"], rule.NodeNames);
    }

    // ---------------------------------------------------------------- FLOPs and memory

    [Fact]
    public void Flops_are_twice_the_macs_of_convolutions_and_matmuls_and_one_per_elementwise_output()
    {
        var b = Image().Weight("w", 16, 3, 3, 3)
            .Node("Conv", ["x", "w"], ["c"], IntsAttr("pads", 1, 1, 1, 1))
            .Node("Relu", ["c"], ["r"])
            .Input("t", 1, 8, 16).Weight("m", 16, 32).Node("MatMul", ["t", "m"], ["mm"])
            .Output("r");
        var a = Analyze(b);
        var at = a.At(new Dictionary<string, long[]> { ["x"] = [1, 3, 8, 8], ["t"] = [1, 8, 16] });
        Assert.Equal(2L * 16 * 8 * 8 * 27, at.Cost.PerNode.Single(n => n.Node.OpType == "Conv").Flops);
        Assert.Equal(16L * 8 * 8, at.Cost.PerNode.Single(n => n.Node.OpType == "Relu").Flops);
        Assert.Equal(2L * 8 * 32 * 16, at.Cost.PerNode.Single(n => n.Node.OpType == "MatMul").Flops);
        Assert.Equal(at.Cost.PerNode.Sum(n => n.Flops), at.Cost.TotalFlops);
        Assert.Equal("Conv", at.Cost.FlopsByOpType[0].OpType);
        Assert.Empty(at.Cost.UnknownFlopNodes);
    }

    [Fact]
    public void Peak_activation_memory_follows_liveness_along_the_order()
    {
        // x → a = Relu(x) → b = Relu(a) → y = Add(a, b): during the Add, a, b and y are alive (x died after the first Relu).
        var b = Image().Node("Relu", ["x"], ["a"]).Node("Relu", ["a"], ["b"]).Node("Add", ["a", "b"], ["y"]).Output("y");
        var a = Analyze(b);
        var at = a.At(At(1, 3, 4, 4));
        const long tensor = 3 * 4 * 4 * 4;
        Assert.Equal(3 * tensor, at.Cost.PeakActivationBytes);
        Assert.Equal("Add", at.Cost.PeakNode!.OpType);
        Assert.Equal(["a", "b", "y"], at.Cost.LiveAtPeak.Select(l => l.Value.Name).Order());
        Assert.Equal(4 * 3 * tensor, a.At(At(4, 3, 4, 4)).Cost.PeakActivationBytes);
    }

    [Fact]
    public void Evaluating_many_shapes_reuses_one_analysis()
    {
        var a = Analyze(Image().Weight("w", 8, 3, 3, 3).Node("Conv", ["x", "w"], ["y"], IntsAttr("pads", 1, 1, 1, 1)).Output("y"));
        var flops = Enumerable.Range(1, 20).Select(s => a.At(At(1, 3, 8 * s, 8 * s)).Cost.TotalFlops).ToList();
        Assert.Equal(Enumerable.Range(1, 20).Select(s => 2L * 8 * 27 * 64 * s * s), flops);
    }

    // ---------------------------------------------------------------- attention

    /// <summary>Single-head attention over tokens: x (B, N, 16) → q, k, v → softmax(q kᵀ · s) v.</summary>
    private static TestModelBuilder AttentionModel(Action<TestModelBuilder>? scores = null, string softmaxInput = "scaled", long axis = -1)
    {
        var b = new TestModelBuilder().Input("x", "B", "N", 16).Weight("wq", 16, 16).Weight("wk", 16, 16).Weight("wv", 16, 24)
            .Node("MatMul", ["x", "wq"], ["q"]).Node("MatMul", ["x", "wk"], ["k"]).Node("MatMul", ["x", "wv"], ["v"])
            .Node("Transpose", ["k"], ["kt"], IntsAttr("perm", 0, 2, 1))
            .NamedNode("qk", "MatMul", ["q", "kt"], ["s"]);
        if (scores is null)
        {
            b.ConstFloat("c", 0.25f).NamedNode("scale", "Mul", ["s", "c"], ["scaled"]);
        }
        else
        {
            scores(b);
        }

        return b.NamedNode("softmax", "Softmax", [softmaxInput], ["p"], IntAttr("axis", axis))
            .NamedNode("pv", "MatMul", ["p", "v"], ["o"])
            .Output("o");
    }

    [Fact]
    public void A_softmax_between_two_matmuls_is_an_attention_block_with_shapes_roles_and_scale()
    {
        var a = Analyze(AttentionModel());
        var block = Assert.Single(a.Attention.Blocks);
        Assert.Equal("qk", block.ScoresMatMul.Name);
        Assert.Equal("pv", block.OutputMatMul.Name);
        Assert.Equal("q", block.Query.Name);
        Assert.Equal("k", block.Key.Name);
        Assert.Equal("v", block.Value.Name);
        Assert.NotNull(block.KeyTranspose);
        Assert.Equal(AttentionForm.ProbabilitiesTimesValue, block.Form);
        Assert.Equal("N", block.QueryTokens!.ToString());
        Assert.Equal("N", block.KeyTokens!.ToString());
        Assert.Equal(16, block.HeadDim!.AsConstant);
        Assert.Equal(24, block.ValueDim!.AsConstant);
        Assert.Equal(1, block.Heads!.AsConstant);
        var scale = Assert.Single(block.Scales);
        Assert.Equal(AttentionScaleKind.InverseSqrtHeadDim, scale.Kind);
        Assert.Equal(AttentionScaleLocation.Scores, scale.Location);
        Assert.Equal(0.25, scale.Effective!.Value, 6);
        Assert.False(block.HasBias);
        Assert.Equal("[B, N, N]", block.ScoresShape!.ToString());
        Assert.Contains(block.Nodes, n => n.Name == "scale");
    }

    [Fact]
    public void A_learnable_temperature_a_bias_and_a_division_are_recognised()
    {
        var a = Analyze(AttentionModel(b => b
            .Floats("attn.temperature", [1, 1, 1], 1.7f)
            .NamedNode("temperature", "Mul", ["s", "attn.temperature"], ["t"])
            .Input("mask", "B", "N", "N")
            .NamedNode("bias", "Add", ["t", "mask"], ["biased"])
            .ConstFloat("d", 2f)
            .NamedNode("div", "Div", ["biased", "d"], ["scaled"])));
        var block = Assert.Single(a.Attention.Blocks);
        Assert.Equal(2, block.Scales.Count);
        Assert.Contains(block.Scales, s => s.Kind == AttentionScaleKind.LearnedParameter && s.Value!.Name == "attn.temperature");
        Assert.Contains(block.Scales, s => s.IsDivision && s.Effective == 0.5);
        var bias = Assert.Single(block.Biases);
        Assert.False(bias.IsConstant);
        Assert.Equal(["temperature", "bias", "div"], block.ScoreChain.Select(n => n.Name));
    }

    [Fact]
    public void L2_normalised_queries_and_keys_and_a_pre_scaled_query_are_recognised()
    {
        // F.normalize(t, dim=-1): t / expand(clip(ReduceL2(t, -1), eps)).
        var b = new TestModelBuilder().Input("q", "B", 60, 64).Input("k", "B", 60, 64).Input("v", "B", 60, 64);
        foreach (var t in new[] { "q", "k" })
        {
            b.Node("ReduceL2", [t], [$"{t}_norm"], IntsAttr("axes", -1), IntAttr("keepdims", 1))
                .ConstFloat($"{t}_eps", 1e-12f).Node("Clip", [$"{t}_norm", $"{t}_eps", ""], [$"{t}_clip"])
                .Node("Shape", [t], [$"{t}_shape"]).Node("Expand", [$"{t}_clip", $"{t}_shape"], [$"{t}_den"])
                .Node("Div", [t, $"{t}_den"], [$"{t}_n"]);
        }

        b.ConstFloat("c", 0.125f).Node("Mul", ["q_n", "c"], ["q_s"])
            .Node("Transpose", ["k_n"], ["kt"], IntsAttr("perm", 0, 2, 1))
            .Node("MatMul", ["q_s", "kt"], ["s"]).Node("Softmax", ["s"], ["p"], IntAttr("axis", -1)).Node("MatMul", ["p", "v"], ["o"]).Output("o");
        var block = Assert.Single(Analyze(b).Attention.Blocks);
        Assert.True(block.IsQueryL2Normalized);
        Assert.True(block.IsKeyL2Normalized);
        Assert.Equal("q", block.QueryNormalization!.Input.Name);
        Assert.Equal(AttentionScaleKind.InverseSqrtHeadDim, block.Scales.Single().Kind);
        Assert.Equal(AttentionScaleLocation.Query, block.Scales.Single().Location);
        Assert.Equal(60, block.QueryTokens!.AsConstant);
        Assert.Equal(64, block.HeadDim!.AsConstant);
    }

    [Fact]
    public void The_value_times_transposed_probabilities_form_is_an_attention_block()
    {
        // SHViT: attn = softmax(qᵀk · s); out = v @ attnᵀ with q, k, v as (B, d, N).
        var b = new TestModelBuilder().Input("q", "B", 16, "N").Input("k", "B", 16, "N").Input("v", "B", 32, "N")
            .Node("Transpose", ["q"], ["qt"], IntsAttr("perm", 0, 2, 1))
            .Node("MatMul", ["qt", "k"], ["s"]).ConstFloat("c", 0.25f).Node("Mul", ["s", "c"], ["ss"])
            .Node("Softmax", ["ss"], ["p"], IntAttr("axis", -1))
            .Node("Transpose", ["p"], ["pt"], IntsAttr("perm", 0, 2, 1))
            .Node("MatMul", ["v", "pt"], ["o"]).Output("o");
        var block = Assert.Single(Analyze(b).Attention.Blocks);
        Assert.Equal(AttentionForm.ValueTimesProbabilitiesTransposed, block.Form);
        Assert.Null(block.KeyTranspose);
        Assert.NotNull(block.ProbabilitiesTranspose);
        Assert.Equal(32, block.ValueDim!.AsConstant);
        Assert.Equal(16, block.HeadDim!.AsConstant);
        Assert.Equal("[B, 32, N]", block.OutputShape!.ToString());
    }

    [Fact]
    public void A_softmax_over_another_axis_or_with_another_consumer_is_a_near_miss_with_reasons()
    {
        var axis = Analyze(AttentionModel(axis: 1));
        Assert.Empty(axis.Attention.Blocks);
        Assert.Contains("not the last axis", Assert.Single(axis.Attention.NearMisses).Reasons.Single());

        var extra = AttentionModel();
        extra.Node("ReduceSum", ["p"], ["gate"], IntAttr("keepdims", 1)).Output("gate");
        var miss = Assert.Single(Analyze(extra).Attention.NearMisses);
        Assert.Contains(miss.Reasons, r => r.Contains("softmax output has another consumer") && r.Contains("ReduceSum"));

        var scores = AttentionModel();
        scores.Node("Relu", ["s"], ["side"]).Output("side");
        Assert.Contains(Assert.Single(Analyze(scores).Attention.NearMisses).Reasons, r => r.Contains("scores 's' have another consumer"));
    }

    [Fact]
    public void A_softmax_without_matmuls_is_not_an_attention_candidate()
    {
        var a = Analyze(Image().Node("Softmax", ["x"], ["y"], IntAttr("axis", 1)).Output("y"));
        Assert.Empty(a.Attention.Blocks);
        Assert.Empty(a.Attention.NearMisses);
    }

    // ---------------------------------------------------------------- lints

    private static LintFinding Lint(ModelAnalysis a, string id) => Assert.Single(a.Lints, l => l.Id == id);

    [Fact]
    public void SRD001_flags_a_constant_reshape_target_that_only_fits_one_size()
    {
        var a = Analyze(Image().Int64s("t", [3], 1, 3, 1024).NamedNode("baked", "Reshape", ["x", "t"], ["y"]).Output("y"));
        var lint = Lint(a, DeploymentLints.StaticShapeTarget);
        Assert.Equal(LintSeverity.Error, lint.Severity);
        Assert.Contains("baked", lint.NodeNames);
        Assert.Contains("H=32", lint.Message);
    }

    [Fact]
    public void SRD001_warns_about_a_resize_to_constant_sizes_on_a_dynamic_axis()
    {
        var a = Analyze(Image().Floats("empty", [0]).Int64s("sizes", [4], 1, 3, 64, 64)
            .NamedNode("resize", "Resize", ["x", "", "empty", "sizes"], ["y"]).Output("y"));
        var lint = Lint(a, DeploymentLints.StaticShapeTarget);
        Assert.Equal(LintSeverity.Warning, lint.Severity);
        Assert.Equal(["resize"], lint.NodeNames);
    }

    [Fact]
    public void SRD002_flags_shapes_that_only_broadcast_at_one_size()
    {
        var a = Analyze(Image().Weight("pos", 1, 3, 48, 48).NamedNode("add", "Add", ["x", "pos"], ["y"]).Output("y"));
        var lint = Lint(a, DeploymentLints.ShapeContradiction);
        Assert.Equal(["add"], lint.NodeNames);
        Assert.Contains("H=48", lint.Message);
    }

    [Fact]
    public void SRD003_flags_scatternd_with_computed_indices()
    {
        var b = Image()
            .Node("Shape", ["x"], ["s"]).ConstInts("i1", [1], scalar: true).Node("Gather", ["s", "i1"], ["c"])
            .ConstInts("zero", [0], scalar: true).ConstInts("one", [1], scalar: true)
            .Node("Range", ["zero", "c", "one"], ["r"]).ConstInts("ax", [1]).Node("Unsqueeze", ["r", "ax"], ["idx"])
            .Input("updates", 3, "N", "H", "W")
            .Node("Transpose", ["x"], ["xt"], IntsAttr("perm", 1, 0, 2, 3))
            .NamedNode("scatter", "ScatterND", ["xt", "idx", "updates"], ["y"]).Output("y");
        var lint = Lint(Analyze(b), DeploymentLints.ScatterIndexChain);
        Assert.Equal("scatter", lint.NodeNames[0]);
        Assert.Contains(lint.NodeNames, n => n.StartsWith("Range", StringComparison.Ordinal));
    }

    [Fact]
    public void SRD004_flags_data_dependent_shapes()
    {
        var b = Image().NamedNode("nz", "NonZero", ["x"], ["idx"])
            .Node("ReduceMax", ["x"], ["mx"], IntAttr("keepdims", 0)).Node("Cast", ["mx"], ["k"], IntAttr("to", 7))
            .ConstInts("ax", [0]).Node("Unsqueeze", ["k", "ax"], ["end"]).ConstInts("zero", [0]).ConstInts("ax2", [2])
            .NamedNode("crop", "Slice", ["x", "zero", "end", "ax2"], ["y"]).Output("y").Output("idx");
        var lint = Lint(Analyze(b), DeploymentLints.DataDependentShape);
        Assert.Equal(["nz", "crop"], lint.NodeNames);
    }

    [Fact]
    public void SRD005_flags_control_flow()
    {
        var branch = new GraphProto { Name = "b" };
        branch.Node.Add(MakeNode("id", "Identity", ["x"], ["o"]));
        branch.Output.Add(new ValueInfoProto { Name = "o" });
        var b = Image().Input("cond", TensorProto.Types.DataType.Bool)
            .NamedNode("if", "If", ["cond"], ["y"], GraphAttr("then_branch", branch), GraphAttr("else_branch", branch.Clone())).Output("y");
        Assert.Equal(["if"], Lint(Analyze(b), DeploymentLints.ControlFlow).NodeNames);
    }

    [Fact]
    public void SRD006_flags_the_contrib_gridsample()
    {
        var b = Image().Input("grid", "N", "H", "W", 2).DomainNode("com.microsoft", "GridSample", ["x", "grid"], ["y"]).Output("y");
        var lint = Lint(Analyze(b), DeploymentLints.GridSampleExport);
        Assert.Contains("opset 16", lint.Message);
    }

    [Fact]
    public void SRD007_flags_a_tensor_over_two_billion_elements_at_a_given_shape()
    {
        var a = Analyze(Image().Weight("w", 64, 3, 3, 3).Node("Conv", ["x", "w"], ["y"], IntsAttr("pads", 1, 1, 1, 1)).Output("y"));
        Assert.Empty(a.At(At(1, 3, 1024, 1024)).Lints);
        var lint = Assert.Single(a.At(At(1, 3, 8192, 8192)).Lints);
        Assert.Equal(DeploymentLints.TensorVolume, lint.Id);
        Assert.Contains("4,294,967,296", lint.Message);
    }

    [Fact]
    public void SRD008_notes_ops_whose_shapes_are_unknown()
    {
        var a = Analyze(Image().DomainNode("com.example.tests", "Mystery", ["x"], ["y"]).Output("y"));
        Assert.Equal(LintSeverity.Info, Lint(a, DeploymentLints.IncompleteShapes).Severity);
    }

    [Fact]
    public void SRD009_flags_an_input_shape_that_breaks_a_size_constraint()
    {
        var a = Analyze(Image().NamedNode("s2d", "SpaceToDepth", ["x"], ["y"], IntAttr("blocksize", 4)).Output("y"));
        Assert.Empty(a.At(At(1, 3, 64, 64)).Lints);
        var at = a.At(At(1, 3, 62, 64));
        var lint = Assert.Single(at.Lints);
        Assert.Equal(DeploymentLints.InputShapeViolation, lint.Id);
        Assert.Equal(["s2d"], lint.NodeNames);
        Assert.NotEmpty(at.Violations);
    }

    [Fact]
    public void A_clean_dynamic_model_has_no_lints()
    {
        var a = Analyze(Image().Weight("w", 48, 3, 3, 3).Node("Conv", ["x", "w"], ["c"], IntsAttr("pads", 1, 1, 1, 1))
            .Node("DepthToSpace", ["c"], ["y"], IntAttr("blocksize", 4)).Output("y"));
        Assert.Empty(a.Lints);
        Assert.Empty(a.Constraints.UserRules);
    }

    // ---------------------------------------------------------------- robustness

    public static TheoryData<string> OddModels() => ["no-shape", "static", "scalar", "loop", "unknown-scales", "unknown-attention", "empty"];

    private static TestModelBuilder Odd(string kind)
    {
        switch (kind)
        {
            case "no-shape":
                {
                    var b = new TestModelBuilder();
                    b.Graph.Input.Add(new ValueInfoProto { Name = "x" });
                    return b.Node("Relu", ["x"], ["r"]).Node("Softmax", ["r"], ["y"]).Output("y");
                }

            case "static":
                return new TestModelBuilder().Input("x", 1, 3, 32, 32).Weight("w", 12, 3, 3, 3)
                    .Node("Conv", ["x", "w"], ["c"], IntsAttr("pads", 1, 1, 1, 1)).Node("DepthToSpace", ["c"], ["y"], IntAttr("blocksize", 2)).Output("y");
            case "scalar":
                return new TestModelBuilder().Input("x").Node("Neg", ["x"], ["y"]).Output("y");
            case "loop":
                {
                    var body = new GraphProto { Name = "body" };
                    body.Input.Add(ValueInfo("i", TensorProto.Types.DataType.Int64, []));
                    body.Input.Add(ValueInfo("c", TensorProto.Types.DataType.Bool, []));
                    body.Input.Add(ValueInfo("acc", TensorProto.Types.DataType.Float, ["N", 4]));
                    body.Node.Add(MakeNode("step", "Relu", ["acc"], ["acc_out"]));
                    body.Node.Add(MakeNode("keep", "Identity", ["c"], ["c_out"]));
                    body.Output.Add(new ValueInfoProto { Name = "c_out" });
                    body.Output.Add(new ValueInfoProto { Name = "acc_out" });
                    return new TestModelBuilder().Input("x", "N", 4).ConstInts("trips", [3], scalar: true)
                        .Node("Loop", ["trips", "", "x"], ["y"], GraphAttr("body", body)).Output("y");
                }

            case "unknown-scales":
                return new TestModelBuilder().Input("x", "N", 3, "H", "W").Input("scales", 4)
                    .Node("Resize", ["x", "", "scales"], ["y"]).Output("y");
            case "unknown-attention":
                {
                    var b = new TestModelBuilder();
                    b.Graph.Input.Add(new ValueInfoProto { Name = "q" });
                    b.Graph.Input.Add(new ValueInfoProto { Name = "k" });
                    b.Graph.Input.Add(new ValueInfoProto { Name = "v" });
                    return b.Node("MatMul", ["q", "k"], ["s"]).Node("Softmax", ["s"], ["p"], IntAttr("axis", -1))
                        .Node("MatMul", ["p", "v"], ["y"]).Output("y");
                }

            default:
                return new TestModelBuilder().Input("x", "N", 4).Output("x");
        }
    }

    [Theory]
    [MemberData(nameof(OddModels))]
    public void Odd_models_are_analysed_without_exceptions(string kind)
    {
        var a = Analyze(Odd(kind));
        Assert.NotNull(a.Statistics);
        Assert.NotNull(a.Constraints);
        _ = a.Cost.Evaluate(a.Shapes.Bind(new Dictionary<string, long>()));
        if (kind == "unknown-attention")
        {
            var block = Assert.Single(a.Attention.Blocks);
            Assert.Null(block.ScoresShape);
        }

        if (kind == "loop")
        {
            Assert.Equal("[N, 4]", a.Shapes["y"].Shape!.ToString());
            Assert.Contains(a.Lints, l => l.Id == DeploymentLints.ControlFlow);
        }

        if (kind == "static")
        {
            Assert.Equal(2.0, a.Scale!.Height);
            Assert.Equal([1L, 3, 64, 64], a.At(new Dictionary<string, long[]> { ["x"] = [1, 3, 32, 32] }).Binding.ShapeOf(a.Graph.Outputs[0])!);
        }
    }
}
