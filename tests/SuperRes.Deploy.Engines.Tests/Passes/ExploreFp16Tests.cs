using Google.Protobuf;
using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Passes;
using SuperRes.Deploy.Engines.Validation.Metrics;
using SuperRes.Deploy.Tests;
using Xunit.Abstractions;

namespace SuperRes.Deploy.Engines.Tests.Passes;

public sealed class ExploreFp16Tests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("models/ditn_real_x4.onnx")]
    [InlineData("tests/fixtures/models/swin_style.onnx")]
    [InlineData("tests/fixtures/models/esrt_style.onnx")]
    [InlineData("tests/fixtures/models/shvit_style.onnx")]
    public void Explore(string name)
    {
        var path = Path.Combine(RepoPaths.Root, name);
        var original = File.ReadAllBytes(path);
        using var model = OnnxModel.Load(path);
        var result = OptimizePipeline.Run(model, new OptimizeOptions { FuseAttention = true, FoldConstants = true, Fp16 = true, Fp16Attention = AttentionPrecision.Fp32 });
        var p = result.Report.Precision!;
        output.WriteLine($"fp16 nodes {p.Result.Fp16Nodes}, casts {p.Result.CastsAdded}, fp32: {string.Join("; ", p.Result.Fp32Nodes.GroupBy(n => n.Reason).Select(g => g.Count() + "x " + g.Key))}");
        foreach (var w in result.Report.Warnings) output.WriteLine("warn: " + w);
        var image = ImageFile.Read(Path.Combine(RepoPaths.Root, "tests/fixtures/datasets/Set5/LRbicx4/baby.png")).Crop(0, 0, 64, 64);
        var data = image.ToNchw();
        long[] shape = [1, 3, 64, 64];
        var reference = PassTestSupport.Run(original, "input", data, shape).Values.First();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var candidate = PassTestSupport.Run(model.Proto.ToByteArray(), "input", data, shape, customOps: true).Values.First();
        var c = TensorComparer.Compare(PassTestSupport.ToFloats(candidate), PassTestSupport.ToFloats(reference), [.. reference.Shape.Select(d => (int)d)],
            new ComparisonOptions { PsnrPeak = 1.0, ComputeSsim = false });
        output.WriteLine($"PSNR {c.Psnr:F2} dB, max abs {c.AbsoluteError.Max:G3}, {watch.ElapsedMilliseconds} ms");
    }
}
