using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Engines.Validation.Metrics;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Validation;

public sealed class DefaultModelVectorTests
{
    [Fact]
    public void The_default_model_upscales_a_real_Set5_crop_on_onnx_runtime_as_pytorch_does_within_1e_5()
    {
        var (input, inputShape) = Npy.ReadFloat32(RepoPaths.Combine("tests", "fixtures", "vectors", "ditn_real_x4.input.npy"));
        var (expected, outputShape) = Npy.ReadFloat32(RepoPaths.Combine("tests", "fixtures", "vectors", "ditn_real_x4.output.npy"));
        Assert.Equal([1L, 3, 64, 64], inputShape);
        Assert.Equal([1L, 3, 256, 256], outputShape);

        // The vector's input is the real image: rows and columns 32..95 of Set5 baby (LRbicx4), read by our PNG codec.
        var baby = ImageFile.Read(RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "LRbicx4", "baby.png"));
        Assert.Equal(input, baby.Crop(32, 32, 64, 64).ToNchw());

        using var runner = new OrtRunner(OrtRunnerOptions.ForFile(RepoPaths.DefaultModel));
        var output = runner.Run(new Dictionary<string, Tensor> { ["input"] = Tensor.FromArray(input, inputShape) })["output"];

        Assert.Equal(outputShape, output.Shape);
        var comparison = TensorComparer.Compare(output.AsSpan<float>(), expected, [1, 3, 256, 256], new ComparisonOptions
        {
            Tolerance = new Tolerance { Absolute = 1e-5, Relative = 0, Statistic = ErrorStatistic.Max },
        });
        Assert.True(comparison.Check.Passed, comparison.Check.Summary);
        Assert.True(comparison.Psnr > 90, $"PSNR {comparison.Psnr}");
    }
}
