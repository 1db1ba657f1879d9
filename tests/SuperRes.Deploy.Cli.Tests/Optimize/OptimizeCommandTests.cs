using System.Text.Json;
using Google.Protobuf;
using SuperRes.Deploy.Tests;
using static SuperRes.Deploy.Tests.TestModelBuilder;

namespace SuperRes.Deploy.Cli.Tests.Optimize;

public sealed class OptimizeCommandTests : IDisposable
{
    private readonly string _temp = RepoPaths.NewTempDirectory("srd-optimize");

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string OneErrorLine(string stderr)
    {
        var errors = stderr.Split('\n').Where(l => l.StartsWith("srdeploy: error:", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain("   at ", stderr);
        return Assert.Single(errors);
    }

    [Fact]
    public void Optimize_writes_the_fused_model_and_a_versioned_report_and_inspect_lists_the_fused_nodes()
    {
        var output = Path.Combine(_temp, "ditn.onnx");
        var reportPath = Path.Combine(_temp, "report.json");

        var (code, stdout, stderr) = Run("optimize", RepoPaths.FixtureModel("ditn_small.onnx"), "-o", output, "--fuse-attention", "--fold-constants", "--report", reportPath);

        Assert.Equal(0, code);
        Assert.DoesNotContain("srdeploy: error", stderr);
        Assert.Contains("attention: 4 of 4 candidates fused", stdout);
        Assert.Contains("Reshape+Transpose 37 -> ", stdout);
        using var report = JsonDocument.Parse(File.ReadAllText(reportPath));
        var root = report.RootElement;
        Assert.Equal("srdeploy.optimize/1", root.GetProperty("schema").GetString());
        Assert.Equal(4, root.GetProperty("attention").GetProperty("fused").GetInt32());
        Assert.True(root.GetProperty("reshapeTransposeAfter").GetInt32() < root.GetProperty("reshapeTransposeBefore").GetInt32());
        Assert.Contains(root.GetProperty("passes").EnumerateArray(), p => p.GetProperty("name").GetString() == "attention-fusion"
            && p.GetProperty("addedByOp").GetProperty("com.superres.deploy:FusedAttention").GetInt32() == 4);

        var (inspectCode, inspectOut, _) = Run("inspect", output);
        Assert.Equal(0, inspectCode);
        Assert.Contains("Fused attention nodes (com.superres.deploy:FusedAttention): 4", inspectOut);
        Assert.Contains("normalize_qk=1", inspectOut);
        Assert.Contains("plugin_version=1", inspectOut);
    }

    [Fact]
    public void An_unsupported_opset_exits_3_with_one_line_and_writes_nothing()
    {
        var model = new TestModelBuilder(opset: 11).Input("input", 1, 4).Node("Relu", ["input"], ["output"]).Output("output").Save(_temp, "old.onnx");
        var output = Path.Combine(_temp, "out.onnx");

        var (code, _, stderr) = Run("optimize", model, "-o", output, "--fuse-attention");

        Assert.Equal(3, code);
        Assert.Contains("uses ai.onnx opset 11; optimize supports opsets 13 to 21", OneErrorLine(stderr));
        Assert.False(File.Exists(output));
        Assert.Equal([model], Directory.GetFiles(_temp));
    }

    [Fact]
    public void Without_a_pass_or_with_fp16_options_but_no_fp16_the_command_is_a_usage_error()
    {
        var output = Path.Combine(_temp, "out.onnx");

        var (code, _, stderr) = Run("optimize", RepoPaths.FixtureModel("plain_sr.onnx"), "-o", output);
        Assert.Equal(2, code);
        Assert.Contains("nothing to do", OneErrorLine(stderr));

        (code, _, stderr) = Run("optimize", RepoPaths.FixtureModel("plain_sr.onnx"), "-o", output, "--fuse-attention", "--keep-io-types");
        Assert.Equal(2, code);
        Assert.Contains("apply to --fp16 only", OneErrorLine(stderr));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void The_extra_consumer_fixture_stays_unfused_and_the_report_says_why()
    {
        var output = Path.Combine(_temp, "gate.onnx");
        var reportPath = Path.Combine(_temp, "gate.json");

        var (code, stdout, _) = Run("optimize", RepoPaths.FixtureModel("attention_extra_consumer.onnx"), "-o", output, "--fuse-attention", "--report", reportPath);

        Assert.Equal(0, code);
        Assert.Contains("attention: 0 of 1 candidates fused", stdout);
        using var report = JsonDocument.Parse(File.ReadAllText(reportPath));
        var block = Assert.Single(report.RootElement.GetProperty("attention").GetProperty("blocks").EnumerateArray());
        Assert.False(block.GetProperty("fused").GetBoolean());
        Assert.Contains("ReduceSum", block.GetProperty("reasons")[0].GetString());
    }

    [Fact]
    public void The_config_selects_the_passes_and_switches_add_fp16_with_an_explicit_attention_precision()
    {
        var output = Path.Combine(_temp, "default.onnx");
        var reportPath = Path.Combine(_temp, "default.json");

        var (code, stdout, stderr) = Run("optimize", "--config", RepoPaths.Combine("configs", "ditn_real_x4.yaml"), "-o", output,
            "--fp16", "--fp16-attention", "fp32", "--exclude-op-types", "DepthToSpace", "--report", reportPath);

        Assert.True(code == 0, stderr);
        Assert.Contains("attention: 4 of 4 candidates fused", stdout);
        Assert.Contains("FusedAttention fp32, I/O float32", stdout);
        using var report = JsonDocument.Parse(File.ReadAllText(reportPath));
        var precision = report.RootElement.GetProperty("precision");
        Assert.Contains(precision.GetProperty("fp32Nodes").EnumerateArray(), n => n.GetProperty("opType").GetString() == "DepthToSpace");
        Assert.True(report.RootElement.GetProperty("options").GetProperty("foldConstants").GetBoolean());
    }

    [Fact]
    public void An_input_shape_before_the_model_fixes_the_inputs()
    {
        var output = Path.Combine(_temp, "fixed.onnx");

        var (code, _, stderr) = Run("optimize", "--input-shape", "1x3x32x32", RepoPaths.FixtureModel("plain_sr.onnx"), "-o", output, "--fold-constants");

        Assert.True(code == 0, stderr);
        var model = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(output));
        Assert.Equal([1L, 3, 32, 32], model.Graph.Input[0].Type.TensorType.Shape.Dim.Select(d => d.DimValue));
    }
}
