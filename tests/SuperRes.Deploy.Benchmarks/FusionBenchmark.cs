using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Passes;
using SuperRes.Deploy.Interop.OnnxRuntime;

namespace SuperRes.Deploy.Benchmarks;

/// <summary>
/// The optimize passes' effect in ONNX Runtime (CPU EP) and their own cost. For each model: the original graph, the
/// cleaned graph (folding + cleanup only) and the fused graph (cleanup + attention fusion + layout rewrites) run in one
/// process with the same threads and session options, round-robin, at each input size; medians and ratios. Then ORT's
/// profiler attributes the kernel time of the original and fused graphs at the first size (attention blocks, convolutions,
/// data movement) to bound what fusing attention can gain. With <c>--large</c>, the pass time on a large model.
/// </summary>
internal static class FusionBenchmark
{
    private const string Input = "input";

    public static void Run(IReadOnlyList<string> models, IReadOnlyList<int> sizes, int runs, int threads, string? largeModel)
    {
        var library = Path.Combine(AppContext.BaseDirectory, "libsrd_fused_attention_ort.so");
        Console.WriteLine($"ONNX Runtime {OrtLibrary.Version}, CPU EP, intra-op threads {threads}, inter-op 1, spinning off, ORT_ENABLE_ALL; median of {runs} round-robin runs after one warm-up");
        foreach (var path in models)
        {
            var name = Path.GetFileName(path);
            var original = File.ReadAllBytes(path);
            var (cleaned, _) = Optimize(path, new OptimizeOptions { FoldConstants = true });
            var (fused, report) = Optimize(path, new OptimizeOptions { FoldConstants = true, FuseAttention = true });
            var passTimes = Harness.MedianMilliseconds(runs, () => Optimize(path, new OptimizeOptions { FoldConstants = true, FuseAttention = true }));
            Console.WriteLine();
            Console.WriteLine($"Model {name}: {report.Attention.Count(a => a.Fused)}/{report.Attention.Count} attention blocks fused; nodes {report.Before.Nodes} -> {report.After!.Nodes}; " +
                $"Reshape+Transpose {report.Before.ReshapeTransposeCount} -> {report.After.ReshapeTransposeCount}; load + optimize {passTimes[0]:F0} ms (median)");
            Console.WriteLine();
            Console.WriteLine("| Input | Original (ms) | Cleaned (ms) | Fused (ms) | Original / fused | Cleaned / fused | max abs diff fused vs original |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            foreach (var size in sizes)
            {
                long[] shape = [1, 3, size, size];
                var data = Image(shape);
                using var a = new Session(original, threads, null, null);
                using var b = new Session(cleaned, threads, null, null);
                using var c = new Session(fused, threads, library, null);
                var diff = MaxAbsDiff(a.Run(data, shape), c.Run(data, shape));
                var medians = Harness.MedianMilliseconds(runs, () => a.Run(data, shape), () => b.Run(data, shape), () => c.Run(data, shape));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {size}x{size} | {medians[0]:F1} | {medians[1]:F1} | {medians[2]:F1} | {medians[0] / medians[2]:F2}x | {medians[1] / medians[2]:F2}x | {diff:G2} |"));
            }

            Profile(name, path, original, fused, sizes[0], threads, library);
        }

        if (largeModel is not null)
        {
            LargeModel(largeModel, runs);
        }
    }

    private static (byte[] Bytes, OptimizeReport Report) Optimize(string path, OptimizeOptions options)
    {
        using var model = OnnxModel.Load(path);
        var report = OptimizePipeline.Run(model, options).Report;
        return (model.Proto.ToByteArray(), report);
    }

    /// <summary>ORT's per-node kernel times, grouped: attention-block nodes (by the analysis), Conv, data movement, the rest.</summary>
    private static void Profile(string name, string path, byte[] original, byte[] fused, int size, int threads, string library)
    {
        using var model = OnnxModel.Load(path);
        var analysis = ModelAnalysis.Run(OnnxGraph.FromModel(model));
        var attentionNodes = analysis.Attention.Blocks.SelectMany(b => b.Nodes).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var at = analysis.At(new Dictionary<string, long[]> { [Input] = [1, 3, size, size] });
        var attentionFlops = at.Cost.PerNode.Where(n => attentionNodes.Contains(n.Node.Name)).Sum(n => n.Flops);
        var convFlops = at.Cost.PerNode.Where(n => n.Node.Is("Conv")).Sum(n => n.Flops);

        long[] shape = [1, 3, size, size];
        var data = Image(shape);
        // Attribution by node name needs ORT's graph optimizations off (its fusions rename and merge nodes); the per-op
        // table below is of the optimized sessions the timings above use.
        var before = ProfileRuns(original, null, data, shape, threads, n => attentionNodes.Contains(n.Node) ? "attention block" : Group(n.Op), optimize: false);
        var after = ProfileRuns(fused, library, data, shape, threads, n => n.Op == "FusedAttention" ? "attention block" : Group(n.Op), optimize: false);
        var beforeOps = ProfileRuns(original, null, data, shape, threads, n => n.Op, optimize: true);
        var afterOps = ProfileRuns(fused, library, data, shape, threads, n => n.Op, optimize: true);
        Console.WriteLine();
        Console.WriteLine($"ORT profile of {name} at {size}x{size} (kernel time per run, mean of 6 profiled runs, ORT graph optimizations off so that every node keeps its name); static FLOPs: conv {100.0 * convFlops / at.Cost.TotalFlops:F1}%, attention blocks {100.0 * attentionFlops / at.Cost.TotalFlops:F1}% of {at.Cost.TotalFlops / 1e9:F2} GFLOP");
        Console.WriteLine();
        Console.WriteLine("| Group | Original (ms) | share | Fused (ms) | share |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var group in before.Keys.Union(after.Keys).OrderByDescending(g => before.GetValueOrDefault(g)))
        {
            var b = before.GetValueOrDefault(group);
            var f = after.GetValueOrDefault(group);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {group} | {b:F1} | {100 * b / before.Values.Sum():F1}% | {f:F1} | {100 * f / after.Values.Sum():F1}% |"));
        }

        Console.WriteLine();
        Console.WriteLine("Per op type, ORT graph optimizations on (the sessions timed above):");
        Console.WriteLine();
        Console.WriteLine("| Op | Original (ms) | Fused (ms) |");
        Console.WriteLine("|---|---|---|");
        foreach (var op in beforeOps.Keys.Union(afterOps.Keys).OrderByDescending(o => Math.Max(beforeOps.GetValueOrDefault(o), afterOps.GetValueOrDefault(o))).Take(14))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {op} | {beforeOps.GetValueOrDefault(op):F1} | {afterOps.GetValueOrDefault(op):F1} |"));
        }

        var total = before.Values.Sum();
        var share = before.GetValueOrDefault("attention block") / total;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| total | {total:F1} | | {after.Values.Sum():F1} | |"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Amdahl bound: attention blocks are {100 * share:F1}% of the original kernel time, so even a free attention gives at most {1 / (1 - share):F2}x; " +
            $"fused attention measured {before.GetValueOrDefault("attention block") / Math.Max(after.GetValueOrDefault("attention block"), 1e-9):F2}x faster than the unfused blocks"));
    }

    private static string Group(string op) => op switch
    {
        "Conv" => "Conv",
        "Reshape" or "Transpose" or "Slice" or "Split" or "Concat" or "Gather" or "Pad" or "DepthToSpace" or "Expand" => "data movement (Reshape/Transpose/Slice/Pad/…)",
        "MatMul" or "Gemm" => "MatMul outside attention",
        _ => "element-wise and other",
    };

    private sealed record NodeTime(string Node, string Op, double Microseconds);

    private static Dictionary<string, double> ProfileRuns(byte[] model, string? library, float[] data, long[] shape, int threads, Func<NodeTime, string> group, bool optimize)
    {
        var prefix = Path.Combine(Path.GetTempPath(), $"srd-profile-{Guid.NewGuid():N}");
        string file;
        const int Runs = 5;
        using (var session = new Session(model, threads, library, prefix, optimize))
        {
            session.Run(data, shape);
            for (var i = 0; i < Runs; i++)
            {
                session.Run(data, shape);
            }

            file = session.EndProfiling();
        }

        var times = new Dictionary<string, double>(StringComparer.Ordinal);
        using (var json = JsonDocument.Parse(File.ReadAllText(file)))
        {
            var events = json.RootElement.EnumerateArray().Where(e => e.TryGetProperty("cat", out var c) && c.GetString() == "Node"
                && e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal)).ToList();
            foreach (var e in events)
            {
                var node = e.GetProperty("name").GetString()![..^"_kernel_time".Length];
                var op = e.GetProperty("args").GetProperty("op_name").GetString()!;
                var key = group(new NodeTime(node, op, 0));
                times[key] = times.GetValueOrDefault(key) + (e.GetProperty("dur").GetDouble() / 1000.0 / (Runs + 1));
            }
        }

        File.Delete(file);
        return times;
    }

    private static void LargeModel(string path, int runs)
    {
        var bytes = new FileInfo(path).Length;
        var output = Path.Combine(Path.GetTempPath(), $"srd-large-{Guid.NewGuid():N}.onnx");
        double load = 0, passes = 0, save = 0;
        var samples = new List<(double Load, double Passes, double Save, double Total)>();
        for (var i = 0; i < Math.Max(3, runs / 2); i++)
        {
            var watch = Stopwatch.StartNew();
            using var model = OnnxModel.Load(path);
            load = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            OptimizePipeline.Run(model, new OptimizeOptions { FoldConstants = true, FuseAttention = true });
            passes = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            model.Save(output);
            save = watch.Elapsed.TotalMilliseconds;
            samples.Add((load, passes, save, load + passes + save));
        }

        File.Delete(output);
        var median = samples.OrderBy(s => s.Total).ElementAt(samples.Count / 2);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Large model {Path.GetFileName(path)} ({bytes / 1e6:F1} MB): load {median.Load:F0} ms, passes (cleanup + fusion) {median.Passes:F0} ms, save {median.Save:F0} ms, total {median.Total:F0} ms (median of {samples.Count})"));
    }

    private static float[] Image(long[] shape)
    {
        var random = new Random(7);
        var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)random.NextDouble();
        }

        return data;
    }

    private static double MaxAbsDiff(float[] a, float[] b) => a.Zip(b).Max(p => Math.Abs(p.First - p.Second));

    /// <summary>One ORT session over a model in memory, fed one float input, returning the first output.</summary>
    private sealed class Session : IDisposable
    {
        private readonly OrtSession _session;
        private readonly OrtSessionOptions _options;
        private readonly string _output;

        public Session(byte[] model, int threads, string? library, string? profilePrefix, bool optimize = true)
        {
            _options = new OrtSessionOptions();
            _options.SetGraphOptimizationLevel(optimize ? OrtGraphOptimizationLevel.All : OrtGraphOptimizationLevel.DisableAll);
            _options.SetIntraOpThreads(threads);
            _options.SetInterOpThreads(1);
            _options.AddConfigEntry("session.intra_op.allow_spinning", "0");
            if (library is not null)
            {
                _options.RegisterCustomOpsLibrary(library);
            }

            if (profilePrefix is not null)
            {
                _options.EnableProfiling(profilePrefix);
            }

            _session = OrtSession.FromBytes(model, _options);
            _output = _session.Outputs[0].Name;
        }

        public float[] Run(float[] data, long[] shape)
        {
            using var input = OrtValue.CreateTensor<float>(data, shape);
            var outputs = _session.Run([Input], [input], [_output]);
            try
            {
                return outputs[0].ToArray<float>();
            }
            finally
            {
                foreach (var o in outputs)
                {
                    o.Dispose();
                }
            }
        }

        public string EndProfiling() => _session.EndProfiling();

        public void Dispose()
        {
            _session.Dispose();
            _options.Dispose();
        }
    }
}
