using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Engines.Validation.Evaluation;
using SuperRes.Deploy.Tests;
using Xunit.Abstractions;

namespace SuperRes.Deploy.Engines.Tests.Validation;

public sealed class EvaluationTests(ITestOutputHelper output)
{
    private static readonly DeployConfig DefaultConfig = DeployConfigLoader.Load(RepoPaths.Combine("configs", "ditn_real_x4.yaml"));

    [SkippableTheory]
    [InlineData("Set5")]
    [InlineData("Set14")]
    public void The_default_model_reproduces_its_published_x4_quality_within_0_05_dB_and_0_002_SSIM(string set)
    {
        var root = Datasets.Find(set);
        Skip.If(root is null, Datasets.SkipReason(set));
        var published = DefaultConfig.Published[set];

        var report = SrEvaluator.Evaluate(new EvaluationRequest
        {
            ModelPath = DefaultConfig.ModelPath,
            DatasetPath = root!,
            Scale = 4,
            Published = published,
        });

        output.WriteLine(EvaluationReports.Table(report));
        Assert.Equal(set == "Set5" ? 5 : 14, report.Images.Count);
        Assert.InRange(report.MeanPsnrY, published.PsnrY - 0.05, published.PsnrY + 0.05);
        Assert.InRange(report.MeanSsimY, published.SsimY!.Value - 0.002, published.SsimY.Value + 0.002);
        Assert.Equal(report.MeanPsnrY - published.PsnrY, report.DeltaPsnrY!.Value, 12);
        // The network beats bicubic interpolation on every image.
        Assert.All(report.Images, i => Assert.True(i.PsnrY > i.BicubicPsnrY + 0.5, $"{i.Name}: {i.PsnrY} vs bicubic {i.BicubicPsnrY}"));
    }

    [Fact]
    public void Set5_per_image_figures_match_the_pytorch_check_of_the_same_model()
    {
        // models/export/check_ditn_quality.py (PyTorch, docs/models.md): baby 33.712, bird 34.663, butterfly 28.648,
        // head 32.842, woman 30.540 dB.
        var report = SrEvaluator.Evaluate(new EvaluationRequest
        {
            ModelPath = RepoPaths.DefaultModel,
            DatasetPath = RepoPaths.Combine("tests", "fixtures", "datasets", "Set5"),
        });

        Assert.Equal(4, report.Scale);
        Assert.Equal("LRbicx4", Path.GetFileName(report.Dataset.LowResolutionFolder));
        var expected = new Dictionary<string, double> { ["baby.png"] = 33.712, ["bird.png"] = 34.663, ["butterfly.png"] = 28.648, ["head.png"] = 32.842, ["woman.png"] = 30.540 };
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), report.Images.Select(i => i.Name));
        Assert.All(report.Images, i => Assert.Equal(expected[i.Name], i.PsnrY, 0.002));
    }

    [Fact]
    public void Hr_images_alone_are_downsampled_like_matlab_and_score_like_the_published_lr_files()
    {
        using var folder = new TempFolder("srd-eval");
        var hr = Directory.CreateDirectory(Path.Combine(folder.Path, "HR")).FullName;
        foreach (var name in new[] { "bird.png", "butterfly.png" })
        {
            File.Copy(RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "GTmod12", name), Path.Combine(hr, name));
        }

        var fromHr = SrEvaluator.Evaluate(new EvaluationRequest { ModelPath = RepoPaths.DefaultModel, DatasetPath = folder.Path, Scale = 4 });
        var fromFiles = SrEvaluator.Evaluate(new EvaluationRequest { ModelPath = RepoPaths.DefaultModel, DatasetPath = RepoPaths.Combine("tests", "fixtures", "datasets", "Set5"), Scale = 4 });

        Assert.Null(fromHr.Dataset.LowResolutionFolder);
        Assert.Contains("imresize", fromHr.Dataset.LowResolutionSource, StringComparison.Ordinal);
        foreach (var image in fromHr.Images)
        {
            var reference = fromFiles.Images.Single(i => i.Name == image.Name);
            Assert.Equal((reference.LowWidth, reference.LowHeight), (image.LowWidth, image.LowHeight));
            // Our imresize reproduces MATLAB's LR files almost pixel for pixel, so the figures agree closely.
            Assert.Equal(reference.PsnrY, image.PsnrY, 0.05);
            Assert.Equal(reference.BicubicPsnrY, image.BicubicPsnrY, 0.05);
        }
    }

    [Theory]
    [InlineData("LR_bicubic/X4", "")]
    [InlineData("LRx4", "x4")]
    [InlineData("lrbicx4", "")]
    public void Paired_layouts_are_found_by_folder_and_file_name(string lrFolder, string suffix)
    {
        using var folder = new TempFolder("srd-eval");
        var hr = Directory.CreateDirectory(Path.Combine(folder.Path, "GT")).FullName;
        var lr = Directory.CreateDirectory(Path.Combine(folder.Path, lrFolder)).FullName;
        var set5 = RepoPaths.Combine("tests", "fixtures", "datasets", "Set5");
        File.Copy(Path.Combine(set5, "GTmod12", "head.png"), Path.Combine(hr, "head.png"));
        File.Copy(Path.Combine(set5, "LRbicx4", "head.png"), Path.Combine(lr, $"head{suffix}.png"));

        var dataset = SrDataset.Open(folder.Path, scale: 4);

        var pair = Assert.Single(dataset.Pairs);
        Assert.Equal(Path.Combine(hr, "head.png"), pair.HighResolution);
        Assert.Equal(Path.Combine(lr, $"head{suffix}.png"), pair.LowResolution);
    }

    [Fact]
    public void A_dataset_without_the_lr_file_of_an_hr_image_is_refused_by_name()
    {
        using var folder = new TempFolder("srd-eval");
        var hr = Directory.CreateDirectory(Path.Combine(folder.Path, "HR")).FullName;
        var lr = Directory.CreateDirectory(Path.Combine(folder.Path, "LRbicx4")).FullName;
        var set5 = RepoPaths.Combine("tests", "fixtures", "datasets", "Set5");
        File.Copy(Path.Combine(set5, "GTmod12", "head.png"), Path.Combine(hr, "head.png"));
        File.Copy(Path.Combine(set5, "GTmod12", "bird.png"), Path.Combine(hr, "bird.png"));
        File.Copy(Path.Combine(set5, "LRbicx4", "head.png"), Path.Combine(lr, "head.png"));

        var error = Assert.Throws<DeployException>(() => SrDataset.Open(folder.Path, scale: null));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("no LR image for bird.png", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Models_with_a_size_constraint_get_reflect_padded_inputs_and_cropped_outputs()
    {
        // plain_sr accepts any size; asking for a multiple of 8 must still give the same pixels inside the image,
        // apart from the border the padding influences (its receptive field is 3 convs of 3x3: 3 LR pixels).
        using var runner = new SuperRes.Deploy.Engines.Runtime.OrtRunner(SuperRes.Deploy.Engines.Runtime.OrtRunnerOptions.ForFile(RepoPaths.FixtureModel("plain_sr.onnx")));
        var low = ImageFile.Read(RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "LRbicx4", "woman.png"));
        var input = runner.Inputs[0];

        var (plain, plainPadding) = SrEvaluator.Upscale(runner, input, "output", low, 4, 1, (0, 1), "woman.png");
        var (padded, padding) = SrEvaluator.Upscale(runner, input, "output", low, 4, 8, (0, 1), "woman.png");

        Assert.Null(plainPadding);
        Assert.Equal($"reflect-padded by {(8 - (low.Width % 8)) % 8} right, {(8 - (low.Height % 8)) % 8} bottom", padding);
        Assert.Equal((low.Width * 4, low.Height * 4), (padded.Width, padded.Height));
        var inner = plain.Crop(0, 0, (low.Width - 3) * 4, (low.Height - 3) * 4).Samples.ToArray();
        Assert.Equal(inner, padded.Crop(0, 0, (low.Width - 3) * 4, (low.Height - 3) * 4).Samples.ToArray());
    }
}
