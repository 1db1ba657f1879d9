using System.Runtime.CompilerServices;

namespace SuperRes.Deploy.Engines.Imaging;

/// <summary>
/// CRC-32 as PNG chunks use it (ISO-HDLC: reflected polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF).
/// System.IO.Hashing is a separate package that the mirror does not carry, hence this table-driven version.
/// </summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Start, data));

    /// <summary>The running value before any byte.</summary>
    public const uint Start = 0xFFFFFFFFu;

    /// <summary>Feeds more bytes into a running value.</summary>
    /// <remarks>Optimized from the first call: a short-lived process checksums megabytes of IDAT data in few calls.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static uint Append(uint running, ReadOnlySpan<byte> data)
    {
        var table = Table;
        foreach (var b in data)
        {
            running = table[(running ^ b) & 0xFF] ^ (running >> 8);
        }

        return running;
    }

    /// <summary>The CRC from a running value.</summary>
    public static uint Finish(uint running) => running ^ 0xFFFFFFFFu;

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
