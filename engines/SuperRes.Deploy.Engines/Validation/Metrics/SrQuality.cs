using SuperRes.Deploy.Engines.Imaging;

namespace SuperRes.Deploy.Engines.Validation.Metrics;

/// <summary>
/// PSNR and SSIM of a super-resolved image against its ground truth, computed the way SR papers report them
/// (the MATLAB evaluation scripts of EDSR/RCAN and BasicSR's <c>calculate_psnr/ssim(test_y_channel=True)</c>).
/// </summary>
/// <remarks>
/// <para>Both images are first quantised to uint8 (<see cref="Quantization.ToUInt8"/>: round half away from zero,
/// clamp), as an SR network's output is saved. Colour images are then reduced to BT.601 luma on the 0–255 scale,
/// <c>Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255</c> with R, G, B the uint8 values, as doubles (the scripts'
/// <c>rgb2ycbcr(im2double(img))</c> × 255). Grey images are used as they are (grey × 255), as those scripts do. With
/// <c>roundY</c> the luma is rounded to an integer first, as MATLAB's <c>rgb2ycbcr</c> on a uint8 image does (older
/// SRCNN-era scripts); this gives slightly different figures.</para>
/// <para>Then <paramref name="scale"/> pixels are cropped from each border ("shave") and
/// PSNR = 10 log10(255² / MSE) (+∞ for identical images); SSIM is <see cref="Ssim"/> with L = 255.</para>
/// </remarks>
public static class SrQuality
{
    /// <summary>PSNR in dB on the Y channel after cropping <paramref name="scale"/> border pixels.</summary>
    public static double PsnrY(Image groundTruth, Image superResolved, int scale, bool roundY = false)
    {
        var (reference, candidate, width, height) = PrepareY(groundTruth, superResolved, scale, roundY);
        double sum = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            var d = reference[i] - candidate[i];
            sum += d * d;
        }

        var mse = sum / ((double)width * height);
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    /// <summary>Mean SSIM on the Y channel after cropping <paramref name="scale"/> border pixels.</summary>
    public static double SsimY(Image groundTruth, Image superResolved, int scale, bool roundY = false)
    {
        var (reference, candidate, width, height) = PrepareY(groundTruth, superResolved, scale, roundY);
        return Ssim.Mean(reference, candidate, width, height, 255);
    }

    /// <summary>The Y plane (0–255 doubles) of an image quantised to uint8, as both metrics use it before cropping.</summary>
    public static double[] LumaOfUInt8(Image image, bool roundY = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        var y = new double[image.PlaneLength];
        if (image.ColorChannels == 1)
        {
            var grey = image.Plane(0);
            for (var i = 0; i < y.Length; i++)
            {
                y[i] = Quantization.ToUInt8(grey[i]);
            }

            return y;
        }

        var r = image.Plane(0);
        var g = image.Plane(1);
        var b = image.Plane(2);
        for (var i = 0; i < y.Length; i++)
        {
            var luma = ColorSpace.Luma(
                Quantization.ToUInt8(r[i]) / 255.0, Quantization.ToUInt8(g[i]) / 255.0, Quantization.ToUInt8(b[i]) / 255.0);
            y[i] = roundY ? Math.Round(luma, MidpointRounding.AwayFromZero) : luma;
        }

        return y;
    }

    private static (double[] Reference, double[] Candidate, int Width, int Height) PrepareY(
        Image groundTruth, Image superResolved, int scale, bool roundY)
    {
        ArgumentNullException.ThrowIfNull(groundTruth);
        ArgumentNullException.ThrowIfNull(superResolved);
        ArgumentOutOfRangeException.ThrowIfNegative(scale);
        if (groundTruth.Width != superResolved.Width || groundTruth.Height != superResolved.Height)
        {
            throw DeployException.BadInput(
                $"ground truth {groundTruth.Width}×{groundTruth.Height} and SR output {superResolved.Width}×{superResolved.Height} differ in size");
        }

        if (groundTruth.ColorChannels != superResolved.ColorChannels)
        {
            throw DeployException.BadInput(
                $"ground truth has {groundTruth.ColorChannels} colour channels, SR output {superResolved.ColorChannels}");
        }

        var width = groundTruth.Width - (2 * scale);
        var height = groundTruth.Height - (2 * scale);
        if (width <= 0 || height <= 0)
        {
            throw DeployException.BadInput($"a {groundTruth.Width}×{groundTruth.Height} image is too small to crop {scale} pixels from each border");
        }

        return (Crop(LumaOfUInt8(groundTruth, roundY), groundTruth.Width, scale, width, height),
            Crop(LumaOfUInt8(superResolved, roundY), groundTruth.Width, scale, width, height), width, height);
    }

    private static double[] Crop(double[] plane, int fullWidth, int border, int width, int height)
    {
        var result = new double[(long)width * height];
        for (var y = 0; y < height; y++)
        {
            plane.AsSpan(((y + border) * fullWidth) + border, width).CopyTo(result.AsSpan(y * width, width));
        }

        return result;
    }
}
