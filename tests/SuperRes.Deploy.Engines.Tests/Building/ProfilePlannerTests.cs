using SuperRes.Deploy.Engines.Building;

namespace SuperRes.Deploy.Engines.Tests.Building;

/// <summary>Worked examples of the profile planner (the properties are in <see cref="ProfilePlannerPropertyTests"/>).</summary>
public sealed class ProfilePlannerTests
{
    private static readonly PlannerTarget P540 = new("540p", 960, 540);
    private static readonly PlannerTarget P720 = new("720p", 1280, 720);
    private static readonly PlannerTarget P1080 = new("1080p", 1920, 1080);
    private static readonly PlannerTarget P4K = new("4k", 3840, 2160);

    private static SyntheticSizeModel Synthetic(AxisSizeRule? rule = null, long bytesPerPixel = 1000, long elementsPerPixel = 48) =>
        new(rule ?? AxisSizeRule.Any, rule ?? AxisSizeRule.Any, bytesPerPixel, elementsPerPixel, rule?.PaddedMultiple ?? 1);

    [Fact]
    public void The_default_model_is_read_from_its_analysis()
    {
        var model = PlannerFixtures.SizeModel("ditn_real_x4");

        Assert.Equal("input", model.InputName);
        Assert.Equal(3, model.Channels);
        Assert.Null(model.FixedBatch);
        Assert.Equal(4, model.Scale);
        Assert.Equal(5, model.Height.Minimum);
        Assert.Equal(1, model.Height.Multiple);
        Assert.Equal(8, model.Height.PaddedMultiple);
        Assert.Equal(8, model.Width.PaddedMultiple);
    }

    [Fact]
    public void Default_model_config_plans_landscape_portrait_and_tile_profiles()
    {
        var request = new ProfilePlanRequest
        {
            Targets = [P540, P720, P1080, P4K],
            MaxTile = 1280,
            MaxProfiles = 3,
            ActivationMemoryBudget = 4L << 30,
        };

        var plan = ProfilePlanner.Plan(request, PlannerFixtures.SizeModel("ditn_real_x4"));

        Assert.Equal(3, plan.Profiles.Count);
        Assert.Equal(("1x3x540x960", "1x3x720x1280", "1x3x720x1280"), Corners(plan.Profiles[0]));
        Assert.Equal(("1x3x960x540", "1x3x1280x720", "1x3x1280x720"), Corners(plan.Profiles[1]));
        Assert.Equal(("1x3x1080x1080", "1x3x1280x1280", "1x3x1280x1280"), Corners(plan.Profiles[2]));
        Assert.Equal((1280L, 1280L), (plan.TileHeight!.Value, plan.TileWidth!.Value));
        Assert.All(plan.Targets.Where(t => t.Target is "540p" or "720p"), t => Assert.False(t.Tiled));
        Assert.All(plan.Targets.Where(t => t.Target is "1080p" or "4k"), t => Assert.True(t.Tiled));
        var portrait1080 = plan.Targets.Single(t => t.Label == "1080p portrait 1080x1920");
        Assert.Equal((1280L, 1080L), (portrait1080.EngineHeight, portrait1080.EngineWidth));
        Assert.Contains("exceeds max_tile 1280", portrait1080.Why);
        var explain = string.Join("\n", plan.Explain());
        Assert.Contains("bounded by max_tile 1280", explain);
        Assert.Contains("padded to a multiple of 8 inside the model", explain);
        Assert.Contains("opt 1x3x720x1280: 720p landscape 1280x720", explain);
        Assert.Contains("≤ budget 4 GiB", explain);
        Assert.Null(PlanInvariants.Broken(request, PlannerFixtures.SizeModel("ditn_real_x4"), plan));
    }

    [Fact]
    public void The_activation_budget_tiles_1080p_and_bounds_the_tile()
    {
        var model = PlannerFixtures.SizeModel("ditn_real_x4");
        var request = new ProfilePlanRequest { Targets = [P1080], ActivationMemoryBudget = 4L << 30 };

        var plan = ProfilePlanner.Plan(request, model);

        Assert.All(plan.Targets, t => Assert.True(t.Tiled));
        Assert.All(plan.Targets, t => Assert.Contains("exceeds the budget 4 GiB", t.Why));
        var tile = plan.TileHeight!.Value;
        Assert.Equal(tile, plan.TileWidth);
        Assert.True(model.CostAt(1, tile, tile).PeakActivationBytes <= 4L << 30);
        Assert.Equal(0, tile % 8);
        Assert.True(model.CostAt(1, tile + 8, tile + 8).PeakActivationBytes > 4L << 30, "the tile is the largest multiple of 8 (the model's padding) that fits");
        Assert.Contains(plan.Notes, n => n.Contains("bounded by the next larger tile", StringComparison.Ordinal) && n.Contains("exceeds the budget", StringComparison.Ordinal));
    }

    [Fact]
    public void The_element_limit_is_checked_on_every_tensor_so_a_x4_output_tiles_an_8K_frame()
    {
        // plain_sr: 3 convs and PixelShuffle(4); at 8192x8192 the 48-channel conv before the shuffle (and the output)
        // hold 3.2e9 elements, over 2^31, although the input holds 0.2e9.
        var model = PlannerFixtures.SizeModel("plain_sr");
        var request = new ProfilePlanRequest { Targets = [new PlannerTarget("8k", 8192, 8192)], MaxProfiles = 1 };

        var plan = ProfilePlanner.Plan(request, model);

        var target = Assert.Single(plan.Targets);
        Assert.True(target.Tiled);
        Assert.Contains("over TensorRT's 2,147,483,647", target.Why);
        var max = plan.Profiles[0].Max;
        Assert.True(model.CostAt(1, max.Height, max.Width).LargestTensorElements <= TensorRtLimits.MaxTensorElements);
        Assert.True(3L * 8192 * 8192 < TensorRtLimits.MaxTensorElements, "the input alone would pass: the limit binds inside the graph");
    }

    [Fact]
    public void A_multiple_of_rule_rounds_targets_up_and_says_the_runner_pads()
    {
        var plan = ProfilePlanner.Plan(new ProfilePlanRequest { Targets = [P1080], BothOrientations = false }, Synthetic(new AxisSizeRule(16, 0, 16)));

        var target = Assert.Single(plan.Targets);
        Assert.Equal((1088L, 1920L), (target.EngineHeight, target.EngineWidth));
        Assert.Contains("height 1080→1088", target.Why);
        Assert.Contains("the runner pads", target.Why);
        Assert.Equal(1088, plan.Profiles[0].Opt.Height);
    }

    [Fact]
    public void The_min_shape_is_never_below_the_model_minimum_nor_zero()
    {
        var plan = ProfilePlanner.Plan(new ProfilePlanRequest { Targets = [new PlannerTarget("tiny", 2, 3)] }, Synthetic(new AxisSizeRule(minimum: 5)));

        Assert.All(plan.Profiles, p => Assert.True(p.Min.Height >= 5 && p.Min.Width >= 5 && p.Min.Batch >= 1));
    }

    [Fact]
    public void Landscape_only_plans_no_portrait_shapes()
    {
        var plan = ProfilePlanner.Plan(new ProfilePlanRequest { Targets = [P540, P720], BothOrientations = false }, Synthetic());

        Assert.All(plan.Targets, t => Assert.Equal(TargetOrientation.Landscape, t.Orientation));
        Assert.All(plan.Profiles, p => Assert.True(p.Max.Width >= p.Max.Height));
    }

    [Fact]
    public void With_one_profile_a_joint_box_over_the_budget_demotes_the_largest_shapes_to_tiles()
    {
        // 1280x720 fits the budget in either orientation, but one profile over both would need max 1280x1280.
        var model = Synthetic();
        var request = new ProfilePlanRequest { Targets = [P720], MaxProfiles = 1, ActivationMemoryBudget = 1280L * 720 * 1000 };

        var plan = ProfilePlanner.Plan(request, model);

        var profile = Assert.Single(plan.Profiles);
        Assert.True(model.CostAt(1, profile.Max.Height, profile.Max.Width).PeakActivationBytes <= request.ActivationMemoryBudget);
        Assert.Contains(plan.Targets, t => t.Tiled && t.Why.Contains("max_profiles 1", StringComparison.Ordinal));
        Assert.Null(PlanInvariants.Broken(request, model, plan));
    }

    [Fact]
    public void A_model_fixed_at_64x64_serves_large_targets_by_tiles_and_small_ones_padded_up()
    {
        var fixed64 = new AxisSizeRule(@fixed: 64);
        var model = Synthetic(fixed64);
        var request = new ProfilePlanRequest { Targets = [P1080, new PlannerTarget("icon", 32, 32)] };

        var plan = ProfilePlanner.Plan(request, model);

        var profile = Assert.Single(plan.Profiles);
        Assert.Equal("1x3x64x64", profile.Min.ToString());
        Assert.Equal("1x3x64x64", profile.Max.ToString());
        Assert.All(plan.Targets.Where(t => t.Target == "1080p"), t => Assert.Contains("must be exactly 64", t.Why));
        Assert.False(plan.Targets.Single(t => t.Target == "icon").Tiled);
    }

    [Fact]
    public void Max_tile_below_the_model_minimum_is_refused_with_the_reason()
    {
        var e = Assert.Throws<DeployException>(() =>
            ProfilePlanner.Plan(new ProfilePlanRequest { Targets = [P1080], MaxTile = 8 }, Synthetic(new AxisSizeRule(16, 0, 16))));

        Assert.Equal(FailureKind.BadInput, e.Kind);
        Assert.Contains("max_tile 8 is below the smallest size the model accepts (16)", e.Message);
    }

    [Fact]
    public void A_budget_the_smallest_shape_breaks_is_refused_with_the_reason()
    {
        var e = Assert.Throws<DeployException>(() =>
            ProfilePlanner.Plan(new ProfilePlanRequest { Targets = [P540], ActivationMemoryBudget = 1000 }, Synthetic(new AxisSizeRule(minimum: 8))));

        Assert.Contains("no engine shape fits the limits", e.Message);
        Assert.Contains("exceeds the budget", e.Message);
    }

    [Fact]
    public void A_graph_pinned_to_32x32_is_planned_as_fixed_32x32_tiles_with_batch_1()
    {
        // lint_static_reshape declares [N,3,H,W] but its Reshape targets were baked at 1x3x32x32.
        var model = AnalysisProfileSizeModel.From(PlannerFixtures.Analysis("lint_static_reshape"));
        Assert.Equal((32L, 32L, 1L), (model.Height.Fixed!.Value, model.Width.Fixed!.Value, model.FixedBatch!.Value));

        var plan = ProfilePlanner.Plan(new ProfilePlanRequest { Targets = [P540], Batch = 4 }, model);

        var profile = Assert.Single(plan.Profiles);
        Assert.Equal(("1x3x32x32", "1x3x32x32", "1x3x32x32"), Corners(profile));
        Assert.Contains(plan.Notes, n => n.StartsWith("batch 1: the model declares it static or its graph pins it", StringComparison.Ordinal));
        Assert.All(plan.Targets, t => Assert.True(t.Tiled));
    }

    private static (string, string, string) Corners(PlannedProfile p) => (p.Min.ToString(), p.Opt.ToString(), p.Max.ToString());
}
