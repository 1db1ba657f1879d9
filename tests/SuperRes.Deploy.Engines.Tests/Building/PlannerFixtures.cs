using System.Collections.Concurrent;
using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Building;

/// <summary>Analyses of the committed models, loaded once per test run (the planner tests reuse them).</summary>
internal static class PlannerFixtures
{
    private static readonly ConcurrentDictionary<string, Lazy<ModelAnalysis>> Analyses = new(StringComparer.Ordinal);

    /// <summary>Fixture names (tests/fixtures/models/NAME.onnx) the planner can plan, plus "ditn_real_x4" (models/).</summary>
    public static readonly string[] Plannable =
        ["ditn_real_x4", "ditn_small", "esrt_style", "swin_style", "shvit_style", "plksr_style", "igconv_x2", "igconv_x3", "igconv_x4", "plain_sr"];

    public static string PathOf(string name) =>
        name == "ditn_real_x4" ? RepoPaths.DefaultModel : RepoPaths.FixtureModel(name + ".onnx");

    public static ModelAnalysis Analysis(string name) =>
        Analyses.GetOrAdd(name, n => new Lazy<ModelAnalysis>(() =>
        {
            using var model = OnnxModel.Load(PathOf(n));
            return ModelAnalysis.Run(OnnxGraph.FromModel(model));
        })).Value;

    /// <summary>A fresh size model (its cost memo is not shared between threads).</summary>
    public static AnalysisProfileSizeModel SizeModel(string name) => AnalysisProfileSizeModel.From(Analysis(name));
}
