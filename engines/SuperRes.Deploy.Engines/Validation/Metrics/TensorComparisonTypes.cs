namespace SuperRes.Deploy.Engines.Validation.Metrics;

/// <summary>Which error statistic a <see cref="Tolerance"/> checks (Polygraphy's <c>--check-error-stat</c>).</summary>
public enum ErrorStatistic
{
    /// <summary>Every element: an element fails only if its absolute error exceeds atol AND its relative error exceeds rtol.</summary>
    Elementwise,

    /// <summary>The largest error.</summary>
    Max,

    /// <summary>The mean error.</summary>
    Mean,

    /// <summary>The median error.</summary>
    Median,

    /// <summary>The <see cref="Tolerance.Quantile"/> error (numpy's linear interpolation).</summary>
    Quantile,
}

/// <summary>
/// Pass/fail tolerances with Polygraphy's semantics (<c>polygraphy run --atol --rtol --check-error-stat
/// --error-quantile</c>; defaults 1e-5, 1e-5, elemwise, 0.99). The relative error is taken against the reference
/// (Polygraphy's second runner).
/// </summary>
/// <remarks>
/// <para><b>Elementwise</b>: element i fails when (abs_i &gt; atol or abs_i is NaN) and (rel_i &gt; rtol or rel_i is NaN);
/// the check passes when no element fails. Either tolerance alone can therefore excuse an element: an error of 1e-3
/// on a reference of 1e3 passes atol = 1e-5, rtol = 1e-5 (rel = 1e-6).</para>
/// <para><b>Max / Mean / Median / Quantile</b>: the statistic s is computed over all elements' absolute errors and over all
/// relative errors; the check fails when (s_abs is NaN or s_abs &gt; atol) and (s_rel is NaN or s_rel &gt; rtol), i.e. it
/// passes when s_abs ≤ atol OR s_rel ≤ rtol. As in numpy, one NaN error makes every statistic NaN, so a NaN anywhere fails
/// every mode.</para>
/// <para>Comparisons against atol/rtol are exact (float error vs double tolerance); Polygraphy compares in float32 after
/// rounding the tolerance, which can differ only for an error lying between the tolerance and its float32 rounding.</para>
/// </remarks>
public sealed record Tolerance
{
    /// <summary>atol: absolute tolerance (default 1e-5).</summary>
    public double Absolute { get; init; } = 1e-5;

    /// <summary>rtol: relative tolerance (default 1e-5).</summary>
    public double Relative { get; init; } = 1e-5;

    /// <summary>The statistic checked (default <see cref="ErrorStatistic.Elementwise"/>).</summary>
    public ErrorStatistic Statistic { get; init; } = ErrorStatistic.Elementwise;

    /// <summary>The quantile for <see cref="ErrorStatistic.Quantile"/>, in [0, 1] (default 0.99).</summary>
    public double Quantile { get; init; } = 0.99;

    /// <summary>
    /// Polygraphy's <c>--infinities-compare-equal</c>: equal infinities on both sides have absolute error 0 instead of NaN
    /// (∞ − ∞). Default false, as Polygraphy.
    /// </summary>
    public bool InfinitiesCompareEqual { get; init; }
}

/// <summary>What <see cref="TensorComparer.Compare(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, ComparisonOptions?)"/> computes.</summary>
public sealed record ComparisonOptions
{
    /// <summary>The pass/fail check (default: Polygraphy's defaults).</summary>
    public Tolerance Tolerance { get; init; } = new();

    /// <summary>
    /// Peak signal for PSNR. Null (default): the reference's dynamic range, max − min over its finite values (1 when the
    /// reference is constant). For SR outputs in [0, 1], pass 1.
    /// </summary>
    public double? PsnrPeak { get; init; }

    /// <summary>
    /// Whether to compute SSIM. Null (default): when the tensor is image-shaped ([N, C, H, W], C ∈ {1, 3}, H and W ≥ 11).
    /// True on another shape is an error.
    /// </summary>
    public bool? ComputeSsim { get; init; }
}

/// <summary>
/// Order and moment statistics of one kind of error over the elements where that error is defined (not NaN). Percentiles
/// and the median follow numpy (<c>np.quantile(..., method="linear")</c>, <c>np.median</c>) and are exact order statistics.
/// All are 0 for an empty tensor and NaN when no element has a defined error.
/// </summary>
public sealed record ErrorSummary(double Min, double Max, double Mean, double Median, double P90, double P95, double P99)
{
    /// <summary>Number of elements with a defined (non-NaN) error; the statistics are over these.</summary>
    public long Count { get; init; }

    /// <summary>Number of elements whose error is NaN (NaN on either side, ∞ − ∞, ∞ / ∞).</summary>
    public long NaNCount { get; init; }

    /// <summary>The <see cref="Tolerance.Quantile"/> error, when the check used <see cref="ErrorStatistic.Quantile"/>; otherwise NaN.</summary>
    public double CheckQuantile { get; init; } = double.NaN;
}

/// <summary>One bin of the absolute-error histogram: errors e with Lower ≤ e &lt; Upper (the first bin holds exact zeros: [0, 0]).</summary>
public sealed record HistogramBin(double Lower, double Upper, long Count);

/// <summary>NaN and infinity counts of one side.</summary>
public sealed record NonFiniteCounts(long NaN, long PositiveInfinity, long NegativeInfinity)
{
    /// <summary>All non-finite elements.</summary>
    public long Total => NaN + PositiveInfinity + NegativeInfinity;
}

/// <summary>One element of the comparison: its flat index, its coordinates in the tensor's shape (N, C, H, W for rank 4), both values and errors.</summary>
public sealed record ElementLocation(
    long Index, IReadOnlyList<int> Coordinates, float Candidate, float Reference, double AbsoluteError, double RelativeError);

/// <summary>Outcome of the <see cref="Tolerance"/> check.</summary>
/// <param name="Passed">Whether the check passed.</param>
/// <param name="Tolerance">The tolerance applied.</param>
/// <param name="AbsoluteValue">The absolute-error value compared with atol: the chosen statistic, or for elementwise the
/// largest absolute error (Polygraphy's "minimum required tolerance"); NaN when any error is NaN.</param>
/// <param name="RelativeValue">The same for the relative error and rtol.</param>
/// <param name="FailingElements">Elementwise only: how many elements exceed both tolerances; 0 for the other statistics.</param>
/// <param name="ElementCount">How many elements were compared.</param>
/// <param name="FirstFailing">Elementwise only: the first failing element, if any.</param>
public sealed record ToleranceCheckResult(
    bool Passed, Tolerance Tolerance, double AbsoluteValue, double RelativeValue, long FailingElements, long ElementCount, ElementLocation? FirstFailing)
{
    /// <summary>A one-line verdict, e.g. "FAILED elemwise: 3 of 12 elements exceed both atol=1e-05 rtol=1e-05 (max abs=…, max rel=…)".</summary>
    public string Summary
    {
        get
        {
            var verdict = Passed ? "PASSED" : "FAILED";
            var tolerances = FormattableString.Invariant($"atol={Tolerance.Absolute:g6} rtol={Tolerance.Relative:g6}");
            var values = FormattableString.Invariant($"abs={AbsoluteValue:g6}, rel={RelativeValue:g6}");
            return Tolerance.Statistic switch
            {
                ErrorStatistic.Elementwise =>
                    $"{verdict} elemwise: {FailingElements} of {ElementCount} elements exceed both {tolerances} (max {values})",
                ErrorStatistic.Quantile =>
                    FormattableString.Invariant($"{verdict} quantile {Tolerance.Quantile:g6}: {values} against {tolerances}"),
                var statistic => $"{verdict} {statistic.ToString().ToLowerInvariant()}: {values} against {tolerances}",
            };
        }
    }
}

/// <summary>Everything <see cref="TensorComparer"/> measures between a candidate tensor and a reference tensor.</summary>
public sealed record TensorComparison
{
    /// <summary>The tensor's shape.</summary>
    public required IReadOnlyList<int> Shape { get; init; }

    /// <summary>Number of elements.</summary>
    public required long ElementCount { get; init; }

    /// <summary>|candidate − reference|, computed in float32 as Polygraphy does for float32 outputs.</summary>
    public required ErrorSummary AbsoluteError { get; init; }

    /// <summary>
    /// |candidate − reference| / |reference'| in float32, where reference' is the reference with every exact zero replaced
    /// by 2.220446049250313e-16 (2^-52), as Polygraphy does (so a nonzero error against a zero reference is huge).
    /// </summary>
    public required ErrorSummary RelativeError { get; init; }

    /// <summary>The element with the largest defined absolute error (the first such), or null when none is defined.</summary>
    public required ElementLocation? Worst { get; init; }

    /// <summary>The first element whose absolute error is NaN, or null.</summary>
    public required ElementLocation? FirstNaNError { get; init; }

    /// <summary>Histogram of the defined absolute errors: exact zeros, (0, 1e-8), then decades [1e-8, 1e-7) … [1, 10), then [10, ∞].</summary>
    public required IReadOnlyList<HistogramBin> AbsoluteErrorHistogram { get; init; }

    /// <summary>Σ c·r / (‖c‖ ‖r‖) over all elements in double; 1 when both are all zero, 0 when exactly one is; NaN if any element is NaN.</summary>
    public required double CosineSimilarity { get; init; }

    /// <summary>20·log10(peak / √MSE) in dB with MSE = mean((c − r)²) in double; +∞ when identical; NaN/−∞ with non-finite data.</summary>
    public required double Psnr { get; init; }

    /// <summary>The peak used for <see cref="Psnr"/> (<see cref="ComparisonOptions.PsnrPeak"/> or the reference's range).</summary>
    public required double PsnrPeak { get; init; }

    /// <summary>10·log10(Σ r² / Σ (c − r)²) in dB; +∞ when identical.</summary>
    public required double Snr { get; init; }

    /// <summary>
    /// Mean SSIM over all N×C planes of an image-shaped tensor, each computed on clamp(x, 0, 1) × 255 with the standard
    /// Gaussian 11/1.5 window and L = 255 (<see cref="Metrics.Ssim"/>); null when not computed. The planes are computed in
    /// parallel (one per core); the result does not depend on the scheduling.
    /// </summary>
    public required double? Ssim { get; init; }

    /// <summary>Smallest finite reference value (NaN when none).</summary>
    public required double ReferenceMin { get; init; }

    /// <summary>Largest finite reference value (NaN when none).</summary>
    public required double ReferenceMax { get; init; }

    /// <summary>NaN/∞ counts of the candidate.</summary>
    public required NonFiniteCounts CandidateNonFinite { get; init; }

    /// <summary>NaN/∞ counts of the reference.</summary>
    public required NonFiniteCounts ReferenceNonFinite { get; init; }

    /// <summary>The tolerance check.</summary>
    public required ToleranceCheckResult Check { get; init; }
}
