using Onnx;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Graph.Symbolic;
using SuperRes.Deploy.Tests;
using static SuperRes.Deploy.Tests.TestModelBuilder;

namespace SuperRes.Deploy.Engines.Tests.Graph;

public class ShapeInferenceTests
{
    private static ShapeInferenceResult Infer(TestModelBuilder b) => ShapeInference.Run(OnnxGraph.FromModelProto(b.Build()));

    private static string Shape(ShapeInferenceResult r, string value) => r[value].Shape?.ToString() ?? "unknown";

    private static TestModelBuilder Image() => new TestModelBuilder().Input("x", "N", 3, "H", "W");

    [Fact]
    public void Conv_handles_pads_strides_dilations_groups_and_auto_pad()
    {
        var b = Image().Weight("w", 16, 3, 3, 3).Weight("dw", 16, 1, 7, 7).Weight("w2", 8, 16, 2, 2)
            .Node("Conv", ["x", "w"], ["c1"], IntsAttr("pads", 1, 1, 1, 1))
            .Node("Conv", ["c1", "dw"], ["c2"], IntAttr("group", 16), IntsAttr("dilations", 3, 3), IntsAttr("pads", 9, 9, 9, 9))
            .Node("Conv", ["c2", "w2"], ["c3"], IntsAttr("strides", 2, 2))
            .Node("Conv", ["c2", "w2"], ["c4"], IntsAttr("strides", 2, 2), StringAttr("auto_pad", "SAME_UPPER"));
        var r = Infer(b);
        Assert.Equal("[N, 16, H, W]", Shape(r, "c1"));
        Assert.Equal("[N, 16, H, W]", Shape(r, "c2"));
        Assert.Equal("[N, 8, floor(H/2), floor(W/2)]", Shape(r, "c3"));
        Assert.Equal("[N, 8, ceil(H/2), ceil(W/2)]", Shape(r, "c4"));
        Assert.Contains(r.Constraints, c => c.Node.OpType == "Conv" && c.Kind == ConstraintKind.AtLeast);
    }

    [Fact]
    public void ConvTranspose_and_pools_follow_the_onnx_formulas()
    {
        var b = Image().Weight("w", 3, 8, 4, 4)
            .Node("ConvTranspose", ["x", "w"], ["up"], IntsAttr("strides", 2, 2), IntsAttr("pads", 1, 1, 1, 1))
            .Node("MaxPool", ["x"], ["mp"], IntsAttr("kernel_shape", 3, 3), IntsAttr("strides", 2, 2), IntAttr("ceil_mode", 1))
            .Node("AveragePool", ["x"], ["ap"], IntsAttr("kernel_shape", 2, 2), IntsAttr("strides", 2, 2))
            .Node("GlobalAveragePool", ["x"], ["gap"]);
        var r = Infer(b);
        Assert.Equal("[N, 8, 2*H, 2*W]", Shape(r, "up"));
        // ceil((H - 3)/2) + 1 is floor(H/2): the canonical form finds that.
        Assert.Equal("[N, 3, floor(H/2), floor(W/2)]", Shape(r, "mp"));
        Assert.Equal("[N, 3, floor(H/2), floor(W/2)]", Shape(r, "ap"));
        Assert.Equal("[N, 3, 1, 1]", Shape(r, "gap"));
    }

    [Fact]
    public void DepthToSpace_and_SpaceToDepth_scale_spatial_dims_and_require_divisibility()
    {
        var b = Image().Weight("w", 48, 3, 1, 1)
            .Node("Conv", ["x", "w"], ["c"])
            .Node("DepthToSpace", ["c"], ["up"], IntAttr("blocksize", 4))
            .Node("SpaceToDepth", ["x"], ["down"], IntAttr("blocksize", 2));
        var r = Infer(b);
        Assert.Equal("[N, 3, 4*H, 4*W]", Shape(r, "up"));
        Assert.Equal("[N, 12, floor(H/2), floor(W/2)]", Shape(r, "down"));
        Assert.Contains(r.Constraints, c => c.Node.OpType == "SpaceToDepth" && c.Kind == ConstraintKind.Equal);
        var binding = r.Bind(new Dictionary<string, long[]> { ["x"] = [1, 3, 5, 6] });
        Assert.Contains(binding.Violations, c => c.Node.OpType == "SpaceToDepth");
        Assert.Equal([1L, 3, 20, 24], binding.ShapeOf(r.Graph.GetValue("up"))!);
    }

    [Fact]
    public void Reshape_resolves_targets_computed_by_shape_gather_unsqueeze_concat_chains()
    {
        // view(B, C, H/8, 8, W/8, 8) as torch exports it.
        var b = Image()
            .Node("Shape", ["x"], ["s"])
            .ConstInts("i0", [0], scalar: true).ConstInts("i1", [1], scalar: true).ConstInts("i2", [2], scalar: true).ConstInts("i3", [3], scalar: true)
            .Node("Gather", ["s", "i0"], ["n"], IntAttr("axis", 0))
            .Node("Gather", ["s", "i1"], ["c"], IntAttr("axis", 0))
            .Node("Gather", ["s", "i2"], ["h"], IntAttr("axis", 0))
            .Node("Gather", ["s", "i3"], ["w"], IntAttr("axis", 0))
            .ConstInts("eight", [8], scalar: true)
            .Node("Div", ["h", "eight"], ["h8"])
            .Node("Div", ["w", "eight"], ["w8"])
            .ConstInts("axes", [0])
            .Node("Unsqueeze", ["n", "axes"], ["un"]).Node("Unsqueeze", ["c", "axes"], ["uc"])
            .Node("Unsqueeze", ["h8", "axes"], ["uh"]).Node("Unsqueeze", ["w8", "axes"], ["uw"])
            .ConstInts("k8", [8])
            .Node("Concat", ["un", "uc", "uh", "k8", "uw", "k8"], ["target"], IntAttr("axis", 0))
            .Node("Reshape", ["x", "target"], ["patches"])
            .Node("Transpose", ["patches"], ["t"], IntsAttr("perm", 0, 2, 4, 1, 3, 5))
            .ConstInts("flat", [-1, 3, 8, 8])
            .Node("Reshape", ["t", "flat"], ["batch"]);
        var r = Infer(b);
        Assert.Equal("[N, 3, floor(H/8), 8, floor(W/8), 8]", Shape(r, "patches"));
        Assert.Equal("[N*floor(H/8)*floor(W/8), 3, 8, 8]", Shape(r, "batch"));
        Assert.Equal("[N, 3, floor(H/8), 8, floor(W/8), 8]", r["target"].Value!.ToString());

        // H must be a multiple of 8 for the element counts to match.
        var binding = r.Bind(new Dictionary<string, long[]> { ["x"] = [1, 3, 20, 24] });
        Assert.Contains(binding.Violations, c => c.Node.OpType == "Reshape");
        Assert.Empty(r.Bind(new Dictionary<string, long[]> { ["x"] = [2, 3, 16, 24] }).Violations);
    }

    [Fact]
    public void Reshape_with_zero_and_minus_one_copies_and_infers_dims()
    {
        var b = Image().ConstInts("t", [0, 0, -1]).Node("Reshape", ["x", "t"], ["y"]).ConstInts("t2", [0, -1, 1]).Node("Reshape", ["y", "t2"], ["z"]);
        var r = Infer(b);
        Assert.Equal("[N, 3, H*W]", Shape(r, "y"));
        Assert.Equal("[N, 3*H*W, 1]", Shape(r, "z"));
    }

    [Fact]
    public void MatMul_broadcasts_batch_dims_promotes_vectors_and_requires_matching_inner_dims()
    {
        var b = new TestModelBuilder().Input("a", "B", 4, "N", 16).Input("k", 1, 4, 16, "M").Input("v", 16).Input("bad", "B", 4, 8, "M")
            .Node("MatMul", ["a", "k"], ["s"])
            .Node("MatMul", ["a", "v"], ["vec"])
            .Node("MatMul", ["a", "bad"], ["mismatch"]);
        var r = Infer(b);
        Assert.Equal("[B, 4, N, M]", Shape(r, "s"));
        Assert.Equal("[B, 4, N]", Shape(r, "vec"));
        Assert.Contains(r.Diagnostics, d => d.Severity == DiagnosticSeverity.Error && d.Node?.OpType == "MatMul");
    }

    [Fact]
    public void Gemm_Softmax_and_LayerNormalization_shapes()
    {
        var b = new TestModelBuilder().Input("x", "N", 32).Weight("w", 64, 32).Weight("bias", 64).Input("t", "N", "L", 32)
            .Node("Gemm", ["x", "w", "bias"], ["g"], IntAttr("transB", 1))
            .Node("Softmax", ["g"], ["p"], IntAttr("axis", -1))
            .Weight("gamma", 32).Weight("beta", 32)
            .Node("LayerNormalization", ["t", "gamma", "beta"], ["ln", "mean", "inv"], IntAttr("axis", -1));
        var r = Infer(b);
        Assert.Equal("[N, 64]", Shape(r, "g"));
        Assert.Equal("[N, 64]", Shape(r, "p"));
        Assert.Equal("[N, L, 32]", Shape(r, "ln"));
        Assert.Equal("[N, L, 1]", Shape(r, "mean"));
    }

    [Fact]
    public void Reductions_take_axes_from_attributes_before_opset_18_and_from_inputs_after()
    {
        var old = new TestModelBuilder(opset: 13).Input("x", "N", 4, "L", 16)
            .Node("ReduceMean", ["x"], ["m"], IntsAttr("axes", -1))
            .Node("ReduceL2", ["x"], ["l2"], IntsAttr("axes", 1, 3), IntAttr("keepdims", 0))
            .ConstInts("ax", [2]).Node("ReduceSum", ["x", "ax"], ["s"]);
        var r = Infer(old);
        Assert.Equal("[N, 4, L, 1]", Shape(r, "m"));
        Assert.Equal("[N, L]", Shape(r, "l2"));
        Assert.Equal("[N, 4, 1, 16]", Shape(r, "s"));

        var current = new TestModelBuilder(opset: 18).Input("x", "N", 4, "L", 16).ConstInts("ax", [-1])
            .Node("ReduceMax", ["x", "ax"], ["mx"], IntAttr("keepdims", 0))
            .Node("ReduceMean", ["x"], ["all"]);
        r = Infer(current);
        Assert.Equal("[N, 4, L]", Shape(r, "mx"));
        Assert.Equal("[1, 1, 1, 1]", Shape(r, "all"));
    }

    [Fact]
    public void Elementwise_ops_broadcast_and_record_what_must_agree()
    {
        var b = Image().Weight("scale", 1, 3, 1, 1).Input("y", "N", 3, 64, 64)
            .Node("Mul", ["x", "scale"], ["m"])
            .Node("Add", ["x", "y"], ["sum"])
            .Weight("slope", 3, 1, 1).Node("PRelu", ["x", "slope"], ["pr"])
            .Node("Erf", ["x"], ["e"]).Node("Sigmoid", ["x"], ["sg"]);
        var r = Infer(b);
        Assert.Equal("[N, 3, H, W]", Shape(r, "m"));
        Assert.Equal("[N, 3, 64, 64]", Shape(r, "sum"));
        Assert.Equal("[N, 3, H, W]", Shape(r, "pr"));
        Assert.Equal("[N, 3, H, W]", Shape(r, "e"));
        Assert.Contains(r.Constraints, c => c.Kind == ConstraintKind.Broadcastable && c.Node.OpType == "Add");
    }

    [Fact]
    public void Concat_adds_along_the_axis_and_Split_divides_by_sizes_inputs_or_outputs()
    {
        var b = Image().Input("z", "N", 5, "H", "W")
            .Node("Concat", ["x", "z"], ["cat"], IntAttr("axis", 1))
            .ConstInts("sizes", [3, 5]).Node("Split", ["cat", "sizes"], ["a", "bb"], IntAttr("axis", 1))
            .Node("Split", ["cat"], ["h1", "h2"], IntAttr("axis", 2));
        var r = Infer(b);
        Assert.Equal("[N, 8, H, W]", Shape(r, "cat"));
        Assert.Equal("[N, 5, H, W]", Shape(r, "bb"));
        Assert.Equal("[N, 8, floor(H/2), W]", Shape(r, "h1"));
        Assert.Contains(r.Constraints, c => c.Node.OpType == "Split" && c.Reason.Contains("multiple of 2"));

        // Opset 18's num_outputs: chunks of ceil(8/3) = 3, the last one takes the rest.
        var chunks = new TestModelBuilder(opset: 18).Input("x", "N", 8, "H", "W")
            .Node("Split", ["x"], ["q1", "q2", "q3"], IntAttr("axis", 1), IntAttr("num_outputs", 3));
        r = Infer(chunks);
        Assert.Equal("[N, 3, H, W]", Shape(r, "q1"));
        Assert.Equal("[N, 2, H, W]", Shape(r, "q3"));
    }

    [Fact]
    public void Slice_clamps_and_handles_negative_and_symbolic_bounds_and_steps()
    {
        var b = Image()
            .ConstInts("s0", [1]).ConstInts("e0", [-1]).ConstInts("ax2", [2])
            .Node("Slice", ["x", "s0", "e0", "ax2"], ["inner"])
            .ConstInts("big", [long.MaxValue]).ConstInts("zero", [0]).ConstInts("ax3", [3]).ConstInts("two", [2])
            .Node("Slice", ["x", "zero", "big", "ax3", "two"], ["strided"])
            .ConstInts("m1", [-1]).ConstInts("minf", [long.MinValue + 1])
            .Node("Slice", ["x", "m1", "minf", "ax2", "m1"], ["reversed"])
            .Node("Shape", ["x"], ["shape"])
            .ConstInts("g2", [2], scalar: true).Node("Gather", ["shape", "g2"], ["h"])
            .ConstInts("k4", [4], scalar: true).Node("Mul", ["h", "k4"], ["h4"])
            .ConstInts("ax0", [0]).Node("Unsqueeze", ["h4", "ax0"], ["end"])
            .Node("Slice", ["x", "zero", "end", "ax2"], ["crop"]);
        var r = Infer(b);
        // Empty when H < 2, so the length stays clamped at 0.
        Assert.Equal("[N, 3, max(H - 2, 0), W]", Shape(r, "inner"));
        Assert.Equal("[N, 3, H, ceil(W/2)]", Shape(r, "strided"));
        Assert.Equal("[N, 3, H, W]", Shape(r, "reversed"));
        Assert.Equal("[N, 3, H, W]", Shape(r, "crop"));
    }

    [Fact]
    public void Gather_Unsqueeze_Squeeze_Flatten_Tile_Expand_and_Shape_with_start_end()
    {
        var b = Image()
            .ConstInts("idx", [0, 2]).Node("Gather", ["x", "idx"], ["g"], IntAttr("axis", 1))
            .ConstInts("ax", [0, -1]).Node("Unsqueeze", ["x", "ax"], ["u"])
            .Node("Squeeze", ["u", "ax"], ["sq"])
            .Node("Flatten", ["x"], ["f"], IntAttr("axis", 2))
            .ConstInts("rep", [1, 2, 1, 3]).Node("Tile", ["x", "rep"], ["t"])
            .ConstInts("shape", [2, 1, 1, 1]).Node("Expand", ["x", "shape"], ["ex"])
            .Node("Shape", ["x"], ["hw"], IntAttr("start", 2))
            .Node("Size", ["x"], ["n"]);
        var r = Infer(b);
        Assert.Equal("[N, 2, H, W]", Shape(r, "g"));
        Assert.Equal("[1, N, 3, H, W, 1]", Shape(r, "u"));
        Assert.Equal("[N, 3, H, W]", Shape(r, "sq"));
        Assert.Equal("[3*N, H*W]", Shape(r, "f"));
        Assert.Equal("[N, 6, H, 3*W]", Shape(r, "t"));
        Assert.Equal("[2, 3, H, W]", Shape(r, "ex"));
        Assert.Equal("[H, W]", r["hw"].Value!.ToString());
        Assert.Equal("3*H*N*W", r["n"].Value!.ToString());
        Assert.Contains(r.Constraints, c => c.Node.OpType == "Expand");
    }

    [Fact]
    public void Resize_uses_sizes_or_scales_and_Pad_adds_computed_pads_with_a_reflect_limit()
    {
        var b = Image()
            .Floats("scales", [4], 1, 1, 2, 0.5f).Node("Resize", ["x", "", "scales"], ["r1"], StringAttr("mode", "linear"))
            .Floats("empty", [0]).Int64s("sizes", [4], 1, 3, 32, 48).Node("Resize", ["x", "", "empty", "sizes"], ["r2"])
            .ConstInts("pads", [0, 0, 1, 2, 0, 0, 3, 4]).Node("Pad", ["x", "pads"], ["p"], StringAttr("mode", "reflect"));
        var r = Infer(b);
        Assert.Equal("[N, 3, 2*H, floor(W/2)]", Shape(r, "r1"));
        Assert.Equal("[1, 3, 32, 48]", Shape(r, "r2"));
        Assert.Equal("[N, 3, H + 4, W + 6]", Shape(r, "p"));
        var binding = r.Bind(new Dictionary<string, long[]> { ["x"] = [1, 3, 3, 9] });
        Assert.Contains(binding.Violations, c => c.Node.OpType == "Pad" && c.Reason.Contains("reflect"));
    }

    [Fact]
    public void Constants_ConstantOfShape_Range_Where_Cast_and_comparisons_propagate_values()
    {
        var b = Image()
            .Node("Shape", ["x"], ["s"]).ConstInts("i3", [3], scalar: true).Node("Gather", ["s", "i3"], ["w"])
            .ConstInts("zero", [0], scalar: true).ConstInts("one", [1], scalar: true)
            .Node("Range", ["zero", "w", "one"], ["positions"])
            .Node("Less", ["w", "zero"], ["negative"])
            .ConstInts("minus", [-7], scalar: true)
            .Node("Where", ["negative", "minus", "w"], ["chosen"])
            .Node("Cast", ["chosen"], ["as_float"], IntAttr("to", (long)TensorProto.Types.DataType.Float))
            .ConstInts("shape", [2, 3]).Node("ConstantOfShape", ["shape"], ["zeros"]);
        var r = Infer(b);
        Assert.Equal("[W]", Shape(r, "positions"));
        Assert.Equal("0", r["negative"].Value!.ToString());
        Assert.Equal("W", r["chosen"].Value!.ToString());
        Assert.Equal((int)TensorProto.Types.DataType.Float, r["as_float"].ElementType);
        Assert.Equal("[2, 3]", Shape(r, "zeros"));
        Assert.Equal(6, r["zeros"].Value!.Count);
    }

    [Fact]
    public void Einsum_maps_letters_to_dims_for_explicit_and_implicit_outputs()
    {
        var b = new TestModelBuilder().Input("q", "B", 4, "N", 16).Input("k", "B", 4, "M", 16)
            .Node("Einsum", ["q", "k"], ["s"], StringAttr("equation", "bhnd,bhmd->bhnm"))
            .Node("Einsum", ["q"], ["t"], StringAttr("equation", "...nd->...dn"))
            .Node("Einsum", ["q", "k"], ["implicit"], StringAttr("equation", "bhnd,bhmd"));
        var r = Infer(b);
        Assert.Equal("[B, 4, N, M]", Shape(r, "s"));
        Assert.Equal("[B, 4, 16, N]", Shape(r, "t"));
        Assert.Equal("[M, N]", Shape(r, "implicit"));
    }

    [Fact]
    public void Data_dependent_outputs_get_their_own_symbols()
    {
        var b = Image()
            .Node("NonZero", ["x"], ["nz"])
            .ConstInts("k", [5]).Node("TopK", ["x", "k"], ["vals", "idx"], IntAttr("axis", -1))
            .Node("ReduceMax", ["x"], ["mx"], IntAttr("keepdims", 0))
            .Node("Cast", ["mx"], ["k2"], IntAttr("to", 7))
            .ConstInts("ax", [0]).Node("Unsqueeze", ["k2", "ax"], ["k2v"])
            .Node("TopK", ["x", "k2v"], ["vals2", "idx2"]);
        var r = Infer(b);
        var nz = r["nz"].Shape!;
        Assert.Equal(4, nz[0]!.AsConstant);
        Assert.Equal(SymbolKind.DataDependent, nz[1]!.AsSymbol!.Kind);
        Assert.Equal("[N, 3, H, 5]", Shape(r, "vals"));
        Assert.Equal(SymbolKind.DataDependent, r["vals2"].Shape![3]!.AsSymbol!.Kind);
        Assert.True(r["k2v"].DependsOnData);
    }

    [Fact]
    public void An_unknown_op_leaves_its_outputs_and_what_depends_on_them_unknown_with_a_diagnostic()
    {
        var b = Image()
            .DomainNode("com.example.tests", "Mystery", ["x"], ["m"])
            .Node("Relu", ["m"], ["after"])
            .Node("Relu", ["x"], ["unaffected"]);
        var r = Infer(b);
        Assert.Null(r["m"].Shape);
        Assert.Null(r["after"].Shape);
        Assert.Equal("[N, 3, H, W]", Shape(r, "unaffected"));
        Assert.Contains(r.Diagnostics, d => d.Node?.OpType == "Mystery" && d.Message.Contains("no shape rule"));
    }

    [Fact]
    public void A_rule_that_fails_records_a_diagnostic_instead_of_throwing()
    {
        var b = Image().Node("Transpose", ["x"], ["t"], IntsAttr("perm", 0, 1)).Node("Relu", ["t"], ["r"]);
        var r = Infer(b);
        Assert.Contains(r.Diagnostics, d => d.Severity == DiagnosticSeverity.Warning && d.Node?.OpType == "Transpose");
        Assert.Null(r["r"].Shape);
    }

    [Fact]
    public void Declared_value_info_fills_in_what_inference_cannot_tell()
    {
        var b = Image().DomainNode("com.example.tests", "Mystery", ["x"], ["m"]).ValueInfo("m", "N", 8, 16, 16).Node("Relu", ["m"], ["r"]);
        var r = Infer(b);
        Assert.Equal("[N, 8, 16, 16]", Shape(r, "r"));
    }

    [Fact]
    public void Registered_rules_give_custom_ops_shapes()
    {
        ShapeRules.Register("com.example.shapes", "Double", c => c.SetOutput(0, c.InputType(0), c.InputShape(0)));
        var r = Infer(Image().DomainNode("com.example.shapes", "Double", ["x"], ["d"]));
        Assert.Equal("[N, 3, H, W]", Shape(r, "d"));
    }

    [Fact]
    public void If_branches_are_inferred_with_outer_scope_values_and_merged()
    {
        var thenBranch = new GraphProto { Name = "then" };
        thenBranch.Node.Add(MakeNode("t", "Relu", ["x"], ["t_out"]));
        thenBranch.Output.Add(new ValueInfoProto { Name = "t_out" });
        var elseBranch = new GraphProto { Name = "else" };
        elseBranch.Node.Add(MakeNode("e", "Neg", ["x"], ["e_out"]));
        elseBranch.Output.Add(new ValueInfoProto { Name = "e_out" });
        var b = Image().Input("cond", TensorProto.Types.DataType.Bool)
            .Node("If", ["cond"], ["y"], GraphAttr("then_branch", thenBranch), GraphAttr("else_branch", elseBranch));
        var r = Infer(b);
        Assert.Equal("[N, 3, H, W]", Shape(r, "y"));
    }

    [Fact]
    public void Binding_checks_ranks_and_fixed_dims_and_evaluates_shapes()
    {
        var b = Image().Node("Relu", ["x"], ["y"]);
        var r = Infer(b);
        Assert.Equal(FailureKind.Usage, Assert.Throws<DeployException>(() => r.Bind(new Dictionary<string, long[]> { ["x"] = [1, 3, 8] })).Kind);
        Assert.Contains("fixed size 3", Assert.Throws<DeployException>(() => r.Bind(new Dictionary<string, long[]> { ["x"] = [1, 4, 8, 8] })).Message);
        Assert.Contains("not an input", Assert.Throws<DeployException>(() => r.Bind(new Dictionary<string, long[]> { ["nope"] = [1] })).Message);
        var binding = r.Bind(new Dictionary<string, long[]> { ["x"] = [2, 3, 10, 12] });
        Assert.Equal(new Dictionary<string, long> { ["N"] = 2, ["H"] = 10, ["W"] = 12 }, binding.Symbols);
        Assert.Equal([2L, 3, 10, 12], r["y"].Shape!.Evaluate(binding.Lookup)!);
    }
}
