using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SuperRes.Deploy.Engines.Imaging;

/// <summary>The PNG reader behind <see cref="Png.Decode"/>; one instance per file.</summary>
internal sealed class PngDecoder(string sourceName)
{
    private const int ColorGrey = 0;
    private const int ColorRgb = 2;
    private const int ColorPalette = 3;
    private const int ColorGreyAlpha = 4;
    private const int ColorRgba = 6;

    // Deflate cannot expand data by more than 1032:1 (a 258-byte match in about two bits); anything claiming more is truncated.
    private const long MaxDeflateRatio = 1032;

    // Adam7: x start, y start, x step, y step of each pass.
    private static readonly (int X, int Y, int Dx, int Dy)[] Adam7 =
    [
        (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
    ];

    private int _width;
    private int _height;
    private int _bitDepth;
    private int _colorType;
    private bool _interlaced;
    private bool _sawHeader;
    private byte[]? _palette; // RGB triples
    private byte[]? _paletteAlpha; // one per palette entry, 255 where tRNS gives none
    private int[]? _colorKey; // grey or RGB samples that mean "transparent", at the file's bit depth

    public Image Decode(ReadOnlySpan<byte> file)
    {
        if (!Png.HasSignature(file))
        {
            throw Fail(file.Length < 8 ? "not a PNG file (too short for the signature)" : "not a PNG file (bad signature)");
        }

        var idat = new List<Range>();
        long idatBytes = 0;
        var sawEnd = false;
        var position = 8;
        while (!sawEnd)
        {
            if (position == file.Length)
            {
                throw Fail(_sawHeader ? "truncated file: no IEND chunk" : "truncated file: no IHDR chunk");
            }

            if (file.Length - position < 12)
            {
                throw Fail($"truncated file: chunk header at offset {position} is cut short");
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(file[position..]);
            var typeBytes = file.Slice(position + 4, 4);
            if (!IsChunkType(typeBytes))
            {
                throw Fail($"invalid chunk type bytes at offset {position} (not letters; corrupt or not a PNG)");
            }

            var type = Encoding.ASCII.GetString(typeBytes);
            if (length > int.MaxValue)
            {
                throw Fail($"chunk '{type}' at offset {position} declares an invalid length {length}");
            }

            if (length > (long)file.Length - position - 12)
            {
                throw Fail($"truncated file: chunk '{type}' at offset {position} declares {length} bytes, only {Math.Max(0, file.Length - position - 12)} remain");
            }

            var data = file.Slice(position + 8, (int)length);
            var storedCrc = BinaryPrimitives.ReadUInt32BigEndian(file[(position + 8 + (int)length)..]);
            var critical = char.IsUpper(type[0]);
            if (Crc32.Finish(Crc32.Append(Crc32.Append(Crc32.Start, typeBytes), data)) != storedCrc)
            {
                if (critical)
                {
                    throw Fail($"CRC mismatch in chunk '{type}' at offset {position}");
                }

                position += 12 + (int)length; // a damaged ancillary chunk is skipped, as libpng does
                continue;
            }

            switch (type)
            {
                case "IDAT":
                    CheckHeaderSeen(type);
                    idat.Add(new Range(position + 8, position + 8 + (int)length));
                    idatBytes += length;
                    break;
                case "IEND":
                    CheckHeaderSeen(type);
                    sawEnd = true;
                    break;
                default:
                    AcceptChunk(type, data, critical);
                    break;
            }

            position += 12 + (int)length;
        }

        if (idat.Count == 0)
        {
            throw Fail("no IDAT chunk (no image data)");
        }

        if (idatBytes == 0)
        {
            throw Fail("IDAT chunks hold no data (zero-length IDAT)");
        }

        CheckReadyForData();

        var raw = Inflate(file, idat, idatBytes);
        return BuildImage(raw);
    }

    /// <summary>The image width in pixels (after IHDR).</summary>
    internal int Width => _width;

    /// <summary>The image height in pixels (after IHDR).</summary>
    internal int Height => _height;

    /// <summary>Whether the image is Adam7-interlaced (after IHDR).</summary>
    internal bool Interlaced => _interlaced;

    /// <summary>Whether IHDR has been read.</summary>
    internal bool SawHeader => _sawHeader;

    /// <summary>The bit depth the decoded image reports: the file's, except 8 for palette images.</summary>
    internal int ImageBitDepth => _colorType == ColorPalette ? 8 : _bitDepth;

    /// <summary>Channels of the decoded image (valid once the chunks before the first IDAT have been read).</summary>
    internal int Channels => OutputChannels();

    /// <summary>Bytes of one non-interlaced scanline, without the filter byte.</summary>
    internal int Stride => (int)RowBytes(_width);

    /// <summary>The filter's "bpp": bytes per complete pixel, at least 1.</summary>
    internal int FilterBytesPerPixel => Math.Max(1, SamplesPerPixel * _bitDepth / 8);

    /// <summary>
    /// Takes one chunk that is neither IDAT nor IEND (their CRC already checked): IHDR, PLTE, tRNS, or an ancillary chunk
    /// (ignored). An unknown critical chunk, a chunk before IHDR or a second IHDR is an error.
    /// </summary>
    internal void AcceptChunk(string type, ReadOnlySpan<byte> data, bool critical)
    {
        if (type != "IHDR")
        {
            CheckHeaderSeen(type);
        }

        switch (type)
        {
            case "IHDR":
                if (_sawHeader)
                {
                    throw Fail("more than one IHDR chunk");
                }

                ReadHeader(data);
                _sawHeader = true;
                break;
            case "PLTE":
                ReadPalette(data);
                break;
            case "tRNS":
                ReadTransparency(data);
                break;
            default:
                if (critical)
                {
                    throw Fail($"unsupported critical chunk '{type}'");
                }

                break; // ancillary: ignored
        }
    }

    /// <summary>Fails unless IHDR came first.</summary>
    internal void CheckHeaderSeen(string type)
    {
        if (!_sawHeader)
        {
            throw Fail($"first chunk is '{type}', not IHDR");
        }
    }

    /// <summary>Checks what must be known before image data is decoded (a palette image's PLTE).</summary>
    internal void CheckReadyForData()
    {
        if (_colorType == ColorPalette && _palette is null)
        {
            throw Fail("palette image (colour type 3) has no PLTE chunk");
        }
    }

    private void ReadHeader(ReadOnlySpan<byte> data)
    {
        if (data.Length != 13)
        {
            throw Fail($"IHDR chunk has {data.Length} bytes, not 13");
        }

        var width = BinaryPrimitives.ReadUInt32BigEndian(data);
        var height = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        _bitDepth = data[8];
        _colorType = data[9];
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
        {
            throw Fail($"invalid dimensions {width}×{height}");
        }

        if ((long)width * height > Png.MaxPixels)
        {
            throw Fail($"image too large: {width}×{height} exceeds {Png.MaxPixels} pixels");
        }

        var allowed = _colorType switch
        {
            ColorGrey => _bitDepth is 1 or 2 or 4 or 8 or 16,
            ColorRgb or ColorGreyAlpha or ColorRgba => _bitDepth is 8 or 16,
            ColorPalette => _bitDepth is 1 or 2 or 4 or 8,
            _ => throw Fail($"unsupported colour type {_colorType}"),
        };
        if (!allowed)
        {
            throw Fail($"bit depth {_bitDepth} is not allowed with colour type {_colorType}");
        }

        if (data[10] != 0)
        {
            throw Fail($"unsupported compression method {data[10]}");
        }

        if (data[11] != 0)
        {
            throw Fail($"unsupported filter method {data[11]}");
        }

        if (data[12] > 1)
        {
            throw Fail($"unsupported interlace method {data[12]}");
        }

        _width = (int)width;
        _height = (int)height;
        _interlaced = data[12] == 1;
        var channels = OutputChannels(assumeTransparency: true);
        if ((long)_width * _height * channels > Image.MaxSamples)
        {
            throw Fail($"image too large: {_width}×{_height}×{channels} samples exceed {Image.MaxSamples}");
        }
    }

    private void ReadPalette(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0 || data.Length % 3 != 0 || data.Length > 3 * 256)
        {
            throw Fail($"PLTE chunk has an invalid length {data.Length}");
        }

        if (_colorType is ColorGrey or ColorGreyAlpha)
        {
            return; // meaningless for grey images; libpng ignores it too
        }

        _palette = data.ToArray();
    }

    private void ReadTransparency(ReadOnlySpan<byte> data)
    {
        // A malformed tRNS is ignored (libpng treats it as a benign error); only a well-formed one adds alpha.
        switch (_colorType)
        {
            case ColorPalette when _palette is not null && data.Length <= _palette.Length / 3:
                _paletteAlpha = new byte[256];
                _paletteAlpha.AsSpan().Fill(255);
                data.CopyTo(_paletteAlpha);
                break;
            case ColorGrey when data.Length == 2:
                _colorKey = [BinaryPrimitives.ReadUInt16BigEndian(data)];
                break;
            case ColorRgb when data.Length == 6:
                _colorKey =
                [
                    BinaryPrimitives.ReadUInt16BigEndian(data), BinaryPrimitives.ReadUInt16BigEndian(data[2..]),
                    BinaryPrimitives.ReadUInt16BigEndian(data[4..]),
                ];
                break;
            default:
                break;
        }
    }

    private int SamplesPerPixel => _colorType switch
    {
        ColorGrey or ColorPalette => 1,
        ColorGreyAlpha => 2,
        ColorRgb => 3,
        _ => 4,
    };

    private int OutputChannels(bool assumeTransparency = false)
    {
        var transparent = assumeTransparency || _paletteAlpha is not null || _colorKey is not null;
        return _colorType switch
        {
            ColorGrey => transparent ? 2 : 1,
            ColorGreyAlpha => 2,
            ColorRgb or ColorPalette => transparent ? 4 : 3,
            _ => 4,
        };
    }

    private long RowBytes(int pixels) => (((long)pixels * SamplesPerPixel * _bitDepth) + 7) / 8;

    private IEnumerable<(int X, int Y, int Dx, int Dy, int Width, int Height)> Passes()
    {
        if (!_interlaced)
        {
            yield return (0, 0, 1, 1, _width, _height);
            yield break;
        }

        foreach (var (x, y, dx, dy) in Adam7)
        {
            var width = _width > x ? ((_width - x) + dx - 1) / dx : 0;
            var height = _height > y ? ((_height - y) + dy - 1) / dy : 0;
            if (width > 0 && height > 0)
            {
                yield return (x, y, dx, dy, width, height);
            }
        }
    }

    private byte[] Inflate(ReadOnlySpan<byte> file, List<Range> idat, long idatBytes)
    {
        long expected = 0;
        foreach (var pass in Passes())
        {
            expected += pass.Height * (1 + RowBytes(pass.Width));
        }

        if (expected > Array.MaxLength)
        {
            throw Fail($"image too large: {expected} bytes of scanlines exceed what one buffer can hold");
        }

        if (expected > (idatBytes * MaxDeflateRatio) + 1024)
        {
            throw Fail($"truncated image data (IDAT): {idatBytes} compressed bytes cannot hold the {expected} bytes a {_width}×{_height} image needs");
        }

        var compressed = new byte[idatBytes];
        var at = 0;
        foreach (var range in idat)
        {
            var part = file[range];
            part.CopyTo(compressed.AsSpan(at));
            at += part.Length;
        }

        var raw = new byte[expected];
        var filled = 0;
        try
        {
            using var zlib = new ZLibStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
            while (filled < raw.Length)
            {
                var read = zlib.Read(raw, filled, raw.Length - filled);
                if (read == 0)
                {
                    break;
                }

                filled += read;
            }
        }
        catch (InvalidDataException e)
        {
            throw Fail($"corrupt compressed image data (IDAT): {OneLine(e.Message)}");
        }

        if (filled < raw.Length)
        {
            throw Fail($"truncated image data (IDAT): {filled} of {expected} bytes of scanlines");
        }

        return raw;
    }

    private Image BuildImage(byte[] raw)
    {
        var channels = OutputChannels();
        var image = new Image(_width, _height, channels, _colorType == ColorPalette ? 8 : _bitDepth);
        var bytesPerPixel = Math.Max(1, SamplesPerPixel * _bitDepth / 8);
        var scale = ScaleTable();
        var offset = 0;
        var rowIndex = 0;
        foreach (var pass in Passes())
        {
            var stride = (int)RowBytes(pass.Width);
            var previous = new byte[stride];
            var current = new byte[stride];
            for (var r = 0; r < pass.Height; r++, rowIndex++)
            {
                var filter = raw[offset];
                raw.AsSpan(offset + 1, stride).CopyTo(current);
                offset += stride + 1;
                Unfilter(filter, current, previous, bytesPerPixel, rowIndex);
                var y = pass.Y + (r * pass.Dy);
                StoreRow(current, image.Samples, image.PlaneLength, y * _width, y, pass.X, pass.Dx, pass.Width, scale);
                (previous, current) = (current, previous);
            }
        }

        return image;
    }

    internal void Unfilter(byte filter, Span<byte> row, ReadOnlySpan<byte> previous, int bpp, int rowIndex)
    {
        var n = row.Length;
        switch (filter)
        {
            case 0:
                break;
            case 1:
                for (var i = bpp; i < n; i++)
                {
                    row[i] += row[i - bpp];
                }

                break;
            case 2:
                for (var i = 0; i < n; i++)
                {
                    row[i] += previous[i];
                }

                break;
            case 3:
                for (var i = 0; i < Math.Min(bpp, n); i++)
                {
                    row[i] += (byte)(previous[i] >> 1);
                }

                for (var i = bpp; i < n; i++)
                {
                    row[i] += (byte)((row[i - bpp] + previous[i]) >> 1);
                }

                break;
            case 4:
                for (var i = 0; i < Math.Min(bpp, n); i++)
                {
                    row[i] += previous[i]; // Paeth(0, up, 0) = up
                }

                for (var i = bpp; i < n; i++)
                {
                    row[i] += (byte)Png.Paeth(row[i - bpp], previous[i], previous[i - bpp]);
                }

                break;
            default:
                throw Fail($"invalid filter type {filter} in scanline {rowIndex}");
        }
    }

    /// <summary>q / (2^depth − 1) for every 1/2/4/8-bit sample value; null for 16-bit (computed directly).</summary>
    internal float[]? ScaleTable()
    {
        if (_bitDepth == 16)
        {
            return null;
        }

        var max = (1 << _bitDepth) - 1;
        var table = new float[max + 1];
        for (var q = 0; q <= max; q++)
        {
            table[q] = q / (float)max;
        }

        return table;
    }

    /// <summary>
    /// Converts one unfiltered scanline (image row <paramref name="y"/>, for messages) to float samples: pixel i goes to
    /// column x0 + i·dx of the row starting at <paramref name="rowStart"/> in each plane of <paramref name="data"/>
    /// (planes <paramref name="plane"/> samples apart).
    /// </summary>
    internal void StoreRow(ReadOnlySpan<byte> row, Span<float> data, int plane, int rowStart, int y, int x0, int dx, int count, float[]? scale)
    {
        var samples = SamplesPerPixel;
        if (_colorType != ColorPalette && _colorKey is null && _bitDepth >= 8)
        {
            // The common case (8/16-bit, no palette, no colour key): samples straight into their planes.
            for (var s = 0; s < samples; s++)
            {
                var target = data.Slice((s * plane) + rowStart, _width);
                if (_bitDepth == 8)
                {
                    for (var i = 0; i < count; i++)
                    {
                        target[x0 + (i * dx)] = scale![row[(i * samples) + s]];
                    }
                }
                else
                {
                    for (var i = 0; i < count; i++)
                    {
                        target[x0 + (i * dx)] = BinaryPrimitives.ReadUInt16BigEndian(row[(((i * samples) + s) * 2)..]) / 65535f;
                    }
                }
            }

            return;
        }

        Span<int> pixel = stackalloc int[4];
        for (var i = 0; i < count; i++)
        {
            var target = rowStart + x0 + (i * dx);
            for (var s = 0; s < samples; s++)
            {
                pixel[s] = ReadSample(row, (i * samples) + s);
            }

            switch (_colorType)
            {
                case ColorPalette:
                    var index = pixel[0];
                    if (index * 3 >= _palette!.Length)
                    {
                        throw Fail($"palette index {index} in row {y} is outside the {_palette.Length / 3}-entry PLTE");
                    }

                    data[target] = _palette[index * 3] / 255f;
                    data[plane + target] = _palette[(index * 3) + 1] / 255f;
                    data[(2 * plane) + target] = _palette[(index * 3) + 2] / 255f;
                    if (_paletteAlpha is not null)
                    {
                        data[(3 * plane) + target] = _paletteAlpha[index] / 255f;
                    }

                    break;
                default:
                    for (var s = 0; s < samples; s++)
                    {
                        data[(s * plane) + target] = scale is null ? pixel[s] / 65535f : scale[pixel[s]];
                    }

                    if (_colorKey is not null)
                    {
                        var matches = true;
                        for (var s = 0; s < samples; s++)
                        {
                            matches &= pixel[s] == _colorKey[s];
                        }

                        data[(samples * plane) + target] = matches ? 0f : 1f;
                    }

                    break;
            }
        }
    }

    private int ReadSample(ReadOnlySpan<byte> row, int index)
    {
        switch (_bitDepth)
        {
            case 8:
                return row[index];
            case 16:
                return BinaryPrimitives.ReadUInt16BigEndian(row[(index * 2)..]);
            default:
                var bit = index * _bitDepth;
                var shift = 8 - _bitDepth - (bit & 7);
                return (row[bit >> 3] >> shift) & ((1 << _bitDepth) - 1);
        }
    }

    internal static bool IsChunkType(ReadOnlySpan<byte> type)
    {
        foreach (var b in type)
        {
            if (!char.IsAsciiLetter((char)b))
            {
                return false;
            }
        }

        return true;
    }

    internal static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    internal DeployException Fail(string problem) => DeployException.BadInput($"{sourceName}: PNG: {problem}");
}
