using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Benchmarks;

/// <summary>
/// The graph analysis on the default model (models/ditn_real_x4.onnx): what `srdeploy inspect` does once, and what the
/// profile planner does per candidate shape. Evaluating a shape by binding the symbolic analysis is compared with the
/// straightforward alternative, rerunning shape inference with the input fixed to that shape and rebuilding the cost model.
/// </summary>
internal static class GraphAnalysisBenchmark
{
    public static void Run(int runs)
    {
        var path = Path.Combine(RepoRoot(), "models", "ditn_real_x4.onnx");
        var shapes = Enumerable.Range(0, 16).Select(i => new Dictionary<string, long[]> { ["input"] = [1, 3, 64 + (24 * i), 256 - (8 * i)] }).ToList();
        using var model = OnnxModel.Load(path);
        var graph = OnnxGraph.FromModel(model);
        var analysis = ModelAnalysis.Run(graph);
        long checksum = 0;

        Console.WriteLine($"graph: {Path.GetFileName(path)} ({graph.Nodes.Count} nodes), {shapes.Count} candidate shapes, median of {runs} runs");
        var medians = Harness.MedianMilliseconds(
            runs,
            () =>
            {
                using var m = OnnxModel.Load(path);
                checksum += ModelAnalysis.Run(OnnxGraph.FromModel(m)).Attention.Blocks.Count;
            },
            () => checksum += ShapeInference.Run(graph).Constraints.Count,
            () =>
            {
                foreach (var shape in shapes)
                {
                    checksum += analysis.At(shape).Cost.TotalFlops;
                }
            },
            () =>
            {
                foreach (var shape in shapes)
                {
                    var fixedShape = ShapeInference.Run(graph, new ShapeInferenceOptions
                    {
                        InputShapes = shape.ToDictionary(kv => kv.Key, kv => kv.Value.Select(d => (long?)d).ToArray()),
                    });
                    checksum += CostModel.Build(fixedShape).Evaluate(fixedShape.Bind(new Dictionary<string, long>())).TotalFlops;
                }
            });
        var (full, inference, bind, rerun) = (medians[0], medians[1], medians[2] / shapes.Count, medians[3] / shapes.Count);
        Console.WriteLine($"  load + IR + full analysis (what inspect does)        {full,9:F2} ms");
        Console.WriteLine($"  symbolic shape inference alone                        {inference,9:F2} ms");
        Console.WriteLine($"  per shape: bind + FLOPs + peak memory (ModelAnalysis.At) {bind,6:F3} ms");
        Console.WriteLine($"  per shape: rerun inference at the fixed shape + cost   {rerun,9:F2} ms   ({rerun / bind:F0}x the binding time)");
        Console.WriteLine($"  (checksum {checksum})");
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SuperRes.Deploy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }
}
