using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SuperRes.Deploy.Engines.Tests.TestSupport;

/// <summary>
/// Takes PNG files apart and builds them from chunks, to make damaged and unusual files. The CRC here is its own
/// bit-by-bit implementation, independent of the decoder's table-driven one.
/// </summary>
internal static class PngChunks
{
    public static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public sealed record Chunk(string Type, byte[] Data, int Offset);

    public static List<Chunk> Split(byte[] file)
    {
        var chunks = new List<Chunk>();
        var at = 8;
        while (at < file.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(at));
            chunks.Add(new Chunk(Encoding.ASCII.GetString(file, at + 4, 4), file.AsSpan(at + 8, length).ToArray(), at));
            at += 12 + length;
        }

        return chunks;
    }

    public static byte[] Build(IEnumerable<(string Type, byte[] Data)> chunks)
    {
        using var output = new MemoryStream();
        output.Write(Signature);
        foreach (var (type, data) in chunks)
        {
            output.Write(Encode(type, data));
        }

        return output.ToArray();
    }

    public static byte[] Encode(string type, byte[] data)
    {
        var bytes = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(bytes, 4);
        data.CopyTo(bytes, 8);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8 + data.Length), Crc(bytes.AsSpan(4, 4 + data.Length)));
        return bytes;
    }

    public static byte[] Header(uint width, uint height, byte bitDepth, byte colorType, byte interlace = 0)
    {
        var data = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(data, width);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), height);
        data[8] = bitDepth;
        data[9] = colorType;
        data[12] = interlace;
        return data;
    }

    public static byte[] Deflate(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(raw);
        }

        return output.ToArray();
    }

    public static byte[] Inflate(byte[] compressed)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress))
        {
            zlib.CopyTo(output);
        }

        return output.ToArray();
    }

    /// <summary>The decompressed scanlines (filter byte + row) of a file's IDAT chunks.</summary>
    public static byte[] Scanlines(byte[] file) =>
        Inflate(Split(file).Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray());

    /// <summary>CRC-32 (ISO-HDLC), one bit at a time.</summary>
    public static uint Crc(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
            }
        }

        return ~crc;
    }
}
