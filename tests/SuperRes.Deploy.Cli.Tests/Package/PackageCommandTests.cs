using System.Diagnostics;
using System.Text.Json;
using SuperRes.Deploy.Engines.Packaging;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Cli.Tests.Package;

public sealed class PackageCommandTests : IDisposable
{
    private readonly TempFolder _temp = new("srd-package-cli");

    public void Dispose() => _temp.Dispose();

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static void AssertOneErrorLine(string stderr, string mustContain)
    {
        var errors = stderr.Split('\n').Where(l => l.StartsWith("srdeploy: error:", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(errors);
        Assert.Contains(mustContain, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    private string Package(string? extraConfig = null, params string[] more)
    {
        var config = PackagingConfigs.PlainSr(_temp.Path, extra: extraConfig ?? string.Empty);
        var bundle = _temp.File("plain.tar.gz");
        var (code, stdout, stderr) = Run(["package", "--no-cache", "--config", config, "-o", bundle, .. more]);
        Assert.True(code == 0, stdout + stderr);
        return bundle;
    }

    [Fact]
    public void Upscale_and_bench_take_the_bundle_as_their_model()
    {
        var bundle = Package();
        var image = RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "LRbicx4", "bird.png");

        var viaBundle = Run("upscale", image, "-o", _temp.File("bundle.png"), "--model", bundle, "--tile", "48", "--quiet");
        var viaOnnx = Run("upscale", image, "-o", _temp.File("onnx.png"), "--model", RepoPaths.FixtureModel("plain_sr.onnx"), "--tile", "48", "--quiet");
        var bench = Run("bench", "--model", bundle, "--shape", "input:1x3x32x32", "--warmup", "1", "--iterations", "3", "--duration", "0", "--json", _temp.File("bench.json"));

        Assert.True(viaBundle.Code == 0, viaBundle.Stderr);
        Assert.Equal(0, viaOnnx.Code);
        Assert.StartsWith($"wrote {_temp.File("bundle.png")} (", viaBundle.Stdout, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(_temp.File("onnx.png")), File.ReadAllBytes(_temp.File("bundle.png")));
        Assert.True(bench.Code == 0, bench.Stdout + bench.Stderr);
        Assert.Equal("srdeploy.bench/1", JsonDocument.Parse(File.ReadAllText(_temp.File("bench.json"))).RootElement.GetProperty("schema").GetString());
    }

    [Fact]
    public void Package_writes_a_bundle_that_package_verify_accepts()
    {
        var config = PackagingConfigs.PlainSr(_temp.Path);
        var bundle = Path.Combine(_temp.Path, "out", "plain.tar.gz");
        var (code, stdout, stderr) = Run("package", "--no-cache", "--config", config, "-o", bundle);
        Assert.True(code == 0, stderr);
        Assert.StartsWith($"wrote {bundle} (", stdout, StringComparison.Ordinal);
        Assert.Contains("  model       plain_sr_x4 x4: model/plain_sr_x4.optimized.onnx (as given, 0 FusedAttention nodes)", stdout, StringComparison.Ordinal);
        Assert.Contains("  precision   fp32, strongly_typed_fp32", stdout, StringComparison.Ordinal);
        Assert.Contains("  profiles    2 (input 1x3x8x8..1x3x48x48; input 1x3x16x16..1x3x64x64)", stdout, StringComparison.Ordinal);
        Assert.Contains("  references  3 case(s): profile0_opt, profile1_opt, profile0_small", stdout, StringComparison.Ordinal);
        Assert.Contains("  engine      build on device", stdout, StringComparison.Ordinal);
        Assert.Contains("  on device   tar -xzf plain.tar.gz && scripts/build_and_validate.sh", stdout, StringComparison.Ordinal);
        Assert.Equal(["plain.tar.gz"], Directory.GetFileSystemEntries(Path.GetDirectoryName(bundle)!).Select(Path.GetFileName));

        foreach (var verb in new[] { new[] { "package", "verify" }, ["package-verify"] })
        {
            var verify = Run([.. verb, bundle]);
            Assert.True(verify.Code == 0, verify.Stdout + verify.Stderr);
            Assert.Contains("ok    13 files match their sha256 and size in manifest.json; none missing, none extra", verify.Stdout, StringComparison.Ordinal);
            Assert.EndsWith("verification passed\n", verify.Stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        }

        var json = Run("package", "verify", bundle, "--json");
        Assert.Equal(0, json.Code);
        using var document = JsonDocument.Parse(json.Stdout);
        Assert.Equal("srdeploy.verify/1", document.RootElement.GetProperty("schema").GetString());
        Assert.True(document.RootElement.GetProperty("passed").GetBoolean());
        Assert.Equal("plain_sr_x4", document.RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public void Package_verify_fails_with_exit_1_and_one_line_per_problem()
    {
        var bundle = Package();
        var tampered = TestBundles.Rewrite(bundle, _temp.File("tampered.tar.gz"), entries =>
        [
            .. entries.Where(e => e.Name != "reference/profile0_small/input.input.npy").Select(e =>
                e.Name == "config/plain_sr_x4.yaml" ? e with { Content = [.. e.Content, (byte)'\n'] } : e),
            new TestBundles.Entry("../escape.txt", "x"u8.ToArray()),
        ]);
        var (code, stdout, _) = Run("package", "verify", tampered);
        Assert.Equal(1, code);
        var failures = stdout.Split('\n').Where(l => l.StartsWith("FAIL  ", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, failures.Count);
        Assert.Equal("FAIL  ../escape.txt: entry refused: '..' leads outside the bundle", failures[0]);
        Assert.Matches(@"^FAIL  config/plain_sr_x4\.yaml: size (\d+) bytes, the manifest says \d+$", failures[1]);
        Assert.Equal("FAIL  reference/profile0_small/input.input.npy: listed in the manifest but missing from the bundle", failures[2]);
        Assert.Contains("verification FAILED: 3 problem(s)", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("ok    ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Package_verify_of_an_unreadable_bundle_exits_3_with_one_error_line()
    {
        File.WriteAllText(_temp.File("text.tar.gz"), "not a bundle");
        var (code, _, stderr) = Run("package", "verify", _temp.File("text.tar.gz"));
        Assert.Equal(3, code);
        AssertOneErrorLine(stderr, "is not a readable gzip'd tar");

        var missing = Run("package", "verify", _temp.File("absent.tar.gz"));
        Assert.Equal(3, missing.Code);
        AssertOneErrorLine(missing.Stderr, "bundle not found");
    }

    [Fact]
    public void Package_verify_without_a_bundle_is_a_usage_error_and_help_names_the_verb()
    {
        Assert.Equal(2, Run("package", "verify").Code);
        var help = Run("package", "verify", "--help");
        Assert.Equal(0, help.Code);
        Assert.Contains("BUNDLE", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("integrity-only", help.Stdout, StringComparison.Ordinal);
        var verbs = Run("--help");
        Assert.Contains("package-verify", verbs.Stdout, StringComparison.Ordinal);
        Assert.Contains("package verify BUNDLE", verbs.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Skip_validation_is_recorded_in_the_manifest()
    {
        var bundle = Package(null, "--skip-validation");
        var manifest = Bundle.Open(bundle).Manifest;
        Assert.Equal(BundleValidation.Skipped, manifest.Validation.Status);
        Assert.Equal("skipped (--skip-validation)", manifest.Validation.Reason);
    }

    [Fact]
    public void A_shipped_plan_is_described_and_its_fit_is_a_warning_where_TensorRT_is_absent()
    {
        var plan = _temp.File("engine.plan");
        var bytes = new byte[64];
        BitConverter.GetBytes(SuperRes.Deploy.Interop.TensorRT.TrtPlanHeader.Tag).CopyTo(bytes, 0);
        bytes[24] = 10;
        bytes[25] = 3;
        bytes[27] = 26;
        File.WriteAllBytes(plan, bytes);
        var config = PackagingConfigs.PlainSr(_temp.Path);
        var bundle = _temp.File("with-plan.tar.gz");
        var (code, stdout, stderr) = Run("package", "--no-cache", "--config", config, "-o", bundle, "--plan", plan);
        Assert.True(code == 0, stderr);
        Assert.Contains("  engine      plans/engine.plan (TensorRT 10.3.0.26)", stdout, StringComparison.Ordinal);

        Assert.Equal(0, Run("package", "verify", bundle, "--integrity-only").Code);
        var verify = Run("package", "verify", bundle);
        var here = PlanFitEnvironment.Probe();
        if (here.TensorRt is null)
        {
            Assert.Equal(0, verify.Code);
            Assert.Contains("warn  plans/engine.plan: cannot check here: TensorRT not installed", verify.Stdout, StringComparison.Ordinal);
            Assert.Contains("verification passed (2 warning(s))", verify.Stdout, StringComparison.Ordinal);
        }
        else if (!PlanFit.VersionFits(new Version(10, 3, 0, 26), here.TensorRt, versionCompatible: false))
        {
            // This process has a TensorRT (e.g. the recording double another test loaded) of another version.
            Assert.Equal(1, verify.Code);
            Assert.Contains($"FAIL  plans/engine.plan: built with TensorRT 10.3.0.26, needs TensorRT 10.3.x; installed: {here.TensorRt}", verify.Stdout, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(0, verify.Code);
            Assert.Contains("warn  plans/engine.plan: cannot check the GPU: the compute capability it was built for is unknown (no build record)", verify.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_fused_model_is_packaged_with_the_plugin_sources_and_validated_with_the_custom_op()
    {
        var config = FusedConfigs.DitnSmall(_temp.Path);
        var bundle = _temp.File("fused.tar.gz");
        var (code, stdout, stderr) = Run("package", "--no-cache", "--config", config, "-o", bundle);
        Assert.True(code == 0, stderr);
        Assert.Contains("  model       ditn_small_x4 x4: model/ditn_small_x4.optimized.onnx (optimized, 4 FusedAttention nodes)", stdout, StringComparison.Ordinal);
        Assert.Matches(@"  plugin      FusedAttention v1: sources in plugin/source \(sha256 [0-9a-f]{12}…\)", stdout);
        Assert.Matches(@"  validation  passed \(max abs [0-9.e-]+, min PSNR [0-9.]+ dB\)", stdout);
        Assert.Contains("WRN no prebuilt plugin library", stderr, StringComparison.Ordinal);
        var verify = Run("package", "verify", bundle);
        Assert.Equal(0, verify.Code);
        Assert.Contains("ok    22 files match", verify.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_configs_and_outputs_are_reported_with_their_exit_codes()
    {
        File.WriteAllText(_temp.File("broken.yaml"), "schema: srdeploy.config/1\nname: [\n");
        Assert.Equal(3, Run("package", "--config", _temp.File("broken.yaml"), "-o", _temp.File("x.tar.gz")).Code);
        var (code, _, stderr) = Run("package", "--config", PackagingConfigs.PlainSr(_temp.Path), "-o", _temp.Path);
        Assert.Equal(2, code);
        AssertOneErrorLine(stderr, "is a directory; give the bundle's file name");
        Assert.Equal(2, Run("package", "--config", PackagingConfigs.PlainSr(_temp.Path)).Code);
    }

    /// <summary>The srdeploy.dll built beside this test assembly's configuration (artifacts/bin/SuperRes.Deploy.Cli/CONFIG).</summary>
    private static string CliDll()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Name;
        var dll = RepoPaths.Combine("artifacts", "bin", "SuperRes.Deploy.Cli", configuration, "srdeploy.dll");
        return File.Exists(dll) ? dll : Path.Combine(AppContext.BaseDirectory, "srdeploy.dll");
    }

    [Fact]
    public void A_package_run_killed_mid_write_leaves_nothing_at_the_destination_and_the_next_run_cleans_up()
    {
        var config = PackagingConfigs.PlainSr(_temp.Path);
        var outDir = Directory.CreateDirectory(_temp.File("killed")).FullName;
        var bundle = Path.Combine(outDir, "plain.tar.gz");
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { CliDll(), "package", "--no-cache", "--config", config, "-o", bundle })
        {
            info.ArgumentList.Add(arg);
        }

        // Test-only hook (BundleWriter.TestSlowWriteVariable): each archive entry takes 300 ms, so the kill lands mid-write.
        info.Environment[BundleWriter.TestSlowWriteVariable] = "300";
        using (var child = Process.Start(info)!)
        {
            _ = child.StandardOutput.ReadToEndAsync();
            _ = child.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (!Directory.EnumerateFiles(outDir, ".plain.tar.gz.*.tmp").Any())
            {
                Assert.False(child.HasExited, "the package run ended before it started writing the bundle");
                Assert.True(DateTime.UtcNow < deadline, "the package run did not start writing within 90 s");
                Thread.Sleep(20);
            }

            Thread.Sleep(700);
            Assert.False(child.HasExited, "the package run finished before it could be killed mid-write");
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
        }

        Assert.False(File.Exists(bundle), "a killed run left a bundle at the destination");
        var leftovers = Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName).ToList();
        Assert.Contains(leftovers, n => n!.EndsWith(".tmp", StringComparison.Ordinal));
        var partial = new FileInfo(Directory.EnumerateFiles(outDir, ".plain.tar.gz.*.tmp").Single()).Length;

        var (code, _, stderr) = Run("package", "--no-cache", "--config", config, "-o", bundle);
        Assert.True(code == 0, stderr);
        Assert.True(partial < new FileInfo(bundle).Length / 2, $"the temporary bundle ({partial} bytes) was nearly complete when killed");
        Assert.Equal(["plain.tar.gz"], Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName));
        Assert.Equal(0, Run("package", "verify", bundle).Code);
    }
}
