using SuperRes.Deploy.Engines.Validation.Metrics;

namespace SuperRes.Deploy.Benchmarks;

/// <summary>
/// TensorComparer on a [1, 3, size, size] pair (an SR output of size² pixels) against a straightforward baseline that
/// materialises the error arrays and sorts copies for the percentiles (what a first implementation would do).
/// </summary>
internal static class ComparisonBenchmark
{
    public static void Run(int size, int runs)
    {
        var count = 3 * size * size;
        var random = new Random(1);
        var reference = new float[count];
        var candidate = new float[count];
        for (var i = 0; i < count; i++)
        {
            reference[i] = (float)random.NextDouble();
            candidate[i] = reference[i] + (float)((random.NextDouble() - 0.5) * 2e-3);
        }

        int[] shape = [1, 3, size, size];
        var statistics = new ComparisonOptions { ComputeSsim = false };
        var withSsim = new ComparisonOptions { ComputeSsim = true };
        TensorComparison? last = null;

        Console.WriteLine($"compare: candidate vs reference, shape [1, 3, {size}, {size}] ({count:N0} floats), median of {runs} runs");
        var medians = Harness.MedianMilliseconds(
            runs,
            () => last = TensorComparer.Compare(candidate, reference, shape, statistics),
            () => SortingBaseline(candidate, reference),
            () => TensorComparer.Compare(candidate, reference, shape, withSsim));
        var (ours, baseline, ssim) = (medians[0], medians[1], medians[2]);

        Console.WriteLine($"  TensorComparer, statistics + check (no SSIM)   {ours,9:F1} ms");
        Console.WriteLine($"  sorting baseline (error arrays + Array.Sort)   {baseline,9:F1} ms   ({baseline / ours:F1}x the TensorComparer time)");
        Console.WriteLine($"  TensorComparer with SSIM (planes in parallel)  {ssim,9:F1} ms   (SSIM adds {ssim - ours:F1} ms)");
        Console.WriteLine($"  check: {last!.Check.Summary}; p99 abs {last.AbsoluteError.P99:g6}");
    }

    /// <summary>The same statistics (abs/rel min, max, mean, median, p90/p95/p99) by sorting full copies.</summary>
    private static double SortingBaseline(float[] candidate, float[] reference)
    {
        var abs = new float[candidate.Length];
        var rel = new float[candidate.Length];
        for (var i = 0; i < abs.Length; i++)
        {
            abs[i] = MathF.Abs(candidate[i] - reference[i]);
            rel[i] = abs[i] / MathF.Abs(reference[i] == 0 ? TensorComparer.ReferenceZeroReplacement : reference[i]);
        }

        double checksum = 0;
        foreach (var errors in new[] { abs, rel })
        {
            Array.Sort(errors);
            double sum = 0;
            foreach (var e in errors)
            {
                sum += e;
            }

            double Quantile(double q)
            {
                var h = q * (errors.Length - 1);
                var lo = (int)h;
                var hi = Math.Min(lo + 1, errors.Length - 1);
                return errors[lo] + ((h - lo) * (errors[hi] - errors[lo]));
            }

            checksum += errors[0] + errors[^1] + (sum / errors.Length) + Quantile(0.5) + Quantile(0.9) + Quantile(0.95) + Quantile(0.99);
        }

        return checksum;
    }
}
