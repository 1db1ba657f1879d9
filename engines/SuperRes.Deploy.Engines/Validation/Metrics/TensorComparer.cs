using System.Numerics;
using System.Runtime.CompilerServices;
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
/// value). Pass 2 re-derives the errors and refines only the buckets holding a wanted order statistic (median, p90, p95,
/// p99, the check quantile) or a histogram edge, with a histogram of their low 16 bits. The percentiles are therefore
/// exact order statistics of the float32 errors (not approximations), combined with numpy's interpolation rules in
/// double, and the histogram counts are exact.</para>
/// <para>Shape: the flat (row-major) element count must match both spans; coordinates are reported in that shape
/// (N, C, H, W for a rank-4 tensor). Unequal lengths are an <see cref="ArgumentException"/>: callers check shapes first
/// and report a mismatch as a failed check themselves.</para>
/// </remarks>
public static class TensorComparer
{
    /// <summary>What Polygraphy adds to exact zeros of the reference before dividing: 2.220446049250313e-16 (2^-52).</summary>
    public const float ReferenceZeroReplacement = 2.220446049250313e-16f;

    private const int ChunkLength = 4096;

    // A NaN error is stored as this negative-NaN bit pattern: its bucket (0xFFFF) lies outside the non-negative floats,
    // so NaNs never mix with +∞ (0x7F800000) in a bucket and are simply not counted.
    private const uint NaNSentinel = 0xFFFFFFFF;

    private static readonly double[] DecadeEdges = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10];

    // Bit patterns where histogram bins start: 1 (the smallest nonzero float), then the smallest float ≥ each edge.
    private static readonly uint[] DecadeBoundaryBits = BuildDecadeBoundaries();

    /// <summary>Compares two float32 tensors of shape <paramref name="shape"/>.</summary>
    public static TensorComparison Compare(
        ReadOnlySpan<float> candidate, ReadOnlySpan<float> reference, ReadOnlySpan<int> shape, ComparisonOptions? options = null)
    {
        options ??= new ComparisonOptions();
        var tolerance = options.Tolerance ?? new Tolerance();
        ValidateArguments(candidate, reference, shape, tolerance);
        var shapeList = shape.ToArray();
        var infinitiesEqual = tolerance.InfinitiesCompareEqual;

        // Pass 1: errors, sums, extremes, counts, the elementwise check and the bucket histograms.
        var pass = new PassOne(tolerance);
        var absBuffer = new float[ChunkLength];
        var relBuffer = new float[ChunkLength];
        for (var start = 0; start < candidate.Length; start += ChunkLength)
        {
            var length = Math.Min(ChunkLength, candidate.Length - start);
            pass.Chunk(candidate.Slice(start, length), reference.Slice(start, length), absBuffer.AsSpan(0, length), relBuffer.AsSpan(0, length), start);
        }

        // Pass 2, only over the buckets that hold a wanted order statistic or a histogram edge.
        var absOrder = new BitHistogram(pass.AbsBuckets);
        var relOrder = new BitHistogram(pass.RelBuckets);
        var quantiles = tolerance.Statistic == ErrorStatistic.Quantile ? new[] { 0.90, 0.95, 0.99, tolerance.Quantile } : [0.90, 0.95, 0.99];
        absOrder.RequireQuantiles(quantiles);
        relOrder.RequireQuantiles(quantiles);
        absOrder.RequireBoundaries(DecadeBoundaryBits);
        if (absOrder.NeedsRefinement || relOrder.NeedsRefinement)
        {
            for (var start = 0; start < candidate.Length; start += ChunkLength)
            {
                var length = Math.Min(ChunkLength, candidate.Length - start);
                var abs = absBuffer.AsSpan(0, length);
                var rel = relBuffer.AsSpan(0, length);
                Errors(candidate.Slice(start, length), reference.Slice(start, length), abs, rel, infinitiesEqual);
                absOrder.Refine(abs);
                relOrder.Refine(rel);
            }
        }

        var absolute = Summarize(absOrder, pass.AbsMin, pass.AbsMax, pass.AbsSum, pass.AbsNaN, tolerance);
        var relative = Summarize(relOrder, pass.RelMin, pass.RelMax, pass.RelSum, pass.RelNaN, tolerance);
        var check = EvaluateCheck(
            tolerance, absolute, relative, pass.Failing, candidate.Length, LocateElement(candidate, reference, shapeList, pass.FirstFailing, infinitiesEqual));

        var referenceMin = pass.ReferenceMin <= pass.ReferenceMax ? pass.ReferenceMin : double.NaN;
        var referenceMax = pass.ReferenceMin <= pass.ReferenceMax ? pass.ReferenceMax : double.NaN;
        var range = referenceMax - referenceMin;
        var peak = options.PsnrPeak ?? (double.IsNaN(range) ? double.NaN : range > 0 ? range : 1.0);
        var mse = candidate.Length == 0 ? 0 : pass.SumSquaredError / candidate.Length;

        return new TensorComparison
        {
            Shape = shapeList,
            ElementCount = candidate.Length,
            AbsoluteError = absolute,
            RelativeError = relative,
            Worst = LocateElement(candidate, reference, shapeList, pass.WorstIndex, infinitiesEqual),
            FirstNaNError = LocateElement(candidate, reference, shapeList, pass.FirstNaN, infinitiesEqual),
            AbsoluteErrorHistogram = BuildHistogram(absOrder),
            CosineSimilarity = Cosine(pass.SumProduct, pass.SumCandidateSquared, pass.SumReferenceSquared),
            Psnr = mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(peak * peak / mse),
            PsnrPeak = peak,
            Snr = pass.SumSquaredError == 0 ? double.PositiveInfinity : 10 * Math.Log10(pass.SumReferenceSquared / pass.SumSquaredError),
            Ssim = ComputeSsim(candidate, reference, shapeList, options.ComputeSsim),
            ReferenceMin = referenceMin,
            ReferenceMax = referenceMax,
            CandidateNonFinite = CountNonFinite(candidate, pass.CandidateHasNonFinite),
            ReferenceNonFinite = CountNonFinite(reference, pass.ReferenceHasNonFinite),
            Check = check,
        };
    }

    /// <summary>Whether a shape is image-like for SSIM: [N, C, H, W] with N ≥ 1, C ∈ {1, 3} and H, W ≥ 11.</summary>
    public static bool IsImageShaped(IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.Count == 4 && shape[0] >= 1 && shape[1] is 1 or 3 && shape[2] >= Ssim.WindowSize && shape[3] >= Ssim.WindowSize;
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

            // Saturate instead of overflowing: any volume above int.MaxValue cannot match a span's length anyway.
            volume = Math.Min(volume * d, (long)int.MaxValue + 1);
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

    /// <summary>abs and rel errors of a chunk in float32, vectorised; NaN errors are stored as <see cref="NaNSentinel"/>.</summary>
    // AggressiveOptimization on the hot loops: a CLI process calls them a few hundred times at most, which tiered
    // compilation would run in unoptimized tier-0 code (Vector<T> operations as calls) until it promotes them.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Errors(ReadOnlySpan<float> c, ReadOnlySpan<float> r, Span<float> abs, Span<float> rel, bool infinitiesCompareEqual)
    {
        var vc = MemoryMarshal.Cast<float, Vector<float>>(c);
        var vr = MemoryMarshal.Cast<float, Vector<float>>(r);
        var va = MemoryMarshal.Cast<float, Vector<float>>(abs);
        var vl = MemoryMarshal.Cast<float, Vector<float>>(rel);
        var eps = new Vector<float>(ReferenceZeroReplacement);
        var infinity = new Vector<float>(float.PositiveInfinity);
        var sentinel = Vector.AsVectorSingle(new Vector<uint>(NaNSentinel));
        for (var v = 0; v < vc.Length; v++)
        {
            var a = Vector.Abs(vc[v] - vr[v]);
            if (infinitiesCompareEqual)
            {
                var equalInfinite = Vector.Equals(vc[v], vr[v]) & Vector.Equals(Vector.Abs(vc[v]), infinity);
                a = Vector.ConditionalSelect(equalInfinite, Vector<float>.Zero, a);
            }

            var l = a / Vector.Abs(Vector.ConditionalSelect(Vector.Equals(vr[v], Vector<float>.Zero), eps, vr[v]));
            va[v] = Vector.ConditionalSelect(Vector.Equals(a, a), a, sentinel);
            vl[v] = Vector.ConditionalSelect(Vector.Equals(l, l), l, sentinel);
        }

        for (var i = vc.Length * Vector<float>.Count; i < c.Length; i++)
        {
            var (a, l) = ElementErrors(c[i], r[i], infinitiesCompareEqual);
            abs[i] = float.IsNaN(a) ? BitConverter.UInt32BitsToSingle(NaNSentinel) : a;
            rel[i] = float.IsNaN(l) ? BitConverter.UInt32BitsToSingle(NaNSentinel) : l;
        }
    }

    private static ErrorSummary Summarize(BitHistogram order, double min, double max, double sum, long nanCount, Tolerance tolerance)
    {
        if (order.Count == 0)
        {
            var empty = nanCount == 0 ? 0.0 : double.NaN; // Polygraphy reports 0 for an empty tensor
            return new ErrorSummary(empty, empty, empty, empty, empty, empty, empty) { Count = 0, NaNCount = nanCount };
        }

        return new ErrorSummary(min, max, sum / order.Count, order.Median(), order.Quantile(0.90), order.Quantile(0.95), order.Quantile(0.99))
        {
            Count = order.Count,
            NaNCount = nanCount,
            CheckQuantile = tolerance.Statistic == ErrorStatistic.Quantile ? order.Quantile(tolerance.Quantile) : double.NaN,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static NonFiniteCounts CountNonFinite(ReadOnlySpan<float> values, bool any)
    {
        long nan = 0, positive = 0, negative = 0;
        if (any)
        {
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

        return new NonFiniteCounts(nan, positive, negative);
    }

    private static ToleranceCheckResult EvaluateCheck(
        Tolerance tolerance, ErrorSummary absolute, ErrorSummary relative, long failingElements, long elementCount, ElementLocation? firstFailing)
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
            return new ToleranceCheckResult(failingElements == 0, tolerance, absValue, relValue, failingElements, elementCount, firstFailing);
        }

        var failed = Exceeds(absValue, tolerance.Absolute) && Exceeds(relValue, tolerance.Relative);
        return new ToleranceCheckResult(!failed, tolerance, absValue, relValue, 0, elementCount, null);
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

                // Planes are independent: one per core, summed in plane order afterwards so the result does not depend on scheduling.
                var perPlane = new double[planes];
                Parallel.For(0, planes, p =>
                {
                    var offset = p * planeLength;
                    perPlane[p] = Ssim.Mean(width, height, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (y, refRow, candRow) =>
                    {
                        var from = offset + ((long)y * width);
                        for (var x = 0; x < width; x++)
                        {
                            refRow[x] = Math.Clamp(rp[from + x], 0f, 1f) * 255.0;
                            candRow[x] = Math.Clamp(cp[from + x], 0f, 1f) * 255.0;
                        }
                    });
                });

                return perPlane.Sum() / planes;
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

    private static HistogramBin[] BuildHistogram(BitHistogram order)
    {
        var bins = new HistogramBin[DecadeEdges.Length + 2];
        var below = 0L;
        for (var k = 0; k <= DecadeBoundaryBits.Length; k++)
        {
            var upTo = k < DecadeBoundaryBits.Length ? order.CountBelow(DecadeBoundaryBits[k]) : order.Count;
            var (lower, upper) = k switch
            {
                0 => (0.0, 0.0),
                1 => (0.0, DecadeEdges[0]),
                _ => (DecadeEdges[k - 2], k - 1 < DecadeEdges.Length ? DecadeEdges[k - 1] : double.PositiveInfinity),
            };
            bins[k] = new HistogramBin(lower, upper, upTo - below);
            below = upTo;
        }

        return bins;
    }

    private static uint[] BuildDecadeBoundaries()
    {
        var bits = new uint[DecadeEdges.Length + 1];
        bits[0] = 1; // everything below is +0
        for (var k = 0; k < DecadeEdges.Length; k++)
        {
            var edge = (float)DecadeEdges[k];
            if (edge < DecadeEdges[k])
            {
                edge = MathF.BitIncrement(edge);
            }

            bits[k + 1] = BitConverter.SingleToUInt32Bits(edge);
        }

        return bits;
    }

    /// <summary>Pass 1: everything computable in one streaming sweep, accumulated chunk by chunk.</summary>
    private sealed class PassOne(Tolerance tolerance)
    {
        private readonly bool _infinitiesEqual = tolerance.InfinitiesCompareEqual;
        private readonly float _atol = RoundDown(tolerance.Absolute);
        private readonly float _rtol = RoundDown(tolerance.Relative);

        public int[] AbsBuckets { get; } = new int[1 << 16];

        public int[] RelBuckets { get; } = new int[1 << 16];

        public double AbsSum { get; private set; }

        public double RelSum { get; private set; }

        public double AbsMin { get; private set; } = double.PositiveInfinity;

        public double AbsMax { get; private set; } = double.NegativeInfinity;

        public double RelMin { get; private set; } = double.PositiveInfinity;

        public double RelMax { get; private set; } = double.NegativeInfinity;

        public long AbsNaN { get; private set; }

        public long RelNaN { get; private set; }

        public long WorstIndex { get; private set; } = -1;

        public long FirstNaN { get; private set; } = -1;

        public long Failing { get; private set; }

        public long FirstFailing { get; private set; } = -1;

        public double SumProduct { get; private set; }

        public double SumCandidateSquared { get; private set; }

        public double SumReferenceSquared { get; private set; }

        public double SumSquaredError { get; private set; }

        public double ReferenceMin { get; private set; } = double.PositiveInfinity;

        public double ReferenceMax { get; private set; } = double.NegativeInfinity;

        /// <summary>A non-finite candidate value makes Σc² non-finite: only then are NaN/∞ counted (a rare extra sweep).</summary>
        public bool CandidateHasNonFinite => !double.IsFinite(SumCandidateSquared);

        public bool ReferenceHasNonFinite => !double.IsFinite(SumReferenceSquared);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Chunk(ReadOnlySpan<float> c, ReadOnlySpan<float> r, Span<float> abs, Span<float> rel, long start)
        {
            Errors(c, r, abs, rel, _infinitiesEqual);

            Vector<double> dot = default, cc = default, rr = default, dd = default, absSum = default, relSum = default;
            var infinity = new Vector<float>(float.PositiveInfinity);
            Vector<float> refMin = infinity, refMax = -infinity, absMin = infinity, absMax = -infinity, relMin = infinity, relMax = -infinity;
            Vector<int> absNaN = default, relNaN = default, failing = default;
            var atol = new Vector<float>(_atol);
            var rtol = new Vector<float>(_rtol);
            var vc = MemoryMarshal.Cast<float, Vector<float>>(c);
            var vr = MemoryMarshal.Cast<float, Vector<float>>(r);
            var va = MemoryMarshal.Cast<float, Vector<float>>(abs);
            var vl = MemoryMarshal.Cast<float, Vector<float>>(rel);
            for (var v = 0; v < vc.Length; v++)
            {
                Vector.Widen(vc[v], out var c0, out var c1);
                Vector.Widen(vr[v], out var r0, out var r1);
                dot += (c0 * r0) + (c1 * r1);
                cc += (c0 * c0) + (c1 * c1);
                rr += (r0 * r0) + (r1 * r1);
                var d0 = c0 - r0;
                var d1 = c1 - r1;
                dd += (d0 * d0) + (d1 * d1);
                var finite = Vector.LessThan(Vector.Abs(vr[v]), infinity); // false for NaN and ±∞
                refMin = Vector.Min(refMin, Vector.ConditionalSelect(finite, vr[v], infinity));
                refMax = Vector.Max(refMax, Vector.ConditionalSelect(finite, vr[v], -infinity));

                var a = va[v];
                var l = vl[v];
                var aDefined = Vector.Equals(a, a);
                var lDefined = Vector.Equals(l, l);
                absNaN += aDefined; // -1 per defined lane; NaN = lanes − defined
                relNaN += lDefined;
                Vector.Widen(Vector.ConditionalSelect(aDefined, a, Vector<float>.Zero), out var a0, out var a1);
                Vector.Widen(Vector.ConditionalSelect(lDefined, l, Vector<float>.Zero), out var l0, out var l1);
                absSum += a0 + a1;
                relSum += l0 + l1;
                absMin = Vector.Min(absMin, Vector.ConditionalSelect(aDefined, a, infinity));
                absMax = Vector.Max(absMax, Vector.ConditionalSelect(aDefined, a, -infinity));
                relMin = Vector.Min(relMin, Vector.ConditionalSelect(lDefined, l, infinity));
                relMax = Vector.Max(relMax, Vector.ConditionalSelect(lDefined, l, -infinity));

                // Polygraphy elemwise: fails when (abs > atol or NaN) and (rel > rtol or NaN), i.e. !(abs <= atol) && !(rel <= rtol).
                failing -= Vector.AndNot(~Vector.LessThanOrEqual(a, atol), Vector.LessThanOrEqual(l, rtol));
            }

            var vectorized = vc.Length * Vector<float>.Count;
            double sDot = Vector.Sum(dot), sCc = Vector.Sum(cc), sRr = Vector.Sum(rr), sDd = Vector.Sum(dd);
            double sAbs = Vector.Sum(absSum), sRel = Vector.Sum(relSum);
            float minR = Min(refMin), maxR = Max(refMax), minA = Min(absMin), maxA = Max(absMax), minL = Min(relMin), maxL = Max(relMax);
            long nanA = vectorized + Vector.Sum(absNaN), nanL = vectorized + Vector.Sum(relNaN), fail = Vector.Sum(failing);
            for (var i = vectorized; i < c.Length; i++)
            {
                double x = c[i], y = r[i];
                sDot += x * y;
                sCc += x * x;
                sRr += y * y;
                sDd += (x - y) * (x - y);
                if (float.IsFinite(r[i]))
                {
                    minR = MathF.Min(minR, r[i]);
                    maxR = MathF.Max(maxR, r[i]);
                }

                var a = abs[i];
                var l = rel[i];
                if (float.IsNaN(a))
                {
                    nanA++;
                }
                else
                {
                    sAbs += a;
                    minA = MathF.Min(minA, a);
                    maxA = MathF.Max(maxA, a);
                }

                if (float.IsNaN(l))
                {
                    nanL++;
                }
                else
                {
                    sRel += l;
                    minL = MathF.Min(minL, l);
                    maxL = MathF.Max(maxL, l);
                }

                fail += !(a <= _atol) && !(l <= _rtol) ? 1 : 0;
            }

            SumProduct += sDot;
            SumCandidateSquared += sCc;
            SumReferenceSquared += sRr;
            SumSquaredError += sDd;
            ReferenceMin = Math.Min(ReferenceMin, minR);
            ReferenceMax = Math.Max(ReferenceMax, maxR);
            AbsSum += sAbs;
            RelSum += sRel;
            AbsMin = Math.Min(AbsMin, minA);
            RelMin = Math.Min(RelMin, minL);
            RelMax = Math.Max(RelMax, maxL);
            AbsNaN += nanA;
            RelNaN += nanL;
            Failing += fail;

            // Locations: a short scalar search, only in the chunk that holds a new extreme or a first occurrence.
            if (maxA > AbsMax)
            {
                AbsMax = maxA;
                WorstIndex = start + abs.IndexOf(maxA);
            }

            if (nanA > 0 && FirstNaN < 0)
            {
                FirstNaN = start + abs.IndexOf(BitConverter.UInt32BitsToSingle(NaNSentinel));
            }

            if (fail > 0 && FirstFailing < 0)
            {
                for (var i = 0; i < abs.Length; i++)
                {
                    if (!(abs[i] <= _atol) && !(rel[i] <= _rtol))
                    {
                        FirstFailing = start + i;
                        break;
                    }
                }
            }

            // The one scalar part: a bucket per error, indexed by its top 16 bits.
            var absBuckets = AbsBuckets;
            var relBuckets = RelBuckets;
            var absBits = MemoryMarshal.Cast<float, uint>(abs);
            var relBits = MemoryMarshal.Cast<float, uint>(rel);
            for (var i = 0; i < absBits.Length; i++)
            {
                absBuckets[absBits[i] >> 16]++;
                relBuckets[relBits[i] >> 16]++;
            }
        }

        /// <summary>The largest float ≤ <paramref name="value"/>: for a float e, e ≤ value exactly when e ≤ RoundDown(value).</summary>
        private static float RoundDown(double value)
        {
            var f = (float)value;
            return (double)f > value ? MathF.BitDecrement(f) : f;
        }

        private static float Min(Vector<float> v)
        {
            var m = float.PositiveInfinity;
            for (var i = 0; i < Vector<float>.Count; i++)
            {
                m = MathF.Min(m, v[i]);
            }

            return m;
        }

        private static float Max(Vector<float> v)
        {
            var m = float.NegativeInfinity;
            for (var i = 0; i < Vector<float>.Count; i++)
            {
                m = MathF.Max(m, v[i]);
            }

            return m;
        }
    }

    /// <summary>
    /// Exact order statistics and counts of non-negative float32 values: pass 1 fills a histogram of the top 16 bits
    /// of each value's bit pattern (which orders like the value); the buckets that hold a wanted rank or a histogram
    /// boundary are then refined in pass 2 by a histogram of the low 16 bits.
    /// </summary>
    private sealed class BitHistogram
    {
        private const int Buckets = 1 << 16;
        private const int NaNBucket = (int)(NaNSentinel >> 16);

        private readonly int[] _buckets;
        private readonly long[] _prefix = new long[Buckets];
        private readonly int[] _slot = new int[Buckets];
        private readonly List<int[]> _low = [];

        public BitHistogram(int[] buckets)
        {
            _buckets = buckets;
            long running = 0;
            for (var b = 0; b < NaNBucket; b++)
            {
                _prefix[b] = running;
                running += buckets[b];
            }

            _prefix[NaNBucket] = running;
            Count = running;
            Array.Fill(_slot, -1);
        }

        /// <summary>Values counted (NaNs excluded).</summary>
        public long Count { get; }

        public bool NeedsRefinement => _low.Count > 0;

        public void RequireQuantiles(IEnumerable<double> quantiles)
        {
            if (Count == 0)
            {
                return;
            }

            foreach (var rank in MedianRanks(Count))
            {
                Require(BucketOfRank(rank));
            }

            foreach (var q in quantiles)
            {
                var (lower, upper, _) = QuantilePosition(Count, q);
                Require(BucketOfRank(lower));
                Require(BucketOfRank(upper));
            }
        }

        public void RequireBoundaries(IEnumerable<uint> boundaries)
        {
            foreach (var bits in boundaries)
            {
                if ((bits & 0xFFFF) != 0)
                {
                    Require((int)(bits >> 16));
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Refine(ReadOnlySpan<float> values)
        {
            var slots = _slot;
            var low = _low;
            foreach (var bits in MemoryMarshal.Cast<float, uint>(values))
            {
                var slot = slots[bits >> 16];
                if (slot >= 0)
                {
                    low[slot][bits & 0xFFFF]++;
                }
            }
        }

        /// <summary>How many values have a bit pattern below <paramref name="bits"/> (i.e. are smaller than that float).</summary>
        public long CountBelow(uint bits)
        {
            var bucket = (int)(bits >> 16);
            var count = _prefix[bucket];
            var within = (int)(bits & 0xFFFF);
            if (within > 0 && _buckets[bucket] > 0)
            {
                var low = _low[_slot[bucket]];
                for (var i = 0; i < within; i++)
                {
                    count += low[i];
                }
            }

            return count;
        }

        /// <summary>np.median: the middle value, or the mean of the two middle values.</summary>
        public double Median()
        {
            var ranks = MedianRanks(Count);
            return ranks.Length == 1 ? ValueAt(ranks[0]) : ((double)ValueAt(ranks[0]) + ValueAt(ranks[1])) / 2;
        }

        /// <summary>np.quantile(method="linear"), including numpy's two-sided lerp (and its NaN next to an ∞).</summary>
        public double Quantile(double q)
        {
            var (lower, upper, gamma) = QuantilePosition(Count, q);
            double a = ValueAt(lower), b = ValueAt(upper);
            var difference = b - a;
            return gamma >= 0.5 ? b - (difference * (1 - gamma)) : a + (difference * gamma);
        }

        private void Require(int bucket)
        {
            if (_buckets[bucket] > 0 && _slot[bucket] < 0)
            {
                _slot[bucket] = _low.Count;
                _low.Add(new int[Buckets]);
            }
        }

        private int BucketOfRank(long rank)
        {
            // The bucket b with prefix[b] ≤ rank < prefix[b] + count[b]: the last b with prefix[b] ≤ rank and count[b] > 0.
            int lo = 0, hi = NaNBucket - 1;
            while (lo < hi)
            {
                var mid = (lo + hi + 1) >> 1;
                if (_prefix[mid] <= rank)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            while (_buckets[lo] == 0)
            {
                lo--;
            }

            return lo;
        }

        private float ValueAt(long rank)
        {
            var bucket = BucketOfRank(rank);
            var low = _low[_slot[bucket]];
            var seen = _prefix[bucket];
            for (var bits = 0; bits < Buckets; bits++)
            {
                seen += low[bits];
                if (seen > rank)
                {
                    return BitConverter.UInt32BitsToSingle(((uint)bucket << 16) | (uint)bits);
                }
            }

            throw new InvalidOperationException("rank outside the refined bucket");
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
