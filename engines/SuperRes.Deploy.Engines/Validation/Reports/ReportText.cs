using System.Globalization;
using SuperRes.Deploy.Engines.Validation.Metrics;

namespace SuperRes.Deploy.Engines.Validation.Reports;

/// <summary>Number and phrase formatting shared by the human-readable reports.</summary>
internal static class ReportText
{
    /// <summary>A number with 4 significant digits; "inf", "-inf", "nan" for the others; "–" for null.</summary>
    public static string G4(double? value) => value is not { } v ? "–" : Special(v) ?? v.ToString("g4", CultureInfo.InvariantCulture);

    /// <summary>A fixed-point number; "inf", "-inf", "nan" for the others; "–" for null.</summary>
    public static string Fixed(double? value, int decimals) =>
        value is not { } v ? "–" : Special(v) ?? v.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Milliseconds as "12 ms" or "3.4 s".</summary>
    public static string Duration(double ms) =>
        ms >= 10_000 ? (ms / 1000).ToString("0.0 s", CultureInfo.InvariantCulture) : ms.ToString("0 ms", CultureInfo.InvariantCulture);

    /// <summary>"atol 1e-05, rtol 1e-05, check elemwise".</summary>
    public static string Tolerance(Tolerance t) =>
        FormattableString.Invariant($"atol {t.Absolute:g6}, rtol {t.Relative:g6}, check {ValidationCriteria.FormatCheck(t.Statistic, t.Quantile)}");

    /// <summary>The whole criteria in one line.</summary>
    public static string Criteria(ValidationCriteria criteria)
    {
        var parts = new List<string> { Tolerance(criteria.Tolerance) };
        parts.AddRange(criteria.PerOutput.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p =>
            FormattableString.Invariant($"{p.Key}: {(p.Value.Absolute is { } a ? $"atol {a:g6}" : string.Empty)}{(p.Value.Absolute is not null && p.Value.Relative is not null ? ", " : string.Empty)}{(p.Value.Relative is { } r ? $"rtol {r:g6}" : string.Empty)}")));
        if (criteria.PsnrMin is { } psnr)
        {
            parts.Add(FormattableString.Invariant($"PSNR ≥ {psnr:g6} dB"));
        }

        if (criteria.CosineMin is { } cosine)
        {
            parts.Add(FormattableString.Invariant($"cosine ≥ {cosine:g8}"));
        }

        return string.Join("; ", parts);
    }

    /// <summary>How the inputs were made, in one line.</summary>
    public static string Inputs(ValidationInputs inputs) => inputs.UsesImages
        ? FormattableString.Invariant($"images from {inputs.ImagePath} (fitted to each shape: bicubic scale to cover, centre crop), value range [{inputs.ValueRange.Min:g6}, {inputs.ValueRange.Max:g6}]")
        : FormattableString.Invariant($"random uniform in [{inputs.ValueRange.Min:g6}, {inputs.ValueRange.Max:g6}), seed {inputs.Seed}");

    /// <summary>The histogram bin label: "0", "<1e-8", "1e-8", …, "≥10".</summary>
    public static string BinLabel(HistogramBin bin) =>
        bin.Upper == 0 ? "0"
        : bin.Lower == 0 ? $"<{bin.Upper:0e0}"
        : double.IsPositiveInfinity(bin.Upper) ? $"≥{bin.Lower:0.#}"
        : bin.Lower.ToString("0e0", CultureInfo.InvariantCulture);

    private static string? Special(double v) =>
        double.IsNaN(v) ? "nan" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf" : null;
}
