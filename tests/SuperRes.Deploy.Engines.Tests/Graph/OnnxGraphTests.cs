using Google.Protobuf;
using Onnx;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Tests;
using static SuperRes.Deploy.Tests.TestModelBuilder;

namespace SuperRes.Deploy.Engines.Tests.Graph;

public class OnnxGraphTests
{
    /// <summary>x → Relu → Add(·, bias) → y, written with the nodes out of order.</summary>
    private static ModelProto Chain()
    {
        var b = new TestModelBuilder()
            .Input("x", "N", 4)
            .Floats("bias", [4], 1, 2, 3, 4)
            .Output("y", "N", 4);
        b.NamedNode("add", "Add", ["r", "bias"], ["y"]);
        b.NamedNode("relu", "Relu", ["x"], ["r"]);
        return b.Build();
    }

    [Fact]
    public void Links_producers_consumers_inputs_outputs_and_initializers()
    {
        var g = OnnxGraph.FromModelProto(Chain());
        var relu = g.FindNode("relu")!;
        var add = g.FindNode("add")!;
        Assert.Equal(["x"], g.Inputs.Select(v => v.Name));
        Assert.Equal(["y"], g.Outputs.Select(v => v.Name));
        Assert.Equal(["bias"], g.Initializers.Select(v => v.Name));
        Assert.Same(relu, g.GetValue("r").Producer);
        Assert.Equal([add], g.GetValue("r").Consumers);
        Assert.True(g.GetValue("bias").IsConstant);
        Assert.True(g.GetValue("x").IsGraphInput);
        Assert.True(g.GetValue("y").IsGraphOutput);
        Assert.Equal(17, g.Opsets.Default);
        Assert.Equal(17, add.OpsetVersion);
        Assert.True(g.GetValue("bias").GetConstantData()!.TryGetDoubles(out var d));
        Assert.Equal([1.0, 2.0, 3.0, 4.0], d);
    }

    [Fact]
    public void Topological_order_puts_producers_before_consumers_and_keeps_file_order_otherwise()
    {
        var g = OnnxGraph.FromModelProto(Chain());
        Assert.Equal(["relu", "add"], g.TopologicalOrder().Select(n => n.Name));
    }

    [Fact]
    public void A_cycle_is_detected_and_names_its_nodes()
    {
        var b = new TestModelBuilder().Input("x", 4).Output("z", 4);
        b.NamedNode("a", "Add", ["x", "c"], ["a_out"]);
        b.NamedNode("b", "Relu", ["a_out"], ["b_out"]);
        b.NamedNode("c", "Relu", ["b_out"], ["c"]);
        b.NamedNode("z", "Identity", ["b_out"], ["z"]);
        var g = OnnxGraph.FromModelProto(b.Build());
        Assert.False(g.TryTopologicalOrder(out _, out var cycle));
        Assert.Equal(["a", "b", "c"], cycle.Select(n => n.Name).Order());
        var e = Assert.Throws<GraphCycleException>(() => g.TopologicalOrder());
        Assert.Contains("'a'", GraphValidator.Validate(g).Single(i => i.Kind == GraphIssueKind.Cycle).Message);
        Assert.Contains("a", e.Message);
    }

    [Fact]
    public void Validation_reports_dangling_inputs_unknown_ops_duplicates_and_ops_newer_than_the_opset()
    {
        var b = new TestModelBuilder(opset: 13).Input("x", 4).Output("y", 4);
        b.NamedNode("reads_ghost", "Add", ["x", "ghost"], ["a"]);
        b.NamedNode("mystery", "FrobnicateOp", ["a"], ["m"]);
        b.NamedNode("first", "Relu", ["m"], ["y"]);
        b.NamedNode("second", "Relu", ["m"], ["y"]);
        b.NamedNode("too_new", "LayerNormalization", ["x"], ["ln"]);
        var issues = GraphValidator.Validate(OnnxGraph.FromModelProto(b.Build()));
        Assert.Contains(issues, i => i.Kind == GraphIssueKind.DanglingInput && i.Message.Contains("'reads_ghost'") && i.Message.Contains("'ghost'"));
        Assert.Contains(issues, i => i.Kind == GraphIssueKind.UnknownOp && i.Message.Contains("FrobnicateOp") && i.Message.Contains("'mystery'"));
        Assert.Contains(issues, i => i.Kind == GraphIssueKind.DuplicateDefinition && i.Message.Contains("'first'") && i.Message.Contains("'second'"));
        Assert.Contains(issues, i => i.Kind == GraphIssueKind.OpNotInOpset && i.Message.Contains("needs opset 17"));
        var ex = Assert.Throws<DeployException>(() => GraphValidator.EnsureValid(OnnxGraph.FromModelProto(b.Build()), "m.onnx"));
        Assert.Equal(FailureKind.BadInput, ex.Kind);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Registered_custom_ops_and_our_fused_attention_are_known()
    {
        Assert.True(OpCatalog.IsKnown(OpCatalog.SuperResDomain, OpCatalog.FusedAttentionOp));
        Assert.False(OpCatalog.IsKnown("com.example.tests", "Widget"));
        OpCatalog.RegisterCustomOp("com.example.tests", "Widget");
        Assert.True(OpCatalog.IsKnown("com.example.tests", "Widget"));
        Assert.True(OpCatalog.IsKnown("ai.onnx", "Conv"));
        Assert.Equal(16, OpCatalog.SinceVersion("GridSample"));
    }

    [Fact]
    public void Subgraph_references_to_outer_values_resolve_and_become_implicit_inputs()
    {
        var thenBranch = new GraphProto { Name = "then" };
        thenBranch.Node.Add(MakeNode("t", "Relu", ["outer"], ["t_out"]));
        thenBranch.Output.Add(new ValueInfoProto { Name = "t_out" });
        var elseBranch = new GraphProto { Name = "else" };
        elseBranch.Node.Add(MakeNode("e", "Neg", ["outer"], ["e_out"]));
        elseBranch.Output.Add(new ValueInfoProto { Name = "e_out" });
        var b = new TestModelBuilder().Input("x", 4).Input("cond", TensorProto.Types.DataType.Bool).Output("y", 4);
        b.NamedNode("if", "If", ["cond"], ["y"], GraphAttr("then_branch", thenBranch), GraphAttr("else_branch", elseBranch));
        b.NamedNode("make_outer", "Relu", ["x"], ["outer"]);
        var g = OnnxGraph.FromModelProto(b.Build());
        var ifNode = g.FindNode("if")!;
        var outer = g.GetValue("outer");
        Assert.Equal([outer], ifNode.ImplicitInputs);
        Assert.Contains(outer.Uses, u => u.Node == ifNode && u.IsImplicit);
        Assert.Equal(2, ifNode.Subgraphs.Count);
        Assert.Same(outer, ifNode.Subgraphs[0].Nodes[0].Inputs[0]);
        Assert.Empty(GraphValidator.Validate(g));
        Assert.Equal(["make_outer", "if"], g.TopologicalOrder().Select(n => n.Name));
    }

    [Fact]
    public void Write_back_keeps_untouched_node_protos_and_their_unknown_fields()
    {
        var model = Chain();

        // A field number ONNX does not define (varint field 999) travels in the node's unknown fields.
        var bytes = model.Graph.Node[0].ToByteArray().Concat(new byte[] { 0xB8, 0x3E, 0x2A }).ToArray();
        model.Graph.Node[0] = NodeProto.Parser.ParseFrom(bytes);
        var relu = model.Graph.Node[1];
        var g = OnnxGraph.FromModelProto(model);
        var written = g.WriteBack()!;
        Assert.Same(relu, written.Graph.Node[0]);
        Assert.Equal(bytes, written.Graph.Node[1].ToByteArray());
        Assert.Equal(["relu", "add"], written.Graph.Node.Select(n => n.Name));
    }
}
