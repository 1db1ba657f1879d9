using System.Globalization;

namespace SuperRes.Deploy.Engines.Configuration;

/// <summary>Byte sizes as users write them: 1024, 512K, 64M, 2G, 1T (binary multiples), also with a trailing 'B' or 'iB'.</summary>
public static class ByteSize
{
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        if (s.EndsWith("iB", StringComparison.OrdinalIgnoreCase))
        {
            s = s[..^2];
        }
        else if (s.EndsWith('B') || s.EndsWith('b'))
        {
            s = s[..^1];
        }

        var shift = 0;
        if (s.Length > 0)
        {
            shift = char.ToUpperInvariant(s[^1]) switch
            {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => 0,
            };
        }

        if (shift != 0)
        {
            s = s[..^1];
        }

        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0 || !double.IsFinite(value))
        {
            return false;
        }

        var scaled = value * Math.Pow(2, shift);
        if (scaled > long.MaxValue || scaled != Math.Floor(scaled))
        {
            return false;
        }

        bytes = (long)scaled;
        return true;
    }

    public static long Parse(string text) =>
        TryParse(text, out var b) ? b : throw DeployException.Usage($"'{text}' is not a size (e.g. 1024, 512K, 64M, 2G)");

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.##} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.##} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 10):0.##} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };
}
