using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Packaging;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Packaging;

/// <summary>Packaging through build-engine: its planner's profiles, and the engine it cached (built through the recording double).</summary>
[Collection(PackagingDoubleTests.Name)]
public sealed class BuildEngineIntegrationTests : IDisposable
{
    private readonly TempFolder _temp = new("srd-package-build");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Targets_become_the_planner_profiles_build_engine_would_build()
    {
        var config = DeployConfigLoader.Load(PlannedConfigs.PlainSr(_temp.Path));
        var result = PackageBuilder.Build(new PackageRequest { Config = config, OutputPath = _temp.File("planned.tar.gz"), EngineCacheDirectory = null });
        var dryRun = new EngineBuildPipeline(EngineBuildSteps.Default).Run(
            new BuildEngineRequest { Config = config, OutputDirectory = _temp.File("dry"), DryRun = true, UseCache = false },
            new CollectingBuildLog());
        var planned = PackagingSteps.ReadPlan(dryRun.Plan).Profiles;
        var manifest = result.Manifest;
        Assert.NotEmpty(manifest.Profiles);
        Assert.All(manifest.Profiles, p => Assert.Equal("planner", p.Source));
        Assert.Contains(manifest.Profiles, p => p.Covers.Count > 0);
        Assert.Equal(planned.Select(p => (p.Inputs[0].Min, p.Inputs[0].Opt, p.Inputs[0].Max)).Select(t => $"{string.Join('x', t.Min)}/{string.Join('x', t.Opt)}/{string.Join('x', t.Max)}"),
            manifest.Profiles.Select(p => $"{string.Join('x', p.Inputs[0].Min)}/{string.Join('x', p.Inputs[0].Opt)}/{string.Join('x', p.Inputs[0].Max)}"));
        Assert.All(manifest.Profiles, p => Assert.Contains(manifest.References.Cases, c => c.Name == $"profile{p.Index}_opt"
            && c.Inputs[0].Shape.SequenceEqual(p.Inputs[0].Opt)));
        Assert.True(BundleVerifier.Verify(result.BundlePath, environment: null).Passed);
        Assert.Empty(Directory.GetFileSystemEntries(_temp.Path, ".planned.tar.gz.*"));
    }

    [Fact]
    public void Without_plans_package_ships_the_engine_build_engine_cached_for_this_machine()
    {
        PackagingTrtDouble.SetTensorRtVersion(101600, 72);
        var config = DeployConfigLoader.Load(PackagingConfigs.PlainSr(_temp.Path));
        var cache = _temp.File("cache");
        var built = new EngineBuildPipeline(EngineBuildSteps.Default).Run(
            new BuildEngineRequest { Config = config, OutputDirectory = _temp.File("engine"), CacheDirectory = cache, Validate = false },
            new CollectingBuildLog());
        Assert.NotNull(built.EnginePath);

        var result = TestBundles.PlainSr(Directory.CreateDirectory(_temp.File("bundle")).FullName, engineCache: cache);
        var manifest = result.Manifest;
        Assert.Equal(BundleManifest.PlansShipped, manifest.Engine);
        var plan = Assert.Single(manifest.Plans);
        Assert.Equal("plans/plain_sr_x4.plan", plan.File);
        Assert.Equal("10.16.0.72", plan.TensorRtVersion);
        Assert.Equal("8.7", plan.BuiltFor?.ComputeCapability);
        Assert.Equal("plans/plain_sr_x4.plan.build.json", plan.BuildRecord);
        Assert.Contains(manifest.Notes, n => n.StartsWith("plan plain_sr_x4.plan comes from build-engine's engine cache", StringComparison.Ordinal));
        var shipped = TestBundles.ReadEntries(result.BundlePath).Single(e => e.Name == plan.File).Content;
        Assert.Equal(File.ReadAllBytes(built.EnginePath!), shipped);

        // It fits the machine it was built on (the double: TensorRT 10.16, compute capability 8.7) ...
        var here = BundleVerifier.Verify(result.BundlePath, PlanFitEnvironment.Probe());
        Assert.True(here.Passed, string.Join("\n", here.Problems));
        Assert.Equal(PlanFitVerdict.Fits, Assert.Single(here.PlanFits).Verdict);

        // ... and not a JetPack 6 device.
        PackagingTrtDouble.SetTensorRtVersion(100300, 26);
        Assert.Equal(["plans/plain_sr_x4.plan: built with TensorRT 10.16.0.72, needs TensorRT 10.16.x; installed: 10.3.0"],
            BundleVerifier.Verify(result.BundlePath, PlanFitEnvironment.Probe()).PlanProblems);
    }
}
