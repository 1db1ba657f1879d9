using System.Text.Json;
using Onnx;
using SuperRes.Deploy.Tests;
using static SuperRes.Deploy.Tests.TestModelBuilder;

namespace SuperRes.Deploy.Cli.Tests.Inspect;

public sealed class InspectCommandTests : IDisposable
{
    private readonly string _temp = RepoPaths.NewTempDirectory("srd-inspect");

    public void Dispose() => Directory.Delete(_temp, recursive: true);

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
        Assert.Contains(mustContain, line);
        Assert.DoesNotContain("   at ", stderr);
    }

    public static TheoryData<string> Fixtures() =>
    [
        "ditn_small", "esrt_style", "plksr_style", "igconv_x2", "igconv_x3", "igconv_x4", "swin_style", "shvit_style", "plain_sr",
        "lint_static_reshape", "lint_scatternd", "lint_shape_contradiction", "lint_data_dependent", "attention_extra_consumer",
    ];

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Inspect_describes_every_fixture(string name)
    {
        var (code, stdout, stderr) = Run("inspect", RepoPaths.FixtureModel(name + ".onnx"));
        Assert.Equal(0, code);
        Assert.DoesNotContain("srdeploy: error", stderr);
        Assert.Contains("Input              input  float32 [N, 3, H, W]", stdout);
        Assert.Contains("Attention blocks:", stdout);
        Assert.Contains("Op histogram", stdout);
        Assert.Contains("Reshape+Transpose", stdout);
        Assert.DoesNotContain('\u001b', stdout);
    }

    [Fact]
    public void Inspect_of_the_default_model_reports_scale_padding_and_channel_attention()
    {
        var (code, stdout, _) = Run("inspect", RepoPaths.DefaultModel);
        Assert.Equal(0, code);
        Assert.Contains("Scale factor       x4", stdout);
        Assert.Contains("H is padded to a multiple of 8 inside the model", stdout);
        Assert.Contains("Attention blocks: 4", stdout);
        Assert.Contains("learnable 'UFONE.0.ITLs.0.attn.temperature'", stdout);
        Assert.Contains("| l2/l2    |", stdout);
        Assert.Contains("Lints: 0", stdout);
    }

    [Fact]
    public void Json_output_follows_schema_version_1()
    {
        var (code, stdout, _) = Run("inspect", RepoPaths.DefaultModel, "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal("srdeploy.inspect/1", root.GetProperty("schema").GetString());
        Assert.Equal(17, root.GetProperty("model").GetProperty("opsets")[0].GetProperty("version").GetInt32());
        Assert.Equal("[\"N\",3,\"H\",\"W\"]", root.GetProperty("inputs")[0].GetProperty("shape").Compact());
        Assert.Equal("[\"N\",3,\"4*H\",\"4*W\"]", root.GetProperty("outputs")[0].GetProperty("shape").Compact());
        Assert.Equal(444112, root.GetProperty("parameters").GetProperty("count").GetInt64());
        Assert.Equal(37, root.GetProperty("reshapeTranspose").GetProperty("total").GetInt32());
        Assert.Equal(4.0, root.GetProperty("scaleFactor").GetProperty("height").GetDouble());
        var rules = root.GetProperty("sizeConstraints").GetProperty("rules").EnumerateArray().ToList();
        Assert.Contains(rules, r => r.GetProperty("kind").GetString() == "padded-to-multiple" && r.GetProperty("value").GetInt64() == 8);
        var blocks = root.GetProperty("attention").GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal(4, blocks.Count);
        Assert.All(blocks, b =>
        {
            Assert.Equal(60, b.GetProperty("queryTokens").GetInt64());
            Assert.Equal(64, b.GetProperty("headDim").GetInt64());
            Assert.Equal("l2", b.GetProperty("queryNormalization").GetString());
            Assert.Equal("learned-parameter", b.GetProperty("scale")[0].GetProperty("kind").GetString());
            Assert.Equal(JsonValueKind.Null, b.GetProperty("boundShapes").ValueKind);
        });
        Assert.Equal(0, root.GetProperty("fusedAttention").GetProperty("count").GetInt32());
        Assert.Empty(root.GetProperty("lints").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("atShape").ValueKind);
    }

    [Fact]
    public void An_input_shape_adds_flops_memory_and_bound_shapes()
    {
        var (code, stdout, _) = Run("inspect", RepoPaths.DefaultModel, "--json", "--input-shape", "input:1x3x64x64");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var at = doc.RootElement.GetProperty("atShape");
        Assert.Equal("[1,3,256,256]", at.GetProperty("outputShapes").GetProperty("output").Compact());
        var flops = at.GetProperty("flops");
        Assert.True(flops.GetProperty("complete").GetBoolean());
        Assert.Equal(flops.GetProperty("total").GetInt64(), flops.GetProperty("byOpType").EnumerateArray().Sum(t => t.GetProperty("flops").GetInt64()));
        Assert.Equal(10, flops.GetProperty("topNodes").GetArrayLength());
        Assert.True(at.GetProperty("memory").GetProperty("peakActivationBytes").GetInt64() > 0);
        Assert.Equal("[64,60,60]", doc.RootElement.GetProperty("attention").GetProperty("blocks")[0].GetProperty("boundShapes").GetProperty("scores").Compact());
        Assert.Empty(at.GetProperty("violations").EnumerateArray());
    }

    [Fact]
    public void The_input_shape_may_come_before_the_model_and_without_a_name()
    {
        var (code, stdout, _) = Run("inspect", "--input-shape", "1x3x32x32", RepoPaths.FixtureModel("plain_sr.onnx"));
        Assert.Equal(0, code);
        Assert.Contains("At input shape input [1, 3, 32, 32]", stdout);
        Assert.Contains("output output [1, 3, 128, 128]", stdout);
        Assert.Contains("FLOPs:", stdout);
        Assert.Contains("Peak activation memory:", stdout);
    }

    [Fact]
    public void A_shape_that_breaks_the_models_constraints_prints_the_report_then_fails_the_check()
    {
        var (code, stdout, stderr) = Run("inspect", RepoPaths.FixtureModel("lint_shape_contradiction.onnx"), "--input-shape", "input:1x3x64x64");
        Assert.Equal(1, code);
        Assert.Contains("violates: H and 32 must broadcast", stdout);
        Assert.Contains("SRD009", stdout);
        AssertOneErrorLine(stderr, "violates");
    }

    [Fact]
    public void Fused_attention_nodes_are_listed_with_their_attributes()
    {
        var b = new TestModelBuilder().Opset("com.superres.deploy", 1).Input("q", "B", 64, 16).Input("k", "B", 64, 16).Input("v", "B", 64, 16)
            .DomainNode("com.superres.deploy", "FusedAttention", ["q", "k", "v"], ["o"], FloatAttr("scale", 0.25f), IntAttr("num_heads", 1))
            .Output("o", "B", 64, 16);
        var path = b.Save(_temp, "fused.onnx");
        var (code, stdout, _) = Run("inspect", path, "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var fused = doc.RootElement.GetProperty("fusedAttention");
        Assert.Equal(1, fused.GetProperty("count").GetInt32());
        var attributes = fused.GetProperty("nodes")[0].GetProperty("attributes");
        Assert.Equal("0.25", attributes.GetProperty("scale").GetString());
        Assert.Equal("1", attributes.GetProperty("num_heads").GetString());
        var (_, text, _) = Run("inspect", path);
        Assert.Contains("Fused attention nodes (com.superres.deploy:FusedAttention): 1", text);
        Assert.Contains("num_heads=1, scale=0.25", text);
    }

    // ---------------------------------------------------------------- bad input: one line, documented exit code

    [Fact]
    public void A_missing_model_file_is_bad_input()
    {
        var (code, stdout, stderr) = Run("inspect", Path.Combine(_temp, "nope.onnx"));
        Assert.Equal(3, code);
        Assert.Empty(stdout);
        AssertOneErrorLine(stderr, "not found");
    }

    [Fact]
    public void A_file_that_is_not_onnx_is_bad_input()
    {
        var path = Path.Combine(_temp, "text.onnx");
        File.WriteAllText(path, "this is not a protobuf model at all");
        var (code, _, stderr) = Run("inspect", path);
        Assert.Equal(3, code);
        AssertOneErrorLine(stderr, "text.onnx");
    }

    [Fact]
    public void A_graph_with_a_cycle_is_bad_input_naming_the_nodes()
    {
        var b = new TestModelBuilder().Input("x", 4).Output("y", 4);
        b.NamedNode("first", "Add", ["x", "back"], ["a"]);
        b.NamedNode("second", "Relu", ["a"], ["back"]);
        b.NamedNode("out", "Identity", ["a"], ["y"]);
        var (code, stdout, stderr) = Run("inspect", b.Save(_temp, "cycle.onnx"));
        Assert.Equal(3, code);
        Assert.Empty(stdout);
        AssertOneErrorLine(stderr, "cycle");
        Assert.Contains("'first'", stderr);
        Assert.Contains("'second'", stderr);
    }

    [Fact]
    public void A_dangling_input_is_bad_input_naming_the_node_and_value()
    {
        var b = new TestModelBuilder().Input("x", 4).Output("y", 4).NamedNode("adder", "Add", ["x", "ghost"], ["y"]);
        var (code, _, stderr) = Run("inspect", b.Save(_temp, "dangling.onnx"));
        Assert.Equal(3, code);
        AssertOneErrorLine(stderr, "node 'adder' (Add) reads 'ghost'");
    }

    [Fact]
    public void An_unknown_op_is_bad_input_naming_the_op_and_node()
    {
        var b = new TestModelBuilder().Input("x", 4).Output("y", 4).NamedNode("weird", "Frobnicate", ["x"], ["y"]);
        var (code, _, stderr) = Run("inspect", b.Save(_temp, "unknown.onnx"));
        Assert.Equal(3, code);
        AssertOneErrorLine(stderr, "node 'weird' uses unknown op 'Frobnicate'");
    }

    [Fact]
    public void A_name_produced_twice_is_bad_input()
    {
        var b = new TestModelBuilder().Input("x", 4).Output("y", 4).NamedNode("one", "Relu", ["x"], ["y"]).NamedNode("two", "Neg", ["x"], ["y"]);
        var (code, _, stderr) = Run("inspect", b.Save(_temp, "duplicate.onnx"));
        Assert.Equal(3, code);
        AssertOneErrorLine(stderr, "value 'y' is produced by node 'one' and by node 'two'");
    }

    [Theory]
    [InlineData("input:1x3x64", "rank 4")]
    [InlineData("input:2x4x64x64", "fixed size 3 on axis 1")]
    [InlineData("other:1x3x64x64", "'other' is not an input")]
    [InlineData("input:1x3x0x64", "dimension '0' is not a positive integer")]
    [InlineData("input:1x3xbigx64", "dimension 'big' is not a positive integer")]
    [InlineData("1x3xbig", "shape '1x3xbig': dimension 'big'")]
    [InlineData("input:", "must look like name:1x3x256x256")]
    [InlineData("input:1x3x32x32,input:1x3x32x32", "gives input 'input' twice")]
    public void A_malformed_or_mismatched_input_shape_is_a_usage_error(string shape, string message)
    {
        var (code, stdout, stderr) = Run("inspect", RepoPaths.FixtureModel("plain_sr.onnx"), "--input-shape", shape);
        Assert.Equal(2, code);
        Assert.Empty(stdout);
        AssertOneErrorLine(stderr, message);
    }

    [Fact]
    public void A_missing_model_argument_is_a_usage_error()
    {
        var (code, _, stderr) = Run("inspect", "--json");
        Assert.Equal(2, code);
        AssertOneErrorLine(stderr, "needs a MODEL");
    }

    [Fact]
    public void Verbose_adds_the_stack_trace_to_the_one_line_error()
    {
        var (code, _, stderr) = Run("inspect", Path.Combine(_temp, "nope.onnx"), "--verbose");
        Assert.Equal(3, code);
        Assert.Single(stderr.Split('\n'), l => l.StartsWith("srdeploy: error:", StringComparison.Ordinal));
        Assert.Contains("DeployException", stderr);
    }
}

internal static class JsonElementExtensions
{
    /// <summary>The element as compact JSON text (no indentation), for comparing small arrays.</summary>
    public static string Compact(this JsonElement element) => JsonSerializer.Serialize(element);
}
