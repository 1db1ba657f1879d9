using System.Diagnostics;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Validation.Metrics;

namespace SuperRes.Deploy.Engines.Validation.Evaluation;

/// <summary>What to evaluate.</summary>
public sealed record EvaluationRequest
{
    /// <summary>The ONNX model, run by ONNX Runtime.</summary>
    public required string ModelPath { get; init; }

    /// <summary>The dataset folder (see <see cref="SrDataset"/>).</summary>
    public required string DatasetPath { get; init; }

    /// <summary>The SR scale; null = from the dataset's <c>LRbicx{n}</c> folder.</summary>
    public int? Scale { get; init; }

    /// <summary>The dataset's name in the report and for the published numbers (default: the folder name).</summary>
    public string? DatasetName { get; init; }

    /// <summary>Published quality to compare with (the config's <c>published.DATASET</c>).</summary>
    public PublishedQuality? Published { get; init; }

    /// <summary>The model input fed with images (default: the model's first input).</summary>
    public string? InputName { get; init; }

    /// <summary>The model output that is the SR image (default: the model's first output).</summary>
    public string? OutputName { get; init; }

    /// <summary>The pixel value range of the model's input and output (default [0, 1]).</summary>
    public (double Min, double Max) ValueRange { get; init; } = (0, 1);

    public IReadOnlyList<string> CustomOpLibraries { get; init; } = [];

    public int Threads { get; init; }

    public IModelSizeAdvisor? SizeAdvisor { get; init; }

    public string? ToolVersion { get; init; }

    public string? CustomOpSearchFolder { get; init; }
}

/// <summary>The quality of one image, with the bicubic baseline.</summary>
/// <param name="Padding">How the input was padded to satisfy the model's size constraint, or null.</param>
public sealed record ImageQuality(
    string Name, int LowWidth, int LowHeight, int HighWidth, int HighHeight, double PsnrY, double SsimY, double BicubicPsnrY, double BicubicSsimY, string? Padding, double RunMs);

/// <summary>Everything <c>srdeploy eval</c> measured.</summary>
public sealed record EvaluationReport
{
    public const string Schema = "srdeploy.eval/1";

    /// <summary>How the figures are computed, in words (also in the reports).</summary>
    public const string Protocol =
        "LR (uint8 RGB, mapped to the value range) -> model -> clamp, round to uint8 -> BT.601 luma Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255 (R, G, B in 0..255, not rounded) "
        + "-> crop `scale` pixels from each border -> PSNR (peak 255) and SSIM (11x11 Gaussian, sigma 1.5, K1 0.01, K2 0.03, L 255) per image, averaged over the images. "
        + "Grey images are treated as RGB with equal channels. Bicubic baseline: MATLAB imresize(LR, scale, 'bicubic') rounded to uint8, same metric.";

    public required string ToolVersion { get; init; }

    public required DateTimeOffset CreatedUtc { get; init; }

    public required ModelDescription Model { get; init; }

    public required RunnerDescription Runner { get; init; }

    public required string DatasetName { get; init; }

    public required SrDataset Dataset { get; init; }

    public required int Scale { get; init; }

    public required string SizeConstraints { get; init; }

    public required IReadOnlyList<ImageQuality> Images { get; init; }

    public PublishedQuality? Published { get; init; }

    public required double TotalMs { get; init; }

    public double MeanPsnrY => Images.Average(i => i.PsnrY);

    public double MeanSsimY => Images.Average(i => i.SsimY);

    public double BicubicPsnrY => Images.Average(i => i.BicubicPsnrY);

    public double BicubicSsimY => Images.Average(i => i.BicubicSsimY);

    /// <summary>Measured − published PSNR-Y (dB), when published numbers are known.</summary>
    public double? DeltaPsnrY => Published is { } p ? MeanPsnrY - p.PsnrY : null;

    /// <summary>Measured − published SSIM-Y, when known.</summary>
    public double? DeltaSsimY => Published?.SsimY is { } s ? MeanSsimY - s : null;
}

/// <summary>
/// SR quality as papers report it (<see cref="EvaluationReport.Protocol"/>; metrics from <see cref="SrQuality"/>): each
/// LR image of a dataset goes through the model on ONNX Runtime and is compared with its ground truth. Models whose
/// inputs must be a multiple of some size are fed a reflect-padded input and their output is cropped back.
/// </summary>
public static class SrEvaluator
{
    public static EvaluationReport Evaluate(EvaluationRequest request, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        log ??= _ => { };
        var created = DateTimeOffset.UtcNow;
        var total = Stopwatch.StartNew();
        var dataset = SrDataset.Open(request.DatasetPath, request.Scale);
        if (dataset.Pairs.Count == 0)
        {
            throw DeployException.BadInput($"dataset '{request.DatasetPath}' has no images");
        }

        var model = ModelFiles.Describe(request.ModelPath, ModelFiles.OnnxFormat);
        var customOps = CustomOpLibraries.Resolve(request.ModelPath, request.CustomOpLibraries, ModelFiles.ImportedDomains(request.ModelPath), request.CustomOpSearchFolder);
        using var runner = new OrtRunner(new OrtRunnerOptions { ModelPath = request.ModelPath, IntraOpThreads = request.Threads, CustomOpLibraries = customOps });
        var input = request.InputName is null ? runner.Inputs[0] : runner.Inputs.FirstOrDefault(i => i.Name == request.InputName)
            ?? throw DeployException.BadInput($"model '{Path.GetFileName(request.ModelPath)}' has no input '{request.InputName}' (inputs: {string.Join(", ", runner.Inputs)})");
        var output = request.OutputName ?? runner.Outputs[0].Name;
        if (runner.Inputs.Count != 1 || input.Rank != 4)
        {
            throw DeployException.BadInput($"eval needs a model with one [N, 3, H, W] image input; '{Path.GetFileName(request.ModelPath)}' has {string.Join(", ", runner.Inputs)}");
        }

        var advisor = request.SizeAdvisor ?? ModelSizeAdvisors.ForModel(request.ModelPath);
        var multiple = advisor.SpatialMultiple(input.Name);
        var scale = dataset.Scale;
        log($"evaluating {Path.GetFileName(request.ModelPath)} on {dataset.Name} ({dataset.Pairs.Count} images, x{scale}; LR {dataset.LowResolutionSource})");
        var images = new List<ImageQuality>();
        foreach (var pair in dataset.Pairs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var high = Rgb(ImageFile.Read(pair.HighResolution));
            var low = Rgb(dataset.LoadLowResolution(pair, high));
            high = CropToScaled(high, low, scale, pair.Name);
            var clock = Stopwatch.StartNew();
            var (superResolved, padding) = Upscale(runner, input, output, low, scale, multiple, request.ValueRange, pair.Name, cancellationToken);
            var runMs = clock.Elapsed.TotalMilliseconds;
            var bicubic = Resize.BicubicBaseline(low, scale);
            var quality = new ImageQuality(
                pair.Name, low.Width, low.Height, high.Width, high.Height,
                SrQuality.PsnrY(high, superResolved, scale), SrQuality.SsimY(high, superResolved, scale),
                SrQuality.PsnrY(high, bicubic, scale), SrQuality.SsimY(high, bicubic, scale), padding, runMs);
            images.Add(quality);
            log(FormattableString.Invariant($"{pair.Name}: PSNR-Y {quality.PsnrY:0.000} dB, SSIM-Y {quality.SsimY:0.0000} ({runMs:0} ms)"));
        }

        return new EvaluationReport
        {
            ToolVersion = request.ToolVersion ?? ModelValidator.DefaultToolVersion,
            CreatedUtc = created,
            Model = model,
            Runner = new RunnerDescription("onnxruntime", OrtRunner.RuntimeVersion,
                $"CPU execution provider, intra-op threads {(request.Threads > 0 ? request.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture) : "default")}{(customOps.Count > 0 ? $", custom ops {string.Join(", ", customOps)}" : string.Empty)}"),
            DatasetName = request.DatasetName ?? dataset.Name,
            Dataset = dataset,
            Scale = scale,
            SizeConstraints = multiple > 1 ? $"{advisor.Description}; inputs reflect-padded to a multiple of {multiple}" : advisor.Description,
            Images = images,
            Published = request.Published,
            TotalMs = total.Elapsed.TotalMilliseconds,
        };
    }

    /// <summary>
    /// Runs the model on one image: pads right and bottom (reflect) to a multiple of <paramref name="multiple"/> when
    /// needed, crops the output back to scale × the input size, and maps it from the value range to [0, 1].
    /// </summary>
    public static (Image Image, string? Padding) Upscale(
        IInferenceRunner runner, TensorInfo input, string output, Image low, int scale, int multiple, (double Min, double Max) valueRange, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(low);
        var padRight = (multiple - (low.Width % multiple)) % multiple;
        var padBottom = (multiple - (low.Height % multiple)) % multiple;
        var padded = padRight + padBottom > 0 ? low.Pad(0, 0, padRight, padBottom, PadMode.Reflect) : low;
        var nchw = padded.ToNchw();
        if (valueRange != (0, 1))
        {
            for (var i = 0; i < nchw.Length; i++)
            {
                nchw[i] = (float)(valueRange.Min + ((valueRange.Max - valueRange.Min) * nchw[i]));
            }
        }

        var tensor = InputGenerator.Convert(Tensor.FromArray(nchw, 1, 3, padded.Height, padded.Width), input.ElementType);
        var result = runner.Run(new Dictionary<string, Tensor> { [input.Name] = tensor }, cancellationToken);
        if (!result.TryGetValue(output, out var sr))
        {
            throw DeployException.BadInput($"the model has no output '{output}'");
        }

        var expectedHeight = (long)padded.Height * scale;
        var expectedWidth = (long)padded.Width * scale;
        if (sr.Rank != 4 || sr.Shape[0] != 1 || sr.Shape[1] != 3 || sr.Shape[2] != expectedHeight || sr.Shape[3] != expectedWidth)
        {
            throw DeployException.BadInput(
                $"{name}: the model turned a {padded.Width}x{padded.Height} input into {Tensor.Format(sr.Shape)}, not [1,3,{expectedHeight},{expectedWidth}] (is the scale {scale} right?)");
        }

        var values = TensorValues.ToFloat(sr);
        if (valueRange != (0, 1))
        {
            values = values.Select(v => (float)((v - valueRange.Min) / (valueRange.Max - valueRange.Min))).ToArray();
        }

        var image = Image.FromNchw(values, 3, (int)expectedHeight, (int)expectedWidth);
        if (padRight + padBottom > 0)
        {
            image = image.Crop(0, 0, low.Width * scale, low.Height * scale);
        }

        return (image, padRight + padBottom > 0 ? $"reflect-padded by {padRight} right, {padBottom} bottom" : null);
    }

    private static Image Rgb(Image image)
    {
        if (image.ColorChannels == 3 && !image.HasAlpha)
        {
            return image;
        }

        var plane = image.PlaneLength;
        var samples = new float[3 * plane];
        for (var c = 0; c < 3; c++)
        {
            image.Plane(image.ColorChannels == 3 ? c : 0).CopyTo(samples.AsSpan(c * plane, plane));
        }

        return new Image(image.Width, image.Height, 3, samples, image.BitDepth);
    }

    private static Image CropToScaled(Image high, Image low, int scale, string name)
    {
        var width = low.Width * scale;
        var height = low.Height * scale;
        if (high.Width < width || high.Height < height)
        {
            throw DeployException.BadInput($"{name}: HR {high.Width}x{high.Height} is smaller than x{scale} of LR {low.Width}x{low.Height}");
        }

        return high.Width == width && high.Height == height ? high : high.Crop(0, 0, width, height);
    }
}
