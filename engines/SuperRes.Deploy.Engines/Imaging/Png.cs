using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.CompilerServices;

namespace SuperRes.Deploy.Engines.Imaging;

/// <summary>
/// PNG reading and writing (ISO/IEC 15948), over System.IO.Compression's zlib.
/// </summary>
/// <remarks>
/// <para>Reads every colour type and bit depth the standard allows (grey 1/2/4/8/16, RGB 8/16, palette 1/2/4/8, grey +
/// alpha 8/16, RGBA 8/16), all five filter types, Adam7 interlacing and image data split over several IDAT chunks.
/// Palette images become RGB, or RGBA when a tRNS chunk is present; grey and RGB images with a tRNS colour key gain an
/// alpha channel (0 where the key matches). Samples are scaled to [0, 1] as q / (2^depth − 1).</para>
/// <para>Every chunk's CRC is checked: a mismatch in a critical chunk (IHDR, PLTE, IDAT, IEND) is an error, a damaged
/// ancillary chunk is skipped, as libpng does. Other ancillary chunks (gAMA, sRGB, iCCP, text…) are ignored: samples are
/// returned as stored, without colour management. Bytes after IEND are ignored.</para>
/// <para>Any malformed input — bad signature, CRC mismatch, truncation, bad zlib data, an invalid filter type, a palette
/// index outside PLTE, absurd dimensions — is a <see cref="DeployException"/> of kind <see cref="FailureKind.BadInput"/>
/// whose one-line message names the source and the problem. Dimensions are limited to 2^31 pixels and to
/// <see cref="Image.MaxSamples"/> samples; the decompressed size is bounded by what the IHDR implies, so input cannot make
/// the reader allocate more than the image it describes.</para>
/// <para>Writes grey, grey + alpha, RGB and RGBA at 8 or 16 bits, non-interlaced, choosing a filter per row by the
/// minimum sum of absolute values of the filtered bytes taken as signed (the heuristic the PNG specification suggests).</para>
/// </remarks>
public static class Png
{
    /// <summary>Largest width × height accepted.</summary>
    public const long MaxPixels = 1L << 31;

    private const int IdatChunkSize = 1 << 18;

    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Whether <paramref name="bytes"/> starts with the PNG signature.</summary>
    public static bool HasSignature(ReadOnlySpan<byte> bytes) => bytes.StartsWith(Signature);

    /// <summary>Decodes a whole PNG file held in memory. <paramref name="sourceName"/> (usually the path) starts every error message.</summary>
    public static Image Decode(ReadOnlySpan<byte> file, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        return new PngDecoder(sourceName).Decode(file);
    }

    /// <summary>Encodes <paramref name="image"/> as PNG bytes.</summary>
    public static byte[] Encode(Image image, ImageWriteOptions? options = null)
    {
        using var buffer = new MemoryStream();
        Encode(image, buffer, options);
        return buffer.ToArray();
    }

    /// <summary>Writes <paramref name="image"/> as PNG to <paramref name="destination"/>.</summary>
    public static void Encode(Image image, Stream destination, ImageWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(destination);
        options ??= ImageWriteOptions.Default;
        options.Validate();

        var bitDepth = options.BitDepth;
        var colorType = image.Channels switch
        {
            1 => 0,
            2 => 4,
            3 => 2,
            _ => 6,
        };

        destination.Write(Signature);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)image.Width);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)image.Height);
        header[8] = (byte)bitDepth;
        header[9] = (byte)colorType;
        header[10] = 0; // deflate
        header[11] = 0; // adaptive filtering
        header[12] = 0; // not interlaced
        WriteChunk(destination, "IHDR"u8, header);

        using (var idat = new IdatStream(destination))
        {
            using var zlib = new ZLibStream(idat, new ZLibCompressionOptions { CompressionLevel = options.CompressionLevel }, leaveOpen: true);
            WriteFilteredRows(image, bitDepth, options.RowFilter, zlib);
        }

        WriteChunk(destination, "IEND"u8, []);
    }

    private static void WriteFilteredRows(Image image, int bitDepth, int? fixedFilter, Stream output)
    {
        var bytesPerSample = bitDepth / 8;
        var bytesPerPixel = image.Channels * bytesPerSample;
        var stride = checked(image.Width * bytesPerPixel);
        var previous = new byte[stride];
        var current = new byte[stride];
        var candidates = new byte[5][];
        for (var f = 0; f < 5; f++)
        {
            candidates[f] = new byte[stride + 1];
            candidates[f][0] = (byte)f;
        }

        var planes = new float[image.Channels][];
        for (var c = 0; c < image.Channels; c++)
        {
            planes[c] = image.Plane(c).ToArray();
        }

        for (var y = 0; y < image.Height; y++)
        {
            InterleaveRow(planes, y, image.Width, bitDepth, current);
            if (fixedFilter is { } only)
            {
                FilterRow(only, current, previous, bytesPerPixel, candidates[only].AsSpan(1));
                output.Write(candidates[only]);
                (previous, current) = (current, previous);
                continue;
            }

            var best = 0;
            var bestCost = long.MaxValue;
            for (var f = 0; f < 5; f++)
            {
                var cost = FilterRow(f, current, previous, bytesPerPixel, candidates[f].AsSpan(1));
                if (cost < bestCost)
                {
                    bestCost = cost;
                    best = f;
                }
            }

            output.Write(candidates[best]);
            (previous, current) = (current, previous);
        }
    }

    // AggressiveOptimization on the hot loops: a CLI process calls them a few hundred times at most, which tiered
    // compilation would run in unoptimized tier-0 code (Vector<T> operations as calls) until it promotes them.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InterleaveRow(float[][] planes, int y, int width, int bitDepth, Span<byte> row)
    {
        var channels = planes.Length;
        var offset = y * width;
        if (bitDepth == 8)
        {
            for (var c = 0; c < channels; c++)
            {
                var plane = planes[c].AsSpan(offset, width);
                for (var x = 0; x < width; x++)
                {
                    row[(x * channels) + c] = Quantization.ToUInt8(plane[x]);
                }
            }

            return;
        }

        for (var c = 0; c < channels; c++)
        {
            var plane = planes[c].AsSpan(offset, width);
            for (var x = 0; x < width; x++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(row[(((x * channels) + c) * 2)..], Quantization.ToUInt16(plane[x]));
            }
        }
    }

    /// <summary>Applies filter <paramref name="type"/> and returns the sum of |filtered byte as signed|.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long FilterRow(int type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> previous, int bpp, Span<byte> output)
    {
        var n = row.Length;
        var head = Math.Min(bpp, n);
        switch (type)
        {
            case 0:
                row.CopyTo(output);
                break;
            case 1:
                row[..head].CopyTo(output);
                for (var i = bpp; i < n; i++)
                {
                    output[i] = (byte)(row[i] - row[i - bpp]);
                }

                break;
            case 2:
                for (var i = 0; i < n; i++)
                {
                    output[i] = (byte)(row[i] - previous[i]);
                }

                break;
            case 3:
                for (var i = 0; i < head; i++)
                {
                    output[i] = (byte)(row[i] - (previous[i] >> 1));
                }

                for (var i = bpp; i < n; i++)
                {
                    output[i] = (byte)(row[i] - ((row[i - bpp] + previous[i]) >> 1));
                }

                break;
            default:
                for (var i = 0; i < head; i++)
                {
                    output[i] = (byte)(row[i] - previous[i]); // Paeth(0, up, 0) = up
                }

                for (var i = bpp; i < n; i++)
                {
                    output[i] = (byte)(row[i] - Paeth(row[i - bpp], previous[i], previous[i - bpp]));
                }

                break;
        }

        long cost = 0;
        foreach (var b in output[..n])
        {
            cost += b < 128 ? b : 256 - b; // |b taken as a signed byte|
        }

        return cost;
    }

    internal static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static void WriteChunk(Stream destination, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        destination.Write(word);
        destination.Write(type);
        destination.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Finish(Crc32.Append(Crc32.Append(Crc32.Start, type), data)));
        destination.Write(word);
    }

    /// <summary>Cuts the zlib stream into IDAT chunks of at most <see cref="IdatChunkSize"/> bytes as it is written.</summary>
    private sealed class IdatStream(Stream destination) : Stream
    {
        private readonly byte[] _buffer = new byte[IdatChunkSize];
        private int _count;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                var take = Math.Min(buffer.Length, _buffer.Length - _count);
                buffer[..take].CopyTo(_buffer.AsSpan(_count));
                _count += take;
                buffer = buffer[take..];
                if (_count == _buffer.Length)
                {
                    EmitChunk();
                }
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && _count > 0)
            {
                EmitChunk();
            }

            base.Dispose(disposing);
        }

        private void EmitChunk()
        {
            WriteChunk(destination, "IDAT"u8, _buffer.AsSpan(0, _count));
            _count = 0;
        }
    }
}
