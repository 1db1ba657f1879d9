using Google.Protobuf;
using Onnx;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Validation.Metrics;

namespace SuperRes.Deploy.Engines.Tests.Passes;

/// <summary>Runs original and rewritten models in ONNX Runtime (the real library, with our custom-op library) and compares them.</summary>
internal static class PassTestSupport
{
    /// <summary>The FusedAttention ORT custom-op library, copied next to the test assembly by Directory.Build.targets.</summary>
    public static string CustomOpLibrary => Path.Combine(AppContext.BaseDirectory, "libsrd_fused_attention_ort.so");

    /// <summary>A deterministic pseudo-image in [0, 1).</summary>
    public static float[] Image(long[] shape, int seed)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        var random = new Random(seed);
        var data = new float[count];
        for (var i = 0; i < count; i++)
        {
            data[i] = (float)random.NextDouble();
        }

        return data;
    }

    public static byte[] Bytes(ModelProto model) => model.ToByteArray();

    /// <summary>The model after the graph's rewrite was written back.</summary>
    public static byte[] Bytes(OnnxGraph graph) => graph.WriteBack()!.ToByteArray();

    public static OnnxModel LoadCopy(string path) => OnnxModel.Load(path);

    public static IReadOnlyDictionary<string, Tensor> Run(byte[] model, string input, float[] data, long[] shape, bool customOps = false, string name = "model")
    {
        using var runner = new OrtRunner(OrtRunnerOptions.ForBytes(model, name) with
        {
            IntraOpThreads = 2,
            CustomOpLibraries = customOps ? [CustomOpLibrary] : [],
        });
        return runner.Run(new Dictionary<string, Tensor> { [input] = Tensor.FromArray(data, shape) });
    }

    /// <summary>Runs both models on the same input and compares the first output (atol given, rtol 1e-5, Polygraphy elementwise rule).</summary>
    public static TensorComparison Compare(byte[] reference, byte[] candidate, long[] shape, double atol, int seed = 1, bool customOps = true)
    {
        var data = Image(shape, seed);
        var expected = Run(reference, "input", data, shape, customOps: false, "reference").Values.First();
        var actual = Run(candidate, "input", data, shape, customOps, "candidate").Values.First();
        Assert.Equal(expected.Shape, actual.Shape);
        return TensorComparer.Compare(ToFloats(actual), ToFloats(expected), [.. expected.Shape.Select(d => (int)d)],
            new ComparisonOptions { Tolerance = new Tolerance { Absolute = atol, Relative = 1e-5 }, ComputeSsim = false });
    }

    /// <summary>Runs both models on <paramref name="data"/> and compares the first output.</summary>
    public static TensorComparison Compare(byte[] reference, byte[] candidate, float[] data, long[] shape, double atol, bool customOps = true)
    {
        var expected = Run(reference, "input", data, shape, customOps: false, "reference").Values.First();
        var actual = Run(candidate, "input", data, shape, customOps, "candidate").Values.First();
        Assert.Equal(expected.Shape, actual.Shape);
        return TensorComparer.Compare(ToFloats(actual), ToFloats(expected), [.. expected.Shape.Select(d => (int)d)],
            new ComparisonOptions { Tolerance = new Tolerance { Absolute = atol, Relative = 1e-5 }, ComputeSsim = false });
    }

    /// <summary>
    /// A batch of crops of Set5 LR images as an NCHW tensor (real pixels in [0, 1]): batch item i is image
    /// <c>names[i % 5]</c> cropped at (4, 4).
    /// </summary>
    public static float[] ImageCrops(long[] shape)
    {
        string[] names = ["baby", "bird", "butterfly", "head", "woman"];
        var (batch, height, width) = ((int)shape[0], (int)shape[2], (int)shape[3]);
        var data = new List<float>();
        for (var i = 0; i < batch; i++)
        {
            var image = SuperRes.Deploy.Engines.Imaging.ImageFile.Read(Path.Combine(SuperRes.Deploy.Tests.RepoPaths.Root, "tests", "fixtures", "datasets", "Set5", "LRbicx4", names[i % names.Length] + ".png"));
            data.AddRange(image.Crop(4, 4, width, height).ToNchw());
        }

        return [.. data];
    }

    public static float[] ToFloats(Tensor t) => t.ElementType switch
    {
        TensorElementType.Float32 => t.AsSpan<float>().ToArray(),
        TensorElementType.Float16 => [.. t.AsSpan<Half>().ToArray().Select(h => (float)h)],
        _ => throw new InvalidOperationException($"not a float tensor: {t}"),
    };
}
