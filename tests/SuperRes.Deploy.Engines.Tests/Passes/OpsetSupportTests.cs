using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Passes;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Passes;

public sealed class OpsetSupportTests
{
    private static DeployException Optimize(TestModelBuilder builder)
    {
        using var model = OnnxModel.FromProto(builder.Build());
        return Assert.Throws<DeployException>(() => OptimizePipeline.Run(model, new OptimizeOptions { FuseAttention = true }));
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(22)]
    public void An_opset_outside_13_to_21_is_bad_input_with_a_one_line_message(long opset)
    {
        var error = Optimize(new TestModelBuilder(opset).Input("input", 1, 4).Node("Relu", ["input"], ["output"]).Output("output"));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains($"uses ai.onnx opset {opset}; optimize supports opsets 13 to 21", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_node_of_an_unknown_domain_is_bad_input_naming_the_node()
    {
        var builder = new TestModelBuilder().Opset("com.microsoft", 1).Input("input", 1, 4)
            .DomainNode("com.microsoft", "FusedGelu", ["input"], ["output"]).Output("output");

        var error = Optimize(builder);

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("FusedGelu", error.Message);
        Assert.Contains("com.microsoft", error.Message);
    }

    [Fact]
    public void Opsets_13_and_21_are_accepted()
    {
        foreach (var opset in new long[] { 13, 21 })
        {
            using var model = OnnxModel.FromProto(new TestModelBuilder(opset).Input("input", 1, 4).Node("Identity", ["input"], ["a"]).Node("Relu", ["a"], ["output"]).Output("output").Build());
            var report = OptimizePipeline.Run(model, new OptimizeOptions { FoldConstants = true }).Report;
            Assert.Equal(1, report.After!.Nodes);
        }
    }
}
