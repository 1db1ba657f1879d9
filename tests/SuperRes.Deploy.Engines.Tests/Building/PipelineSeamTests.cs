using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Building;

/// <summary>
/// How the pipeline uses its optimize and validate seams (the graph passes and the validation engine plug in there),
/// with doubles at those seams and the recording TensorRT double behind the shim's ABI: what the optimizer is asked,
/// that its model is what TensorRT parses, hashed into the record and the cache key and published; that a failed
/// validation publishes nothing and a passed one publishes its report.
/// </summary>
[Collection(TrtDoubleBuildTests.Name)]
public sealed class PipelineSeamTests : IDisposable
{
    private readonly string _temp = RepoPaths.NewTempDirectory("srd-seams");

    public PipelineSeamTests() => TrtDoubleControl.Reset();

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    /// <summary>Test double of the optimize step: records the request and renames the graph (a real, visible change).</summary>
    private sealed class RenamingOptimizerDouble(bool claimsFp16 = false) : IModelOptimizer
    {
        public ModelOptimizeRequest? Request { get; private set; }

        public OptimizedModel Optimize(OnnxModel model, ModelOptimizeRequest request, IBuildLog log)
        {
            Request = request;
            var copy = OnnxModel.FromProto(model.Proto.Clone(), model.BaseDirectory);
            copy.Proto.Graph.Name = "renamed-by-test-double";
            return new OptimizedModel(copy, ["rename-graph (test double)"], ["the test double renamed the graph"], claimsFp16 && request.ConvertToFp16);
        }
    }

    /// <summary>Test double of the validate step: returns the verdict it is given and writes a report file.</summary>
    private sealed class VerdictValidatorDouble(bool passed) : IEngineValidator
    {
        public EngineValidationRequest? Request { get; private set; }

        public EngineValidationSummary Validate(EngineValidationRequest request, IBuildLog log, CancellationToken cancellationToken)
        {
            Request = request;
            var report = Path.Combine(request.ReportDirectory, "report.json");
            File.WriteAllText(report, "{}");
            return new EngineValidationSummary(passed, passed ? "3/3 shapes within tolerance" : "max abs error 0.5 > atol 1e-4 at 1x3x64x64",
                [new EngineValidationCase("input:1x3x64x64", passed, passed ? 1e-6 : 0.5, passed ? 80 : 12, "test double")], [report]);
        }
    }

    private static DeployConfig Config(bool fp16 = false) => new()
    {
        Name = "plain_sr",
        ModelPath = RepoPaths.FixtureModel("plain_sr.onnx"),
        Targets = new TargetSettings { Sizes = [(96, 64)], MaxProfiles = 1 },
        Build = new BuildSettings { Precision = fp16 ? "fp16" : "fp32" },
    };

    private BuildEngineRequest Request(bool fp16 = false) => new()
    {
        Config = Config(fp16),
        OutputDirectory = Path.Combine(_temp, "out"),
        CacheDirectory = Path.Combine(_temp, "cache"),
    };

    [Fact]
    public void The_optimized_model_is_what_TensorRT_parses_and_what_the_record_and_cache_key_hash()
    {
        var optimizer = new RenamingOptimizerDouble();
        var pipeline = new EngineBuildPipeline(EngineBuildSteps.Default with { Optimizer = optimizer, Validator = null });

        var result = pipeline.Run(Request(), new CollectingBuildLog());

        Assert.NotNull(optimizer.Request);
        Assert.False(optimizer.Request.ConvertToFp16);
        Assert.True(optimizer.Request.Settings.FuseAttention);
        var published = Path.Combine(_temp, "out", "plain_sr.optimized.onnx");
        Assert.True(File.Exists(published));
        using (var reread = OnnxModel.Load(published))
        {
            Assert.Equal("renamed-by-test-double", reread.Proto.Graph.Name);
        }

        var parsed = TrtDoubleControl.Args("srd_onnx_parser_parse_file").GetProperty("path").GetString()!;
        Assert.EndsWith("plain_sr.optimized.onnx", parsed, StringComparison.Ordinal);
        Assert.NotEqual(RepoPaths.FixtureModel("plain_sr.onnx"), parsed);
        var record = (JsonObject)JsonNode.Parse(File.ReadAllText(result.RecordPath!))!;
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(published)));
        Assert.Equal("applied", (string?)record["optimizedModel"]!["status"]);
        Assert.Equal(sha, (string?)record["optimizedModel"]!["sha256"]);
        Assert.NotEqual(sha, (string?)record["model"]!["sha256"]);
        var entry = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(Directory.GetFiles(Path.Combine(_temp, "cache"), "entry.json", SearchOption.AllDirectories).Single())!, "entry.json")))!;
        Assert.Equal(sha, (string?)entry["keyMaterial"]!["onnxSha256"]);
        Assert.Contains("rename-graph (test double)", result.Explain.Single(l => l.StartsWith("optimize:", StringComparison.Ordinal)));
    }

    [Fact]
    public void On_TensorRT_10_16_fp16_asks_the_optimizer_for_an_fp16_model_and_refuses_one_that_is_not()
    {
        var optimizer = new RenamingOptimizerDouble(claimsFp16: false);
        var pipeline = new EngineBuildPipeline(EngineBuildSteps.Default with { Optimizer = optimizer, Validator = null });

        Assert.Throws<InvalidOperationException>(() => pipeline.Run(Request(fp16: true), new CollectingBuildLog()));

        Assert.True(optimizer.Request!.ConvertToFp16);
        Assert.Empty(TrtDoubleControl.Calls("srd_builder_build"));
        Assert.False(Directory.Exists(Path.Combine(_temp, "out")));
    }

    [Fact]
    public void On_TensorRT_10_11_fp16_does_not_ask_for_an_fp16_model()
    {
        TrtDoubleControl.SetTensorRtVersion(101100);
        var optimizer = new RenamingOptimizerDouble();
        var pipeline = new EngineBuildPipeline(EngineBuildSteps.Default with { Optimizer = optimizer, Validator = null });

        pipeline.Run(Request(fp16: true), new CollectingBuildLog());

        Assert.False(optimizer.Request!.ConvertToFp16);
        Assert.Equal("FP16", TrtDoubleControl.Calls("srd_builder_config_set_flag").Single().GetProperty("args").GetProperty("flag").GetString());
    }

    [Fact]
    public void A_failed_validation_exits_1_and_publishes_nothing_nor_caches_the_engine()
    {
        var validator = new VerdictValidatorDouble(passed: false);
        var pipeline = new EngineBuildPipeline(EngineBuildSteps.Default with { Validator = validator });

        var e = Assert.Throws<DeployException>(() => pipeline.Run(Request(), new CollectingBuildLog()));

        Assert.Equal(FailureKind.CheckFailed, e.Kind);
        Assert.Contains("max abs error 0.5 > atol 1e-4", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_temp, "out")));
        Assert.False(Directory.Exists(Path.Combine(_temp, "cache")));
        Assert.Equal(RepoPaths.FixtureModel("plain_sr.onnx"), validator.Request!.ReferenceModelPath);
        Assert.Equal(3, validator.Request.Shapes.Count);
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void A_passed_validation_is_recorded_and_its_report_published_with_the_engine()
    {
        var validator = new VerdictValidatorDouble(passed: true);
        var pipeline = new EngineBuildPipeline(EngineBuildSteps.Default with { Validator = validator });

        var result = pipeline.Run(Request(), new CollectingBuildLog());

        Assert.NotNull(result.Validation);
        Assert.True(File.Exists(Path.Combine(_temp, "out", "plain_sr.validation", "report.json")));
        var record = (JsonObject)JsonNode.Parse(File.ReadAllText(result.RecordPath!))!;
        Assert.Equal("passed", (string?)record["validation"]!["status"]);
        Assert.Equal("3/3 shapes within tolerance", (string?)record["validation"]!["summary"]);
        // The validator gets the plan TensorRT built and the plugins it needs (none here).
        Assert.Equal(File.ReadAllBytes(result.EnginePath!), validator.Request!.Plan.ToArray());
        Assert.Empty(validator.Request.PluginLibraries);
    }
}
