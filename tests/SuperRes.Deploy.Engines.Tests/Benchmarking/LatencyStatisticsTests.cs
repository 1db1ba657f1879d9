using SuperRes.Deploy.Engines.Benchmarking;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Benchmarking;

public sealed class LatencyStatisticsTests
{
    [Fact]
    public void Percentiles_interpolate_between_ranks_as_numpy_does()
    {
        // numpy.percentile(range(1, 11), [50, 90, 95, 99]) == [5.5, 9.1, 9.55, 9.91]
        var stats = LatencyStatistics.From([.. Enumerable.Range(1, 10).Select(v => (double)v).Reverse()]);

        Assert.Equal((10, 1.0, 5.5, 10.0), (stats.Count, stats.Min, stats.Median, stats.Max));
        Assert.Equal(9.1, stats.P90, 10);
        Assert.Equal(9.55, stats.P95, 10);
        Assert.Equal(9.91, stats.P99, 10);
        Assert.Equal(5.5, stats.Mean, 10);
        Assert.Equal(Math.Sqrt(8.25), stats.StandardDeviation, 10);
    }

    [Fact]
    public void One_sample_is_every_statistic()
    {
        var stats = LatencyStatistics.From([4.25]);

        Assert.Equal([4.25, 4.25, 4.25, 4.25, 4.25, 4.25], new[] { stats.Min, stats.Median, stats.P90, stats.P99, stats.Max, stats.Mean });
    }

    [Fact]
    public void The_runner_times_at_least_the_iterations_and_the_duration()
    {
        using var runner = new OrtRunner(new OrtRunnerOptions { ModelPath = RepoPaths.FixtureModel("plain_sr.onnx"), IntraOpThreads = 1 });

        var result = BenchmarkRunner.Run(runner, [ShapeSpec.Parse("input:1x3x16x16")],
            new BenchmarkSettings { WarmupRuns = 1, Iterations = 3, Duration = TimeSpan.FromMilliseconds(200) });

        Assert.True(result.Latency.Count >= 3);
        Assert.True(result.MeasuredSeconds >= 0.2);
        Assert.Equal(1, result.WarmupRuns);
        Assert.Equal([1L, 3, 64, 64], result.Outputs["output"]);
        Assert.True(result.Latency.Mean * result.Latency.Count / 1000 <= result.MeasuredSeconds * 1.001);
    }

    [Fact]
    public void Inputs_are_seeded_uniform_values_in_the_unit_interval()
    {
        using var runner = new OrtRunner(new OrtRunnerOptions { ModelPath = RepoPaths.FixtureModel("plain_sr.onnx") });

        var a = BenchmarkRunner.MakeInputs(runner, [ShapeSpec.Parse("input:1x3x8x8")], seed: 7)["input"].AsSpan<float>().ToArray();
        var b = BenchmarkRunner.MakeInputs(runner, [ShapeSpec.Parse("input:1x3x8x8")], seed: 7)["input"].AsSpan<float>().ToArray();

        Assert.Equal(a, b);
        Assert.All(a, v => Assert.InRange(v, 0f, 1f));
        Assert.True(a.Distinct().Count() > 100);
    }
}
