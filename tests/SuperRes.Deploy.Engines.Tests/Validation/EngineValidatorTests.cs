using System.Text.Json;
using System.Text.Json.Nodes;
using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Engines.Validation;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Validation;

/// <summary>
/// build-engine's validate step on the validation engine, end to end through the pipeline and the TensorRT shim's
/// recording double (whose engines compute input + 1): the planned profiles' min/opt/max are validated, each with its
/// profile, and the four reports are published beside the engine; a model the engine does not reproduce fails the build.
/// </summary>
[Collection(TrtDoubleBuildTests.Name)]
public sealed class EngineValidatorTests : IDisposable
{
    private readonly TempFolder _folder = new("srd-engine-validator");

    public EngineValidatorTests() => TrtDoubleControl.Reset();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_built_engine_that_matches_its_model_passes_and_its_reports_are_published_with_it()
    {
        var model = TestOnnxModels.Save(ValidationModels.AddOne(), _folder.Path, "add_one.onnx");
        var pipeline = new EngineBuildPipeline(EngineBuildSteps.Default with { Validator = new EngineValidator() });

        var result = pipeline.Run(Request(model), new CollectingBuildLog());

        Assert.NotNull(result.Validation);
        Assert.True(result.Validation.Passed, result.Validation.Summary);
        var reports = Path.Combine(_folder.Path, "out", "add_one.validation");
        Assert.Equal(
            ["validation.html", "validation.json", "validation.junit.xml", "validation.md"],
            Directory.EnumerateFiles(reports).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(reports, "validation.json")));
        var root = json.RootElement;
        Assert.Equal("tensorrt-plan", root.GetProperty("candidate").GetProperty("model").GetProperty("format").GetString());
        Assert.Equal("add_one.plan", root.GetProperty("candidate").GetProperty("model").GetProperty("path").GetString());
        var cases = root.GetProperty("cases").EnumerateArray().ToList();
        Assert.Equal(result.Validation.Cases.Count, cases.Count);
        Assert.All(cases, c => Assert.Equal(JsonValueKind.Number, c.GetProperty("candidateProfile").ValueKind));
        Assert.All(result.Validation.Cases, c => Assert.Equal(0, c.MaxAbsError));
        var record = (JsonObject)JsonNode.Parse(File.ReadAllText(result.RecordPath!))!;
        Assert.Equal("passed", (string?)record["validation"]!["status"]);
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    [Fact]
    public void A_built_engine_that_does_not_match_its_model_fails_the_build_and_publishes_nothing()
    {
        var model = TestOnnxModels.Save(ValidationModels.Identity(), _folder.Path, "identity.onnx");
        var pipeline = new EngineBuildPipeline(EngineBuildSteps.Default with { Validator = new EngineValidator() });

        var error = Assert.Throws<DeployException>(() => pipeline.Run(Request(model, "identity"), new CollectingBuildLog()));

        Assert.Equal(FailureKind.CheckFailed, error.Kind);
        Assert.Contains("FAILED tolerance", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_folder.Path, "out")));
        TrtDoubleControl.AssertAllReleasedOnce();
    }

    private BuildEngineRequest Request(string model, string name = "add_one") => new()
    {
        Config = new DeployConfig
        {
            Name = name,
            ModelPath = model,
            Targets = new TargetSettings { Sizes = [(48, 32)], MaxProfiles = 1, BothOrientations = false },
        },
        OutputDirectory = Path.Combine(_folder.Path, "out"),
        CacheDirectory = Path.Combine(_folder.Path, "cache"),
    };
}
