using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Upscaling;
using SuperRes.Deploy.Engines.Validation.Metrics;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Upscaling;

/// <summary>Real models (ONNX Runtime) and real images for the tiling tests.</summary>
internal static class UpscaleTestSupport
{
    /// <summary>A Set5 image (tests/fixtures/datasets/Set5/<paramref name="folder"/>/<paramref name="name"/>.png).</summary>
    public static Image Set5(string folder, string name) =>
        ImageFile.Read(RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", folder, name + ".png"));

    /// <summary>An ONNX Runtime runner (2 threads) and what the tiler knows of the model from its graph.</summary>
    public static (OrtRunner Runner, UpscaleModelInfo Info) Load(string modelPath)
    {
        using var model = OnnxModel.Load(modelPath);
        var analysis = ModelAnalysis.Run(OnnxGraph.FromModel(model));
        var runner = new OrtRunner(new OrtRunnerOptions { ModelPath = modelPath, IntraOpThreads = 2 });
        return (runner, UpscaleModelInfo.FromRunner(runner).WithAnalysis(analysis));
    }

    /// <summary>PSNR with peak 1 over every sample (+∞ when identical).</summary>
    public static double Psnr(Image candidate, Image reference)
    {
        Assert.Equal((reference.Width, reference.Height, reference.Channels), (candidate.Width, candidate.Height, candidate.Channels));
        return TensorComparer.Compare(candidate.Samples, reference.Samples, [1, candidate.Channels, candidate.Height, candidate.Width],
            new ComparisonOptions { PsnrPeak = 1 }).Psnr;
    }

    /// <summary>The largest absolute difference between two images' samples.</summary>
    public static float MaxDifference(Image a, Image b)
    {
        Assert.Equal(a.Samples.Length, b.Samples.Length);
        var max = 0f;
        for (var i = 0; i < a.Samples.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a.Samples[i] - b.Samples[i]));
        }

        return max;
    }

    /// <summary>
    /// A model that only accepts sizes that are multiples of 8 (no padding inside): SpaceToDepth(8) → 1×1 Conv
    /// (192 → 768, fixed pattern weights) → DepthToSpace(16), i.e. each 8×8 input block becomes a 16×16 output block
    /// (scale 2). Its output depends on where the 8×8 grid falls, so only grid-aligned tiles reproduce the whole image.
    /// </summary>
    public static string BlockModel(string folder)
    {
        var builder = new TestModelBuilder()
            .Input("input", "N", 3L, "H", "W")
            .Output("output", "N", 3L, null, null)
            .Weight("w", 768, 192, 1, 1)
            .Node("SpaceToDepth", ["input"], ["blocks"], TestModelBuilder.IntAttr("blocksize", 8))
            .Node("Conv", ["blocks", "w"], ["mixed"])
            .Node("DepthToSpace", ["mixed"], ["output"], TestModelBuilder.IntAttr("blocksize", 16));
        return builder.Save(folder, "block8_x2.onnx");
    }
}

/// <summary>Wraps a real runner and records the inputs it is given (shape and value range), to check what the tiler feeds a model.</summary>
internal sealed class RecordingRunner(IInferenceRunner inner) : IInferenceRunner
{
    public List<(long[] Shape, float Min, float Max)> Calls { get; } = [];

    public string BackendName => inner.BackendName;

    public IReadOnlyList<TensorInfo> Inputs => inner.Inputs;

    public IReadOnlyList<TensorInfo> Outputs => inner.Outputs;

    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, CancellationToken cancellationToken = default)
    {
        var data = inputs.Values.Single().AsSpan<float>();
        var min = float.MaxValue;
        var max = float.MinValue;
        foreach (var v in data)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        Calls.Add(([.. inputs.Values.Single().Shape], min, max));
        return inner.Run(inputs, cancellationToken);
    }

    public void Dispose() => inner.Dispose();
}
