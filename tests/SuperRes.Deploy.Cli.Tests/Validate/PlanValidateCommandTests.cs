using System.Text.Json;
using System.Xml.Linq;
using SuperRes.Deploy.Engines.Tests.TestSupport;

namespace SuperRes.Deploy.Tests.Validate;

/// <summary>`srdeploy validate --candidate ENGINE.plan` through the TensorRT shim's test double (engines compute input + 1).</summary>
[Collection(TrtDoubleBuildTests.Name)]
public sealed class PlanValidateCommandTests : IDisposable
{
    private readonly TempFolder _folder = new("srd-validate-plan");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_plan_validates_against_an_onnx_model_computing_the_same_at_every_profile_shape()
    {
        var plan = WritePlan();
        var reference = TestOnnxModels.Save(ValidationModels.AddOne(), _folder.Path, "add_one.onnx");

        var (code, stdout, stderr) = ValidateCommandTests.Run("validate", "--reference", reference, "--candidate", plan, "--report-dir", _folder.File("reports"), "--quiet");

        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("PASSED 3/3 checks (3 shapes × 1 output)", stdout, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllBytes(_folder.File("reports/validation.json")));
        Assert.Equal("tensorrt", json.RootElement.GetProperty("candidate").GetProperty("runner").GetProperty("backend").GetString());
        Assert.Equal(["engine profile 0 min", "engine profile 0 opt", "engine profile 0 max"],
            json.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("origin").GetString()));
    }

    [Fact]
    public void A_plan_against_a_different_model_fails_with_one_junit_failure_per_shape()
    {
        var plan = WritePlan();
        var reference = TestOnnxModels.Save(ValidationModels.Identity(), _folder.Path, "identity.onnx");

        var (code, stdout, _) = ValidateCommandTests.Run("validate", "--reference", reference, "--candidate", plan, "--report-dir", _folder.File("reports"), "--quiet");

        Assert.Equal(1, code);
        Assert.Contains("FAILED 3 of 3 checks", stdout, StringComparison.Ordinal);
        var junit = XDocument.Load(_folder.File("reports/validation.junit.xml"));
        Assert.Equal(3, junit.Descendants("testcase").Count());
        Assert.Equal(3, junit.Descendants("failure").Count());
    }

    [Fact]
    public void Custom_ops_are_refused_for_a_plan_candidate()
    {
        var plan = WritePlan();
        var reference = TestOnnxModels.Save(ValidationModels.AddOne(), _folder.Path, "add_one.onnx");

        var (code, _, stderr) = ValidateCommandTests.Run(
            "validate", "--reference", reference, "--candidate", plan, "--custom-ops", "lib.so", "--report-dir", _folder.File("reports"), "--quiet");

        Assert.Equal(2, code);
        Assert.Equal("srdeploy: error: --custom-ops applies to an ONNX candidate; a TensorRT plan takes --plugins", stderr.Trim());
        Assert.False(Directory.Exists(_folder.File("reports")));
    }

    private string WritePlan()
    {
        var path = _folder.File("engine.plan");
        File.WriteAllBytes(path, TrtTestDouble.BuildPlan(_folder.Path, ("1x3x8x8", "1x3x16x24", "1x3x32x32")));
        return path;
    }
}
