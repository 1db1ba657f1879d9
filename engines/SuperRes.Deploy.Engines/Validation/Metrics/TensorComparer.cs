using System.Numerics;
using System.Runtime.InteropServices;

namespace SuperRes.Deploy.Engines.Validation.Metrics;

/// <summary>
/// Compares a candidate tensor (e.g. the TensorRT engine's output) with a reference tensor (ONNX Runtime's output) of
/// the same shape: error statistics, histogram, cosine similarity, PSNR, SNR, SSIM, NaN/∞ counts and Polygraphy's
/// tolerance check (<see cref="Tolerance"/>). The result is a <see cref="TensorComparison"/>.
/// </summary>
/// <remarks>
/// <para>Cost: two streaming passes over the inputs and no copy of them. Pass 1 computes the errors in SIMD chunks
/// (<see cref="Vector{T}"/>), accumulates sums in double, counts, extremes, the elementwise check, and a 65,536-bucket
/// histogram of each error's float32 bit pattern's top 16 bits (for non-negative floats the bit pattern orders like the
/// value). Pass 2 refines only the buckets holding the wanted order statistics with a histogram of the low 16 bits. The
/// percentiles are therefore exact order statistics of the float32 errors (not approximations), combined with numpy's
/// interpolation rules in double.</para>
/// <para>Shape: the flat (row-major) element count must match both spans; coordinates are reported in that shape
/// (N, C, H, W for a rank-4 tensor). Unequal lengths are an <see cref="ArgumentException"/>: callers check shapes first
/// and report a mismatch as a failed check themselves.</para>
/// </remarks>
public static class TensorComparer
{
    /// <summary>What Polygraphy adds to exact zeros of the reference before dividing: 2.220446049250313e-16 (2^-52).</summary>
    public const float ReferenceZeroReplacement = 2.220446049250313e-16f;

    private const int ChunkLength = 4096;
    private const int NaNBits = 0x7F800000; // bit patterns above this are NaN (after abs)

    private static readonly double[] DecadeEdges = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10];
    private static readonly (byte BaseBin, float Threshold)[] DecadeTable = BuildDecadeTable();

    /// <summary>Compares two float32 tensors of shape <paramref name="shape"/>.</summary>
    public static TensorComparison Compare(
        ReadOnlySpan<float> candidate, ReadOnlySpan<float> reference, ReadOnlySpan<int> shape, ComparisonOptions? options = null)
    {
        options ??= new ComparisonOptions();
        var tolerance = options.Tolerance ?? new Tolerance();
        ValidateArguments(candidate, reference, shape, tolerance);
        var shapeList = shape.ToArray();

        var state = new PassOneState(tolerance);
        var absBuffer = new float[ChunkLength];
        var relBuffer = new float[ChunkLength];
        for (var start = 0; start < candidate.Length; start += ChunkLength)
        {
            var length = Math.Min(ChunkLength, candidate.Length - start);
            var c = candidate.Slice(start, length);
            var r = reference.Slice(start, length);
            var abs = absBuffer.AsSpan(0, length);
            var rel = relBuffer.AsSpan(0, length);
            ComputeErrors(c, r, abs, rel, tolerance.InfinitiesCompareEqual);
            state.AccumulateInputs(c, r);
            state.Scan(abs, rel, start);
        }

        var quantiles = new OrderStatistics(state.AbsHistogram, state.RelHistogram, state.AbsCount, state.RelCount, tolerance);
        if (quantiles.NeedsRefinement)
        {
            for (var start = 0; start < candidate.Length; start += ChunkLength)
            {
                var length = Math.Min(ChunkLength, candidate.Length - start);
                var abs = absBuffer.AsSpan(0, length);
                var rel = relBuffer.AsSpan(0, length);
                ComputeErrors(candidate.Slice(start, length), reference.Slice(start, length), abs, rel, tolerance.InfinitiesCompareEqual);
                quantiles.Refine(abs, rel);
            }
        }

        var absolute = quantiles.Summary(absolute: true, state.AbsMin, state.AbsMax, state.AbsSum, state.NaNAbs);
        var relative = quantiles.Summary(absolute: false, state.RelMin, state.RelMax, state.RelSum, state.NaNRel);

        var infinitiesEqual = tolerance.InfinitiesCompareEqual;
        var check = EvaluateCheck(
            tolerance, absolute, relative, state.FailingElements, LocateElement(candidate, reference, shapeList, state.FirstFailing, infinitiesEqual));

        var referenceMin = state.ReferenceMin <= state.ReferenceMax ? state.ReferenceMin : double.NaN;
        var referenceMax = state.ReferenceMin <= state.ReferenceMax ? state.ReferenceMax : double.NaN;
        var range = referenceMax - referenceMin;
        var peak = options.PsnrPeak ?? (double.IsNaN(range) ? double.NaN : range > 0 ? range : 1.0);
        var n = (double)candidate.Length;
        var mse = n == 0 ? 0 : state.SumSquaredError / n;

        return new TensorComparison
        {
            Shape = shapeList,
            ElementCount = candidate.Length,
            AbsoluteError = absolute,
            RelativeError = relative,
            Worst = LocateElement(candidate, reference, shapeList, state.WorstIndex, infinitiesEqual),
            FirstNaNError = LocateElement(candidate, reference, shapeList, state.FirstNaN, infinitiesEqual),
            AbsoluteErrorHistogram = BuildHistogram(state.Decades),
            CosineSimilarity = Cosine(state.SumProduct, state.SumCandidateSquared, state.SumReferenceSquared),
            Psnr = mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(peak * peak / mse),
            PsnrPeak = peak,
            Snr = state.SumSquaredError == 0 ? double.PositiveInfinity : 10 * Math.Log10(state.SumReferenceSquared / state.SumSquaredError),
            Ssim = ComputeSsim(candidate, reference, shapeList, options.ComputeSsim),
            ReferenceMin = referenceMin,
            ReferenceMax = referenceMax,
            CandidateNonFinite = new NonFiniteCounts(state.CandidateNaN, state.CandidatePosInf, state.CandidateNegInf),
            ReferenceNonFinite = new NonFiniteCounts(state.ReferenceNaN, state.ReferencePosInf, state.ReferenceNegInf),
            Check = check,
        };
    }

    /// <summary>Whether a shape is image-like for SSIM: [N, C, H, W] with C ∈ {1, 3} and H, W ≥ 11.</summary>
    public static bool IsImageShaped(IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.Count == 4 && shape[1] is 1 or 3 && shape[2] >= Ssim.WindowSize && shape[3] >= Ssim.WindowSize;
    }

    /// <summary>
    /// Polygraphy's absolute and relative errors of one element pair, in float32: abs = |c − r|, rel = abs / |r'| with
    /// r' = r, or 2^-52 where r is zero.
    /// </summary>
    public static (float Absolute, float Relative) ElementErrors(float candidate, float reference, bool infinitiesCompareEqual = false)
    {
        var abs = MathF.Abs(candidate - reference);
        if (infinitiesCompareEqual && float.IsInfinity(candidate) && candidate == reference)
        {
            abs = 0;
        }

        var denominator = MathF.Abs(reference == 0 ? ReferenceZeroReplacement : reference);
        return (abs, abs / denominator);
    }

    private static void ValidateArguments(ReadOnlySpan<float> candidate, ReadOnlySpan<float> reference, ReadOnlySpan<int> shape, Tolerance tolerance)
    {
        if (candidate.Length != reference.Length)
        {
            throw new ArgumentException($"candidate has {candidate.Length} elements, reference {reference.Length}");
        }

        long volume = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"shape [{string.Join(", ", shape.ToArray())}] has a negative dimension");
            }

            volume *= d;
        }

        if (volume != candidate.Length)
        {
            throw new ArgumentException($"shape [{string.Join(", ", shape.ToArray())}] holds {volume} elements, the tensors {candidate.Length}");
        }

        if (!(tolerance.Absolute >= 0) || !(tolerance.Relative >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(tolerance), "tolerances must be non-negative numbers");
        }

        if (!(tolerance.Quantile >= 0 && tolerance.Quantile <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance.Quantile, "the error quantile must be in [0, 1]");
        }
    }

    /// <summary>abs and rel errors of a chunk, in float32, vectorised.</summary>
    private static void ComputeErrors(ReadOnlySpan<float> c, ReadOnlySpan<float> r, Span<float> abs, Span<float> rel, bool infinitiesCompareEqual)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vc = MemoryMarshal.Cast<float, Vector<float>>(c);
            var vr = MemoryMarshal.Cast<float, Vector<float>>(r);
            var va = MemoryMarshal.Cast<float, Vector<float>>(abs);
            var vl = MemoryMarshal.Cast<float, Vector<float>>(rel);
            var eps = new Vector<float>(ReferenceZeroReplacement);
            var infinity = new Vector<float>(float.PositiveInfinity);
            for (var v = 0; v < vc.Length; v++)
            {
                var a = Vector.Abs(vc[v] - vr[v]);
                if (infinitiesCompareEqual)
                {
                    var equalInfinite = Vector.Equals(vc[v], vr[v]) & Vector.Equals(Vector.Abs(vc[v]), infinity);
                    a = Vector.ConditionalSelect(equalInfinite, Vector<float>.Zero, a);
                }

                var denominator = Vector.Abs(Vector.ConditionalSelect(Vector.Equals(vr[v], Vector<float>.Zero), eps, vr[v]));
                va[v] = a;
                vl[v] = a / denominator;
            }

            i = vc.Length * Vector<float>.Count;
        }

        for (; i < c.Length; i++)
        {
            (abs[i], rel[i]) = ElementErrors(c[i], r[i], infinitiesCompareEqual);
        }
    }

    private static ToleranceCheckResult EvaluateCheck(
        Tolerance tolerance, ErrorSummary absolute, ErrorSummary relative, long failingElements, ElementLocation? firstFailing)
    {
        // numpy propagates NaN into every statistic: one NaN error makes the statistic NaN, which fails.
        double WithNaN(double value, ErrorSummary summary) => summary.NaNCount > 0 ? double.NaN : value;
        static bool Exceeds(double value, double limit) => double.IsNaN(value) || value > limit;

        var (absValue, relValue) = tolerance.Statistic switch
        {
            ErrorStatistic.Elementwise or ErrorStatistic.Max => (absolute.Max, relative.Max),
            ErrorStatistic.Mean => (absolute.Mean, relative.Mean),
            ErrorStatistic.Median => (absolute.Median, relative.Median),
            _ => (absolute.CheckQuantile, relative.CheckQuantile),
        };
        absValue = WithNaN(absValue, absolute);
        relValue = WithNaN(relValue, relative);

        if (tolerance.Statistic == ErrorStatistic.Elementwise)
        {
            return new ToleranceCheckResult(failingElements == 0, tolerance, absValue, relValue, failingElements, firstFailing);
        }

        var failed = Exceeds(absValue, tolerance.Absolute) && Exceeds(relValue, tolerance.Relative);
        return new ToleranceCheckResult(!failed, tolerance, absValue, relValue, 0, null);
    }

    private static double Cosine(double dot, double candidateSquared, double referenceSquared)
    {
        if (candidateSquared == 0 && referenceSquared == 0)
        {
            return 1;
        }

        if (candidateSquared == 0 || referenceSquared == 0)
        {
            return 0;
        }

        return dot / (Math.Sqrt(candidateSquared) * Math.Sqrt(referenceSquared));
    }

    private static double? ComputeSsim(ReadOnlySpan<float> candidate, ReadOnlySpan<float> reference, int[] shape, bool? requested)
    {
        var imageShaped = IsImageShaped(shape);
        if (requested == false || (requested is null && !imageShaped))
        {
            return null;
        }

        if (!imageShaped)
        {
            throw new ArgumentException(
                $"SSIM needs an image-shaped tensor [N, C∈{{1,3}}, H≥{Ssim.WindowSize}, W≥{Ssim.WindowSize}], got [{string.Join(", ", shape)}]");
        }

        // Spans cannot be captured by the row reader; pin them for the duration instead of copying gigabytes.
        unsafe
        {
            fixed (float* c = candidate)
            fixed (float* r = reference)
            {
                var cp = c;
                var rp = r;
                var (planes, height, width) = (shape[0] * shape[1], shape[2], shape[3]);
                var planeLength = (long)height * width;
                double total = 0;
                for (var p = 0; p < planes; p++)
                {
                    var offset = p * planeLength;
                    total += Ssim.Mean(width, height, (y, refRow, candRow) =>
                    {
                        var from = offset + ((long)y * width);
                        for (var x = 0; x < width; x++)
                        {
                            refRow[x] = Math.Clamp(rp[from + x], 0f, 1f) * 255.0;
                            candRow[x] = Math.Clamp(cp[from + x], 0f, 1f) * 255.0;
                        }
                    });
                }

                return total / planes;
            }
        }
    }

    private static ElementLocation? LocateElement(
        ReadOnlySpan<float> candidate, ReadOnlySpan<float> reference, int[] shape, long index, bool infinitiesCompareEqual)
    {
        if (index < 0)
        {
            return null;
        }

        var coordinates = new int[shape.Length];
        var rest = index;
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            coordinates[d] = (int)(rest % shape[d]);
            rest /= shape[d];
        }

        var c = candidate[(int)index];
        var r = reference[(int)index];
        var (abs, rel) = ElementErrors(c, r, infinitiesCompareEqual);
        return new ElementLocation(index, coordinates, c, r, abs, rel);
    }

    private static HistogramBin[] BuildHistogram(long[] counts)
    {
        var bins = new HistogramBin[counts.Length];
        bins[0] = new HistogramBin(0, 0, counts[0]);
        bins[1] = new HistogramBin(0, DecadeEdges[0], counts[1]);
        for (var k = 2; k < counts.Length; k++)
        {
            var upper = k - 1 < DecadeEdges.Length ? DecadeEdges[k - 1] : double.PositiveInfinity;
            bins[k] = new HistogramBin(DecadeEdges[k - 2], upper, counts[k]);
        }

        return bins;
    }

    /// <summary>
    /// Per float32 exponent: the histogram bin of the binade's lowest value, and the smallest float at or above the one
    /// decade edge inside the binade (NaN when none), so that bin = BaseBin + (v ≥ Threshold ? 1 : 0). Bin 0 is exact
    /// zero, bin 1 is (0, 1e-8), bin 1 + k is [edge k−1, edge k).
    /// </summary>
    private static (byte, float)[] BuildDecadeTable()
    {
        var table = new (byte, float)[256];
        for (var e = 0; e < 256; e++)
        {
            var low = e == 0 ? 0.0 : Math.Pow(2, e - 127);
            var high = e == 255 ? double.PositiveInfinity : Math.Pow(2, e - 126);
            var below = DecadeEdges.Count(edge => edge <= low);
            var inside = DecadeEdges.Where(edge => edge > low && edge < high).ToArray();
            var threshold = float.NaN; // no edge inside: "v >= NaN" is false
            if (inside.Length > 0)
            {
                threshold = (float)inside[0];
                if (threshold < inside[0])
                {
                    threshold = MathF.BitIncrement(threshold);
                }
            }

            table[e] = ((byte)(1 + below), threshold);
        }

        return table;
    }

    internal static int DecadeBin(float value)
    {
        var bits = BitConverter.SingleToInt32Bits(value);
        if (bits == 0)
        {
            return 0;
        }

        var (baseBin, threshold) = DecadeTable[bits >>> 23];
        return value >= threshold ? baseBin + 1 : baseBin;
    }

    /// <summary>Accumulators of pass 1.</summary>
    private sealed class PassOneState(Tolerance tolerance)
    {
        private readonly double _atol = tolerance.Absolute;
        private readonly double _rtol = tolerance.Relative;

        public int[] AbsHistogram { get; } = new int[1 << 16];

        public int[] RelHistogram { get; } = new int[1 << 16];

        public long[] Decades { get; } = new long[DecadeEdges.Length + 2];

        public long AbsCount { get; private set; }

        public long RelCount { get; private set; }

        public long NaNAbs { get; private set; }

        public long NaNRel { get; private set; }

        public double AbsSum { get; private set; }

        public double RelSum { get; private set; }

        public double AbsMin { get; private set; } = double.PositiveInfinity;

        public double AbsMax { get; private set; } = double.NegativeInfinity;

        public double RelMin { get; private set; } = double.PositiveInfinity;

        public double RelMax { get; private set; } = double.NegativeInfinity;

        public long WorstIndex { get; private set; } = -1;

        public long FirstNaN { get; private set; } = -1;

        public long FailingElements { get; private set; }

        public long FirstFailing { get; private set; } = -1;

        public double SumProduct { get; private set; }

        public double SumCandidateSquared { get; private set; }

        public double SumReferenceSquared { get; private set; }

        public double SumSquaredError { get; private set; }

        public double ReferenceMin { get; private set; } = double.PositiveInfinity;

        public double ReferenceMax { get; private set; } = double.NegativeInfinity;

        public long CandidateNaN { get; private set; }

        public long CandidatePosInf { get; private set; }

        public long CandidateNegInf { get; private set; }

        public long ReferenceNaN { get; private set; }

        public long ReferencePosInf { get; private set; }

        public long ReferenceNegInf { get; private set; }

        /// <summary>Sums over the raw inputs (double) and their non-finite counts.</summary>
        public void AccumulateInputs(ReadOnlySpan<float> c, ReadOnlySpan<float> r)
        {
            double dot = 0, cc = 0, rr = 0, dd = 0;
            var refMin = double.PositiveInfinity;
            var refMax = double.NegativeInfinity;
            var i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var vc = MemoryMarshal.Cast<float, Vector<float>>(c);
                var vr = MemoryMarshal.Cast<float, Vector<float>>(r);
                Vector<double> vDot = default, vCc = default, vRr = default, vDd = default;
                var infinity = new Vector<float>(float.PositiveInfinity);
                var vMin = new Vector<float>(float.PositiveInfinity);
                var vMax = new Vector<float>(float.NegativeInfinity);
                for (var v = 0; v < vc.Length; v++)
                {
                    Vector.Widen(vc[v], out var c0, out var c1);
                    Vector.Widen(vr[v], out var r0, out var r1);
                    vDot += (c0 * r0) + (c1 * r1);
                    vCc += (c0 * c0) + (c1 * c1);
                    vRr += (r0 * r0) + (r1 * r1);
                    var d0 = c0 - r0;
                    var d1 = c1 - r1;
                    vDd += (d0 * d0) + (d1 * d1);
                    var finite = Vector.LessThan(Vector.Abs(vr[v]), infinity); // false for NaN and ±∞
                    vMin = Vector.Min(vMin, Vector.ConditionalSelect(finite, vr[v], infinity));
                    vMax = Vector.Max(vMax, Vector.ConditionalSelect(finite, vr[v], -infinity));
                }

                dot = Vector.Sum(vDot);
                cc = Vector.Sum(vCc);
                rr = Vector.Sum(vRr);
                dd = Vector.Sum(vDd);
                for (var k = 0; k < Vector<float>.Count; k++)
                {
                    refMin = Math.Min(refMin, vMin[k]);
                    refMax = Math.Max(refMax, vMax[k]);
                }

                i = vc.Length * Vector<float>.Count;
            }

            for (; i < c.Length; i++)
            {
                double x = c[i], y = r[i];
                dot += x * y;
                cc += x * x;
                rr += y * y;
                dd += (x - y) * (x - y);
                if (float.IsFinite(r[i]))
                {
                    refMin = Math.Min(refMin, y);
                    refMax = Math.Max(refMax, y);
                }
            }

            SumProduct += dot;
            SumCandidateSquared += cc;
            SumReferenceSquared += rr;
            SumSquaredError += dd;
            ReferenceMin = Math.Min(ReferenceMin, refMin);
            ReferenceMax = Math.Max(ReferenceMax, refMax);

            // Non-finite inputs are rare; count them only when the chunk's sums say there are some.
            if (!double.IsFinite(cc))
            {
                CountNonFinite(c, out var nan, out var pos, out var neg);
                CandidateNaN += nan;
                CandidatePosInf += pos;
                CandidateNegInf += neg;
            }

            if (!double.IsFinite(rr))
            {
                CountNonFinite(r, out var nan, out var pos, out var neg);
                ReferenceNaN += nan;
                ReferencePosInf += pos;
                ReferenceNegInf += neg;
            }
        }

        /// <summary>Histograms, extremes, sums and the elementwise check over one chunk of errors.</summary>
        public void Scan(ReadOnlySpan<float> abs, ReadOnlySpan<float> rel, long start)
        {
            var absHistogram = AbsHistogram;
            var relHistogram = RelHistogram;
            var decades = Decades;
            var table = DecadeTable;
            double absSum = 0, relSum = 0;
            float absMax = float.NegativeInfinity, absMin = float.PositiveInfinity;
            float relMax = float.NegativeInfinity, relMin = float.PositiveInfinity;
            var worst = -1;
            long nanAbs = 0, nanRel = 0, failing = 0;
            var firstFailing = -1;
            var firstNaN = -1;
            for (var i = 0; i < abs.Length; i++)
            {
                var a = abs[i];
                var l = rel[i];
                var aBits = BitConverter.SingleToInt32Bits(a);
                var lBits = BitConverter.SingleToInt32Bits(l);
                if (aBits <= NaNBits)
                {
                    absHistogram[aBits >>> 16]++;
                    var (baseBin, threshold) = table[aBits >>> 23];
                    decades[aBits == 0 ? 0 : a >= threshold ? baseBin + 1 : baseBin]++;
                    absSum += a;
                    if (a > absMax)
                    {
                        absMax = a;
                        worst = i;
                    }

                    absMin = MathF.Min(absMin, a);
                }
                else
                {
                    nanAbs++;
                    if (firstNaN < 0)
                    {
                        firstNaN = i;
                    }
                }

                if (lBits <= NaNBits)
                {
                    relHistogram[lBits >>> 16]++;
                    relSum += l;
                    relMax = MathF.Max(relMax, l);
                    relMin = MathF.Min(relMin, l);
                }
                else
                {
                    nanRel++;
                }

                // Polygraphy elemwise: fails when (abs > atol or NaN) and (rel > rtol or NaN); !(x <= t) is exactly that.
                if (!(a <= _atol) && !(l <= _rtol))
                {
                    failing++;
                    if (firstFailing < 0)
                    {
                        firstFailing = i;
                    }
                }
            }

            AbsCount += abs.Length - nanAbs;
            RelCount += rel.Length - nanRel;
            NaNAbs += nanAbs;
            NaNRel += nanRel;
            AbsSum += absSum;
            RelSum += relSum;
            AbsMin = Math.Min(AbsMin, absMin);
            RelMin = Math.Min(RelMin, relMin);
            RelMax = Math.Max(RelMax, relMax);
            if (worst >= 0 && absMax > AbsMax)
            {
                AbsMax = absMax;
                WorstIndex = start + worst;
            }

            FailingElements += failing;
            if (FirstFailing < 0 && firstFailing >= 0)
            {
                FirstFailing = start + firstFailing;
            }

            if (FirstNaN < 0 && firstNaN >= 0)
            {
                FirstNaN = start + firstNaN;
            }
        }

        private static void CountNonFinite(ReadOnlySpan<float> values, out long nan, out long positive, out long negative)
        {
            nan = positive = negative = 0;
            foreach (var v in values)
            {
                if (float.IsNaN(v))
                {
                    nan++;
                }
                else if (float.IsPositiveInfinity(v))
                {
                    positive++;
                }
                else if (float.IsNegativeInfinity(v))
                {
                    negative++;
                }
            }
        }
    }

    /// <summary>Exact order statistics of the float32 errors from the pass-1 bucket histograms and a pass-2 refinement.</summary>
    private sealed class OrderStatistics
    {
        private readonly Selection _abs;
        private readonly Selection _rel;
        private readonly Tolerance _tolerance;

        public OrderStatistics(int[] absHistogram, int[] relHistogram, long absCount, long relCount, Tolerance tolerance)
        {
            _tolerance = tolerance;
            _abs = new Selection(absHistogram, absCount, WantedQuantiles(tolerance));
            _rel = new Selection(relHistogram, relCount, WantedQuantiles(tolerance));
        }

        public bool NeedsRefinement => _abs.NeedsRefinement || _rel.NeedsRefinement;

        public void Refine(ReadOnlySpan<float> abs, ReadOnlySpan<float> rel)
        {
            _abs.Refine(abs);
            _rel.Refine(rel);
        }

        public ErrorSummary Summary(bool absolute, double min, double max, double sum, long nanCount)
        {
            var selection = absolute ? _abs : _rel;
            var count = selection.Count;
            if (count == 0)
            {
                var empty = nanCount == 0 ? 0.0 : double.NaN; // Polygraphy reports 0 for an empty tensor
                return new ErrorSummary(empty, empty, empty, empty, empty, empty, empty) { Count = 0, NaNCount = nanCount };
            }

            return new ErrorSummary(
                min, max, sum / count, selection.Median(), selection.Quantile(0.90), selection.Quantile(0.95), selection.Quantile(0.99))
            {
                Count = count,
                NaNCount = nanCount,
                CheckQuantile = _tolerance.Statistic == ErrorStatistic.Quantile ? selection.Quantile(_tolerance.Quantile) : double.NaN,
            };
        }

        private static double[] WantedQuantiles(Tolerance tolerance) =>
            tolerance.Statistic == ErrorStatistic.Quantile ? [0.90, 0.95, 0.99, tolerance.Quantile] : [0.90, 0.95, 0.99];
    }

    /// <summary>Order statistics of one error kind: bucket histogram of the top 16 bits, refined by the low 16 bits.</summary>
    private sealed class Selection
    {
        private readonly Dictionary<long, float> _values = [];
        private readonly Dictionary<long, (int Bucket, long RankInBucket)> _pending = [];
        private readonly int[] _slotOfBucket;
        private readonly List<int[]> _lowHistograms = [];

        public Selection(int[] topHistogram, long count, double[] quantiles)
        {
            Count = count;
            _slotOfBucket = new int[1 << 16];
            Array.Fill(_slotOfBucket, -1);
            if (count == 0)
            {
                return;
            }

            var ranks = new SortedSet<long>();
            foreach (var rank in MedianRanks(count))
            {
                ranks.Add(rank);
            }

            foreach (var q in quantiles)
            {
                var (lower, upper, _) = QuantilePosition(count, q);
                ranks.Add(lower);
                ranks.Add(upper);
            }

            long below = 0;
            var bucket = 0;
            foreach (var rank in ranks)
            {
                while (below + topHistogram[bucket] <= rank)
                {
                    below += topHistogram[bucket];
                    bucket++;
                }

                _pending[rank] = (bucket, rank - below);
                if (_slotOfBucket[bucket] < 0)
                {
                    _slotOfBucket[bucket] = _lowHistograms.Count;
                    _lowHistograms.Add(new int[1 << 16]);
                }
            }
        }

        public long Count { get; }

        public bool NeedsRefinement => _pending.Count > 0;

        public void Refine(ReadOnlySpan<float> errors)
        {
            var slots = _slotOfBucket;
            var low = _lowHistograms;
            foreach (var e in errors)
            {
                var bits = BitConverter.SingleToInt32Bits(e);
                if (bits > NaNBits)
                {
                    continue;
                }

                var slot = slots[bits >>> 16];
                if (slot >= 0)
                {
                    low[slot][bits & 0xFFFF]++;
                }
            }
        }

        /// <summary>np.median: the middle value, or the mean of the two middle values.</summary>
        public double Median()
        {
            var ranks = MedianRanks(Count);
            return ranks.Length == 1 ? Value(ranks[0]) : (Value(ranks[0]) + Value(ranks[1])) / 2;
        }

        /// <summary>np.quantile(method="linear"), including numpy's two-sided lerp and its NaN for ∞ neighbours.</summary>
        public double Quantile(double q)
        {
            var (lower, upper, gamma) = QuantilePosition(Count, q);
            var a = Value(lower);
            var b = Value(upper);
            var difference = b - a;
            return gamma >= 0.5 ? b - (difference * (1 - gamma)) : a + (difference * gamma);
        }

        private double Value(long rank)
        {
            if (_values.TryGetValue(rank, out var value))
            {
                return value;
            }

            var (bucket, rankInBucket) = _pending[rank];
            var low = _lowHistograms[_slotOfBucket[bucket]];
            long seen = 0;
            var bits = 0;
            for (; bits < low.Length; bits++)
            {
                seen += low[bits];
                if (seen > rankInBucket)
                {
                    break;
                }
            }

            value = BitConverter.Int32BitsToSingle((bucket << 16) | bits);
            _values[rank] = value;
            return value;
        }

        private static long[] MedianRanks(long count) =>
            count % 2 == 1 ? [count / 2] : [(count / 2) - 1, count / 2];

        private static (long Lower, long Upper, double Gamma) QuantilePosition(long count, double q)
        {
            var virtualIndex = q * (count - 1);
            var lower = (long)Math.Floor(virtualIndex);
            var upper = Math.Min(lower + 1, count - 1);
            return (lower, upper, virtualIndex - lower);
        }
    }
}
