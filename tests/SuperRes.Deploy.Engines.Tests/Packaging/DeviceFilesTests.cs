using System.Globalization;
using System.Text.Json;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Packaging;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Validation.Metrics;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Packaging;

/// <summary>The on-device files as a real bundle ships them: shell script, Python validator, comparison module, CMake.</summary>
public sealed class DeviceFilesTests : IClassFixture<PlainSrBundleFixture>, IDisposable
{
    private readonly PlainSrBundleFixture _bundle;
    private readonly TempFolder _temp = new("srd-device");
    private readonly ExtractedBundle _extracted;

    public DeviceFilesTests(PlainSrBundleFixture bundle)
    {
        _bundle = bundle;
        _extracted = Bundle.Open(bundle.BundlePath).ExtractTo(Path.Combine(_temp.Path, "bundle"));
    }

    public void Dispose() => _temp.Dispose();

    private string Script => _extracted.PathOf(BundleLayout.Script)!;

    [SkippableFact]
    public void The_build_script_is_valid_bash()
    {
        var bash = TestProcess.Which("bash");
        Skip.If(bash is null, "bash is not installed");
        var (code, _, stderr) = TestProcess.Run(bash!, ["-n", Script]);
        Assert.True(code == 0, stderr);
    }

    [SkippableFact]
    public void The_build_script_passes_shellcheck()
    {
        var shellcheck = TestProcess.Which("shellcheck");
        Skip.If(shellcheck is null, "shellcheck is not installed (apt install shellcheck)");
        var (code, stdout, stderr) = TestProcess.Run(shellcheck!, ["--severity=style", Script]);
        Assert.True(code == 0, stdout + stderr);
    }

    [SkippableFact]
    public void The_python_files_compile_with_the_system_python()
    {
        Skip.If(!File.Exists("/usr/bin/python3"), "/usr/bin/python3 is not installed");
        var cache = Path.Combine(_temp.Path, "pycache");
        foreach (var file in new[] { BundleLayout.Validator, BundleLayout.CompareModule })
        {
            var (code, _, stderr) = TestProcess.Run("/usr/bin/python3", ["-m", "py_compile", _extracted.PathOf(file)!],
                environment: new Dictionary<string, string?> { ["PYTHONPYCACHEPREFIX"] = cache });
            Assert.True(code == 0, $"{file}: {stderr}");
        }
    }

    [SkippableFact]
    public void A_dry_run_prints_the_trtexec_command_with_every_profile_and_flag()
    {
        Skip.If(TestProcess.Which("bash") is null, "bash is not installed");
        var (code, _, stderr) = TestProcess.Run(Script, ["--dry-run", "--out", Path.Combine(_temp.Path, "out")],
            environment: new Dictionary<string, string?> { ["TRTEXEC"] = "/opt/trt/bin/trtexec" });
        Assert.True(code == 0, stderr);
        var trtexec = stderr.Split('\n').Single(l => l.StartsWith("+ /opt/trt/bin/trtexec ", StringComparison.Ordinal));
        var bundleDir = _extracted.Directory;
        var outDir = Path.Combine(_temp.Path, "out");
        Assert.Contains($"--onnx={bundleDir}/model/plain_sr_x4.optimized.onnx", trtexec, StringComparison.Ordinal);
        Assert.Contains($"--saveEngine={outDir}/plain_sr_x4.plan", trtexec, StringComparison.Ordinal);
        Assert.Contains($"--timingCacheFile={outDir}/plain_sr_x4.timing", trtexec, StringComparison.Ordinal);
        Assert.Contains("--profile=0 --minShapes=input:1x3x8x8 --optShapes=input:1x3x24x24 --maxShapes=input:1x3x48x48", trtexec, StringComparison.Ordinal);
        Assert.Contains("--profile=1 --minShapes=input:1x3x16x16 --optShapes=input:1x3x40x32 --maxShapes=input:1x3x64x64", trtexec, StringComparison.Ordinal);
        Assert.Contains("--stronglyTyped", trtexec, StringComparison.Ordinal);
        Assert.Contains("--builderOptimizationLevel=3", trtexec, StringComparison.Ordinal);
        Assert.Contains($"--profilingVerbosity=detailed --exportLayerInfo={outDir}/plain_sr_x4.layers.json --skipInference", trtexec, StringComparison.Ordinal);
        Assert.DoesNotContain("--dynamicPlugins", trtexec, StringComparison.Ordinal);
        Assert.Contains($"validate_plan.py --bundle {bundleDir} --plan {outDir}/plain_sr_x4.plan", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir), "a dry run must not create the output folder");
    }

    [SkippableFact]
    public void Without_trtexec_the_script_stops_with_exit_4_and_says_what_to_install()
    {
        Skip.If(TestProcess.PythonWithNumpy() is null || TestProcess.Which("bash") is null, "bash or /usr/bin/python3 with numpy is missing");
        var (code, _, stderr) = TestProcess.Run(Script, ["--out", Path.Combine(_temp.Path, "out")],
            environment: new Dictionary<string, string?> { ["TRTEXEC"] = null, ["PATH"] = "/usr/bin:/bin", ["PYTHON"] = "/usr/bin/python3" });
        Assert.Equal(4, code);
        Assert.Contains($"validate_plan.py --bundle {_extracted.Directory} --check-files", stderr, StringComparison.Ordinal);
        Assert.Contains("build_and_validate: trtexec is missing: JetPack: sudo apt install tensorrt", stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_validator_lists_the_reference_cases_without_TensorRT()
    {
        Skip.If(TestProcess.PythonWithNumpy() is null, "/usr/bin/python3 with numpy is missing");
        var (code, stdout, stderr) = TestProcess.Run("/usr/bin/python3", [_extracted.PathOf(BundleLayout.Validator)!, "--list"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("model plain_sr_x4 x4, 2 profile(s), 3 reference case(s)", stdout, StringComparison.Ordinal);
        Assert.Contains("tolerance: atol=0.0001 rtol=0.001 check=elemwise psnr_min=40 cosine_min=None", stdout, StringComparison.Ordinal);
        Assert.Contains("case profile0_opt: profile 0, inputs input float32[1, 3, 24, 24] -> outputs output float32[1, 3, 96, 96]", stdout, StringComparison.Ordinal);
        Assert.Contains("case profile1_opt: profile 1, inputs input float32[1, 3, 40, 32] -> outputs output float32[1, 3, 160, 128]", stdout, StringComparison.Ordinal);
        Assert.Contains("case profile0_small: profile 0, inputs input float32[1, 3, 8, 8] -> outputs output float32[1, 3, 32, 32]", stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_validator_checks_file_checksums_and_exits_3_on_a_changed_file()
    {
        Skip.If(TestProcess.PythonWithNumpy() is null, "/usr/bin/python3 with numpy is missing");
        var copy = Bundle.Open(_bundle.BundlePath).ExtractTo(Path.Combine(_temp.Path, "copy"));
        var validator = copy.PathOf(BundleLayout.Validator)!;
        Assert.Equal(0, TestProcess.Run("/usr/bin/python3", [validator, "--check-files"]).Code);
        var npy = copy.PathOf("reference/profile1_opt/output.output.npy")!;
        var bytes = File.ReadAllBytes(npy);
        bytes[^1] ^= 0x40;
        File.WriteAllBytes(npy, bytes);
        var (code, _, stderr) = TestProcess.Run("/usr/bin/python3", [validator, "--check-files"]);
        Assert.Equal(3, code);
        Assert.Contains("bundle damaged: reference/profile1_opt/output.output.npy: sha256 differs from the manifest", stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_validator_without_the_tensorrt_module_exits_4_naming_it()
    {
        Skip.If(TestProcess.PythonWithNumpy() is null, "/usr/bin/python3 with numpy is missing");
        var (probe, _, _) = TestProcess.Run("/usr/bin/python3", ["-c", "import tensorrt"]);
        Skip.If(probe == 0, "this machine has the tensorrt Python module");
        var (code, _, stderr) = TestProcess.Run("/usr/bin/python3", [_extracted.PathOf(BundleLayout.Validator)!, "--plan", Path.Combine(_temp.Path, "x.plan")]);
        Assert.Equal(4, code);
        Assert.Contains("validate_plan: the tensorrt Python module is not installed", stderr, StringComparison.Ordinal);
    }

    public static TheoryData<string, double, double, string> CompareCases() => new()
    {
        { "close", 1e-4, 1e-3, "elemwise" },
        { "noisy", 1e-4, 1e-3, "elemwise" },
        { "noisy", 1e-2, 1e-3, "elemwise" },
        { "noisy", 1e-4, 1e-3, "max" },
        { "noisy", 1e-3, 1e-9, "mean" },
        { "noisy", 1e-3, 1e-9, "median" },
        { "noisy", 2e-3, 1e-9, "p99" },
        { "zeros", 1e-6, 1e-6, "elemwise" },
        { "nan", 1e-4, 1e-3, "elemwise" },
        { "nan", 1e-4, 1e-3, "max" },
        { "identical", 0, 0, "elemwise" },
    };

    /// <summary>The device's numpy comparison and srdeploy's TensorComparer agree on verdicts and statistics.</summary>
    [SkippableTheory]
    [MemberData(nameof(CompareCases))]
    public void The_python_comparison_agrees_with_TensorComparer(string data, double atol, double rtol, string check)
    {
        Skip.If(TestProcess.PythonWithNumpy() is null, "/usr/bin/python3 with numpy is missing");
        var (candidate, reference) = Data(data);
        var shape = new long[] { 1, 3, 16, 20 };
        var actualPath = _temp.File($"{data}-actual.npy");
        var expectedPath = _temp.File($"{data}-expected.npy");
        Npy.Write(actualPath, Tensor.FromArray(candidate, shape));
        Npy.Write(expectedPath, Tensor.FromArray(reference, shape));
        var (code, stdout, stderr) = TestProcess.Run("/usr/bin/python3",
        [
            _extracted.PathOf(BundleLayout.CompareModule)!, "--compare", actualPath, expectedPath,
            "--atol", atol.ToString("R", CultureInfo.InvariantCulture), "--rtol", rtol.ToString("R", CultureInfo.InvariantCulture),
            "--check", check, "--psnr-peak", "1",
        ]);
        Assert.True(code is 0 or 1, stderr);
        using var json = JsonDocument.Parse(stdout);
        var python = json.RootElement;

        var (statistic, quantile) = check switch
        {
            "elemwise" => (ErrorStatistic.Elementwise, 0.99),
            "max" => (ErrorStatistic.Max, 0.99),
            "mean" => (ErrorStatistic.Mean, 0.99),
            "median" => (ErrorStatistic.Median, 0.99),
            _ => (ErrorStatistic.Quantile, 0.99),
        };
        var csharp = TensorComparer.Compare(candidate, reference, [1, 3, 16, 20], new ComparisonOptions
        {
            Tolerance = new Tolerance { Absolute = atol, Relative = rtol, Statistic = statistic, Quantile = quantile },
            PsnrPeak = 1,
            ComputeSsim = false,
        });
        Assert.Equal(csharp.Check.Passed, python.GetProperty("passed").GetBoolean());
        Assert.Equal(code == 0, csharp.Check.Passed);
        if (check == "elemwise")
        {
            Assert.Equal(csharp.Check.FailingElements, python.GetProperty("failing").GetInt64());
        }

        if (data != "nan")
        {
            Assert.Equal(csharp.AbsoluteError.Max, python.GetProperty("max_abs").GetDouble(), 12);
            Assert.Equal(csharp.RelativeError.Max, python.GetProperty("max_rel").GetDouble(), 6);
            var psnr = python.GetProperty("psnr_db");
            if (double.IsPositiveInfinity(csharp.Psnr))
            {
                Assert.Equal("inf", psnr.GetString());
            }
            else
            {
                Assert.Equal(csharp.Psnr, psnr.GetDouble(), 4);
            }

            Assert.Equal(csharp.CosineSimilarity, python.GetProperty("cosine").GetDouble(), 9);
        }
        else
        {
            Assert.Equal(csharp.AbsoluteError.NaNCount, python.GetProperty("nan_errors").GetInt64());
        }
    }

    [SkippableFact]
    public void The_python_comparison_fails_a_shape_mismatch_and_psnr_and_cosine_minimums()
    {
        var python = TestProcess.PythonWithNumpy();
        Skip.If(python is null, "/usr/bin/python3 with numpy is missing");
        var module = Path.GetDirectoryName(_extracted.PathOf(BundleLayout.CompareModule)!)!;
        var (code, stdout, stderr) = TestProcess.Run(python!, ["-c", """
            import numpy as np, srd_compare as c
            a = np.zeros((1, 3, 4, 4), np.float32)
            r = c.compare(a, np.zeros((1, 3, 4, 5), np.float32), 1e-5, 1e-5)
            print(r["passed"], r["reason"])
            e = np.full((1, 3, 4, 4), 0.5, np.float32)
            r = c.compare(e + 0.01, e, 1.0, 1.0, psnr_min=45, psnr_peak=1.0)
            print(r["passed"], r["reason"])
            r = c.compare(-e, e, 1.0, 1.0, cosine_min=0.9)
            print(r["passed"], r["reason"])
            """], workingDirectory: module, environment: new Dictionary<string, string?> { ["PYTHONDONTWRITEBYTECODE"] = "1" });
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("False shape [1, 3, 4, 4] differs from the reference's [1, 3, 4, 5]", lines[0]);
        Assert.Equal("False PSNR 40.00 dB is below psnr_min 45", lines[1]);
        Assert.Equal("False cosine similarity -1.000000 is below cosine_min 0.9", lines[2]);
    }

    [SkippableFact]
    public void The_plugin_source_hash_is_what_sha256sum_gives_over_the_sorted_tree()
    {
        var bash = TestProcess.Which("bash");
        Skip.If(bash is null || TestProcess.Which("sha256sum") is null, "bash or sha256sum is missing");
        var root = Path.Combine(_temp.Path, "plugin-source");
        var hashes = new List<(string, string)>();
        foreach (var (path, content) in PluginSourceTree.Files())
        {
            var target = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(target, content);
            hashes.Add((path, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))));
        }

        var (code, stdout, stderr) = TestProcess.Run(bash!, ["-c", "find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs sha256sum | sha256sum"], workingDirectory: root);
        Assert.True(code == 0, stderr);
        Assert.Equal(stdout.Split(' ')[0], PluginSourceTree.Hash(hashes));
        Assert.Equal(
            ["CMakeLists.txt", "README.md", "exports/trt_plugin.map", "fusedAttention.yaml", "fusedAttentionCommon.cpp", "fusedAttentionCommon.h",
             "fusedAttentionKernel.cu", "fusedAttentionKernel.h", "fusedAttentionPlugin.cpp", "fusedAttentionPlugin.h"],
            PluginSourceTree.Files().Select(f => f.Path));
        Assert.Equal(File.ReadAllBytes(RepoPaths.Combine("plugins", "fused_attention", "fusedAttentionPlugin.cpp")),
            PluginSourceTree.Files().Single(f => f.Path == "fusedAttentionPlugin.cpp").Content);
    }

    [SkippableFact]
    public void The_plugin_CMake_project_stops_with_a_clear_message_for_missing_TensorRT_headers_then_missing_CUDA()
    {
        var cmake = TestProcess.Which("cmake");
        Skip.If(cmake is null, "cmake is not installed");
        var source = Path.Combine(_temp.Path, "cmake-source");
        foreach (var (path, content) in PluginSourceTree.Files())
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(source, path))!);
            File.WriteAllBytes(Path.Combine(source, path), content);
        }

        var noHeaders = TestProcess.Run(cmake!, ["-S", source, "-B", Path.Combine(_temp.Path, "b1"), $"-DTRT_INCLUDE_DIR={Path.Combine(_temp.Path, "none")}"]);
        Assert.NotEqual(0, noHeaders.Code);
        Assert.Contains("NvInferRuntime.h not found in", noHeaders.Stderr, StringComparison.Ordinal);

        Skip.If(TestProcess.Which("nvcc") is not null || File.Exists("/usr/local/cuda/bin/nvcc"), "this machine has CUDA: the no-CUDA message cannot be provoked");
        var headers = Directory.CreateDirectory(Path.Combine(_temp.Path, "trt-include")).FullName;
        File.WriteAllText(Path.Combine(headers, "NvInferRuntime.h"), "// stand-in: only its presence is checked before CUDA\n");
        var noCuda = TestProcess.Run(cmake!, ["-S", source, "-B", Path.Combine(_temp.Path, "b2"), $"-DTRT_INCLUDE_DIR={headers}"]);
        Assert.NotEqual(0, noCuda.Code);
        Assert.Contains("no CUDA compiler (nvcc) found", noCuda.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Parse error", noCuda.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fp32", true, false, "--stronglyTyped", "--fp16")]
    [InlineData("fp16", true, false, "--fp16", "--stronglyTyped")]
    [InlineData("fp32", true, true, "--stronglyTyped", "--fp16")]
    [InlineData("fp32", false, false, null, "--stronglyTyped")]
    public void Trtexec_arguments_follow_the_typing_mode(string precision, bool stronglyTyped, bool fp16Onnx, string? present, string absent)
    {
        var config = new DeployConfig
        {
            Name = "m",
            ModelPath = "/x.onnx",
            Optimize = new OptimizeSettings { Fp16 = fp16Onnx },
            Build = new BuildSettings { Precision = precision, StronglyTyped = stronglyTyped, Workspace = (3L << 30) + 1, HardwareCompatibilityLevel = "ampere+" },
        };
        var typing = PackageBuilder.Precision(config);
        var build = new BundleBuild
        {
            WorkspaceBytes = config.Build.Workspace,
            BuilderOptimizationLevel = 5,
            HardwareCompatibilityLevel = "ampere+",
            ProfilingVerbosity = "detailed",
            SerializePlugins = false,
            TrtexecArguments = [],
        };
        var profile = new BundleProfile
        {
            Index = 0,
            Source = "config",
            Covers = [],
            Inputs = [new BundleProfileInput { Name = "in:0", Min = [1, 3, 8, 8], Opt = [1, 3, 16, 16], Max = [1, 3, 32, 32] }],
        };
        var args = DeviceFiles.TrtexecArguments("m", "model/m.onnx", [profile], typing, build);
        if (present is not null)
        {
            Assert.Contains(present, args);
        }

        Assert.DoesNotContain(absent, args);
        Assert.Contains("--memPoolSize=workspace:3073", args);
        Assert.Contains("--builderOptimizationLevel=5", args);
        Assert.Contains("--hardwareCompatibilityLevel=ampere+", args);
        Assert.Contains("--minShapes='in:0':1x3x8x8", args);
        Assert.Equal("\"--minShapes='in:0':1x3x8x8\"", DeviceFiles.BashWord("--minShapes='in:0':1x3x8x8"));
        Assert.Equal("\"--onnx=$bundle/model/m.onnx\"", DeviceFiles.BashWord(args[0]));
        Assert.Equal(fp16Onnx ? BundlePrecision.StronglyTypedFp16Onnx : precision == "fp16" ? BundlePrecision.LegacyFp16Flag
            : stronglyTyped ? BundlePrecision.StronglyTypedFp32 : BundlePrecision.WeaklyTypedFp32, typing.Typing);
    }

    private static (float[] Candidate, float[] Reference) Data(string kind)
    {
        var random = new Random(kind.Length * 31);
        var reference = new float[3 * 16 * 20];
        for (var i = 0; i < reference.Length; i++)
        {
            reference[i] = (float)random.NextDouble();
        }

        var candidate = (float[])reference.Clone();
        switch (kind)
        {
            case "close":
                for (var i = 0; i < candidate.Length; i++)
                {
                    candidate[i] += (float)((random.NextDouble() - 0.5) * 1e-5);
                }

                break;
            case "noisy":
                for (var i = 0; i < candidate.Length; i++)
                {
                    candidate[i] += (float)((random.NextDouble() - 0.5) * 4e-3);
                }

                break;
            case "zeros":
                Array.Clear(reference, 0, 100);
                Array.Copy(reference, candidate, reference.Length);
                candidate[5] = 1e-7f;
                break;
            case "nan":
                candidate[17] = float.NaN;
                candidate[40] += 1e-3f;
                break;
        }

        return (candidate, reference);
    }
}
