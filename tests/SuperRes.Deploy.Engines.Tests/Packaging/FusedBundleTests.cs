using SuperRes.Deploy.Engines.Packaging;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Packaging;

/// <summary>A real bundle of a model whose attention is fused into FusedAttention (ditn_small): it needs the plugin.</summary>
public sealed class DitnSmallBundleFixture : IDisposable
{
    public DitnSmallBundleFixture()
    {
        Directory = RepoPaths.NewTempDirectory("srd-bundle-fused");
        Result = TestBundles.DitnSmall(Directory);
    }

    public string Directory { get; }

    public PackageResult Result { get; }

    public string BundlePath => Result.BundlePath;

    public BundleManifest Manifest => Result.Manifest;

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

public sealed class FusedBundleTests(DitnSmallBundleFixture bundle) : IClassFixture<DitnSmallBundleFixture>, IDisposable
{
    private readonly TempFolder _temp = new("srd-fused");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_optimized_model_with_its_fused_attention_and_the_optimize_report_are_shipped()
    {
        var m = bundle.Manifest;
        Assert.True(m.Model.Optimization.Applied);
        Assert.Equal(4, m.Model.Optimization.FusedAttentionNodes);
        Assert.Contains("attention: 4 of 4 candidates fused into FusedAttention", m.Model.Optimization.Summary);
        Assert.Equal(["com.superres.deploy"], m.Model.CustomOpDomains);
        Assert.Equal("model/ditn_small_x4.optimize.json", m.Model.Optimization.Report);
        var entries = TestBundles.ReadEntries(bundle.BundlePath);
        var report = System.Text.Json.Nodes.JsonNode.Parse(entries.Single(e => e.Name == m.Model.Optimization.Report).Content)!;
        Assert.Equal("srdeploy.optimize/1", (string?)report["schema"]);
        using var model = Engines.Onnx.OnnxModel.Load(Bundle.Open(bundle.BundlePath).ExtractModel(_temp.Path).ModelPath);
        Assert.Equal(4, model.Proto.Graph.Node.Count(n => n.OpType == "FusedAttention" && n.Domain == "com.superres.deploy"));
    }

    [Fact]
    public void The_plugin_sources_and_their_hash_are_shipped_and_the_device_script_builds_and_loads_the_plugin()
    {
        var plugin = Assert.IsType<BundlePlugin>(bundle.Manifest.Plugin);
        Assert.Equal(("FusedAttention", "1", "", "libsrd_fused_attention_trt.so"), (plugin.Name, plugin.Version, plugin.Namespace, plugin.LibraryName));
        Assert.Null(plugin.Library);
        Assert.Contains(bundle.Manifest.Notes, n => n.StartsWith("no prebuilt plugin library", StringComparison.Ordinal));
        var sources = bundle.Manifest.Files.Where(f => f.Path.StartsWith("plugin/source/", StringComparison.Ordinal)).ToList();
        Assert.Equal(PluginSourceTree.Files().Select(f => "plugin/source/" + f.Path), sources.Select(f => f.Path));
        Assert.Equal(PluginSourceTree.Hash(sources.Select(f => (f.Path["plugin/source/".Length..], f.Sha256))), plugin.SourceSha256);

        var extracted = Bundle.Open(bundle.BundlePath).ExtractTo(Path.Combine(_temp.Path, "x"));
        if (TestProcess.Which("bash") is { } bash && TestProcess.Which("sha256sum") is not null)
        {
            var (code, stdout, _) = TestProcess.Run(bash, ["-c", "find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs sha256sum | sha256sum"],
                workingDirectory: Path.Combine(extracted.Directory, "plugin", "source"));
            Assert.Equal(0, code);
            Assert.Equal(plugin.SourceSha256, stdout.Split(' ')[0]);

            var dry = TestProcess.Run(extracted.PathOf(BundleLayout.Script)!, ["--dry-run", "--out", Path.Combine(_temp.Path, "out")],
                environment: new Dictionary<string, string?> { ["TRT_INCLUDE_DIR"] = "/opt/trt/include", ["CUDA_ARCHITECTURES"] = "87", ["TRTEXEC"] = "/opt/trt/bin/trtexec" });
            Assert.True(dry.Code == 0, dry.Stderr);
            var outDir = Path.Combine(_temp.Path, "out");
            Assert.Contains($"+ cmake -S {extracted.Directory}/plugin/source -B {outDir}/plugin-build -DCMAKE_BUILD_TYPE=Release -DTRT_INCLUDE_DIR=/opt/trt/include", dry.Stderr, StringComparison.Ordinal);
            Assert.Contains("-DCMAKE_CUDA_ARCHITECTURES=87", dry.Stderr, StringComparison.Ordinal);
            Assert.Contains("--memPoolSize=workspace:1024", dry.Stderr, StringComparison.Ordinal);
            Assert.Contains($"--dynamicPlugins={outDir}/libsrd_fused_attention_trt.so", dry.Stderr, StringComparison.Ordinal);
            Assert.Contains($"--plugin {outDir}/libsrd_fused_attention_trt.so", dry.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validation_ran_ORT_original_against_ORT_optimized_with_the_custom_op()
    {
        var v = bundle.Manifest.Validation;
        Assert.Equal(BundleValidation.Passed, v.Status);
        Assert.Equal(["input:1x3x16x16", "input:1x3x32x32", "input:1x3x48x48"], v.Cases.Select(c => c.Shape));
        Assert.Contains("libsrd_fused_attention_ort.so", v.Comparison, StringComparison.Ordinal);
        Assert.InRange(v.MaxAbsError!.Value, 0, 2e-4);
        Assert.InRange(v.MinPsnrDb!.Value, 45, BundleValidation.PsnrCap);
    }

    [Fact]
    public void A_prebuilt_plugin_library_is_shipped_with_its_machine()
    {
        // Any ELF shared library shows the mechanics: the ONNX Runtime custom-op library built next to the tests.
        var library = Path.Combine(AppContext.BaseDirectory, "libsrd_fused_attention_ort.so");
        var result = TestBundles.DitnSmall(_temp.Path, pluginLibrary: library);
        var plugin = result.Manifest.Plugin!;
        Assert.Equal("plugin/lib/libsrd_fused_attention_trt.so", plugin.Library);
        Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "aarch64" : "x86_64", plugin.LibraryMachine);
        Assert.Equal(File.ReadAllBytes(library), TestBundles.ReadEntries(result.BundlePath).Single(e => e.Name == plugin.Library).Content);
        Assert.True(BundleVerifier.Verify(result.BundlePath, environment: null).Passed);
        Assert.Equal(PackageBuilder.ElfMachine(library), plugin.LibraryMachine);

        File.WriteAllText(_temp.File("not-elf.so"), "text, not a shared library");
        var error = Assert.Throws<DeployException>(() => TestBundles.DitnSmall(Directory.CreateDirectory(_temp.File("bad")).FullName, pluginLibrary: _temp.File("not-elf.so")));
        Assert.Contains("is not an ELF shared library", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_changed_byte_in_any_file_of_a_plugin_bundle_fails_verification_naming_that_file()
    {
        var names = TestBundles.ReadEntries(bundle.BundlePath).Select(e => e.Name).ToList();
        Assert.True(names.Count >= 22, $"the bundle has only {names.Count} files");
        foreach (var name in names)
        {
            var tampered = TestBundles.Rewrite(bundle.BundlePath, _temp.File("tampered.tar.gz"), entries => [.. entries.Select(e =>
            {
                if (e.Name != name)
                {
                    return e;
                }

                var content = (byte[])e.Content.Clone();
                content[content.Length / 3] ^= 0x20;
                return e with { Content = content };
            })]);
            var result = BundleVerifier.Verify(tampered, environment: null);
            Assert.False(result.Passed, $"a changed byte in {name} went unnoticed");
            Assert.Contains(result.Problems, p => p.StartsWith(name + ":", StringComparison.Ordinal));
        }
    }
}
