namespace SuperRes.Deploy.Engines.Imaging;

/// <summary>Colour conversions used by SR evaluation.</summary>
public static class ColorSpace
{
    /// <summary>
    /// Luma Y of ITU-R BT.601 in the 16–235 "studio" range, as MATLAB's <c>rgb2ycbcr</c> computes it and SR papers use:
    /// <c>Y = 16 + 65.481 R + 128.553 G + 24.966 B</c> with R, G, B in [0, 1], so Y is in [16, 235] on a 0–255 scale.
    /// Returns one row-major plane of doubles on that 0–255 scale. The image must have colour (3 or 4 channels); alpha
    /// is ignored.
    /// </summary>
    public static double[] LumaBt601(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.ColorChannels != 3)
        {
            throw new ArgumentException("BT.601 luma needs an RGB image", nameof(image));
        }

        var y = new double[image.PlaneLength];
        var r = image.Plane(0);
        var g = image.Plane(1);
        var b = image.Plane(2);
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = Luma(r[i], g[i], b[i]);
        }

        return y;
    }

    /// <summary>One BT.601 studio-range luma value on the 0–255 scale from R, G, B in [0, 1].</summary>
    public static double Luma(double r, double g, double b) => 16.0 + (65.481 * r) + (128.553 * g) + (24.966 * b);
}
