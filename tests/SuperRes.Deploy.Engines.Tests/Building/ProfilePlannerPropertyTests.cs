using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using SuperRes.Deploy.Engines.Building;

namespace SuperRes.Deploy.Engines.Tests.Building;

/// <summary>
/// Property tests of the profile planner (FsCheck): for random target lists, orientations, tile limits, budgets,
/// batch sizes and profile limits, over synthetic constraint sets and over the analyses of the committed models, every
/// plan keeps the contract in <see cref="PlanInvariants"/>, and a refusal is only ever for a reason that holds.
/// </summary>
public sealed class ProfilePlannerPropertyTests
{
    /// <summary>Random cases per property over synthetic models (cheap: a few microseconds per cost).</summary>
    public const int SyntheticCases = 400;

    /// <summary>Random cases per committed model (each cost is a symbolic evaluation of the real graph).</summary>
    public const int FixtureCases = 30;

    public sealed record PlannerCase(ProfilePlanRequest Request, IProfileSizeModel Model)
    {
        public override string ToString() =>
            $"model [{Model}] targets [{string.Join(", ", Request.Targets.Select(t => $"{t.Width}x{t.Height}"))}] both={Request.BothOrientations} "
            + $"max_tile={Request.MaxTile?.ToString(CultureInfo.InvariantCulture) ?? "-"} batch={Request.Batch} max_profiles={Request.MaxProfiles} "
            + $"budget={Request.ActivationMemoryBudget?.ToString(CultureInfo.InvariantCulture) ?? "-"} limit={Request.ElementLimit}";
    }

    private static readonly Gen<AxisSizeRule> AxisRules = Gen.Frequency(
        (3, from min in Gen.Choose(1, 64) select new AxisSizeRule(minimum: min)),
        (3, from m in Gen.Elements(2, 4, 8, 16, 32, 64) from k in Gen.Choose(1, 4) select new AxisSizeRule(m, 0, m * k)),
        (2, from m in Gen.Elements(2, 3, 4, 8) from r in Gen.Choose(0, m - 1) from min in Gen.Choose(1, 40) select new AxisSizeRule(m, r, min)),
        (2, from k in Gen.Elements(2, 8, 16, 64) from min in Gen.Choose(1, 10) select new AxisSizeRule(minimum: min, paddedMultiple: k)),
        (1, from f in Gen.Choose(16, 512) select new AxisSizeRule(@fixed: f)));

    private static readonly Gen<PlannerTarget> Targets =
        from w in Gen.Frequency((3, Gen.Choose(16, 2048)), (1, Gen.Choose(2048, 8192)))
        from h in Gen.Frequency((3, Gen.Choose(16, 2048)), (1, Gen.Choose(2048, 8192)))
        from named in Gen.Elements(false, true)
        select named ? new PlannerTarget(string.Create(CultureInfo.InvariantCulture, $"{w}x{h}"), w, h) : new PlannerTarget("t", w, h);

    private static Gen<ProfilePlanRequest> Requests(long bytesPerPixel) =>
        from count in Gen.Choose(1, 6)
        from targets in Targets.ArrayOf(count)
        from both in Gen.Frequency((3, Gen.Constant(true)), (1, Gen.Constant(false)))
        from maxTile in Gen.Frequency((1, Gen.Constant<int?>(null)), (2, Gen.Choose(32, 2048).Select(v => (int?)v)))
        from batch in Gen.Frequency((4, Gen.Constant(1)), (1, Gen.Choose(2, 4)))
        from maxProfiles in Gen.Choose(1, 5)
        from budgetSide in Gen.Frequency((1, Gen.Constant(0)), (3, Gen.Choose(48, 4096)))
        from limitScale in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(1, 1000)))
        select new ProfilePlanRequest
        {
            Targets = [.. targets],
            BothOrientations = both,
            MaxTile = maxTile,
            Batch = batch,
            MaxProfiles = maxProfiles,
            ActivationMemoryBudget = budgetSide == 0 ? null : (long)budgetSide * budgetSide * bytesPerPixel,
            // Usually TensorRT's limit; sometimes a small one, so that the element limit (not the budget) binds.
            ElementLimit = limitScale == 0 ? TensorRtLimits.MaxTensorElements : limitScale * 1_000_000L,
        };

    private static readonly Gen<PlannerCase> SyntheticCasesGen =
        from height in AxisRules
        from width in AxisRules
        from bpp in Gen.Choose(100, 20_000)
        from epp in Gen.Choose(3, 400)
        from fixedBatch in Gen.Frequency((5, Gen.Constant<long?>(null)), (1, Gen.Choose(1, 2).Select(b => (long?)b)))
        from request in Requests(bpp)
        select new PlannerCase(request, new SyntheticSizeModel(height, width, bpp, epp, height.PaddedMultiple ?? 1, fixedBatch));

    [Fact]
    public void Synthetic_models_every_plan_keeps_the_contract_or_the_refusal_is_justified()
    {
        var property = Prop.ForAll(SyntheticCasesGen.ToArbitrary(), (PlannerCase c) => CheckCase(c));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(SyntheticCases), property);
    }

    [Fact]
    public void Synthetic_models_planning_is_deterministic()
    {
        var property = Prop.ForAll(SyntheticCasesGen.ToArbitrary(), (PlannerCase c) =>
        {
            var first = TryPlan(c);
            var second = TryPlan(c);
            Assert.Equal(first, second);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(SyntheticCases / 2), property);
    }

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var name in PlannerFixtures.Plannable)
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Committed_models_every_plan_keeps_the_contract_with_their_real_analysis(string fixture)
    {
        var analysis = PlannerFixtures.Analysis(fixture);
        // A small cost sample at 64x64 scales the generated budgets to this model.
        var sample = AnalysisProfileSizeModel.From(analysis).CostAt(1, 64, 64);
        var bytesPerPixel = Math.Max(1, sample.PeakActivationBytes / (64 * 64));
        var gen = from request in Requests(bytesPerPixel)
                  select new PlannerCase(request, AnalysisProfileSizeModel.From(analysis));
        var property = Prop.ForAll(gen.ToArbitrary(), (PlannerCase c) => CheckCase(c));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(FixtureCases), property);
    }

    private static void CheckCase(PlannerCase c)
    {
        ProfilePlan plan;
        try
        {
            plan = ProfilePlanner.Plan(c.Request, c.Model);
        }
        catch (DeployException e)
        {
            Assert.True(Justified(c), $"refused without a reason that holds: {e.Message}");
            return;
        }

        var broken = PlanInvariants.Broken(c.Request, c.Model, plan);
        Assert.True(broken is null, broken);
        var explain = string.Join("\n", plan.Explain());
        foreach (var a in plan.Targets)
        {
            Assert.Contains(a.Label, explain, StringComparison.Ordinal);
        }
    }

    /// <summary>A refusal is justified when no engine shape can meet the limits: max_tile below the smallest size the
    /// model accepts, or the smallest square shape already breaking the element limit or the budget.</summary>
    private static bool Justified(PlannerCase c)
    {
        var m = c.Model;
        var smallest = Math.Max(m.Height.Smallest, m.Width.Smallest);
        if (c.Request.MaxTile is { } maxTile && maxTile < smallest)
        {
            return true;
        }

        var h = m.Height.RoundDown(smallest);
        var w = m.Width.RoundDown(smallest);
        var batch = m.FixedBatch ?? c.Request.Batch;
        return h is null || w is null || PlanInvariants.Breaks(c.Request, m.CostAt(batch, h.Value, w.Value));
    }

    private static string TryPlan(PlannerCase c)
    {
        try
        {
            return string.Join("\n", ProfilePlanner.Plan(c.Request, c.Model).Explain());
        }
        catch (DeployException e)
        {
            return "refused: " + e.Message;
        }
    }
}
