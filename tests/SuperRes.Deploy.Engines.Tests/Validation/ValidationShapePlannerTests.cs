using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Validation;

namespace SuperRes.Deploy.Engines.Tests.Validation;

public sealed class ValidationShapePlannerTests
{
    private static readonly TensorInfo[] ImageInput =
        [new("input", TensorElementType.Float32, [TensorDim.Symbolic("N"), TensorDim.Fixed(3), TensorDim.Symbolic("H"), TensorDim.Symbolic("W")])];

    private static readonly DeclaredShapeAdvisor Declared = new();

    [Fact]
    public void Without_shapes_the_model_is_validated_at_a_small_a_medium_and_a_non_square_size()
    {
        var cases = ValidationShapePlanner.Plan(ImageInput, null, null, null, Declared);

        Assert.Equal(["input:1x3x32x32", "input:1x3x64x64", "input:1x3x48x80"], cases.Select(c => c.Label));
        Assert.All(cases, c => Assert.StartsWith("default: ", c.Origin, StringComparison.Ordinal));
    }

    [Fact]
    public void An_engine_is_validated_at_the_min_opt_and_max_of_every_profile_each_run_with_its_profile()
    {
        OptimizationProfile[] profiles =
        [
            new(0, new Dictionary<string, ProfileRange> { ["input"] = new([1, 3, 16, 16], [1, 3, 64, 64], [1, 3, 128, 128]) }),
            new(1, new Dictionary<string, ProfileRange> { ["input"] = new([1, 3, 128, 128], [1, 3, 256, 480], [2, 3, 720, 1280]) }),
        ];

        var cases = ValidationShapePlanner.Plan(ImageInput, null, null, profiles, Declared);

        // 1x3x128x128 is profile 0's max and profile 1's min: both profiles are exercised at it.
        Assert.Equal(
            ["input:1x3x16x16", "input:1x3x64x64", "input:1x3x128x128", "input:1x3x128x128", "input:1x3x256x480", "input:2x3x720x1280"],
            cases.Select(c => c.Label));
        Assert.Equal([0, 0, 0, 1, 1, 1], cases.Select(c => c.Profile!.Value));
        Assert.Equal("engine profile 1 min", cases[3].Origin);
    }

    [Fact]
    public void The_same_shapes_from_two_sources_of_one_kind_are_validated_once()
    {
        var cases = ValidationShapePlanner.Plan(
            ImageInput, [ShapeSpec.ParseList("input:1x3x24x24"), ShapeSpec.ParseList("input:1x3x24x24")], null, null, Declared);

        Assert.Equal("--shape #1, --shape #2", Assert.Single(cases).Origin);
    }

    [Fact]
    public void Explicit_shapes_win_over_the_config_and_the_engine()
    {
        var config = Config(validationShapes: [[ShapeSpec.Parse("input:1x3x40x40")]]);
        OptimizationProfile[] profiles = [new(0, new Dictionary<string, ProfileRange> { ["input"] = new([1, 3, 8, 8], [1, 3, 8, 8], [1, 3, 8, 8]) })];

        var explicitCases = ValidationShapePlanner.Plan(ImageInput, [ShapeSpec.ParseList("input:1x3x24x24")], config, profiles, Declared);
        var configCases = ValidationShapePlanner.Plan(ImageInput, null, config, profiles, Declared);

        Assert.Equal("input:1x3x24x24", Assert.Single(explicitCases).Label);
        Assert.Equal("--shape", explicitCases[0].Origin);
        Assert.Equal("input:1x3x40x40", Assert.Single(configCases).Label);
        Assert.Equal("config validation.shapes[0]", configCases[0].Origin);
    }

    [Fact]
    public void A_config_with_profiles_is_validated_at_each_profile_min_opt_and_max()
    {
        var config = Config(profiles:
        [
            new ProfileSettings([ShapeSpec.Parse("input:1x3x16x16")], [ShapeSpec.Parse("input:1x3x32x32")], [ShapeSpec.Parse("input:1x3x48x64")]),
        ]);

        var cases = ValidationShapePlanner.Plan(ImageInput, null, config, null, Declared);

        Assert.Equal(["config profile 0 min", "config profile 0 opt", "config profile 0 max"], cases.Select(c => c.Origin));
    }

    [Theory]
    [InlineData("x:1x3x8x8", "names input 'x', which the model does not have")]
    [InlineData("input:1x3x8", "has rank 3; input 'input' is float32[N,3,H,W]")]
    [InlineData("input:1x4x8x8", "has 4 on axis 1; input 'input' is float32[N,3,H,W]")]
    public void A_shape_that_does_not_fit_the_model_is_a_bad_input_naming_it(string shape, string message)
    {
        var error = Assert.Throws<DeployException>(() => ValidationShapePlanner.Plan(ImageInput, [ShapeSpec.ParseList(shape)], null, null, Declared));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shape_breaking_a_derived_constraint_is_refused_before_anything_runs()
    {
        var error = Assert.Throws<DeployException>(() =>
            ValidationShapePlanner.Plan(ImageInput, [ShapeSpec.ParseList("input:1x3x30x30")], null, null, new MultipleOfEight()));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Equal("shape input:1x3x30x30 (--shape) violates the model's size constraints: H must be a multiple of 8 (got 30)", error.Message);
    }

    private static DeployConfig Config(IReadOnlyList<IReadOnlyList<ShapeSpec>>? validationShapes = null, IReadOnlyList<ProfileSettings>? profiles = null) => new()
    {
        Name = "test",
        ModelPath = "model.onnx",
        Profiles = profiles ?? [],
        Validation = new ValidationSettings { Shapes = validationShapes ?? [] },
    };

    /// <summary>An advisor that knows "H multiple of 8", as the symbolic analysis reports for window-partitioning models.</summary>
    private sealed class MultipleOfEight : IModelSizeAdvisor
    {
        public string Description => "H multiple of 8";

        public IReadOnlyList<ValidationShapeCase> DefaultCases(IReadOnlyList<TensorInfo> inputs) => [];

        public string? Violation(IReadOnlyDictionary<string, IReadOnlyList<long>> shapes) =>
            shapes["input"][2] % 8 == 0 ? null : $"H must be a multiple of 8 (got {shapes["input"][2]})";

        public int SpatialMultiple(string input) => 8;
    }
}

public sealed class AnalysisSizeAdvisorTests
{
    private static readonly TensorInfo[] ImageInput =
        [new("input", TensorElementType.Float32, [TensorDim.Symbolic("N"), TensorDim.Fixed(3), TensorDim.Symbolic("H"), TensorDim.Symbolic("W")])];

    [Fact]
    public void A_model_that_pads_internally_is_validated_at_the_three_default_sizes()
    {
        var advisor = ModelSizeAdvisors.ForModel(SuperRes.Deploy.Tests.RepoPaths.DefaultModel);

        var cases = ValidationShapePlanner.Plan(ImageInput, null, null, null, advisor);

        Assert.IsType<AnalysisSizeAdvisor>(advisor);
        Assert.Equal(["input:1x3x32x32", "input:1x3x64x64", "input:1x3x48x80"], cases.Select(c => c.Label));
        Assert.Contains("padded to a multiple of 8 inside the model", advisor.Description, StringComparison.Ordinal);
        Assert.Equal(1, advisor.SpatialMultiple("input"));
        Assert.Null(advisor.Violation(new Dictionary<string, IReadOnlyList<long>> { ["input"] = new long[] { 1, 3, 37, 53 } }));
    }

    [Fact]
    public void A_model_that_runs_at_one_size_only_is_validated_at_that_size_and_refuses_others()
    {
        var advisor = ModelSizeAdvisors.ForModel(SuperRes.Deploy.Tests.RepoPaths.FixtureModel("lint_static_reshape.onnx"));

        var cases = ValidationShapePlanner.Plan(ImageInput, null, null, null, advisor);
        var error = Assert.Throws<DeployException>(() =>
            ValidationShapePlanner.Plan(ImageInput, [ShapeSpec.ParseList("input:1x3x64x64")], null, null, advisor));

        var only = Assert.Single(cases);
        Assert.Equal("input:1x3x32x32", only.Label);
        Assert.Equal("default: small, medium, non-square", only.Origin);
        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.StartsWith("shape input:1x3x64x64 (--shape) violates the model's size constraints: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("H must be exactly 32", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_the_analysis_cannot_read_falls_back_to_its_declared_shapes()
    {
        using var folder = new SuperRes.Deploy.Tests.TempFolder("srd-advisor");
        var path = folder.File("not-a-model.onnx");
        File.WriteAllBytes(path, [1, 2, 3]);

        var advisor = ModelSizeAdvisors.ForModel(path);

        Assert.IsType<DeclaredShapeAdvisor>(advisor);
        Assert.StartsWith("declared input shapes only (size analysis failed: ", advisor.Description, StringComparison.Ordinal);
    }
}
