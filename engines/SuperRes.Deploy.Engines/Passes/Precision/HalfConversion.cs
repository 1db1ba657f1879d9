using System.Buffers.Binary;

namespace SuperRes.Deploy.Engines.Passes.Precision;

/// <summary>How converting one tensor to fp16 changed its values.</summary>
public sealed record HalfConversionStats(long Clamped, long Flushed, double LargestMagnitude);

/// <summary>
/// float32 → float16 conversion of constant data: IEEE round-to-nearest-even (System.Half), except that finite values
/// beyond ±65504 are clamped to ±65504 instead of becoming ±∞ (infinities and NaNs stay what they are). Values whose
/// magnitude is below 2⁻²⁵ (≈ 2.98e-8, half the smallest fp16 subnormal) round to zero: counted as "flushed";
/// subnormals (2⁻²⁴ to 2⁻¹⁴) are kept with their reduced precision.
/// </summary>
public static class HalfConversion
{
    public const float MaxHalf = 65504f;

    public static byte[] ToHalfBytes(ReadOnlySpan<byte> float32Bytes, out HalfConversionStats stats)
    {
        var count = float32Bytes.Length / 4;
        var result = new byte[count * 2];
        long clamped = 0;
        long flushed = 0;
        double largest = 0;
        for (var i = 0; i < count; i++)
        {
            var f = BinaryPrimitives.ReadSingleLittleEndian(float32Bytes.Slice(i * 4, 4));
            if (float.IsFinite(f))
            {
                largest = Math.Max(largest, Math.Abs(f));
                if (Math.Abs(f) > MaxHalf)
                {
                    f = Math.Sign(f) * MaxHalf;
                    clamped++;
                }
            }

            var h = (Half)f;
            if (f != 0 && h == Half.Zero)
            {
                flushed++;
            }

            BinaryPrimitives.WriteHalfLittleEndian(result.AsSpan(i * 2, 2), h);
        }

        stats = new HalfConversionStats(clamped, flushed, largest);
        return result;
    }
}
