using System.Diagnostics;
using System.Globalization;
using SuperRes.Deploy.Benchmarks;

// Usage: dotnet run -c Release --project tests/SuperRes.Deploy.Benchmarks -- compare [--size 4096] [--runs 7]
//        dotnet run -c Release --project tests/SuperRes.Deploy.Benchmarks -- graph [--runs 15]
//        dotnet run -c Release --project tests/SuperRes.Deploy.Benchmarks -- fusion [--models A.onnx,B.onnx] [--sizes 256,512]
//            [--runs 7] [--threads 2] [--large LARGE.onnx]
//        dotnet run -c Release --project tests/SuperRes.Deploy.Benchmarks -- validate [--size 256] [--runs 5]
// Each benchmark prints the median of its runs for every variant, side by side, and the ratios between them.
var arguments = args.ToList();
var name = arguments.Count > 0 ? arguments[0] : "compare";
string? Text(string flag)
{
    var at = arguments.IndexOf(flag);
    return at >= 0 && at + 1 < arguments.Count ? arguments[at + 1] : null;
}

int Option(string flag, int fallback)
{
    var at = arguments.IndexOf(flag);
    return at >= 0 && at + 1 < arguments.Count ? int.Parse(arguments[at + 1], CultureInfo.InvariantCulture) : fallback;
}

Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} logical CPUs, SIMD width {System.Numerics.Vector<float>.Count} floats, server GC {System.Runtime.GCSettings.IsServerGC}");
switch (name)
{
    case "compare":
        ComparisonBenchmark.Run(Option("--size", 4096), Option("--runs", 7));
        return 0;
    case "graph":
        GraphAnalysisBenchmark.Run(Option("--runs", 15));
        return 0;
    case "fusion":
        FusionBenchmark.Run(
            (Text("--models") ?? Path.Combine(GraphAnalysisBenchmark.RepoRoot(), "models", "ditn_real_x4.onnx")).Split(','),
            [.. (Text("--sizes") ?? "256,512").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))],
            Option("--runs", 7), Option("--threads", 2), Text("--large"));
        return 0;
    case "validate":
        ValidationOverheadBenchmark.Run(Option("--size", 256), Option("--runs", 5));
        return 0;
    default:
        Console.Error.WriteLine($"unknown benchmark '{name}'; available: compare, graph, fusion, validate");
        return 2;
}

namespace SuperRes.Deploy.Benchmarks
{
    /// <summary>
    /// Times variants of the same work round-robin (A, B, C, A, B, C, …) so that a noisy machine slows them alike, and
    /// returns each variant's median in milliseconds.
    /// </summary>
    internal static class Harness
    {
        public static double[] MedianMilliseconds(int runs, params Action[] variants)
        {
            foreach (var variant in variants)
            {
                variant(); // warm-up: JIT, page faults
            }

            var times = variants.Select(_ => new List<double>()).ToArray();
            for (var r = 0; r < runs; r++)
            {
                for (var v = 0; v < variants.Length; v++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    var watch = Stopwatch.StartNew();
                    variants[v]();
                    times[v].Add(watch.Elapsed.TotalMilliseconds);
                }
            }

            return times.Select(t => t.Order().ElementAt(t.Count / 2)).ToArray();
        }
    }
}
