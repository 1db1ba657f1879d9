using Google.Protobuf;
using Onnx;
using SuperRes.Deploy.Cli;
using SuperRes.Deploy.Cli.Convert;
using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Tests.Convert;

public sealed class ConvertCommandTests
{
    [Fact]
    public void Convert_with_a_threshold_moves_large_initializers_to_the_external_data_file()
    {
        using var folder = new TempFolder();
        var model = OnnxTestModels.WriteFile(OnnxTestModels.ConvNet(blocks: 3, channels: 16), folder.Path);

        var (code, stdout, stderr) = Run("convert", model, "-o", folder.File("out.onnx"), "--external-data", "1K");

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, stderr);
        Assert.Matches(@"^wrote .*out\.onnx \(\d+ bytes\) and out\.onnx\.data \(\d+ bytes, 3 external tensors\)$", stdout.Trim());
        using var source = OnnxModel.Load(model);
        using var converted = OnnxModel.Load(folder.File("out.onnx"));
        Assert.All(converted.Proto.Graph.Initializer, t => Assert.Equal(TensorData.ByteSize(t) >= 1024, TensorData.IsExternal(t)));
        Assert.Equal(source.Proto.ToByteArray(), converted.ToBytesWithInlineData());
    }

    [Fact]
    public void Convert_with_inline_brings_external_data_back_into_one_file()
    {
        using var folder = new TempFolder();
        var proto = OnnxTestModels.ConvNet(blocks: 2, channels: 8);
        var model = OnnxTestModels.WriteFile(proto, folder.Path);
        Assert.Equal(0, Run("convert", model, "-o", folder.File("ext.onnx"), "--external-data", "64", "--external-data-file", "weights.bin").Code);
        Assert.True(File.Exists(folder.File("weights.bin")));

        var (code, stdout, _) = Run("convert", folder.File("ext.onnx"), "-o", folder.File("inline.onnx"), "--inline");

        Assert.Equal(0, code);
        Assert.EndsWith("every tensor inline)", stdout.Trim(), StringComparison.Ordinal);
        Assert.Equal(proto.ToByteArray(), File.ReadAllBytes(folder.File("inline.onnx")));
    }

    [Fact]
    public void Convert_may_write_over_its_own_input()
    {
        using var folder = new TempFolder();
        var proto = OnnxTestModels.ConvNet(blocks: 2, channels: 8);
        var model = OnnxTestModels.WriteFile(proto, folder.Path);
        Assert.Equal(0, Run("convert", model, "-o", model, "--external-data", "100").Code);
        Assert.Equal(0, Run("convert", model, "-o", model, "--external-data", "100").Code);
        Assert.Equal(0, Run("convert", model, "-o", model, "--inline").Code);
        Assert.Equal(proto.ToByteArray(), File.ReadAllBytes(model));
    }

    [Theory]
    [InlineData("4096", 4096L)]
    [InlineData("0", 0L)]
    [InlineData("1K", 1024L)]
    [InlineData("1k", 1024L)]
    [InlineData("4M", 4L << 20)]
    [InlineData("4MB", 4L << 20)]
    [InlineData("4MiB", 4L << 20)]
    [InlineData("2G", 2L << 30)]
    [InlineData("1T", 1L << 40)]
    [InlineData("1.5M", 3L << 19)]
    public void Threshold_accepts_byte_counts_with_binary_suffixes(string text, long bytes) =>
        Assert.Equal(bytes, ConvertCommand.ParseByteCount(text));

    [Theory]
    [InlineData("")]
    [InlineData("K")]
    [InlineData("-1K")]
    [InlineData("1.3K")]
    [InlineData("4X")]
    [InlineData("99999999999999999999")]
    [InlineData("9999999999999G")]
    public void Malformed_threshold_is_a_usage_error(string text)
    {
        using var folder = new TempFolder();
        var model = OnnxTestModels.WriteFile(OnnxTestModels.ConvNet(1, 4), folder.Path);
        var (code, stdout, stderr) = Run("convert", model, "-o", folder.File("out.onnx"), "--external-data", text);
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        var line = Assert.Single(Lines(stderr));
        Assert.StartsWith("srdeploy: error: --external-data", line, StringComparison.Ordinal);
        Assert.Equal(["model.onnx"], folder.FileNames());
    }

    [Fact]
    public void Inline_with_a_threshold_is_a_usage_error()
    {
        using var folder = new TempFolder();
        var model = OnnxTestModels.WriteFile(OnnxTestModels.ConvNet(1, 4), folder.Path);
        var (code, _, stderr) = Run("convert", model, "-o", folder.File("out.onnx"), "--inline", "--external-data", "1K");
        Assert.Equal(2, code);
        Assert.Equal("srdeploy: error: --inline and --external-data exclude each other", Assert.Single(Lines(stderr)));
    }

    [Fact]
    public void Missing_output_option_is_a_usage_error()
    {
        var (code, _, stderr) = Run("convert", "model.onnx");
        Assert.Equal(2, code);
        Assert.Contains("output", stderr, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadInputs => new()
    {
        { "missing", "model file not found: " },
        { "directory", "is a directory, not an ONNX model file" },
        { "empty", "is empty, not an ONNX model" },
        { "truncated", "is not a valid ONNX model: the protobuf is truncated" },
        { "garbage", "is not a valid ONNX model" },
        { "tensor-protobuf", "is not" },
        { "other-protobuf", "is not an ONNX model: the protobuf has no graph" },
        { "missing-external-file", "external data file 'model.onnx.data' (tensor 'blocks.0.conv.weight') not found in " },
        { "short-external-file", "external data file 'model.onnx.data' is 100 bytes, too short for tensor 'blocks.0.conv.weight'" },
        { "external-outside-folder", "has external location '../elsewhere.data' outside the model's folder" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_model_fails_with_exit_code_3_and_one_line_naming_the_problem_and_writes_nothing(string kind, string expected)
    {
        using var folder = new TempFolder();
        var input = MakeBadInput(folder, kind);
        var before = folder.FileNames();

        var (code, stdout, stderr) = Run("convert", input, "-o", folder.File("out.onnx"));

        Assert.Equal(3, code);
        Assert.Equal(string.Empty, stdout);
        var line = Assert.Single(Lines(stderr));
        Assert.StartsWith("srdeploy: error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.Equal(before, folder.FileNames());
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Verbose_adds_the_stack_trace_to_the_error(string kind, string expected)
    {
        using var folder = new TempFolder();
        var input = MakeBadInput(folder, kind);

        var (code, _, stderr) = Run("convert", input, "-o", folder.File("out.onnx"), "--verbose");

        Assert.Equal(3, code);
        var lines = Lines(stderr);
        Assert.Contains(lines, l => l.StartsWith("srdeploy: error: ", StringComparison.Ordinal) && l.Contains(expected, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.TrimStart().StartsWith("at SuperRes.Deploy.", StringComparison.Ordinal));
    }

    /// <summary>Makes one kind of bad input in <paramref name="folder"/> and returns the path to pass as MODEL.</summary>
    private static string MakeBadInput(TempFolder folder, string kind)
    {
        var path = folder.File("model.onnx");
        switch (kind)
        {
            case "missing":
                break;
            case "directory":
                Directory.CreateDirectory(folder.File("model-dir.onnx"));
                return folder.File("model-dir.onnx");
            case "empty":
                File.WriteAllBytes(path, []);
                break;
            case "truncated":
                // A real model when the fixtures are there, else a built one; cut in half, inside a weight.
                var real = FixtureModels.Paths().Select(File.ReadAllBytes).FirstOrDefault() ?? OnnxTestModels.ConvNet(3, 16).ToByteArray();
                File.WriteAllBytes(path, real[..(real.Length / 2)]);
                break;
            case "garbage":
                File.WriteAllBytes(path, OnnxTestModels.RandomBytes(10_000, 99));
                break;
            case "tensor-protobuf":
                File.WriteAllBytes(path, OnnxTestModels.Raw("w", TensorProto.Types.DataType.Float, [256], OnnxTestModels.RandomBytes(1024, 1)).ToByteArray());
                break;
            case "other-protobuf":
                using (var file = File.Create(path))
                using (var output = new CodedOutputStream(file))
                {
                    output.WriteTag(200, WireFormat.WireType.LengthDelimited);
                    output.WriteString("some other message");
                    output.WriteTag(201, WireFormat.WireType.Varint);
                    output.WriteInt64(7);
                }

                break;
            case "missing-external-file":
            case "short-external-file":
                using (var model = OnnxModel.FromProto(OnnxTestModels.ConvNet(2, 8)))
                {
                    model.Save(path, new OnnxSaveOptions { ExternalDataThreshold = 64 });
                }

                if (kind == "missing-external-file")
                {
                    File.Delete(path + ".data");
                }
                else
                {
                    using var data = File.OpenWrite(path + ".data");
                    data.SetLength(100);
                }

                break;
            case "external-outside-folder":
                var graph = new GraphProto { Name = "g" };
                graph.Initializer.Add(OnnxTestModels.External("w", TensorProto.Types.DataType.Float, [4], "../elsewhere.data", 0, 16));
                OnnxTestModels.WriteFile(OnnxTestModels.Model(graph), folder.Path);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }

        return path;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
