using System.Text.Json;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Engines.Validation.Metrics;

namespace SuperRes.Deploy.Engines.Tests.Validation.Metrics;

public sealed class TensorComparerTests
{
    private static readonly int[] Flat4 = [4];

    private static TensorComparison Compare(float[] candidate, float[] reference, Tolerance? tolerance = null) =>
        TensorComparer.Compare(candidate, reference, [candidate.Length], new ComparisonOptions { Tolerance = tolerance ?? new Tolerance() });

    public static TheoryData<string> Cases() => new(NumericsFixtures.Expected.GetProperty("comparisons").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));

    private static JsonElement Case(string name) =>
        NumericsFixtures.Expected.GetProperty("comparisons").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Statistics_match_numpy_on_Polygraphy_errors(string name)
    {
        var expected = Case(name);
        var shape = expected.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var candidate = NumericsFixtures.ReadFloats($"{name}.candidate.f32");
        var reference = NumericsFixtures.ReadFloats($"{name}.reference.f32");

        var result = TensorComparer.Compare(candidate, reference, shape);

        AssertSummary(expected.GetProperty("abs"), result.AbsoluteError);
        AssertSummary(expected.GetProperty("rel"), result.RelativeError);
        Assert.Equal(expected.GetProperty("worst_index").GetInt64(), result.Worst!.Index);
        Assert.Equal(expected.GetProperty("worst_coordinates").EnumerateArray().Select(e => e.GetInt32()), result.Worst.Coordinates);
        Assert.Equal(expected.GetProperty("cosine").GetDouble(), result.CosineSimilarity, 1e-12);
        Assert.Equal(expected.GetProperty("psnr_peak").GetDouble(), result.PsnrPeak, 1e-12);
        Assert.Equal(expected.GetProperty("psnr").GetDouble(), result.Psnr, 1e-9);
        Assert.Equal(expected.GetProperty("snr").GetDouble(), result.Snr, 1e-9);
        Assert.Equal(expected.GetProperty("ssim").GetDouble(), result.Ssim!.Value, 1e-9);
        Assert.Equal(candidate.Length, result.AbsoluteErrorHistogram.Sum(b => b.Count));
    }

    private static void AssertSummary(JsonElement expected, ErrorSummary actual)
    {
        // Order statistics are exact float32 values; numpy interpolates in double like the C# code.
        Assert.Equal(expected.GetProperty("min").GetDouble(), actual.Min);
        Assert.Equal(expected.GetProperty("max").GetDouble(), actual.Max);
        Assert.Equal(expected.GetProperty("mean").GetDouble(), actual.Mean, Math.Abs(actual.Mean) * 1e-12);
        Assert.Equal(expected.GetProperty("median").GetDouble(), actual.Median, Math.Abs(actual.Median) * 1e-15);
        Assert.Equal(expected.GetProperty("p90").GetDouble(), actual.P90, Math.Abs(actual.P90) * 1e-15);
        Assert.Equal(expected.GetProperty("p95").GetDouble(), actual.P95, Math.Abs(actual.P95) * 1e-15);
        Assert.Equal(expected.GetProperty("p99").GetDouble(), actual.P99, Math.Abs(actual.P99) * 1e-15);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Tolerance_checks_agree_with_Polygraphy_semantics(string name)
    {
        var expected = Case(name);
        var shape = expected.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var candidate = NumericsFixtures.ReadFloats($"{name}.candidate.f32");
        var reference = NumericsFixtures.ReadFloats($"{name}.reference.f32");

        foreach (var check in expected.GetProperty("checks").EnumerateArray())
        {
            var tolerance = new Tolerance
            {
                Absolute = check.GetProperty("atol").GetDouble(),
                Relative = check.GetProperty("rtol").GetDouble(),
                Quantile = check.GetProperty("quantile").GetDouble(),
                Statistic = check.GetProperty("stat").GetString() switch
                {
                    "elemwise" => ErrorStatistic.Elementwise,
                    "max" => ErrorStatistic.Max,
                    "mean" => ErrorStatistic.Mean,
                    "median" => ErrorStatistic.Median,
                    _ => ErrorStatistic.Quantile,
                },
            };

            var result = TensorComparer.Compare(candidate, reference, shape, new ComparisonOptions { Tolerance = tolerance, ComputeSsim = false });

            var description = $"{check}: {result.Check.Summary}";
            Assert.True(check.GetProperty("passed").GetBoolean() == result.Check.Passed, description);
            Assert.True(check.GetProperty("failing").GetInt64() == result.Check.FailingElements, description);
            if (tolerance.Statistic == ErrorStatistic.Quantile)
            {
                Assert.Equal(check.GetProperty("abs_quantile").GetDouble(), result.AbsoluteError.CheckQuantile, 1e-15);
                Assert.Equal(check.GetProperty("rel_quantile").GetDouble(), result.RelativeError.CheckQuantile, 1e-12);
            }
        }
    }

    [Fact]
    public void An_element_passes_elementwise_when_either_tolerance_excuses_it()
    {
        // abs 1e-3 on 1e3 (rel 1e-6: rtol excuses it); abs 1e-6 on 1e-3 (rel 1e-3: atol excuses it).
        var excused = Compare([1000.001f, 0.001001f], [1000f, 0.001f]);
        // abs 1e-3 on 1: both tolerances exceeded.
        var failing = Compare([1.001f], [1f]);

        Assert.True(excused.Check.Passed, excused.Check.Summary);
        Assert.True(excused.AbsoluteError.Max > 1e-5 && excused.RelativeError.Max > 1e-5);
        Assert.False(failing.Check.Passed);
        Assert.Equal(1, failing.Check.FailingElements);
        Assert.Equal(0, failing.Check.FirstFailing!.Index);
    }

    [Fact]
    public void Atol_only_and_rtol_only_checks_fail_on_their_own_error()
    {
        float[] candidate = [1.001f];
        float[] reference = [1f];

        Assert.False(Compare(candidate, reference, new Tolerance { Absolute = 1e-4, Relative = 0 }).Check.Passed);
        Assert.True(Compare(candidate, reference, new Tolerance { Absolute = 1e-2, Relative = 0 }).Check.Passed);
        Assert.False(Compare(candidate, reference, new Tolerance { Absolute = 0, Relative = 1e-4 }).Check.Passed);
        Assert.True(Compare(candidate, reference, new Tolerance { Absolute = 0, Relative = 1e-2 }).Check.Passed);
    }

    [Fact]
    public void Zeros_in_the_reference_get_Polygraphy_s_epsilon()
    {
        var result = Compare([1e-6f, 0f], [0f, 0f]);

        Assert.Equal(1e-6f / TensorComparer.ReferenceZeroReplacement, result.RelativeError.Max, 1e-6 * result.RelativeError.Max);
        Assert.Equal(0, result.RelativeError.Min);
        Assert.True(result.Check.Passed, "abs 1e-6 ≤ atol 1e-5 excuses the huge relative error");
        Assert.False(Compare([1e-4f], [0f]).Check.Passed);
    }

    [Theory]
    [InlineData(ErrorStatistic.Elementwise)]
    [InlineData(ErrorStatistic.Max)]
    [InlineData(ErrorStatistic.Mean)]
    [InlineData(ErrorStatistic.Median)]
    [InlineData(ErrorStatistic.Quantile)]
    public void A_NaN_on_one_side_fails_every_statistic(ErrorStatistic statistic)
    {
        var candidate = Enumerable.Repeat(0.5f, 100).ToArray();
        var reference = (float[])candidate.Clone();
        candidate[37] = float.NaN;

        var result = Compare(candidate, reference, new Tolerance { Statistic = statistic, Absolute = 1, Relative = 1 });

        Assert.False(result.Check.Passed);
        Assert.Equal(new NonFiniteCounts(1, 0, 0), result.CandidateNonFinite);
        Assert.Equal(new NonFiniteCounts(0, 0, 0), result.ReferenceNonFinite);
        Assert.Equal(37, result.FirstNaNError!.Index);
        Assert.Equal(1, result.AbsoluteError.NaNCount);
        Assert.Equal(99, result.AbsoluteError.Count);
        Assert.Equal(0, result.AbsoluteError.Max); // statistics cover the defined errors
        Assert.True(double.IsNaN(result.Check.AbsoluteValue));
        Assert.True(double.IsNaN(result.CosineSimilarity));
    }

    [Fact]
    public void Equal_infinities_fail_unless_they_compare_equal()
    {
        float[] values = [float.PositiveInfinity, 1f, float.NegativeInfinity];

        var strict = Compare(values, (float[])values.Clone());
        var lenient = Compare(values, (float[])values.Clone(), new Tolerance { InfinitiesCompareEqual = true });

        Assert.False(strict.Check.Passed);
        Assert.Equal(2, strict.Check.FailingElements);
        Assert.Equal(new NonFiniteCounts(0, 1, 1), strict.ReferenceNonFinite);
        Assert.True(lenient.Check.Passed, lenient.Check.Summary);
        Assert.Equal(0, lenient.AbsoluteError.Max);
    }

    [Fact]
    public void One_outlier_fails_max_but_not_mean_or_median()
    {
        var reference = Enumerable.Range(0, 1000).Select(i => i / 1000f).ToArray();
        var candidate = (float[])reference.Clone();
        candidate[500] += 0.5f;
        Tolerance Stat(ErrorStatistic s) => new() { Statistic = s, Absolute = 1e-3, Relative = 0 };

        Assert.False(Compare(candidate, reference, Stat(ErrorStatistic.Max)).Check.Passed);
        Assert.True(Compare(candidate, reference, Stat(ErrorStatistic.Mean)).Check.Passed);
        Assert.True(Compare(candidate, reference, Stat(ErrorStatistic.Median)).Check.Passed);
        Assert.True(Compare(candidate, reference, Stat(ErrorStatistic.Quantile)).Check.Passed);
        Assert.False(Compare(candidate, reference, Stat(ErrorStatistic.Elementwise)).Check.Passed);
    }

    [Fact]
    public void The_median_of_an_even_count_is_the_mean_of_the_two_middle_errors()
    {
        var result = Compare([1f, 2f, 4f, 8f], [0f, 0f, 0f, 0f]);

        Assert.Equal(3, result.AbsoluteError.Median);
        Assert.Equal(4 + (0.7 * (8 - 4)), result.AbsoluteError.P90, 1e-12); // numpy: h = 0.9 · 3 = 2.7 between 4 and 8
    }

    [Theory]
    [InlineData("uniform")]
    [InlineData("ties")]
    [InlineData("tiny")]
    [InlineData("wide")]
    public void Percentiles_are_exact_order_statistics_of_large_tensors(string distribution)
    {
        var random = new Random(distribution.Length);
        const int n = 300_001;
        var reference = new float[n];
        var candidate = new float[n];
        for (var i = 0; i < n; i++)
        {
            reference[i] = (float)random.NextDouble();
            var error = distribution switch
            {
                "uniform" => random.NextDouble() * 1e-3,
                "ties" => random.Next(3) / 255.0,
                "tiny" => random.NextDouble() * 1e-40, // float32 subnormals
                _ => Math.Pow(10, (random.NextDouble() * 12) - 9),
            };
            candidate[i] = reference[i] + (float)error;
        }

        var result = TensorComparer.Compare(candidate, reference, [n], new ComparisonOptions { Tolerance = new Tolerance { Statistic = ErrorStatistic.Quantile, Quantile = 0.377 } });

        var sorted = candidate.Select((c, i) => (double)MathF.Abs(c - reference[i])).Order().ToArray();
        double Linear(double q)
        {
            var h = q * (n - 1);
            var lo = (int)Math.Floor(h);
            var hi = Math.Min(lo + 1, n - 1);
            return sorted[lo] + ((h - lo) * (sorted[hi] - sorted[lo]));
        }

        Assert.Equal(sorted[n / 2], result.AbsoluteError.Median);
        Assert.Equal(Linear(0.90), result.AbsoluteError.P90, Math.Abs(Linear(0.90)) * 1e-15);
        Assert.Equal(Linear(0.95), result.AbsoluteError.P95, Math.Abs(Linear(0.95)) * 1e-15);
        Assert.Equal(Linear(0.99), result.AbsoluteError.P99, Math.Abs(Linear(0.99)) * 1e-15);
        Assert.Equal(Linear(0.377), result.AbsoluteError.CheckQuantile, Math.Abs(Linear(0.377)) * 1e-15);
        Assert.Equal(sorted[0], result.AbsoluteError.Min);
        Assert.Equal(sorted[^1], result.AbsoluteError.Max);
    }

    [Fact]
    public void The_histogram_counts_each_error_in_its_decade()
    {
        var errors = new[] { 0f, 1e-12f, 9.99e-9f, 1e-8f, 1.5e-8f, 1e-5f, MathF.BitIncrement(1e-5f), 9.9999e-6f, 0.5f, 1f, 9.99f, 10f, 1e30f, float.PositiveInfinity };
        var reference = new float[errors.Length];

        var histogram = TensorComparer.Compare(errors, reference, [errors.Length]).AbsoluteErrorHistogram;

        long CountOf(double lower) => histogram.Single(b => b.Lower == lower && (lower > 0 || b.Upper > 0)).Count;
        Assert.Equal(1, histogram[0].Count); // exact zero
        Assert.Equal(3, CountOf(0)); // (0, 1e-8): 1e-12, 9.99e-9 and float32(1e-8) = 9.99999994e-9
        Assert.Equal(1, CountOf(1e-8));
        Assert.Equal(2, CountOf(1e-6)); // 9.9999e-6 and float32(1e-5) = 9.99999975e-6
        Assert.Equal(1, CountOf(1e-5)); // the next float up
        Assert.Equal(1, CountOf(0.1));
        Assert.Equal(2, CountOf(1));
        Assert.Equal(3, CountOf(10)); // 10, 1e30, ∞
        Assert.Equal(errors.Length, histogram.Sum(b => b.Count));
        Assert.All(histogram.Skip(1), b => Assert.True(b.Upper > b.Lower));
    }

    [Fact]
    public void Decade_edges_that_are_not_floats_split_values_as_exact_comparison_does()
    {
        // float32(1e-5) is 9.99999975e-6, below the edge 1e-5; the next float up is above it.
        var below = 1e-5f;
        var above = MathF.BitIncrement(below);
        Assert.True((double)below < 1e-5 && (double)above > 1e-5);

        var histogram = TensorComparer.Compare([below, above, above], [0f, 0f, 0f], [3]).AbsoluteErrorHistogram;

        Assert.Equal(1, histogram.Single(b => b.Lower == 1e-6).Count);
        Assert.Equal(2, histogram.Single(b => b.Lower == 1e-5).Count);
    }

    [Fact]
    public void PSNR_SNR_and_cosine_follow_their_definitions()
    {
        var reference = Enumerable.Range(0, 64).Select(i => i / 63f).ToArray();
        var candidate = reference.Select(v => v + 0.01f).ToArray();

        var result = Compare(candidate, reference);
        var fixedPeak = TensorComparer.Compare(candidate, reference, [64], new ComparisonOptions { PsnrPeak = 255 });

        var mse = candidate.Select((c, i) => Math.Pow(c - (double)reference[i], 2)).Average();
        Assert.Equal(1.0, result.PsnrPeak);
        Assert.Equal(10 * Math.Log10(1 / mse), result.Psnr, 1e-9);
        Assert.Equal(10 * Math.Log10(255 * 255 / mse), fixedPeak.Psnr, 1e-9);
        Assert.Equal(10 * Math.Log10(reference.Sum(r => (double)r * r) / (mse * 64)), result.Snr, 1e-9);
        Assert.InRange(result.CosineSimilarity, 0.999, 1.0);
        Assert.Equal(double.PositiveInfinity, Compare(reference, reference).Psnr);
        Assert.Equal(1.0, Compare([0f, 0f], [0f, 0f]).CosineSimilarity);
    }

    [Fact]
    public void SSIM_is_computed_for_image_shaped_tensors_only()
    {
        var image = Enumerable.Range(0, 3 * 16 * 16).Select(i => (i % 37) / 36f).ToArray();

        var imageShaped = TensorComparer.Compare(image, image, [1, 3, 16, 16]);
        var flat = TensorComparer.Compare(image, image, [image.Length]);

        Assert.Equal(1.0, imageShaped.Ssim!.Value, 1e-12);
        Assert.Null(flat.Ssim);
        Assert.Throws<ArgumentException>(() => TensorComparer.Compare(image, image, [image.Length], new ComparisonOptions { ComputeSsim = true }));
    }

    [Fact]
    public void The_worst_element_is_located_in_NCHW_coordinates()
    {
        var reference = new float[2 * 3 * 4 * 5];
        var candidate = new float[reference.Length];
        candidate[(((1 * 3) + 2) * 4 * 5) + (3 * 5) + 4] = 0.25f;

        var worst = TensorComparer.Compare(candidate, reference, [2, 3, 4, 5]).Worst!;

        Assert.Equal([1, 2, 3, 4], worst.Coordinates);
        Assert.Equal((0.25f, 0f, 0.25), (worst.Candidate, worst.Reference, worst.AbsoluteError));
    }

    [Fact]
    public void Empty_tensors_pass_with_zero_statistics()
    {
        var result = TensorComparer.Compare([], [], [0, 3]);

        Assert.True(result.Check.Passed);
        Assert.Equal(0, result.AbsoluteError.Max);
        Assert.Null(result.Worst);
    }

    [Fact]
    public void Mismatched_lengths_and_shapes_are_argument_errors()
    {
        Assert.Throws<ArgumentException>(() => TensorComparer.Compare(new float[4], new float[5], Flat4));
        Assert.Throws<ArgumentException>(() => TensorComparer.Compare(new float[4], new float[4], [2, 3]));
    }

    [Fact]
    public void The_summary_line_reads_like_Polygraphy_s_verdict()
    {
        var result = Compare([1.001f, 1f], [1f, 1f]);

        Assert.StartsWith("FAILED elemwise: 1 of 2 elements exceed both atol=1e-05 rtol=1e-05", result.Check.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Vector_and_scalar_paths_agree_with_a_brute_force_reference_on_awkward_data()
    {
        var random = new Random(77);
        float[] specials = [0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-42f, 1e30f];
        for (var trial = 0; trial < 300; trial++)
        {
            var n = 1 + random.Next(70); // lengths around the SIMD width exercise the scalar tails
            var candidate = new float[n];
            var reference = new float[n];
            for (var i = 0; i < n; i++)
            {
                reference[i] = random.Next(6) == 0 ? specials[random.Next(specials.Length)] : (float)(random.NextDouble() - 0.3);
                candidate[i] = random.Next(5) switch
                {
                    0 => reference[i],
                    1 => specials[random.Next(specials.Length)],
                    _ => reference[i] + (float)((random.NextDouble() - 0.5) * Math.Pow(10, -random.Next(8))),
                };
            }

            var tolerance = new Tolerance { Absolute = 1e-4, Relative = 1e-3 };
            var result = TensorComparer.Compare(candidate, reference, [n], new ComparisonOptions { Tolerance = tolerance });

            var errors = candidate.Select((c, i) => TensorComparer.ElementErrors(c, reference[i])).ToArray();
            var abs = errors.Select(e => (double)e.Absolute).Where(e => !double.IsNaN(e)).Order().ToArray();
            var rel = errors.Select(e => (double)e.Relative).Where(e => !double.IsNaN(e)).Order().ToArray();
            var failing = errors.Count(e => !(e.Absolute <= 1e-4) && !(e.Relative <= 1e-3));
            var context = $"trial {trial}, n {n}";

            Assert.True(abs.Length == result.AbsoluteError.Count, context);
            Assert.True(n - rel.Length == result.RelativeError.NaNCount, context);
            Assert.True(failing == result.Check.FailingElements, context);
            Assert.True((failing == 0) == result.Check.Passed, context);
            Assert.True(candidate.Count(float.IsNaN) == result.CandidateNonFinite.NaN, context);
            Assert.True(reference.Count(float.IsPositiveInfinity) == result.ReferenceNonFinite.PositiveInfinity, context);
            Assert.True(n == result.AbsoluteErrorHistogram.Sum(b => b.Count) + (n - abs.Length), context);
            if (abs.Length > 0)
            {
                Assert.True(abs[0] == result.AbsoluteError.Min && abs[^1] == result.AbsoluteError.Max, context);
                Assert.True(Median(abs).Equals(result.AbsoluteError.Median), context);
                Assert.True(abs[^1] == result.Worst!.AbsoluteError, context);
                Assert.True(Array.FindIndex(errors, e => e.Absolute == abs[^1]) == result.Worst.Index, context);
            }

            if (rel.Length > 0)
            {
                Assert.True(rel[0] == result.RelativeError.Min && rel[^1] == result.RelativeError.Max, context);
                Assert.True(Median(rel).Equals(result.RelativeError.Median), context);
            }
        }

        static double Median(double[] sorted) =>
            sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
