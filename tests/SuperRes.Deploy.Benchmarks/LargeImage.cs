using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Imaging;

namespace SuperRes.Deploy.Benchmarks;

/// <summary>
/// Makes a large test input from a real photograph without committing it: the source mirrored in both directions
/// (… c b | a b c | b a …) out to size × size, written row by row as an 8-bit PNG.
/// </summary>
internal static class LargeImage
{
    public static void Write(string sourcePath, int size, string outputPath)
    {
        var source = ImageFile.Read(sourcePath);
        var channels = source.ColorChannels;
        var row = new float[channels * size];
        var scanline = new byte[Scanlines.Length(size, channels, 8)];
        AtomicFile.Write(outputPath, stream =>
        {
            using var writer = new PngRowWriter(stream, size, size, channels);
            for (var y = 0; y < size; y++)
            {
                var sy = Mirror(y, source.Height);
                for (var c = 0; c < channels; c++)
                {
                    var plane = source.Plane(c);
                    for (var x = 0; x < size; x++)
                    {
                        row[(c * size) + x] = plane[(sy * source.Width) + Mirror(x, source.Width)];
                    }
                }

                Scanlines.FromPlanar(row, size, channels, 8, scanline);
                writer.WriteScanline(scanline);
            }

            writer.Complete();
        });
    }

    private static int Mirror(int position, int length)
    {
        var period = 2 * (length - 1);
        var m = position % period;
        return m < length ? m : period - m;
    }
}
