namespace SuperRes.Deploy.Engines.Imaging;

/// <summary>
/// Float ↔ integer sample conversion, the one rule used by every writer and metric:
/// <c>q = clamp(round(v × max), 0, max)</c> with max = 2^bits − 1, rounding half away from zero (MATLAB's
/// <c>uint8(x)</c>/<c>uint16(x)</c>), computed in double; NaN becomes 0. Reading is <c>v = q / max</c>.
/// </summary>
public static class Quantization
{
    /// <summary>2^bitDepth − 1 for a bit depth of 1, 2, 4, 8 or 16.</summary>
    public static int MaxValue(int bitDepth) => bitDepth switch
    {
        1 or 2 or 4 or 8 or 16 => (1 << bitDepth) - 1,
        _ => throw new ArgumentOutOfRangeException(nameof(bitDepth), bitDepth, "bit depth must be 1, 2, 4, 8 or 16"),
    };

    /// <summary>A [0, 1] sample as 0…255.</summary>
    public static byte ToUInt8(float value) => (byte)Quantize(value, 255);

    /// <summary>A [0, 1] sample as 0…65535.</summary>
    public static ushort ToUInt16(float value) => (ushort)Quantize(value, 65535);

    /// <summary>A [0, 1] sample as 0…<paramref name="max"/>.</summary>
    public static int Quantize(float value, int max)
    {
        var scaled = value * (double)max;
        if (!(scaled > 0))
        {
            return 0; // also NaN
        }

        // scaled = float × max is exact in double (24 + 16 significant bits), and so is scaled + 0.5; truncating a positive
        // number floors it, so this is round-half-away-from-zero exactly.
        return scaled >= max ? max : (int)(scaled + 0.5);
    }
}
