using System.Runtime.InteropServices;
using SuperRes.Deploy.Engines.Packaging;
using SuperRes.Deploy.Interop.TensorRT;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Packaging;

/// <summary>Synthetic plans: the header TensorRT reads (tensorrt.md §2.2) and nothing else.</summary>
internal static class SyntheticPlans
{
    public static byte[] Bytes(int major, int minor, int patch, int build, int length = 256)
    {
        var plan = new byte[length];
        BitConverter.GetBytes(TrtPlanHeader.Tag).CopyTo(plan, 0);
        BitConverter.GetBytes(0u).CopyTo(plan, 4);
        plan[24] = (byte)major;
        plan[25] = (byte)minor;
        plan[26] = (byte)patch;
        plan[27] = (byte)build;
        for (var i = 32; i < length; i++)
        {
            plan[i] = (byte)(i * 7);
        }

        return plan;
    }

    /// <summary>Writes PLAN and, when a compute capability is given, a build-engine style record PLAN.build.json.</summary>
    public static string Write(string directory, string name, int major, int minor, int patch, int build, string? computeCapability, string level = "none")
    {
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, Bytes(major, minor, patch, build));
        if (computeCapability is not null)
        {
            File.WriteAllText(path + ".build.json", $$"""
                {
                  "schema": "srdeploy.build-record/1",
                  "name": "plain_sr_x4",
                  "tensorrt": { "runtimeVersion": "{{major}}.{{minor}}.{{patch}}", "cudaRuntimeVersion": "12.6", "gpu": { "name": "Orin (nvgpu)", "computeCapability": "{{computeCapability}}" } },
                  "flags": { "hardwareCompatibilityLevel": "{{level}}" },
                  "plugins": [ { "name": "FusedAttention" } ]
                }
                """);
        }

        return path;
    }
}

public sealed class PlanFitTests
{
    private static BundlePlan Plan(string version, string? cc = "8.7", bool versionCompatible = false, string level = "none") => new()
    {
        File = "plans/x.plan",
        TensorRtVersion = version,
        BuiltFor = cc is null ? null : new BundlePlanTarget { ComputeCapability = cc, Gpu = "Orin", CudaVersion = "12.6" },
        VersionCompatible = versionCompatible,
        HardwareCompatibilityLevel = level,
    };

    private static TrtPlanHeader Header(int major, int minor) => new(major, minor, 0, 26);

    private static PlanFitEnvironment Machine(string? tensorRt, params (int Major, int Minor)[] gpus) =>
        new(tensorRt is null ? null : Version.Parse(tensorRt), tensorRt is null ? "TensorRT not installed (test)" : null,
            [.. gpus.Select((g, i) => new LocalGpu(i, g.Major, g.Minor))]);

    [Theory]
    [InlineData(10, 3, "10.3.0", false, true)]
    [InlineData(10, 3, "10.3.1", false, true)]
    [InlineData(10, 3, "10.4.0", false, false)]
    [InlineData(10, 3, "10.2.0", false, false)]
    [InlineData(10, 3, "11.1.0", false, false)]
    [InlineData(10, 3, "10.16.0", true, true)]
    [InlineData(10, 3, "11.1.0", true, true)]
    [InlineData(10, 3, "10.2.0", true, false)]
    [InlineData(11, 0, "11.1.0", true, true)]
    [InlineData(11, 1, "12.0.0", true, false)]
    public void TensorRT_version_rule(int major, int minor, string installed, bool versionCompatible, bool fits) =>
        Assert.Equal(fits, PlanFit.VersionFits(new Version(major, minor, 0, 26), Version.Parse(installed), versionCompatible));

    [Fact]
    public void A_plan_fits_the_machine_it_was_built_for()
    {
        var fit = PlanFit.Check(Plan("10.3.0.26"), Header(10, 3), Machine("10.3.0", (8, 7)));
        Assert.Equal(PlanFitVerdict.Fits, fit.Verdict);
        Assert.Empty(fit.Failures);
        Assert.Empty(fit.Warnings);
    }

    [Fact]
    public void Another_TensorRT_minor_version_does_not_fit_and_says_what_is_needed()
    {
        var fit = PlanFit.Check(Plan("10.3.0.26"), Header(10, 3), Machine("10.16.0", (8, 7)));
        Assert.Equal(PlanFitVerdict.DoesNotFit, fit.Verdict);
        Assert.Equal(["plans/x.plan: built with TensorRT 10.3.0.26, needs TensorRT 10.3.x; installed: 10.16.0"], fit.Failures);
    }

    [Fact]
    public void Another_compute_capability_does_not_fit()
    {
        var fit = PlanFit.Check(Plan("10.3.0.26"), Header(10, 3), Machine("10.3.0", (8, 6), (9, 0)));
        Assert.Equal(["plans/x.plan: built for compute capability 8.7; this machine has GPU 0 8.6, GPU 1 9.0"], fit.Failures);
    }

    [Fact]
    public void Ampere_plus_plans_fit_any_GPU_from_compute_capability_8_0()
    {
        Assert.Equal(PlanFitVerdict.Fits, PlanFit.Check(Plan("10.3.0.26", "8.6", level: "ampere+"), Header(10, 3), Machine("10.3.0", (8, 9))).Verdict);
        Assert.Equal(PlanFitVerdict.DoesNotFit, PlanFit.Check(Plan("10.3.0.26", "8.6", level: "ampere+"), Header(10, 3), Machine("10.3.0", (7, 5))).Verdict);
    }

    [Fact]
    public void Without_TensorRT_or_a_GPU_the_fit_cannot_be_checked_here_which_is_a_warning()
    {
        var noTrt = PlanFit.Check(Plan("10.3.0.26"), Header(10, 3), Machine(null));
        Assert.Equal(PlanFitVerdict.CannotCheck, noTrt.Verdict);
        Assert.Empty(noTrt.Failures);
        Assert.Contains("plans/x.plan: cannot check here: TensorRT not installed (test)", noTrt.Warnings);
        Assert.Contains("plans/x.plan: cannot check here: no CUDA GPU found (built for compute capability 8.7)", noTrt.Warnings);

        var noRecord = PlanFit.Check(Plan("10.3.0.26", cc: null), Header(10, 3), Machine("10.3.0", (8, 7)));
        Assert.Equal(PlanFitVerdict.CannotCheck, noRecord.Verdict);
        Assert.Equal(["plans/x.plan: cannot check the GPU: the compute capability it was built for is unknown (no build record)"], noRecord.Warnings);
    }

    [Theory]
    [InlineData("8.7", 8, 7)]
    [InlineData("sm_87", 8, 7)]
    [InlineData("90", 9, 0)]
    [InlineData("12.0", 12, 0)]
    public void Compute_capabilities_parse_in_the_usual_spellings(string text, int major, int minor)
    {
        Assert.True(PlanFit.TryParseComputeCapability(text, out var a, out var b));
        Assert.Equal((major, minor), (a, b));
    }
}

/// <summary>Plans shipped in a real bundle, checked against TensorRT versions simulated by the recording shim double.</summary>
[Collection(PackagingDoubleTests.Name)]
public sealed class ShippedPlanTests : IDisposable
{
    private readonly TempFolder _temp = new("srd-plans");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Package_records_each_plan_header_version_and_build_record_and_verify_checks_them()
    {
        var jetson = SyntheticPlans.Write(_temp.Path, "jetson.plan", 10, 3, 0, 26, "8.7");
        var bare = SyntheticPlans.Write(_temp.Path, "bare.plan", 10, 16, 0, 72, computeCapability: null);
        var result = TestBundles.PlainSr(_temp.Path, [jetson, bare]);
        var m = result.Manifest;
        Assert.Equal(BundleManifest.PlansShipped, m.Engine);
        var shipped = m.Plans.Single(p => p.File == "plans/jetson.plan");
        Assert.Equal("10.3.0.26", shipped.TensorRtVersion);
        Assert.Equal("8.7", shipped.BuiltFor?.ComputeCapability);
        Assert.Equal("Orin (nvgpu)", shipped.BuiltFor?.Gpu);
        Assert.Equal("12.6", shipped.BuiltFor?.CudaVersion);
        Assert.Equal("plans/jetson.plan.build.json", shipped.BuildRecord);
        var unknown = m.Plans.Single(p => p.File == "plans/bare.plan");
        Assert.Equal("10.16.0.72", unknown.TensorRtVersion);
        Assert.Null(unknown.BuiltFor);
        Assert.Null(unknown.BuildRecord);

        // The recording double simulates TensorRT 10.3 on a compute capability 8.7 GPU (Orin-like).
        PackagingTrtDouble.SetTensorRtVersion(100300, 26);
        var on103 = BundleVerifier.Verify(result.BundlePath, PlanFitEnvironment.Probe());
        Assert.Empty(on103.IntegrityProblems);
        Assert.Equal(PlanFitVerdict.Fits, on103.PlanFits.Single(f => f.File == "plans/jetson.plan").Verdict);
        Assert.Equal(["plans/bare.plan: built with TensorRT 10.16.0.72, needs TensorRT 10.16.x; installed: 10.3.0"], on103.PlanProblems);
        Assert.Contains("plans/bare.plan: cannot check the GPU: the compute capability it was built for is unknown (no build record)", on103.Warnings);

        PackagingTrtDouble.SetTensorRtVersion(101600, 72);
        var on1016 = BundleVerifier.Verify(result.BundlePath, PlanFitEnvironment.Probe());
        Assert.Equal(["plans/jetson.plan: built with TensorRT 10.3.0.26, needs TensorRT 10.3.x; installed: 10.16.0"], on1016.PlanProblems);
        Assert.False(on1016.Passed);

        // Integrity alone passes on any machine.
        Assert.True(BundleVerifier.Verify(result.BundlePath, environment: null).Passed);
    }

    [Fact]
    public void A_plan_header_that_disagrees_with_the_manifest_is_a_problem()
    {
        var plan = SyntheticPlans.Write(_temp.Path, "x.plan", 10, 3, 0, 26, "8.7");
        var result = TestBundles.PlainSr(_temp.Path, [plan]);
        var swapped = TestBundles.Rewrite(result.BundlePath, _temp.File("swapped.tar.gz"), entries => [.. entries.Select(e =>
            e.Name == "plans/x.plan" ? e with { Content = SyntheticPlans.Bytes(10, 4, 0, 1) } : e)]);
        var problems = BundleVerifier.Verify(swapped, environment: null).Problems;
        Assert.Contains(problems, p => p.StartsWith("plans/x.plan: sha256 mismatch", StringComparison.Ordinal));
        Assert.Contains("plans/x.plan: plan header says TensorRT 10.4.0.1, the manifest says 10.3.0.26", problems);
    }

    [Fact]
    public void A_file_without_a_plan_header_is_refused_by_package()
    {
        File.WriteAllText(_temp.File("fake.plan"), "this is not a plan at all, just text that is long enough");
        var error = Assert.Throws<DeployException>(() => TestBundles.PlainSr(_temp.Path, [_temp.File("fake.plan")]));
        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("is not a TensorRT plan", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp.File("plain_sr_x4.tar.gz")));
    }
}

[CollectionDefinition(Name)]
public sealed class PackagingDoubleTests : ICollectionFixture<PackagingTrtDouble>
{
    /// <summary>Tests that set the double's process-wide simulated version run one at a time.</summary>
    public const string Name = "Packaging: TensorRT shim double";
}

/// <summary>
/// Points the TensorRT wrapper at the recording double (tests/native/trt_double, built by the native build into
/// artifacts/native/test-lib) and reaches its test-only controls through function pointers.
/// </summary>
public sealed unsafe class PackagingTrtDouble
{
    private static readonly string DoublePath = Environment.GetEnvironmentVariable("SRDEPLOY_TEST_NATIVE_LIB_DIR") is { Length: > 0 } dir
        ? Path.Combine(dir, "libsrd_trt_test_double.so")
        : RepoPaths.Combine("artifacts", "native", "test-lib", "libsrd_trt_test_double.so");

    private static delegate* unmanaged<int, int, int> _setVersion;

    public PackagingTrtDouble()
    {
        if (!File.Exists(DoublePath))
        {
            throw new InvalidOperationException($"{DoublePath} is missing: build the native tests first (cmake --preset default && cmake --build --preset default, or scripts/setup)");
        }

        TrtShimLibrary.UseLibrary(DoublePath);
        TrtShimLibrary.EnsureLoaded();
        var handle = NativeLibrary.Load(DoublePath);
        _setVersion = (delegate* unmanaged<int, int, int>)NativeLibrary.GetExport(handle, "srd_double_set_tensorrt_version");
    }

    /// <summary>Simulated TensorRT version as major*10000 + minor*100 + patch.</summary>
    public static void SetTensorRtVersion(int version, int build) => Assert.Equal(0, _setVersion(version, build));
}
