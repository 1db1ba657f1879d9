using Google.Protobuf;
using Onnx;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Tests.Onnx;

/// <summary>Fields this schema does not know (from newer ONNX versions or vendor extensions) survive load and save.</summary>
public sealed class UnknownFieldsTests
{
    private static readonly byte[] NodeExtra = Encode(o =>
    {
        o.WriteTag(1000, WireFormat.WireType.LengthDelimited);
        o.WriteString("node-extension");
    });

    private static readonly byte[] TensorExtra = Encode(o =>
    {
        o.WriteTag(500, WireFormat.WireType.Varint);
        o.WriteInt64(42);
    });

    private static readonly byte[] GraphExtra = Encode(o =>
    {
        o.WriteTag(600, WireFormat.WireType.Fixed32);
        o.WriteFixed32(0xCAFEF00D);
    });

    private static readonly byte[] ModelExtra = Encode(o =>
    {
        o.WriteTag(999, WireFormat.WireType.Varint);
        o.WriteInt64(12345);
        o.WriteTag(77, WireFormat.WireType.StartGroup);
        o.WriteTag(1, WireFormat.WireType.Fixed64);
        o.WriteFixed64(0x0102030405060708);
        o.WriteTag(77, WireFormat.WireType.EndGroup);
    });

    [Fact]
    public void Unknown_fields_in_model_graph_node_and_tensor_are_parsed_as_protobuf_would()
    {
        using var folder = new TempFolder();
        var bytes = ModelBytesWithUnknownFields();
        File.WriteAllBytes(folder.File("m.onnx"), bytes);

        using var model = OnnxModel.Load(folder.File("m.onnx"));
        Assert.Equal(ModelProto.Parser.ParseFrom(bytes), model.Proto);
        AssertUnknownFieldsPresent(model.Proto);
    }

    [Fact]
    public void Saved_copy_keeps_unknown_fields()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("m.onnx"), ModelBytesWithUnknownFields());
        using var model = OnnxModel.Load(folder.File("m.onnx"));
        model.Save(folder.File("copy.onnx"));

        var saved = File.ReadAllBytes(folder.File("copy.onnx"));
        AssertUnknownFieldsPresent(ModelProto.Parser.ParseFrom(saved));
        Assert.True(saved.AsSpan().IndexOf(ModelExtra) >= 0, "the model's unknown fields are not in the saved file");
    }

    [Fact]
    public void Saved_copy_with_external_data_keeps_unknown_fields_of_the_tensor_moved_out()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("m.onnx"), ModelBytesWithUnknownFields());
        using var model = OnnxModel.Load(folder.File("m.onnx"));
        model.Save(folder.File("ext.onnx"), new OnnxSaveOptions { ExternalDataThreshold = 16 });

        using var saved = OnnxModel.Load(folder.File("ext.onnx"));
        var tensor = saved.Proto.Graph.Initializer.Single(t => t.Name == "w");
        Assert.True(TensorData.IsExternal(tensor));
        AssertUnknownFieldsPresent(saved.Proto);
        Assert.Equal(model.ReadTensorBytes(model.Proto.Graph.Initializer.Single(t => t.Name == "w")), saved.ReadTensorBytes(tensor));
    }

    private static void AssertUnknownFieldsPresent(ModelProto model)
    {
        Assert.EndsWith(Convert.ToHexString(NodeExtra), Convert.ToHexString(model.Graph.Node[0].ToByteArray()), StringComparison.Ordinal);
        Assert.EndsWith(Convert.ToHexString(TensorExtra), Convert.ToHexString(model.Graph.Initializer[0].ToByteArray()), StringComparison.Ordinal);
        Assert.EndsWith(Convert.ToHexString(GraphExtra), Convert.ToHexString(model.Graph.ToByteArray()), StringComparison.Ordinal);
        Assert.EndsWith(Convert.ToHexString(ModelExtra), Convert.ToHexString(model.ToByteArray()), StringComparison.Ordinal);
    }

    /// <summary>A valid model whose ModelProto, GraphProto, NodeProto and TensorProto each carry a field this schema lacks.</summary>
    private static byte[] ModelBytesWithUnknownFields()
    {
        var node = NodeProto.Parser.ParseFrom([.. OnnxTestModels.Node("Relu", ["x"], ["y"], "relu").ToByteArray(), .. NodeExtra]);
        var tensor = TensorProto.Parser.ParseFrom(
            [.. OnnxTestModels.Raw("w", TensorProto.Types.DataType.Float, [8], OnnxTestModels.RandomBytes(32, 1)).ToByteArray(), .. TensorExtra]);
        var graph = new GraphProto { Name = "g", Node = { node }, Initializer = { tensor } };
        graph = GraphProto.Parser.ParseFrom([.. graph.ToByteArray(), .. GraphExtra]);
        return [.. OnnxTestModels.Model(graph).ToByteArray(), .. ModelExtra];
    }

    private static byte[] Encode(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true))
        {
            write(output);
        }

        return buffer.ToArray();
    }
}
