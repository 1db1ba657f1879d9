using SuperRes.Deploy.Interop.TensorRT;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Interop.Tests.TensorRT;

public sealed class TrtShimLibraryTests
{
    [Fact]
    public void An_explicit_path_is_the_only_candidate()
    {
        var candidates = TrtShimLibrary.Candidates("/opt/a/libsrd_trt.so", "/opt/b/libsrd_trt.so", "/app");

        var only = Assert.Single(candidates);
        Assert.Equal(("UseLibrary", "/opt/a/libsrd_trt.so", true), (only.Source, only.Path, only.Exclusive));
    }

    [Fact]
    public void The_environment_variable_is_the_only_candidate_when_set()
    {
        var only = Assert.Single(TrtShimLibrary.Candidates(null, "/opt/b/libsrd_trt.so", "/app"));

        Assert.Equal((TrtShimLibrary.EnvironmentVariable, "/opt/b/libsrd_trt.so", true), (only.Source, only.Path, only.Exclusive));
    }

    [Fact]
    public void Without_a_choice_the_application_folder_comes_before_the_system_search()
    {
        var candidates = TrtShimLibrary.Candidates(null, null, "/app");

        Assert.Equal(["/app/libsrd_trt.so", "libsrd_trt.so"], candidates.Select(c => c.Path));
        Assert.All(candidates, c => Assert.False(c.Exclusive));
    }

    [Fact]
    public void A_missing_file_is_reported_as_such()
    {
        var loaded = TrtShimLibrary.TryLoad(new ShimCandidate("test", "/nonexistent/libsrd_trt.so", true), out _, out var outcome);

        Assert.False(loaded);
        Assert.Equal("no such file", outcome);
    }

    [Fact]
    public void A_library_without_the_shim_ABI_is_refused()
    {
        var loaded = TrtShimLibrary.TryLoad(new ShimCandidate("test", TrtDoubleNative.ProbePath, true), out _, out var outcome);

        Assert.False(loaded);
        Assert.Equal("not a TensorRT shim (no srd_abi_get_version export)", outcome);
    }

    [Fact]
    public void A_file_that_is_not_a_library_is_refused()
    {
        var folder = RepoPaths.NewTempDirectory("srd-trt-loader");
        try
        {
            var fake = Path.Combine(folder, "libsrd_trt.so");
            File.WriteAllText(fake, "not an ELF file");

            var loaded = TrtShimLibrary.TryLoad(new ShimCandidate("test", fake, true), out _, out var outcome);

            Assert.False(loaded);
            Assert.StartsWith("exists but could not be loaded", outcome, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

[Collection(TrtDoubleTests.Name)]
public sealed class TrtInfoTests
{
    public TrtInfoTests() => TrtDouble.Reset();

    [Fact]
    public void Probe_reports_the_loaded_shim_versions_devices_and_traces()
    {
        TrtDouble.SetTensorRtVersion(100300, 26);

        var probe = TrtInfo.Probe();

        Assert.True(probe.TensorRtUsable, probe.Problem);
        Assert.Equal(TrtDoubleNative.DoublePath, probe.ShimPath);
        Assert.Contains(probe.ShimTrace, line => line.EndsWith(": loaded", StringComparison.Ordinal));
        Assert.NotNull(probe.Library);
        Assert.True(probe.Library.IsTestDouble);
        Assert.Equal(new Version(10, 3, 0, 26), probe.Library.HeaderTensorRtVersion);
        Assert.Equal(new Version(10, 3, 0), probe.Library.RuntimeTensorRtVersion);
        Assert.Equal(new Version(12, 8), probe.Library.CudaRuntimeVersion);
        var device = Assert.Single(probe.Devices);
        Assert.Equal("sm_87", device.SmName);
        Assert.True(device.Integrated);
        Assert.StartsWith("libnvinfer (test double)", probe.NativeTrace, StringComparison.Ordinal);
    }

    [Fact]
    public void Switching_to_another_shim_after_loading_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => TrtShimLibrary.UseLibrary("/opt/other/libsrd_trt.so"));

        Assert.Contains("already loaded", error.Message, StringComparison.Ordinal);
    }
}
