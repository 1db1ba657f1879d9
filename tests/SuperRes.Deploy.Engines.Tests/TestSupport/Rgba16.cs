using System.Buffers.Binary;
using SuperRes.Deploy.Engines.Imaging;

namespace SuperRes.Deploy.Engines.Tests.TestSupport;

/// <summary>Interleaved 16-bit RGBA, the common form in which the tests compare decoders.</summary>
internal static class Rgba16
{
    public static ushort[] FromBigEndian(ReadOnlySpan<byte> bytes)
    {
        var samples = new ushort[bytes.Length / 2];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = BinaryPrimitives.ReadUInt16BigEndian(bytes[(i * 2)..]);
        }

        return samples;
    }

    /// <summary>An image as 16-bit RGBA: grey repeated into R, G, B; no alpha → 65535.</summary>
    public static ushort[] FromImage(Image image)
    {
        var samples = new ushort[image.PlaneLength * 4];
        for (var p = 0; p < image.PlaneLength; p++)
        {
            for (var c = 0; c < 3; c++)
            {
                samples[(p * 4) + c] = Quantization.ToUInt16(image.Plane(image.ColorChannels == 1 ? 0 : c)[p]);
            }

            samples[(p * 4) + 3] = image.HasAlpha ? Quantization.ToUInt16(image.Plane(image.Channels - 1)[p]) : (ushort)65535;
        }

        return samples;
    }

    /// <summary>The first differing sample as text, or null when equal.</summary>
    public static string? FirstDifference(ushort[] expected, ushort[] actual, int width)
    {
        if (expected.Length != actual.Length)
        {
            return $"lengths differ: {expected.Length} vs {actual.Length}";
        }

        for (var i = 0; i < expected.Length; i++)
        {
            if (expected[i] != actual[i])
            {
                var pixel = i / 4;
                return $"pixel ({pixel % width}, {pixel / width}) channel {i % 4}: expected {expected[i]}, got {actual[i]}";
            }
        }

        return null;
    }
}
