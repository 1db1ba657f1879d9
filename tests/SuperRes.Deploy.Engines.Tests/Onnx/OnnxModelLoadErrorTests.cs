using Google.Protobuf;
using Onnx;
using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Tests.Onnx;

public sealed class OnnxModelLoadErrorTests
{
    [Fact]
    public void Missing_model_file_is_bad_input_naming_the_path()
    {
        var error = Assert.Throws<DeployException>(() => OnnxModel.Load("/nonexistent/folder/model.onnx"));
        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Equal("model file not found: /nonexistent/folder/model.onnx", error.Message);
    }

    [Fact]
    public void Directory_instead_of_a_model_is_bad_input()
    {
        using var folder = new TempFolder();
        var error = Assert.Throws<DeployException>(() => OnnxModel.Load(folder.Path));
        Assert.Equal($"{folder.Path} is a directory, not an ONNX model file", error.Message);
    }

    [Fact]
    public void Empty_file_is_bad_input()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("empty.onnx"), []);
        var error = Assert.Throws<DeployException>(() => OnnxModel.Load(folder.File("empty.onnx")));
        Assert.EndsWith("empty.onnx is empty, not an ONNX model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_cut_in_the_middle_of_a_weight_is_reported_as_truncated()
    {
        using var folder = new TempFolder();
        var bytes = OnnxTestModels.ConvNet(2, 16).ToByteArray();
        File.WriteAllBytes(folder.File("cut.onnx"), bytes[..(bytes.Length / 2)]);

        var error = Assert.Throws<DeployException>(() => OnnxModel.Load(folder.File("cut.onnx")));
        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.StartsWith($"{folder.File("cut.onnx")} is not a valid ONNX model: the protobuf is truncated", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Serialized_tensor_is_not_taken_for_a_model()
    {
        using var folder = new TempFolder();
        var tensor = OnnxTestModels.Raw("weights", TensorProto.Types.DataType.Float, [16], OnnxTestModels.RandomBytes(64, 1));
        File.WriteAllBytes(folder.File("tensor.pb"), tensor.ToByteArray());

        var error = Assert.Throws<DeployException>(() => OnnxModel.Load(folder.File("tensor.pb")));
        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("is not", error.Message, StringComparison.Ordinal);
        Assert.Contains("ONNX model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Protobuf_of_fields_onnx_does_not_have_is_not_an_onnx_model()
    {
        using var folder = new TempFolder();
        using (var file = File.Create(folder.File("other.pb")))
        using (var output = new CodedOutputStream(file))
        {
            output.WriteTag(100, WireFormat.WireType.Varint);
            output.WriteInt64(1);
            output.WriteTag(101, WireFormat.WireType.LengthDelimited);
            output.WriteString("not a model");
        }

        var error = Assert.Throws<DeployException>(() => OnnxModel.Load(folder.File("other.pb")));
        Assert.Equal($"{folder.File("other.pb")} is not an ONNX model: the protobuf has no graph", error.Message);
    }

    [Fact]
    public void Model_without_operator_set_is_refused()
    {
        using var folder = new TempFolder();
        var model = OnnxTestModels.ConvNet(1, 4);
        model.OpsetImport.Clear();
        var error = Assert.Throws<DeployException>(() => OnnxModel.Load(OnnxTestModels.WriteFile(model, folder.Path)));
        Assert.Contains("imports no operator set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_prefix_of_a_model_file_is_either_loaded_or_refused_as_bad_input()
    {
        using var folder = new TempFolder();
        var bytes = OnnxTestModels.Varied().ToByteArray();
        var random = new Random(11);
        var cuts = Enumerable.Range(1, 160).Concat(Enumerable.Range(0, 160).Select(_ => random.Next(1, bytes.Length))).Distinct();
        foreach (var cut in cuts)
        {
            var path = folder.File("prefix.onnx");
            File.WriteAllBytes(path, bytes[..cut]);
            var outcome = Record.Exception(() => OnnxModel.Load(path).Dispose());
            Assert.True(outcome is null or DeployException { Kind: FailureKind.BadInput }, $"cut at {cut}: {outcome}");
            if (outcome is not null)
            {
                Assert.DoesNotContain('\n', outcome.Message);
            }
        }
    }

    [Fact]
    public void Random_bytes_and_corrupted_models_are_refused_as_bad_input()
    {
        using var folder = new TempFolder();
        var model = OnnxTestModels.Varied().ToByteArray();
        var random = new Random(5);
        var path = folder.File("garbage.onnx");
        for (var i = 0; i < 200; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                bytes = OnnxTestModels.RandomBytes(random.Next(1, 5000), seed: i);
            }
            else
            {
                bytes = (byte[])model.Clone();
                for (var flips = 0; flips < 8; flips++)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
                }
            }

            File.WriteAllBytes(path, bytes);
            var outcome = Record.Exception(() => OnnxModel.Load(path).Dispose());
            if (i % 2 == 0)
            {
                Assert.True(outcome is DeployException { Kind: FailureKind.BadInput }, $"random bytes #{i}: {outcome}");
            }
            else
            {
                // Flipped bytes may still decode (e.g. inside a weight), but never fail other than as bad input.
                Assert.True(outcome is null or DeployException { Kind: FailureKind.BadInput }, $"corrupted model #{i}: {outcome}");
            }
        }
    }
}
