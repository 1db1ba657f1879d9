using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Passes;
using SuperRes.Deploy.Tests;
using Google.Protobuf;
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
    [InlineData("plksr_style.onnx")]
    public void Explore(string name)
    {
        var path = name.StartsWith("models/") ? Path.Combine(RepoPaths.Root, name) : RepoPaths.FixtureModel(name);
        var original = File.ReadAllBytes(path);
        using var model = OnnxModel.Load(path);
        var result = OptimizePipeline.Run(model, new OptimizeOptions { FuseAttention = true, FoldConstants = true });
        foreach (var p in result.Report.Passes)
        {
            output.WriteLine($"pass {p.Name}: +{p.NodesAdded} -{p.NodesRemoved} {p.Milliseconds:F0} ms  removed: {string.Join(",", p.RemovedByOp.Select(kv => kv.Key + "=" + kv.Value))}");
            foreach (var d in p.Details.Take(30)) output.WriteLine("   " + d);
        }

        output.WriteLine($"reshape+transpose {result.Report.Before.ReshapeTransposeCount} -> {result.Report.After!.ReshapeTransposeCount}; nodes {result.Report.Before.Nodes} -> {result.Report.After.Nodes}");
        var fused = model.Proto.ToByteArray();
        foreach (var shape in new long[][] { [1, 3, 32, 32], [1, 3, 40, 56], [2, 3, 24, 24] })
        {
            var c = PassTestSupport.Compare(original, fused, shape, 1e-4);
            output.WriteLine($"{string.Join("x", shape)}: max abs {c.AbsoluteError.Max:G3} pass={c.Check.Passed}");
        }
    }
}
