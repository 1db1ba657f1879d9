using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Engines.Validation;
using SuperRes.Deploy.Engines.Validation.Reports;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Validation;

public sealed class MismatchValidationTests : IDisposable
{
    private readonly TempFolder _folder = new("srd-mismatch");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void An_output_of_another_shape_is_a_failed_check_without_statistics_not_a_crash()
    {
        var reference = TestOnnxModels.Save(ValidationModels.Identity(), _folder.Path, "identity.onnx");
        var candidate = TestOnnxModels.Save(ValidationModels.Upscale2(), _folder.Path, "upscale2.onnx");

        var report = ModelValidator.Validate(new ValidationRequest
        {
            ReferencePath = reference,
            CandidatePath = candidate,
            Shapes = [ShapeSpec.ParseList("input:1x3x8x12")],
        });

        var output = Assert.Single(Assert.Single(report.Cases).Outputs);
        Assert.False(report.Passed);
        Assert.Null(output.Comparison);
        Assert.Equal("FAILED shape: candidate [1,3,16,24] vs reference [1,3,8,12]", output.Summary);
        Assert.Contains("\"statistics\": null", System.Text.Encoding.UTF8.GetString(ValidationJson.Render(report)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_float16_candidate_gets_converted_inputs_and_its_output_type_is_reported_as_a_failed_dtype_condition()
    {
        var reference = TestOnnxModels.Save(ValidationModels.AddOne(), _folder.Path, "add_one.onnx");
        var candidate = TestOnnxModels.Save(ValidationModels.AddOneFloat16(), _folder.Path, "add_one_fp16.onnx");

        var report = ModelValidator.Validate(new ValidationRequest
        {
            ReferencePath = reference,
            CandidatePath = candidate,
            Shapes = [ShapeSpec.ParseList("input:1x3x16x16")],
            Criteria = new ValidationCriteria { Tolerance = new() { Absolute = 1e-2, Relative = 1e-2 } },
        });

        var output = Assert.Single(Assert.Single(report.Cases).Outputs);
        Assert.Equal(["present", "shape", "dtype", "finite", "tolerance"], output.Conditions.Select(c => c.Name));
        Assert.Equal(["dtype"], output.Conditions.Where(c => !c.Passed).Select(c => c.Name));
        Assert.Equal("candidate float16 vs reference float32", output.Conditions.Single(c => c.Name == "dtype").Detail);
        // float16 rounding of inputs in [0, 1) and outputs in [1, 2): at most 2^-11 + 2^-10.
        Assert.InRange(output.Comparison!.AbsoluteError.Max, 1e-5, 2e-3);
        Assert.True(output.Comparison.Check.Passed);
    }

    [Fact]
    public void A_missing_output_is_a_failed_check_naming_the_candidates_outputs()
    {
        var reference = TestOnnxModels.Save(ValidationModels.AddOne(), _folder.Path, "add_one.onnx");
        var renamed = ValidationModels.AddOne();
        renamed.Graph.Node[0].Output[0] = "y";
        renamed.Graph.Output[0].Name = "y";
        var candidate = TestOnnxModels.Save(renamed, _folder.Path, "renamed.onnx");

        var report = ModelValidator.Validate(new ValidationRequest
        {
            ReferencePath = reference,
            CandidatePath = candidate,
            Shapes = [ShapeSpec.ParseList("input:1x3x8x8")],
        });

        var c = Assert.Single(report.Cases);
        Assert.Equal("FAILED present: the candidate has no output 'output' (its outputs: y)", Assert.Single(c.Outputs).Summary);
        Assert.Equal(["y"], c.ExtraCandidateOutputs);
    }

    [Fact]
    public void The_default_report_folder_is_timestamped_and_never_reused()
    {
        var time = new DateTimeOffset(2026, 11, 21, 5, 6, 7, TimeSpan.Zero);
        var first = ValidationReportWriter.DefaultDirectory(_folder.Path, time);
        Directory.CreateDirectory(first);

        var second = ValidationReportWriter.DefaultDirectory(_folder.Path, time);

        Assert.Equal(Path.Combine(_folder.Path, "out", "validate", "20261121-050607"), first);
        Assert.Equal(first + "-2", second);
    }
}
