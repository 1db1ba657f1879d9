using System.Diagnostics;
using System.Globalization;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Engines.Benchmarking;

/// <summary>
/// How long to warm up and to measure. Warm-up runs at least <see cref="WarmupRuns"/> inferences and for at least
/// <see cref="WarmupTime"/>; measurement runs at least <see cref="Iterations"/> inferences and for at least
/// <see cref="Duration"/> (trtexec's --warmUp/--iterations/--duration semantics).
/// </summary>
public sealed record BenchmarkSettings
{
    /// <summary>Warm-up inferences (default 5).</summary>
    public int WarmupRuns { get; init; } = 5;

    /// <summary>Least warm-up time (default none).</summary>
    public TimeSpan WarmupTime { get; init; } = TimeSpan.Zero;

    /// <summary>Least timed inferences (default 10).</summary>
    public int Iterations { get; init; } = 10;

    /// <summary>Least timed duration (default 3 s).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Seed of the random input values.</summary>
    public int Seed { get; init; }

    /// <summary>Fails with a usage error for impossible values.</summary>
    public void Validate()
    {
        if (WarmupRuns < 0 || WarmupTime < TimeSpan.Zero)
        {
            throw DeployException.Usage("warm-up runs and time must be 0 or more");
        }

        if (Iterations < 1)
        {
            throw DeployException.Usage($"--iterations must be at least 1, not {Iterations}");
        }

        if (Duration < TimeSpan.Zero)
        {
            throw DeployException.Usage("--duration must be 0 or more seconds");
        }
    }
}

/// <summary>Latency statistics of the timed inferences, in milliseconds.</summary>
/// <param name="Count">Timed inferences.</param>
/// <param name="Min">Fastest.</param>
/// <param name="Mean">Arithmetic mean.</param>
/// <param name="Median">50th percentile.</param>
/// <param name="P90">90th percentile.</param>
/// <param name="P95">95th percentile.</param>
/// <param name="P99">99th percentile.</param>
/// <param name="Max">Slowest.</param>
/// <param name="StandardDeviation">Population standard deviation.</param>
public sealed record LatencyStatistics(int Count, double Min, double Mean, double Median, double P90, double P95, double P99, double Max, double StandardDeviation)
{
    /// <summary>
    /// The statistics of <paramref name="milliseconds"/>. Percentiles interpolate linearly between the two nearest
    /// ranks (numpy's default): p = v[floor(h)] + (h − floor(h)) (v[floor(h)+1] − v[floor(h)]) with h = (n − 1) p / 100.
    /// </summary>
    public static LatencyStatistics From(IReadOnlyList<double> milliseconds)
    {
        ArgumentNullException.ThrowIfNull(milliseconds);
        if (milliseconds.Count == 0)
        {
            throw new ArgumentException("no samples", nameof(milliseconds));
        }

        var sorted = milliseconds.Order().ToArray();
        var mean = sorted.Average();
        var variance = sorted.Sum(v => (v - mean) * (v - mean)) / sorted.Length;
        return new LatencyStatistics(sorted.Length, sorted[0], mean, Percentile(sorted, 50), Percentile(sorted, 90),
            Percentile(sorted, 95), Percentile(sorted, 99), sorted[^1], Math.Sqrt(variance));
    }

    /// <summary>The <paramref name="percent"/>th percentile of ascending <paramref name="sorted"/> values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double percent)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        var h = (sorted.Count - 1) * percent / 100;
        var low = (int)Math.Floor(h);
        var high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + ((h - low) * (sorted[high] - sorted[low]));
    }
}

/// <summary>One input shape set measured.</summary>
/// <param name="Inputs">Input name → shape.</param>
/// <param name="Outputs">Output name → shape, as the model returned them.</param>
/// <param name="WarmupRuns">Warm-up inferences run.</param>
/// <param name="WarmupMilliseconds">Warm-up wall time.</param>
/// <param name="Latency">Per-inference latency of the timed runs.</param>
/// <param name="MeasuredSeconds">Wall time of the timed runs.</param>
/// <param name="InferencesPerSecond">Timed inferences / measured seconds.</param>
/// <param name="OutputMegapixelsPerSecond">Output pixels (batch × H × W of the first 4-D output) per second, in millions; null without a 4-D output.</param>
public sealed record ShapeBenchmark(
    IReadOnlyDictionary<string, long[]> Inputs,
    IReadOnlyDictionary<string, long[]> Outputs,
    int WarmupRuns,
    double WarmupMilliseconds,
    LatencyStatistics Latency,
    double MeasuredSeconds,
    double InferencesPerSecond,
    double? OutputMegapixelsPerSecond)
{
    /// <summary>E.g. "input:1x3x256x256".</summary>
    public string InputLabel => string.Join(",", Inputs.Select(i => $"{i.Key}:{string.Join('x', i.Value)}"));
}

/// <summary>
/// Times a runner: random inputs (seeded; uniform [0, 1) for float inputs, zeros for others) of each shape set, a
/// warm-up, then sequential timed inferences, each timed alone with <see cref="Stopwatch"/>. The inputs are made once
/// per shape set, so only the runner's own work (including its input/output copies) is timed.
/// </summary>
public static class BenchmarkRunner
{
    /// <summary>Benchmarks one shape set.</summary>
    /// <exception cref="DeployException">Usage: a shape for an input the model does not have. BadInput: the model rejects the shapes.</exception>
    public static ShapeBenchmark Run(IInferenceRunner runner, IReadOnlyList<ShapeSpec> shapes, BenchmarkSettings settings, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var inputs = MakeInputs(runner, shapes, settings.Seed);
        var clock = Stopwatch.StartNew();
        var warmups = 0;
        IReadOnlyDictionary<string, Tensor>? outputs = null;
        while (warmups < settings.WarmupRuns || clock.Elapsed < settings.WarmupTime)
        {
            outputs = runner.Run(inputs, cancellationToken);
            warmups++;
        }

        var warmupMs = clock.Elapsed.TotalMilliseconds;
        var latencies = new List<double>();
        clock.Restart();
        while (latencies.Count < settings.Iterations || clock.Elapsed < settings.Duration)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var started = Stopwatch.GetTimestamp();
            outputs = runner.Run(inputs, cancellationToken);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            progress?.Report(latencies.Count);
        }

        var measured = clock.Elapsed.TotalSeconds;
        var outputShapes = outputs!.ToDictionary(o => o.Key, o => o.Value.Shape.ToArray(), StringComparer.Ordinal);
        var perSecond = latencies.Count / measured;
        var image = runner.Outputs.Select(o => outputShapes.GetValueOrDefault(o.Name)).FirstOrDefault(s => s is { Length: 4 });
        double? megapixels = image is null ? null : image[0] * image[2] * image[3] * perSecond / 1e6;
        return new ShapeBenchmark(
            inputs.ToDictionary(i => i.Key, i => i.Value.Shape.ToArray(), StringComparer.Ordinal),
            outputShapes,
            warmups,
            warmupMs,
            LatencyStatistics.From(latencies),
            measured,
            perSecond,
            megapixels);
    }

    /// <summary>
    /// One tensor per model input: the shape given for it, else its declared shape when fully fixed. Float32/float16
    /// inputs get seeded uniform [0, 1) values, others zeros.
    /// </summary>
    public static Dictionary<string, Tensor> MakeInputs(IInferenceRunner runner, IReadOnlyList<ShapeSpec> shapes, int seed)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(shapes);
        foreach (var spec in shapes)
        {
            if (!runner.Inputs.Any(i => i.Name == spec.Name))
            {
                throw DeployException.Usage(
                    $"--shape names '{spec.Name}', which is not an input of the model (inputs: {string.Join(", ", runner.Inputs.Select(i => i.Name))})");
            }
        }

        var random = new Random(seed);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var input in runner.Inputs)
        {
            var spec = shapes.FirstOrDefault(s => s.Name == input.Name);
            long[] shape;
            if (spec is not null)
            {
                shape = [.. spec.Dims];
                if (shape.Length != input.Rank)
                {
                    throw DeployException.Usage($"--shape {spec} has rank {shape.Length}; input '{input.Name}' is {input.Signature}");
                }
            }
            else if (input.Dims.All(d => d.IsFixed))
            {
                shape = [.. input.Dims.Select(d => d.Size!.Value)];
            }
            else
            {
                throw DeployException.Usage(
                    $"input '{input.Name}' is {input.Signature}: give its size, e.g. --shape {input.Name}:{string.Join('x', input.Dims.Select((d, axis) => d.Size?.ToString(CultureInfo.InvariantCulture) ?? (axis == 0 ? "1" : "256")))}");
            }

            var count = shape.Aggregate(1L, (a, d) => checked(a * d));
            if (count > Array.MaxLength)
            {
                throw DeployException.Usage($"input '{input.Name}' of shape {Tensor.Format(shape)} is too large for one buffer");
            }

            tensors[input.Name] = input.ElementType switch
            {
                TensorElementType.Float32 => Tensor.FromArray(Enumerable.Range(0, (int)count).Select(_ => random.NextSingle()).ToArray(), shape),
                TensorElementType.Float16 => Tensor.FromArray(Enumerable.Range(0, (int)count).Select(_ => (Half)random.NextSingle()).ToArray(), shape),
                var other => Tensor.Zeros(other, shape),
            };
        }

        return tensors;
    }
}
