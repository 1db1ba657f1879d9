using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;
using Onnx;
using SuperRes.Deploy.Cli;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using DataType = Onnx.TensorProto.Types.DataType;

namespace SuperRes.Deploy.Tests.Validate;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly TempFolder _folder = new("srd-validate-cli");

    public void Dispose() => _folder.Dispose();

    private string Reports => _folder.File("reports");

    [Fact]
    public void A_model_against_itself_passes_with_exit_0_and_writes_the_four_reports()
    {
        var model = RepoPaths.FixtureModel("plain_sr.onnx");

        var (code, stdout, stderr) = Run("validate", "--reference", model, "--candidate", model, "--report-dir", Reports, "--quiet");

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, stderr);
        Assert.Contains("PASSED 3/3 checks (3 shapes × 1 output)", stdout, StringComparison.Ordinal);
        Assert.Contains("input:1x3x48x80  output  pass", stdout, StringComparison.Ordinal);
        Assert.Equal(["validation.html", "validation.json", "validation.junit.xml", "validation.md"], Files(Reports));
    }

    [Fact]
    public void A_perturbed_candidate_fails_with_exit_1_and_the_reports_say_where()
    {
        var reference = RepoPaths.FixtureModel("plain_sr.onnx");
        var candidate = _folder.File("perturbed.onnx");
        ValidationModels.SavePerturbed(reference, candidate, "body.4.weight", 5, 0.05f);

        var (code, stdout, _) = Run("validate", "--reference", reference, "--candidate", candidate, "--shape", "input:1x3x16x16", "--report-dir", Reports, "--quiet");

        Assert.Equal(1, code);
        Assert.Matches(@"FAIL output @ input:1x3x16x16: FAILED tolerance: FAILED elemwise: \d+ of 12288 elements exceed both atol=1e-05 rtol=1e-05 .*; worst at \[0,0,\d+,\d+\] \(N,C,H,W\)", stdout);
        var junit = XDocument.Load(Path.Combine(Reports, "validation.junit.xml"));
        Assert.Single(junit.Descendants("failure"));
    }

    [Fact]
    public void Per_output_tolerances_and_a_looser_check_statistic_turn_the_same_difference_into_a_pass()
    {
        var reference = RepoPaths.FixtureModel("plain_sr.onnx");
        var candidate = _folder.File("perturbed.onnx");
        ValidationModels.SavePerturbed(reference, candidate, "body.4.weight", 5, 0.05f);

        var (code, _, _) = Run(
            "validate", "--reference", reference, "--candidate", candidate, "--shape", "input:1x3x16x16", "--report-dir", Reports, "--quiet",
            "--atol", "1e-6", "output:0.05", "--check", "max", "--psnr-min", "40", "--cosine-min", "0.999");

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Reports, "validation.json")));
        var criteria = json.RootElement.GetProperty("criteria");
        Assert.Equal(1e-6, criteria.GetProperty("atol").GetDouble());
        Assert.Equal("max", criteria.GetProperty("check").GetString());
        Assert.Equal(0.05, criteria.GetProperty("perOutput").GetProperty("output").GetProperty("atol").GetDouble());
        var output = json.RootElement.GetProperty("cases")[0].GetProperty("outputs")[0];
        Assert.Equal(0.05, output.GetProperty("tolerance").GetProperty("atol").GetDouble());
        Assert.Equal(["present", "shape", "dtype", "finite", "tolerance", "psnr", "cosine"],
            output.GetProperty("conditions").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
    }

    [Fact]
    public void Nan_in_the_candidate_output_is_a_failed_check_with_the_nan_counts_not_a_crash()
    {
        var reference = TestOnnxModels.Save(ValidationModels.Sqrt(), _folder.Path, "sqrt.onnx");
        var candidate = TestOnnxModels.Save(ValidationModels.SqrtBelowZero(), _folder.Path, "sqrt_below_zero.onnx");

        var (code, stdout, stderr) = Run("validate", "--reference", reference, "--candidate", candidate, "--shape", "input:1x3x8x8", "--report-dir", Reports, "--quiet");

        Assert.Equal(1, code);
        Assert.Equal(string.Empty, stderr);
        Assert.Contains("FAILED finite, tolerance: candidate 192 NaN, 0 +inf, 0 -inf; reference 0 NaN, 0 +inf, 0 -inf", stdout, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Reports, "validation.json")));
        var statistics = json.RootElement.GetProperty("cases")[0].GetProperty("outputs")[0].GetProperty("statistics");
        Assert.Equal(192, statistics.GetProperty("nonFinite").GetProperty("candidate").GetProperty("nan").GetInt64());
        Assert.Equal("NaN", statistics.GetProperty("cosineSimilarity").GetString());
        Assert.Equal(192, statistics.GetProperty("absoluteError").GetProperty("nanCount").GetInt64());
        Assert.True(File.Exists(Path.Combine(Reports, "validation.html")));
    }

    [Fact]
    public void A_config_supplies_the_reference_tolerances_and_extra_conditions_and_images_can_be_fed()
    {
        var config = RepoPaths.Combine("configs", "ditn_real_x4.yaml");
        var images = RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "LRbicx4");

        var (code, stdout, _) = Run(
            "validate", "--config", config, "--candidate", RepoPaths.DefaultModel, "--shape", "input:1x3x24x16", "--inputs", images, "--report-dir", Reports, "--quiet");

        Assert.Equal(0, code);
        Assert.Contains("PASSED 1/1 checks", stdout, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Reports, "validation.json")));
        var root = json.RootElement;
        Assert.EndsWith("ditn_real_x4.onnx", root.GetProperty("reference").GetProperty("model").GetProperty("path").GetString(), StringComparison.Ordinal);
        var criteria = root.GetProperty("criteria");
        Assert.Equal(1e-3, criteria.GetProperty("atol").GetDouble());
        Assert.Equal(1e-3, criteria.GetProperty("rtol").GetDouble());
        Assert.Equal(45, criteria.GetProperty("psnrMin").GetDouble());
        Assert.Equal(0.9999, criteria.GetProperty("cosineMin").GetDouble());
        Assert.Equal("images", root.GetProperty("inputs").GetProperty("source").GetString());
        var input = root.GetProperty("cases")[0].GetProperty("inputs")[0];
        Assert.Equal("image", input.GetProperty("source").GetString());
        Assert.StartsWith("baby.png 126x126, bicubic x0.1905 (antialiased) to 24x24, centre crop 16x24 at (4,0)", input.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("padded to a multiple of 8 inside the model", root.GetProperty("sizeConstraints").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_candidate_with_the_projects_custom_op_finds_the_library_next_to_srdeploy()
    {
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "libsrd_fused_attention_ort.so")),
            "libsrd_fused_attention_ort.so is not next to the test assembly: build the native targets (cmake --preset default && cmake --build --preset default, or scripts/setup)");
        var reference = TestOnnxModels.Save(AttentionModels.Unfused(), _folder.Path, "attention.onnx");
        var candidate = TestOnnxModels.Save(AttentionModels.Fused(), _folder.Path, "attention_fused.onnx");

        var (code, stdout, stderr) = Run(
            "validate", "--reference", reference, "--candidate", candidate, "--shape", "input:1x2x32x16", "--atol", "1e-5", "--report-dir", Reports, "--quiet");

        Assert.True(code == 0, stdout + stderr);
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Reports, "validation.json")));
        Assert.Contains("custom ops ", json.RootElement.GetProperty("candidate").GetProperty("runner").GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("libsrd_fused_attention_ort.so", json.RootElement.GetProperty("candidate").GetProperty("runner").GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string[], int, string> BadInvocations() => new()
    {
        { "different input names", ["--reference", "{x}", "--candidate", "{add_one}"], 3, "have different inputs: reference x: float32[N,3,H,W]; candidate input: float32[N,3,H,W]" },
        { "different ranks", ["--reference", "{rank3}", "--candidate", "{add_one}"], 3, "input 'input' has rank 3 in reference 'rank3.onnx' (float32[N,3,L]) but rank 4 in candidate 'add_one.onnx'" },
        { "shape against the derived constraints", ["--reference", "{static}", "--candidate", "{static}", "--shape", "input:1x3x64x64"], 3, "shape input:1x3x64x64 (--shape) violates the model's size constraints: " },
        { "corrupt png", ["--reference", "{add_one}", "--candidate", "{add_one}", "--inputs", "{broken.png}"], 3, "broken.png" },
        { "missing candidate", ["--reference", "{add_one}", "--candidate", "{missing.onnx}"], 3, "model file not found: " },
        { "missing custom-op library", ["--reference", "{add_one}", "--candidate", "{add_one}", "--custom-ops", "{libnothing.so}"], 4, "custom-op library not found: " },
        { "plugins for an onnx candidate", ["--reference", "{add_one}", "--candidate", "{add_one}", "--plugins", "{libnothing.so}"], 2, "--plugins applies to a TensorRT plan candidate" },
        { "unknown check", ["--reference", "{add_one}", "--candidate", "{add_one}", "--check", "p200"], 2, "check 'p200' must be elemwise, max, mean, median or a percentile such as p99" },
        { "malformed tolerance", ["--reference", "{add_one}", "--candidate", "{add_one}", "--atol", "output:lots"], 2, "--atol 'output:lots' must be a non-negative number or OUTPUT:number" },
        { "malformed shape", ["--reference", "{add_one}", "--candidate", "{add_one}", "--shape", "input:1x3xbigx8"], 2, "dimension 'big' is not a positive integer" },
        { "no reference", ["--candidate", "{add_one}"], 2, "--reference is required (or --config, whose model is the reference)" },
        { "inputs that do not exist", ["--reference", "{add_one}", "--candidate", "{add_one}", "--inputs", "{nowhere}"], 3, "is neither 'random' nor an existing image file or folder" },
    };

    [Theory]
    [MemberData(nameof(BadInvocations))]
    public void Bad_input_is_one_error_line_with_its_exit_code_and_no_report(string what, string[] arguments, int exitCode, string message)
    {
        TestOnnxModels.Save(ValidationModels.AddOne("x"), _folder.Path, "x.onnx");
        TestOnnxModels.Save(ValidationModels.AddOne(), _folder.Path, "add_one.onnx");
        TestOnnxModels.Save(ValidationModels.Rank3(), _folder.Path, "rank3.onnx");
        var png = File.ReadAllBytes(RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "LRbicx4", "bird.png"));
        File.WriteAllBytes(_folder.File("broken.png"), png[..(png.Length / 3)]);
        var args = arguments.Select(a => a switch
        {
            "{static}" => RepoPaths.FixtureModel("lint_static_reshape.onnx"),
            ['{', .. var name, '}'] => _folder.File(name.EndsWith(".onnx", StringComparison.Ordinal) || name.Contains('.', StringComparison.Ordinal) ? name : $"{name}.onnx"),
            _ => a,
        }).ToList();
        args = [.. args.Select(a => a == _folder.File("nowhere.onnx") ? _folder.File("nowhere") : a)];

        var (code, stdout, stderr) = Run(["validate", .. args, "--report-dir", Reports, "--quiet"]);

        Assert.True(exitCode == code, $"{what}: exit {code}, stderr {stderr}");
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("srdeploy: error: ", line, StringComparison.Ordinal);
        Assert.Contains(message, line, StringComparison.Ordinal);
        Assert.Equal(string.Empty, stdout);
        Assert.False(Directory.Exists(Reports), $"{what}: a report folder was created");
    }

    [Fact]
    public async Task Missing_onnx_runtime_exits_4_listing_where_it_looked()
    {
        // ONNX Runtime is loaded in this process already: run the CLI in a child process from a copy of its folder
        // without libonnxruntime.so.1, with SRDEPLOY_ORT_LIBRARY naming a file that does not exist.
        var app = _folder.File("app");
        Directory.CreateDirectory(app);
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory).Where(f => !Path.GetFileName(f).StartsWith("libonnxruntime", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
        }

        var model = RepoPaths.FixtureModel("plain_sr.onnx");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(app, "srdeploy.dll"), "validate", "--reference", model, "--candidate", model, "--report-dir", Reports, "--quiet" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SRDEPLOY_ORT_LIBRARY"] = _folder.File("no-such-libonnxruntime.so");
        start.Environment["LD_LIBRARY_PATH"] = _folder.Path;
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stderrTask = process.StandardError.ReadToEndAsync(timeout.Token);
        var stdout = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = await stderrTask;
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(4, process.ExitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("srdeploy: error: ONNX Runtime", line, StringComparison.Ordinal);
        Assert.Contains("no-such-libonnxruntime.so", line, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(app, "libonnxruntime.so.1"), line, StringComparison.Ordinal);
        Assert.Equal(string.Empty, stdout);
        Assert.False(Directory.Exists(Reports));
    }

    private static string[] Files(string folder) =>
        [.. Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    internal static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>One attention block, written out (reference) and as the project's FusedAttention custom op (candidate).</summary>
    private static class AttentionModels
    {
        // Q = K = V = input [N, C, H, W] in layout BHND: batch dims N, C; H tokens of width d = W.
        public static ModelProto Unfused() => TestOnnxModels.Model(
            "attention",
            [
                TestOnnxModels.Node("Transpose", ["input"], ["kt"], new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 0, 1, 3, 2 } }),
                TestOnnxModels.Node("MatMul", ["input", "kt"], ["scores"]),
                TestOnnxModels.Node("Mul", ["scores", "scale"], ["scaled"]),
                TestOnnxModels.Node("Softmax", ["scaled"], ["weights"], TestOnnxModels.IntAttribute("axis", -1)),
                TestOnnxModels.Node("MatMul", ["weights", "input"], ["output"]),
            ],
            [Image("input")],
            [Image("output")],
            [TestOnnxModels.FloatInitializer("scale", [0.5f])]);

        public static ModelProto Fused()
        {
            var node = TestOnnxModels.Node("FusedAttention", ["input", "input", "input"], ["output"],
                new AttributeProto { Name = "scale", Type = AttributeProto.Types.AttributeType.Float, F = 0.5f },
                new AttributeProto { Name = "input_layout", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("BHND") });
            node.Domain = "com.superres.deploy";
            var model = TestOnnxModels.Model("attention_fused", [node], [Image("input")], [Image("output")]);
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.superres.deploy", Version = 1 });
            return model;
        }

        private static ValueInfoProto Image(string name) => TestOnnxModels.TensorValue(name, DataType.Float, "N", "C", "H", "W");
    }
}
