using System.Formats.Tar;
using System.Text;
using SuperRes.Deploy.Engines.Packaging;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Packaging;

public sealed class BundleVerifierTests(PlainSrBundleFixture bundle) : IClassFixture<PlainSrBundleFixture>, IDisposable
{
    private readonly TempFolder _temp = new("srd-verify");

    public void Dispose() => _temp.Dispose();

    private static BundleVerification Verify(string path) => BundleVerifier.Verify(path, environment: null);

    [Fact]
    public void A_fresh_bundle_verifies_with_no_problem()
    {
        var result = Verify(bundle.BundlePath);
        Assert.True(result.Passed, string.Join("\n", result.Problems));
        Assert.Empty(result.Warnings);
        Assert.Equal(bundle.Manifest.Files.Count + 1, result.FilesChecked);
    }

    [Fact]
    public void One_changed_byte_in_any_file_fails_verification_naming_that_file()
    {
        var names = TestBundles.ReadEntries(bundle.BundlePath).Select(e => e.Name).ToList();
        Assert.True(names.Count >= 12, $"the bundle has only {names.Count} files");
        foreach (var name in names)
        {
            foreach (var at in new[] { 0.0, 0.5, 1.0 })
            {
                var tampered = TestBundles.Rewrite(bundle.BundlePath, _temp.File("tampered.tar.gz"), entries => [.. entries.Select(e =>
                {
                    if (e.Name != name)
                    {
                        return e;
                    }

                    var content = (byte[])e.Content.Clone();
                    content[(int)Math.Min(content.Length - 1, at * content.Length)] ^= 0x01;
                    return e with { Content = content };
                })]);
                var result = Verify(tampered);
                Assert.False(result.Passed, $"flipping a bit of {name} at {at:P0} went unnoticed");
                Assert.Contains(result.Problems, p => p.StartsWith(name + ":", StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public void Each_missing_file_fails_verification_naming_it()
    {
        foreach (var file in bundle.Manifest.Files)
        {
            var missing = TestBundles.Rewrite(bundle.BundlePath, _temp.File("missing.tar.gz"), entries => [.. entries.Where(e => e.Name != file.Path)]);
            var result = Verify(missing);
            Assert.Contains($"{file.Path}: listed in the manifest but missing from the bundle", result.Problems);
        }
    }

    [Fact]
    public void A_missing_manifest_means_the_file_is_not_a_bundle()
    {
        var noManifest = TestBundles.Rewrite(bundle.BundlePath, _temp.File("no-manifest.tar.gz"), entries => [.. entries.Where(e => e.Name != BundleLayout.Manifest)]);
        var error = Assert.Throws<DeployException>(() => Verify(noManifest));
        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("is not a srdeploy bundle: it has no manifest.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_extra_file_is_reported()
    {
        var extra = TestBundles.Rewrite(bundle.BundlePath, _temp.File("extra.tar.gz"), entries => [.. entries, new TestBundles.Entry("scripts/extra.sh", "echo hi\n"u8.ToArray())]);
        var result = Verify(extra);
        Assert.Equal(["scripts/extra.sh: extra file, not listed in the manifest"], result.Problems);
    }

    [Theory]
    [InlineData("../evil.txt", "'..' leads outside the bundle")]
    [InlineData("model/../../evil.txt", "'..' leads outside the bundle")]
    [InlineData("/etc/evil.txt", "absolute path")]
    public void Entries_leading_outside_the_bundle_are_refused_and_never_extracted(string name, string reason)
    {
        var evil = TestBundles.Rewrite(bundle.BundlePath, _temp.File("evil.tar.gz"), entries => [.. entries, new TestBundles.Entry(name, "pwned"u8.ToArray())]);
        var result = Verify(evil);
        Assert.Contains($"{name}: entry refused: {reason}", result.Problems);
        var error = Assert.Throws<DeployException>(() => Bundle.Open(evil));
        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("is damaged", error.Message, StringComparison.Ordinal);

        // Extraction itself also refuses such a name even if asked for it explicitly.
        var target = Path.Combine(_temp.Path, "extract", "inner");
        var wanted = new Dictionary<string, BundleFile> { [BundlePath.Normalize(name)] = new() { Path = name, Size = 5, Sha256 = new string('0', 64) } };
        Assert.Throws<DeployException>(() => BundleArchive.Extract(evil, target, wanted));
        Assert.False(File.Exists(Path.Combine(_temp.Path, "extract", "evil.txt")));
        Assert.False(File.Exists(Path.Combine(_temp.Path, "evil.txt")));
    }

    [Fact]
    public void A_symbolic_link_entry_is_refused()
    {
        var link = TestBundles.Rewrite(bundle.BundlePath, _temp.File("link.tar.gz"),
            entries => [.. entries, new TestBundles.Entry("model/link.onnx", [], TarEntryType.SymbolicLink, "/etc/passwd")]);
        Assert.Contains("model/link.onnx: entry refused: a SymbolicLink entry (only regular files belong in a bundle)", Verify(link).Problems);
    }

    [Fact]
    public void A_bundle_retarred_with_dot_slash_names_and_directory_entries_still_verifies()
    {
        var retarred = TestBundles.Rewrite(bundle.BundlePath, _temp.File("dot.tar.gz"), entries =>
        [
            new TestBundles.Entry("./", [], TarEntryType.Directory),
            new TestBundles.Entry("./model/", [], TarEntryType.Directory),
            .. entries.Select(e => e with { Name = "./" + e.Name }),
        ]);
        var result = Verify(retarred);
        Assert.True(result.Passed, string.Join("\n", result.Problems));
    }

    [Fact]
    public void Files_that_are_not_gzipped_tars_are_bad_input()
    {
        File.WriteAllText(_temp.File("text.tar.gz"), "not a bundle");
        using (var gz = new System.IO.Compression.GZipStream(File.Create(_temp.File("notar.tar.gz")), System.IO.Compression.CompressionLevel.Fastest))
        {
            gz.Write(Encoding.ASCII.GetBytes(new string('x', 2000)));
        }

        var bytes = File.ReadAllBytes(bundle.BundlePath);
        File.WriteAllBytes(_temp.File("truncated.tar.gz"), bytes[..(bytes.Length / 2)]);
        foreach (var name in new[] { "text.tar.gz", "notar.tar.gz", "truncated.tar.gz", "absent.tar.gz" })
        {
            var error = Assert.Throws<DeployException>(() => Verify(_temp.File(name)));
            Assert.Equal(FailureKind.BadInput, error.Kind);
            Assert.DoesNotContain('\n', error.Message);
        }

        Assert.Throws<DeployException>(() => Verify(_temp.Path));
    }

    [Fact]
    public void Open_then_extract_gives_every_file_with_its_content_and_runnable_scripts()
    {
        var opened = Bundle.Open(bundle.BundlePath);
        Assert.Equal("plain_sr_x4", opened.Manifest.Model.Name);
        var extracted = opened.ExtractTo(Path.Combine(_temp.Path, "all"));
        foreach (var entry in TestBundles.ReadEntries(bundle.BundlePath))
        {
            Assert.Equal(entry.Content, File.ReadAllBytes(Path.Combine(extracted.Directory, entry.Name)));
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.True(File.GetUnixFileMode(extracted.PathOf(BundleLayout.Script)!).HasFlag(UnixFileMode.UserExecute));
        }

        var modelOnly = opened.ExtractModel(Path.Combine(_temp.Path, "model-only"));
        Assert.True(File.Exists(modelOnly.ModelPath));
        Assert.Null(modelOnly.PluginLibraryPath);
        Assert.Equal(
            [BundleLayout.Manifest, bundle.Manifest.Model.Onnx],
            Directory.EnumerateFiles(modelOnly.Directory, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(modelOnly.Directory, f)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Archive_entries_are_in_a_fixed_order_with_fixed_times_and_modes()
    {
        using var file = File.OpenRead(bundle.BundlePath);
        using var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        var entries = new List<TarEntry>();
        while (reader.GetNextEntry() is { } e)
        {
            entries.Add(e);
        }

        Assert.Equal(BundleLayout.Manifest, entries[0].Name);
        Assert.Equal(entries.Skip(1).Select(e => e.Name).Order(StringComparer.Ordinal), entries.Skip(1).Select(e => e.Name));
        Assert.All(entries, e => Assert.Equal(bundle.Manifest.CreatedUtc, e.ModificationTime));
        Assert.True(entries.Single(e => e.Name == BundleLayout.Script).Mode.HasFlag(UnixFileMode.OtherExecute));
        Assert.False(entries.Single(e => e.Name == bundle.Manifest.Model.Onnx).Mode.HasFlag(UnixFileMode.UserExecute));
    }
}
