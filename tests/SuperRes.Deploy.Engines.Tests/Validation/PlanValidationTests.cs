using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Engines.Validation;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Validation;

/// <summary>
/// Validation of a TensorRT plan against ONNX models, through the shim's test double (its engines compute input + 1):
/// against an ONNX model computing x + 1 it must pass with zero error at every profile shape; against the identity
/// it must fail with an error of exactly 1 everywhere.
/// </summary>
[Collection(TrtDoubleBuildTests.Name)]
public sealed class PlanValidationTests : IDisposable
{
    private readonly TempFolder _folder = new("srd-plan-validate");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_plan_computing_x_plus_one_matches_an_onnx_model_computing_x_plus_one_at_every_profile_shape()
    {
        var (plan, _) = Write();
        var reference = TestOnnxModels.Save(ValidationModels.AddOne(), _folder.Path, "add_one.onnx");

        var report = ModelValidator.Validate(new ValidationRequest { ReferencePath = reference, CandidatePath = plan });

        Assert.True(report.Passed, report.Summary);
        Assert.Equal("tensorrt-plan", report.Candidate.Format);
        Assert.Equal("built by TensorRT 10.16.0.72", report.Candidate.Detail);
        Assert.Equal("tensorrt", report.CandidateRunner.Backend);
        Assert.Contains("TEST DOUBLE", report.CandidateRunner.Detail, StringComparison.Ordinal);
        Assert.Equal(
            ["engine profile 0 min", "engine profile 0 opt", "engine profile 0 max", "engine profile 1 min", "engine profile 1 opt", "engine profile 1 max"],
            report.Cases.Select(c => c.Origin));
        Assert.Equal([0, 0, 0, 1, 1, 1], report.Cases.Select(c => c.CandidateProfile!.Value));
        Assert.All(report.Cases, c => Assert.Equal(0, Assert.Single(c.Outputs).Comparison!.AbsoluteError.Max));
    }

    [Fact]
    public void The_same_plan_against_the_identity_fails_everywhere_with_an_error_of_exactly_one()
    {
        var (plan, _) = Write();
        var reference = TestOnnxModels.Save(ValidationModels.Identity(), _folder.Path, "identity.onnx");

        var report = ModelValidator.Validate(new ValidationRequest { ReferencePath = reference, CandidatePath = plan });

        Assert.False(report.Passed);
        Assert.Equal(6, report.FailedCount);
        Assert.All(report.Cases.Select(c => Assert.Single(c.Outputs)), o =>
        {
            // (x + 1) − x in float32 is 1 up to one rounding of x + 1.
            Assert.InRange(o.Comparison!.AbsoluteError.Min, 1 - 1e-6, 1 + 1e-6);
            Assert.InRange(o.Comparison.AbsoluteError.Max, 1 - 1e-6, 1 + 1e-6);
            Assert.Equal(o.Comparison.ElementCount, o.Comparison.Check.FailingElements);
            Assert.Contains("worst at [0,", o.Summary, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Explicit_shapes_outside_the_engines_profiles_are_refused_with_the_profiles()
    {
        var (plan, _) = Write();
        var reference = TestOnnxModels.Save(ValidationModels.AddOne(), _folder.Path, "add_one.onnx");

        var error = Assert.Throws<DeployException>(() => ModelValidator.Validate(new ValidationRequest
        {
            ReferencePath = reference,
            CandidatePath = plan,
            Shapes = [SuperRes.Deploy.Engines.Configuration.ShapeSpec.ParseList("input:1x3x8x8")],
        }));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("lies outside every optimization profile of engine 'engine.plan (candidate)'", error.Message, StringComparison.Ordinal);
    }

    private (string Plan, byte[] Bytes) Write()
    {
        var bytes = TrtTestDouble.BuildPlan(_folder.Path, ("1x3x16x16", "1x3x24x40", "1x3x32x40"), ("1x3x32x32", "1x3x48x48", "2x3x64x48"));
        var path = _folder.File("engine.plan");
        File.WriteAllBytes(path, bytes);
        return (path, bytes);
    }
}
