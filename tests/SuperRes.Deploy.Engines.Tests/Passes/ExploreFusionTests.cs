using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Passes.Attention;
using SuperRes.Deploy.Tests;
using Xunit.Abstractions;

namespace SuperRes.Deploy.Engines.Tests.Passes;

public sealed class ExploreFusionTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("ditn_small.onnx")]
    [InlineData("esrt_style.onnx")]
    [InlineData("swin_style.onnx")]
    [InlineData("shvit_style.onnx")]
    [InlineData("attention_extra_consumer.onnx")]
    public void Explore(string name)
    {
        var path = RepoPaths.FixtureModel(name);
        var original = File.ReadAllBytes(path);
        using var model = OnnxModel.Load(path);
        var graph = OnnxGraph.FromModel(model);
        var before = OpStatistics.Compute(graph);
        var results = AttentionFusion.Run(graph);
        foreach (var r in results)
        {
            output.WriteLine($"{r.Softmax}: fused={r.Fused} node={r.FusedNode} in={r.InputLayout} out={r.OutputLayout} rank={r.Rank} nqk={r.NormalizeQk} scale={r.Scale} bias={r.Bias} replaced={r.NodesReplaced}");
            foreach (var x in r.Reasons) output.WriteLine("   reason: " + x);
            foreach (var x in r.Notes) output.WriteLine("   note: " + x);
        }

        var after = OpStatistics.Compute(graph);
        output.WriteLine($"reshape+transpose {before.ReshapeTransposeCount} -> {after.ReshapeTransposeCount}; nodes {before.NodeCount} -> {after.NodeCount}");
        var fused = PassTestSupport.Bytes(graph);
        foreach (var shape in new long[][] { [1, 3, 32, 32], [1, 3, 40, 56], [2, 3, 24, 24] })
        {
            var c = PassTestSupport.Compare(original, fused, shape, 1e-4);
            output.WriteLine($"{string.Join("x", shape)}: max abs {c.AbsoluteError.Max:G3} pass={c.Check.Passed}");
        }
    }
}
