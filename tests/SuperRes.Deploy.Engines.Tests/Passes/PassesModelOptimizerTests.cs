using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Passes;
using SuperRes.Deploy.Tests;
using DataType = Onnx.TensorProto.Types.DataType;

namespace SuperRes.Deploy.Engines.Tests.Passes;

/// <summary>The passes behind build-engine's optimize seam (<see cref="IModelOptimizer"/>).</summary>
public sealed class PassesModelOptimizerTests : IDisposable
{
    private readonly string _temp = RepoPaths.NewTempDirectory("srd-optimizer");

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void The_build_step_fuses_and_converts_to_fp16_when_the_precision_plan_asks_keeping_attention_fp16_for_TensorRT()
    {
        using var model = OnnxModel.Load(RepoPaths.FixtureModel("ditn_small.onnx"));
        var optimizer = new PassesModelOptimizer();
        var log = new CollectingBuildLog();

        var result = optimizer.Optimize(model, new ModelOptimizeRequest(new OptimizeSettings(), ConvertToFp16: true), log);

        Assert.Same(model, result.Model);
        Assert.True(result.ConvertedToFp16);
        Assert.Equal(["constant-folding", "attention-fusion", "layout-rewrites", "fp16"], result.AppliedPasses.Where(p => p is "constant-folding" or "attention-fusion" or "layout-rewrites" or "fp16"));
        Assert.Contains("attention: 4 of 4 candidates fused", result.Notes);
        var graph = OnnxGraph.FromModel(model);
        var shapes = ShapeInference.Run(graph);
        Assert.All(graph.Nodes.Where(n => n.OpType == "FusedAttention"), n => Assert.Equal((int)DataType.Float16, shapes[n.Input(0)!].ElementType));
        Assert.Equal((int)DataType.Float, graph.Inputs.Single().DeclaredElementType);
        Assert.NotNull(optimizer.LastReport);
    }

}

/// <summary>build-engine's pipeline (dry run, TensorRT double behind the shim) with the real passes at its optimize seam.</summary>
[Collection(TrtDoubleBuildTests.Name)]
public sealed class PassesAtTheBuildSeamTests : IDisposable
{
    private readonly string _temp = RepoPaths.NewTempDirectory("srd-seam-passes");

    public PassesAtTheBuildSeamTests() => TrtDoubleControl.Reset();

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void A_dry_run_of_build_engine_with_the_passes_fuses_the_attention_of_the_model_it_plans()
    {
        var pipeline = new EngineBuildPipeline(EngineBuildSteps.Default with { Optimizer = new PassesModelOptimizer() });
        var config = new DeployConfig
        {
            Name = "ditn_small",
            ModelPath = RepoPaths.FixtureModel("ditn_small.onnx"),
            Targets = new TargetSettings { Sizes = [(96, 64)], MaxProfiles = 1 },
        };

        var result = pipeline.Run(new BuildEngineRequest
        {
            Config = config, OutputDirectory = Path.Combine(_temp, "out"), CacheDirectory = Path.Combine(_temp, "cache"), DryRun = true,
        }, new CollectingBuildLog());

        var explain = string.Join("\n", result.Explain);
        Assert.Contains("optimize: applied", explain);
        Assert.Contains("attention-fusion", explain);
        Assert.Contains("attention: 4 of 4 candidates fused", explain);
    }

    [Fact]
    public void Without_the_passes_at_the_seam_fp16_on_TensorRT_10_16_is_a_missing_component_before_building()
    {
        var pipeline = new EngineBuildPipeline(EngineBuildSteps.Default with { Optimizer = null });
        var config = new DeployConfig
        {
            Name = "plain_sr",
            ModelPath = RepoPaths.FixtureModel("plain_sr.onnx"),
            Targets = new TargetSettings { Sizes = [(96, 64)], MaxProfiles = 1 },
            Build = new BuildSettings { Precision = "fp16" },
        };

        var error = Assert.Throws<DeployException>(() => pipeline.Run(new BuildEngineRequest
        {
            Config = config, OutputDirectory = Path.Combine(_temp, "out"), CacheDirectory = Path.Combine(_temp, "cache"),
        }, new CollectingBuildLog()));

        Assert.Equal(FailureKind.MissingComponent, error.Kind);
        Assert.Contains("needs the model converted to fp16", error.Message);
        Assert.Empty(TrtDoubleControl.Calls("srd_builder_build"));
    }
}
