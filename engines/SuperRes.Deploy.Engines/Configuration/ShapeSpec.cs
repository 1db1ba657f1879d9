using System.Globalization;

namespace SuperRes.Deploy.Engines.Configuration;

/// <summary>
/// A named, fully specified tensor shape as users write it on command lines and in configs, trtexec style:
/// <c>input:1x3x256x256</c>. Several are separated by commas: <c>a:1x3x64x64,b:1x1</c>.
/// </summary>
public sealed record ShapeSpec(string Name, IReadOnlyList<long> Dims)
{
    public override string ToString() => $"{Name}:{string.Join('x', Dims)}";

    public long ElementCount => Dims.Aggregate(1L, (a, d) => checked(a * d));

    /// <summary>Parses one <c>name:AxBxC</c>. The name may itself contain ':' (the last ':' separates the dims).</summary>
    public static ShapeSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var colon = trimmed.LastIndexOf(':');
        if (colon <= 0 || colon == trimmed.Length - 1)
        {
            throw DeployException.Usage($"shape '{text}' must look like name:1x3x256x256");
        }

        var name = trimmed[..colon].Trim('\'', '"');
        var dimsText = trimmed[(colon + 1)..];
        var parts = dimsText.Split('x', 'X');
        var dims = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out dims[i]) || dims[i] <= 0)
            {
                throw DeployException.Usage($"shape '{text}': dimension '{parts[i]}' is not a positive integer");
            }
        }

        return new ShapeSpec(name, dims);
    }

    /// <summary>Parses a comma-separated list, e.g. trtexec's <c>--minShapes=a:1x3x8x8,b:1x1</c>.</summary>
    public static IReadOnlyList<ShapeSpec> ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToList();
        var duplicate = result.GroupBy(s => s.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw DeployException.Usage($"shape list '{text}' names input '{duplicate.Key}' twice");
        }

        return result;
    }
}
