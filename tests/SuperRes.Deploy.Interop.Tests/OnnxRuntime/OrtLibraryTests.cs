using SuperRes.Deploy.Interop.OnnxRuntime;
using SuperRes.Deploy.Tests;
using Xunit.Abstractions;

namespace SuperRes.Deploy.Interop.Tests.OnnxRuntime;

public sealed class OrtLibraryTests(ITestOutputHelper output)
{
    [Fact]
    public void Loaded_runtime_reports_version_1_30_0_and_its_build_commit()
    {
        Assert.Equal("1.30.0", OrtLibrary.Version);

        var probe = OrtLibrary.Probe();

        Assert.True(probe.Found, probe.Summary);
        Assert.Equal("1.30.0", probe.Version);
        Assert.Contains("git-commit-id=f2c39fe2f", probe.BuildInfo, StringComparison.Ordinal);
        Assert.EndsWith("libonnxruntime.so.1", probe.LibraryPath, StringComparison.Ordinal);
        Assert.Contains("loaded ONNX Runtime 1.30.0", probe.Trace[^1], StringComparison.Ordinal);
        Assert.NotEqual(0, OrtLibrary.ApiBase);
    }

    [Fact]
    public void Probe_with_no_usable_candidate_lists_every_place_tried_with_its_reason()
    {
        var dir = RepoPaths.NewTempDirectory();
        try
        {
            var missing = Path.Combine(dir, "missing", "libonnxruntime.so.1");
            var notElf = Path.Combine(dir, "libonnxruntime.so.1");
            File.WriteAllText(notElf, "this is not a shared library");
            OrtLibraryCandidate[] candidates =
            [
                new(OrtLibrary.PathVariable, missing, IsFile: true),
                new("app folder", notElf, IsFile: true),
                new("system", "libc.so.6", IsFile: false),
                new("system", "libsrdeploy-no-such-runtime.so.1", IsFile: false),
            ];

            var probe = OrtLibrary.Probe(candidates);

            Assert.False(probe.Found);
            Assert.Equal(4, probe.Trace.Count);
            Assert.Equal($"{OrtLibrary.PathVariable} {missing}: no such file", probe.Trace[0]);
            Assert.StartsWith($"app folder {notElf}: ", probe.Trace[1], StringComparison.Ordinal);
            Assert.Equal("system libc.so.6: no OrtGetApiBase export (not ONNX Runtime)", probe.Trace[2]);
            Assert.StartsWith("system libsrdeploy-no-such-runtime.so.1: ", probe.Trace[3], StringComparison.Ordinal);
            Assert.Contains("cannot open shared object file", probe.Trace[3], StringComparison.Ordinal);

            var error = new OrtLibraryNotFoundException(probe.Trace);
            output.WriteLine(error.Message);
            Assert.DoesNotContain('\n', error.Message);
            foreach (var candidate in candidates)
            {
                Assert.Contains(candidate.Location, error.Message, StringComparison.Ordinal);
            }

            Assert.Contains(OrtLibrary.PathVariable, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Probe_falls_through_to_the_first_candidate_that_is_a_real_runtime()
    {
        var real = Path.Combine(AppContext.BaseDirectory, "libonnxruntime.so.1");
        OrtLibraryCandidate[] candidates =
        [
            new(OrtLibrary.PathVariable, Path.Combine(Path.GetTempPath(), "srd-no-such-dir", "libonnxruntime.so.1"), IsFile: true),
            new("app folder", real, IsFile: true),
        ];

        var probe = OrtLibrary.Probe(candidates);

        Assert.True(probe.Found, probe.Summary);
        Assert.Equal(real, probe.LibraryPath);
        Assert.Equal("1.30.0", probe.Version);
        Assert.Equal(2, probe.Trace.Count);
        Assert.EndsWith("no such file", probe.Trace[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Default_candidates_try_the_variable_first_then_the_app_folder_then_the_system()
    {
        var candidates = OrtLibrary.DefaultCandidates("/opt/ort/libonnxruntime.so.1", "/app");

        Assert.Equal(
            [
                $"{OrtLibrary.PathVariable} /opt/ort/libonnxruntime.so.1",
                "app folder /app/libonnxruntime.so.1",
                "app folder /app/libonnxruntime.so",
                "system libonnxruntime.so.1",
                "system libonnxruntime.so",
            ],
            candidates.Select(c => c.ToString()));
        Assert.Equal([true, true, true, false, false], candidates.Select(c => c.IsFile));
    }

    [Fact]
    public void Default_candidates_leave_out_an_unset_variable_and_make_a_relative_one_absolute()
    {
        Assert.DoesNotContain(OrtLibrary.DefaultCandidates(null, "/app"), c => c.Origin == OrtLibrary.PathVariable);
        Assert.DoesNotContain(OrtLibrary.DefaultCandidates("  ", "/app"), c => c.Origin == OrtLibrary.PathVariable);

        var relative = OrtLibrary.DefaultCandidates("lib/libonnxruntime.so.1", "/app")[0];
        Assert.Equal(Path.GetFullPath("lib/libonnxruntime.so.1"), relative.Location);
    }
}
