using System.Globalization;
using SuperRes.Deploy.Engines.Validation.Metrics;

namespace SuperRes.Deploy.Engines.Validation;

/// <summary>A per-output override of atol and/or rtol (Polygraphy's <c>--atol out0:1e-2</c>).</summary>
public sealed record ToleranceOverride(double? Absolute, double? Relative);

/// <summary>
/// When a candidate output passes: Polygraphy's tolerance check (<see cref="Tolerance"/>: atol, rtol, the error
/// statistic) with optional per-output atol/rtol, plus optional minimum PSNR and cosine similarity.
/// </summary>
public sealed record ValidationCriteria
{
    /// <summary>The tolerance for every output without an override (default: Polygraphy's 1e-5, 1e-5, elemwise).</summary>
    public Tolerance Tolerance { get; init; } = new();

    /// <summary>Output name → atol/rtol overrides.</summary>
    public IReadOnlyDictionary<string, ToleranceOverride> PerOutput { get; init; } = new Dictionary<string, ToleranceOverride>(StringComparer.Ordinal);

    /// <summary>When set, an output also fails when its PSNR (dB) is below this.</summary>
    public double? PsnrMin { get; init; }

    /// <summary>When set, an output also fails when its cosine similarity is below this.</summary>
    public double? CosineMin { get; init; }

    /// <summary>
    /// The PSNR peak. Null (default): the width of the value range for image-shaped outputs (1 for [0, 1] images) and
    /// the reference's dynamic range for other outputs.
    /// </summary>
    public double? PsnrPeak { get; init; }

    /// <summary>The criteria of a config's <c>validation:</c> section (atol, rtol, check, psnr_min, cosine_min).</summary>
    public static ValidationCriteria FromSettings(Configuration.ValidationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var (statistic, quantile) = ParseCheck(settings.Check);
        return new ValidationCriteria
        {
            Tolerance = new Tolerance { Absolute = settings.Atol, Relative = settings.Rtol, Statistic = statistic, Quantile = quantile },
            PsnrMin = settings.PsnrMin,
            CosineMin = settings.CosineMin,
        };
    }

    /// <summary>The tolerance applied to <paramref name="output"/>.</summary>
    public Tolerance For(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!PerOutput.TryGetValue(output, out var o))
        {
            return Tolerance;
        }

        return Tolerance with { Absolute = o.Absolute ?? Tolerance.Absolute, Relative = o.Relative ?? Tolerance.Relative };
    }

    /// <summary>
    /// Parses a check statistic as the CLI and configs spell it: <c>elemwise</c>, <c>max</c>, <c>mean</c>,
    /// <c>median</c>, or <c>pNN</c> (a percentile, e.g. <c>p99</c>, <c>p99.9</c>: Polygraphy's quantile mode).
    /// </summary>
    public static (ErrorStatistic Statistic, double Quantile) ParseCheck(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim().ToLowerInvariant();
        switch (s)
        {
            case "elemwise" or "elementwise":
                return (ErrorStatistic.Elementwise, 0.99);
            case "max":
                return (ErrorStatistic.Max, 0.99);
            case "mean":
                return (ErrorStatistic.Mean, 0.99);
            case "median":
                return (ErrorStatistic.Median, 0.99);
        }

        if (s.StartsWith('p') && double.TryParse(s[1..], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent)
            && percent is > 0 and < 100)
        {
            return (ErrorStatistic.Quantile, percent / 100);
        }

        throw DeployException.Usage($"check '{text}' must be elemwise, max, mean, median or a percentile such as p99");
    }

    /// <summary>The CLI/config spelling of a statistic (inverse of <see cref="ParseCheck"/>).</summary>
    public static string FormatCheck(ErrorStatistic statistic, double quantile) => statistic switch
    {
        ErrorStatistic.Elementwise => "elemwise",
        ErrorStatistic.Quantile => FormattableString.Invariant($"p{quantile * 100:0.###}"),
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Parses tolerance arguments in Polygraphy's form: a bare number sets the default, <c>NAME:number</c> one output's
    /// (the last ':' separates, so output names may contain ':'). Returns the default (null when none is given) and the
    /// per-output values. <paramref name="option"/> names the option in errors.
    /// </summary>
    public static (double? Default, IReadOnlyDictionary<string, double> PerOutput) ParseTolerances(IEnumerable<string> values, string option)
    {
        ArgumentNullException.ThrowIfNull(values);
        double? fallback = null;
        var perOutput = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var raw in values)
        {
            var text = raw.Trim();
            var colon = text.LastIndexOf(':');
            var name = colon > 0 ? text[..colon] : null;
            var number = colon > 0 ? text[(colon + 1)..] : text;
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !(value >= 0) || double.IsInfinity(value))
            {
                throw DeployException.Usage($"{option} '{raw}' must be a non-negative number or OUTPUT:number");
            }

            if (name is null)
            {
                fallback = value;
            }
            else
            {
                perOutput[name] = value;
            }
        }

        return (fallback, perOutput);
    }
}
