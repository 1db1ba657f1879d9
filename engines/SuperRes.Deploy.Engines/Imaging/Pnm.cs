using System.Buffers.Binary;

namespace SuperRes.Deploy.Engines.Imaging;

/// <summary>
/// Netpbm grey and colour maps: reads P2/P5 (PGM) and P3/P6 (PPM), ASCII and binary, with any maxval 1…65535
/// (binary samples are one byte up to 255, two bytes big-endian above); writes binary P5/P6 at 8 or 16 bits.
/// </summary>
/// <remarks>
/// Samples are scaled to [0, 1] as q / maxval; the image's <see cref="Image.BitDepth"/> is 8 for maxval ≤ 255 and 16
/// above. Comments ('#' to end of line) are accepted anywhere whitespace is. Only the first image of a multi-image file
/// is read. Netpbm has no alpha: writing an image with alpha is a usage error (write PNG instead).
/// </remarks>
public static class Pnm
{
    /// <summary>Whether <paramref name="bytes"/> starts like a P2, P3, P5 or P6 file.</summary>
    public static bool HasSignature(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 2 && bytes[0] == (byte)'P' && bytes[1] is (byte)'2' or (byte)'3' or (byte)'5' or (byte)'6';

    /// <summary>Decodes a P2/P3/P5/P6 file held in memory. <paramref name="sourceName"/> starts every error message.</summary>
    public static Image Decode(ReadOnlySpan<byte> file, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        DeployException Fail(string problem) => DeployException.BadInput($"{sourceName}: PNM: {problem}");

        if (!HasSignature(file))
        {
            throw Fail("not a PGM/PPM file (expected P2, P3, P5 or P6)");
        }

        var kind = file[1] - '0';
        var position = 2;
        var width = ReadHeaderNumber(file, ref position, "width", Fail);
        var height = ReadHeaderNumber(file, ref position, "height", Fail);
        var maxValue = ReadHeaderNumber(file, ref position, "maxval", Fail);
        if (width == 0 || height == 0)
        {
            throw Fail($"invalid dimensions {width}×{height}");
        }

        if (maxValue is 0 or > 65535)
        {
            throw Fail($"maxval {maxValue} is outside 1..65535");
        }

        var channels = kind is 3 or 6 ? 3 : 1;
        if (width > int.MaxValue || height > int.MaxValue || width * height > Png.MaxPixels || width * height * channels > Image.MaxSamples)
        {
            throw Fail($"image too large: {width}×{height}");
        }

        var count = width * height * channels;
        var binary = kind is 5 or 6;
        var bytesPerSample = maxValue > 255 ? 2 : 1;
        if (binary)
        {
            // Exactly one whitespace byte separates maxval from the raster.
            if (position >= file.Length || !IsWhitespace(file[position]))
            {
                throw Fail("missing whitespace after maxval");
            }

            position++;
            if (file.Length - position < count * bytesPerSample)
            {
                throw Fail($"truncated raster: {file.Length - position} of {count * bytesPerSample} bytes");
            }
        }
        else if ((file.Length - position + 1) / 2 < count)
        {
            // Each ASCII sample takes a digit and a separator: too few bytes left means truncation, found before allocating.
            throw Fail($"truncated raster: {file.Length - position} bytes cannot hold {count} samples");
        }

        var image = new Image((int)width, (int)height, channels, maxValue > 255 ? 16 : 8);
        var plane = (int)(width * height);
        var data = image.Samples;
        var scale = new float[maxValue + 1];
        for (var q = 0; q <= maxValue; q++)
        {
            scale[q] = q / (float)maxValue; // the same value the PNG reader gives a sample
        }

        if (binary)
        {
            var raster = file.Slice(position, (int)(count * bytesPerSample));
            for (var i = 0; i < count; i++)
            {
                var q = bytesPerSample == 1 ? raster[i] : BinaryPrimitives.ReadUInt16BigEndian(raster[(i * 2)..]);
                if (q > maxValue)
                {
                    throw Fail($"sample {q} exceeds maxval {maxValue}");
                }

                data[((i % channels) * plane) + (i / channels)] = scale[q];
            }

            return image;
        }

        for (var i = 0; i < count; i++)
        {
            var q = ReadNumber(file, ref position);
            if (q < 0)
            {
                throw Fail(q == -1 ? $"truncated raster: {i} of {count} samples" : $"invalid character in sample {i}");
            }

            if (q > maxValue)
            {
                throw Fail($"sample {q} exceeds maxval {maxValue}");
            }

            data[((i % channels) * plane) + (i / channels)] = scale[q];
        }

        return image;
    }

    /// <summary>
    /// Encodes <paramref name="image"/> as binary P5 (1 channel) or P6 (3 channels) at <see cref="ImageWriteOptions.BitDepth"/>.
    /// With <paramref name="forceColor"/>, grey is written as P6 (R = G = B).
    /// </summary>
    public static byte[] Encode(Image image, ImageWriteOptions? options = null, bool forceColor = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= ImageWriteOptions.Default;
        options.Validate();
        if (image.HasAlpha)
        {
            throw DeployException.Usage("PGM/PPM cannot store an alpha channel; write PNG instead");
        }

        var channels = forceColor ? 3 : image.Channels;
        var bytesPerSample = options.BitDepth / 8;
        var header = System.Text.Encoding.ASCII.GetBytes(
            $"P{(channels == 3 ? 6 : 5)}\n{image.Width} {image.Height}\n{(options.BitDepth == 8 ? 255 : 65535)}\n");
        var plane = image.PlaneLength;
        var output = new byte[header.Length + ((long)plane * channels * bytesPerSample)];
        header.CopyTo(output, 0);
        var raster = output.AsSpan(header.Length);
        var data = image.Samples;
        for (var p = 0; p < plane; p++)
        {
            for (var c = 0; c < channels; c++)
            {
                var value = data[((image.Channels == 1 ? 0 : c) * plane) + p];
                var i = (p * channels) + c;
                if (bytesPerSample == 1)
                {
                    raster[i] = Quantization.ToUInt8(value);
                }
                else
                {
                    BinaryPrimitives.WriteUInt16BigEndian(raster[(i * 2)..], Quantization.ToUInt16(value));
                }
            }
        }

        return output;
    }

    private static long ReadHeaderNumber(ReadOnlySpan<byte> file, ref int position, string what, Func<string, DeployException> fail)
    {
        var value = ReadNumber(file, ref position);
        return value switch
        {
            -1 => throw fail($"truncated header: no {what}"),
            < 0 => throw fail($"invalid {what} in header"),
            _ => value,
        };
    }

    /// <summary>Skips whitespace and comments, then reads a decimal number: -1 at end of input, -2 on a bad character.</summary>
    private static long ReadNumber(ReadOnlySpan<byte> file, ref int position)
    {
        while (position < file.Length)
        {
            if (file[position] == (byte)'#')
            {
                while (position < file.Length && file[position] is not ((byte)'\n' or (byte)'\r'))
                {
                    position++;
                }
            }
            else if (IsWhitespace(file[position]))
            {
                position++;
            }
            else
            {
                break;
            }
        }

        if (position >= file.Length)
        {
            return -1;
        }

        if (!char.IsAsciiDigit((char)file[position]))
        {
            return -2;
        }

        long value = 0;
        while (position < file.Length && char.IsAsciiDigit((char)file[position]))
        {
            value = (value * 10) + (file[position] - '0');
            if (value > int.MaxValue)
            {
                return -2;
            }

            position++;
        }

        return value;
    }

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;
}
