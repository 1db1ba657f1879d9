using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Engines.Validation;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Validation;

public sealed class RoundTripValidationTests
{
    public static TheoryData<string> Fixtures() => FixtureModels.Data();

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void A_fixture_and_its_round_tripped_copy_give_identical_outputs(string relativePath)
    {
        var source = FixtureModels.Resolve(relativePath);
        using var folder = new TempFolder("srd-validate");
        var copy = folder.File("copy.onnx");
        using (var model = OnnxModel.Load(source))
        {
            model.Save(copy);
        }

        // 32x32 is the one size every fixture runs at (two lint fixtures are valid at 32x32 only).
        var report = ModelValidator.Validate(new ValidationRequest
        {
            ReferencePath = source,
            CandidatePath = copy,
            Shapes = [ShapeSpec.ParseList("input:1x3x32x32")],
            Criteria = new ValidationCriteria { Tolerance = new() { Absolute = 0, Relative = 0 } },
            Previews = false,
        });

        Assert.True(report.Passed, report.Summary);
        var output = Assert.Single(Assert.Single(report.Cases).Outputs);
        Assert.NotNull(output.Comparison);
        Assert.Equal(0, output.Comparison.AbsoluteError.Max);
        Assert.Equal(output.Comparison.ElementCount, output.Comparison.AbsoluteErrorHistogram[0].Count);
    }

    [Fact]
    public void A_copy_with_one_weight_perturbed_fails_and_the_report_names_the_output_the_worst_position_and_the_error()
    {
        using var folder = new TempFolder("srd-validate");
        var reference = RepoPaths.FixtureModel("plain_sr.onnx");
        var perturbed = folder.File("perturbed.onnx");
        // Element 5 of the last conv's weight belongs to its output channel 0, which PixelShuffle(4) sends to colour
        // channel 0 at the sub-pixel (0, 0) of each 4x4 block: every changed element has C = 0, H and W multiples of 4.
        ValidationModels.SavePerturbed(reference, perturbed, "body.4.weight", element: 5, delta: 0.05f);

        var report = ModelValidator.Validate(new ValidationRequest
        {
            ReferencePath = reference,
            CandidatePath = perturbed,
            Shapes = [ShapeSpec.ParseList("input:1x3x24x40")],
        });

        Assert.False(report.Passed);
        var output = Assert.Single(Assert.Single(report.Cases).Outputs);
        Assert.Equal("output", output.Name);
        Assert.False(output.Passed);
        var comparison = output.Comparison!;
        var worst = comparison.Worst!;
        Assert.Equal([0, 0], worst.Coordinates.Take(2));
        Assert.Equal(0, worst.Coordinates[2] % 4);
        Assert.Equal(0, worst.Coordinates[3] % 4);
        Assert.True(worst.AbsoluteError > 1e-4, $"worst error {worst.AbsoluteError}");
        Assert.Equal(Math.Abs((double)worst.Candidate - worst.Reference), worst.AbsoluteError, 6);
        Assert.Equal(comparison.AbsoluteError.Max, worst.AbsoluteError);
        Assert.Contains("FAILED tolerance", output.Summary, StringComparison.Ordinal);
        Assert.Contains($"worst at [{string.Join(",", worst.Coordinates)}] (N,C,H,W)", output.Summary, StringComparison.Ordinal);
        Assert.Contains(FormattableString.Invariant($"abs {worst.AbsoluteError:g4}"), output.Summary, StringComparison.Ordinal);
        Assert.StartsWith("FAILED 1 of 1 checks", report.Summary, StringComparison.Ordinal);
        Assert.Contains("output @ input:1x3x24x40", report.Summary, StringComparison.Ordinal);
        // Only the elements fed by that weight change: a sixteenth of one colour plane at most.
        Assert.InRange(comparison.Check.FailingElements, 1, comparison.ElementCount / 48);
    }
}
