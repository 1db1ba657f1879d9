using Google.Protobuf;
using Onnx;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Graph;

public class GraphEditorTests
{
    /// <summary>x → Relu(r) → Sigmoid(s) → Mul(r, s) = y.</summary>
    private static OnnxGraph Graph()
    {
        var b = new TestModelBuilder().Input("x", "N", 8).Output("y", "N", 8);
        b.NamedNode("relu", "Relu", ["x"], ["r"]);
        b.NamedNode("sigmoid", "Sigmoid", ["r"], ["s"]);
        b.NamedNode("mul", "Mul", ["r", "s"], ["y"]);
        return OnnxGraph.FromModelProto(b.Build());
    }

    [Fact]
    public void Replacing_a_subgraph_with_a_new_node_and_removing_dead_nodes_commits()
    {
        var g = Graph();
        using (var edit = g.Edit())
        {
            var fused = edit.AddNode("Swish", ["x"], ["swish_out"], name: "swish", domain: "com.example.tests");
            edit.ReplaceAllUses(g.GetValue("y"), fused.Outputs[0]!);
            Assert.Equal(3, edit.RemoveDeadNodes());
            edit.Commit();
        }

        Assert.Equal(["swish"], g.Nodes.Select(n => n.Name));
        Assert.Equal("y", g.Outputs[0].Name);
        Assert.Same(g.FindNode("swish"), g.Outputs[0].Producer);
        var model = g.WriteBack()!;
        Assert.Equal("y", model.Graph.Node.Single().Output[0]);
        Assert.Equal("y", model.Graph.Output[0].Name);
        var reread = OnnxGraph.FromModelProto(ModelProto.Parser.ParseFrom(model.ToByteArray()));
        Assert.DoesNotContain(GraphValidator.Validate(reread), i => i.Kind != GraphIssueKind.UnknownOp && i.Kind != GraphIssueKind.DomainNotImported);
    }

    [Fact]
    public void A_rewrite_that_would_create_a_cycle_is_rolled_back_with_the_cycle_named()
    {
        var g = Graph();
        var relu = g.FindNode("relu")!;
        var before = g.WriteBack()!.ToByteArray();
        var edit = g.Edit();
        edit.SetInput(relu, 0, g.GetValue("y"));
        var e = Assert.Throws<GraphEditException>(edit.Commit);
        Assert.Contains("cycle", e.Message);
        Assert.Contains("relu", e.Message);
        Assert.Same(g.GetValue("x"), relu.Inputs[0]);
        Assert.Equal(before, g.WriteBack()!.ToByteArray());
    }

    [Fact]
    public void Removing_a_producer_that_is_still_read_fails_commit_and_restores_the_node()
    {
        var g = Graph();
        var sigmoid = g.FindNode("sigmoid")!;
        var edit = g.Edit();
        edit.RemoveNode(sigmoid);
        Assert.DoesNotContain(sigmoid, g.Nodes);
        var e = Assert.Throws<GraphEditException>(edit.Commit);
        Assert.Contains("'s'", e.Message);
        Assert.Contains(sigmoid, g.Nodes);
        Assert.Same(sigmoid, g.GetValue("s").Producer);
        Assert.Contains(g.GetValue("s").Uses, u => u.Node.Name == "mul");
    }

    [Fact]
    public void Disposing_without_commit_rolls_every_change_back()
    {
        var g = Graph();
        var before = g.WriteBack()!.ToByteArray();
        using (var edit = g.Edit())
        {
            edit.AddInitializer(TestModelBuilder.FloatTensor("scale", [1], [2f]));
            var scaled = edit.AddNode("Mul", ["r", "scale"], ["scaled"], name: "scale_mul");
            edit.SetInput(g.FindNode("mul")!, 0, scaled.Outputs[0]);
            edit.RenameValue(g.GetValue("s"), "sig");
            edit.RenameNode(g.FindNode("relu")!, "renamed");
            edit.SetAttribute(g.FindNode("mul")!, TestModelBuilder.IntAttr("note", 1));
        }

        Assert.Equal(before, g.WriteBack()!.ToByteArray());
        Assert.Null(g.FindValue("scale"));
        Assert.NotNull(g.FindValue("s"));
        Assert.Equal(3, g.Nodes.Count);
    }

    [Fact]
    public void Renaming_a_value_updates_its_producer_readers_and_the_graph_output()
    {
        var g = Graph();
        using (var edit = g.Edit())
        {
            edit.RenameValue(g.GetValue("r"), "relu_out");
            edit.RenameValue(g.GetValue("y"), "result");
            edit.Commit();
        }

        var model = g.WriteBack()!;
        Assert.Equal("relu_out", model.Graph.Node[0].Output[0]);
        Assert.Equal(["relu_out", "s"], model.Graph.Node[2].Input);
        Assert.Equal("result", model.Graph.Output[0].Name);
        Assert.Throws<GraphEditException>(() =>
        {
            using var edit = g.Edit();
            edit.RenameValue(g.GetValue("s"), "relu_out");
        });
    }

    [Fact]
    public void Replacing_an_output_with_a_graph_input_inserts_an_identity_to_keep_the_name()
    {
        var g = Graph();
        using (var edit = g.Edit())
        {
            edit.ReplaceAllUses(g.GetValue("y"), g.GetValue("x"));
            edit.RemoveDeadNodes();
            edit.Commit();
        }

        Assert.Equal("y", g.Outputs[0].Name);
        Assert.Equal("Identity", g.Outputs[0].Producer!.OpType);
        Assert.Same(g.GetValue("x"), g.Outputs[0].Producer!.Inputs[0]);
        Assert.Single(g.Nodes);
    }

    [Fact]
    public void Adding_a_node_whose_output_name_exists_is_refused()
    {
        var g = Graph();
        using var edit = g.Edit();
        Assert.Throws<GraphEditException>(() => edit.AddNode("Relu", ["x"], ["s"]));
        Assert.Throws<InvalidOperationException>(() => g.Edit());
    }

    [Fact]
    public void Unused_initializers_are_removed_with_dead_nodes_and_can_be_added_back()
    {
        var b = new TestModelBuilder().Input("x", 4).Output("y", 4).Floats("unused", [1], 1f).Floats("w", [4], 1, 1, 1, 1);
        b.NamedNode("mul", "Mul", ["x", "w"], ["y"]);
        var g = OnnxGraph.FromModelProto(b.Build());
        using (var edit = g.Edit())
        {
            edit.RemoveDeadNodes();
            edit.Commit();
        }

        Assert.Equal(["w"], g.Initializers.Select(v => v.Name));
        Assert.Equal(["w"], g.WriteBack()!.Graph.Initializer.Select(t => t.Name));
        using (var edit = g.Edit())
        {
            var v = edit.AddInitializer(TestModelBuilder.FloatTensor("extra", [2], [1f, 2f]));
            Assert.True(v.IsInitializer);
            edit.Commit();
        }

        Assert.Equal(["w", "extra"], g.WriteBack()!.Graph.Initializer.Select(t => t.Name));
        Assert.Equal(ByteString.CopyFrom(TestModelBuilder.FloatTensor("extra", [2], [1f, 2f]).RawData.ToByteArray()), g.GetValue("extra").Initializer!.RawData);
    }
}
