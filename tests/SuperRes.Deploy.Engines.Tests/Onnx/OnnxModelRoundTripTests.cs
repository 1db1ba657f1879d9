using Google.Protobuf;
using Onnx;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Tests.Onnx;

public sealed class OnnxModelRoundTripTests
{
    public static TheoryData<string> Fixtures => FixtureModels.Data();

    public static TheoryData<string> BuiltModels => ["varied", "convnet"];

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Fixture_model_loads_to_the_same_proto_as_protobufs_own_parser(string fixture)
    {
        var path = FixtureModels.Resolve(fixture);
        using var model = OnnxModel.Load(path);
        Assert.Equal(ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)), model.Proto);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Fixture_model_round_trips_through_save_and_load_unchanged(string fixture)
    {
        using var folder = new TempFolder();
        using var model = OnnxModel.Load(FixtureModels.Resolve(fixture));
        var copy = folder.File("copy.onnx");
        model.Save(copy);

        using var reloaded = OnnxModel.Load(copy);
        Assert.Equal(model.Proto, reloaded.Proto);
        Assert.Equal(["copy.onnx"], folder.FileNames());
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Fixture_model_saved_with_external_data_keeps_every_tensor_byte_for_byte(string fixture)
    {
        using var folder = new TempFolder();
        using var model = OnnxModel.Load(FixtureModels.Resolve(fixture));
        var result = model.SaveWithSummary(folder.File("ext.onnx"), new OnnxSaveOptions { ExternalDataThreshold = 1024 });

        using var reloaded = OnnxModel.Load(result.ModelPath);
        AssertSameTensors(model, reloaded);
        AssertExternalExactlyAtThreshold(reloaded, 1024);
        Assert.Equal(Normalized(model), Normalized(reloaded));
    }

    [Theory]
    [MemberData(nameof(BuiltModels))]
    public void Built_model_loads_to_the_same_proto_as_protobufs_own_parser(string name)
    {
        using var folder = new TempFolder();
        var proto = Build(name);
        var path = OnnxTestModels.WriteFile(proto, folder.Path);
        using var model = OnnxModel.Load(path);
        Assert.Equal(proto, model.Proto);
    }

    [Theory]
    [MemberData(nameof(BuiltModels))]
    public void Built_model_round_trips_through_save_and_load_unchanged(string name)
    {
        using var folder = new TempFolder();
        using var model = OnnxModel.Load(OnnxTestModels.WriteFile(Build(name), folder.Path));
        model.Save(folder.File("copy.onnx"));

        using var reloaded = OnnxModel.Load(folder.File("copy.onnx"));
        Assert.Equal(model.Proto, reloaded.Proto);
        // Serialisation is canonical, so the saved file is the original byte for byte.
        Assert.Equal(File.ReadAllBytes(folder.File("model.onnx")), File.ReadAllBytes(folder.File("copy.onnx")));
    }

    [Theory]
    [MemberData(nameof(BuiltModels))]
    public void Built_model_with_external_data_round_trips_and_keeps_its_layout_when_saved_again(string name)
    {
        using var folder = new TempFolder();
        using var model = OnnxModel.Load(OnnxTestModels.WriteFile(Build(name), folder.Path));
        var options = new OnnxSaveOptions { ExternalDataThreshold = 1024 };
        Directory.CreateDirectory(folder.File("a"));
        Directory.CreateDirectory(folder.File("b"));
        var first = model.SaveWithSummary(folder.File("a/model.onnx"), options);

        using var external = OnnxModel.Load(first.ModelPath);
        AssertSameTensors(model, external);
        AssertExternalExactlyAtThreshold(external, 1024);
        Assert.Equal(Normalized(model), Normalized(external));
        Assert.True(first.ExternalTensors > 0);
        Assert.Equal(new FileInfo(folder.File("a/model.onnx.data")).Length, first.DataBytes);

        external.Save(folder.File("b/model.onnx"), options);
        using var again = OnnxModel.Load(folder.File("b/model.onnx"));
        Assert.Equal(external.Proto, again.Proto);
        Assert.Equal(File.ReadAllBytes(folder.File("a/model.onnx.data")), File.ReadAllBytes(folder.File("b/model.onnx.data")));
    }

    [Fact]
    public void External_model_saved_inline_equals_the_original_inline_model()
    {
        using var folder = new TempFolder();
        var proto = OnnxTestModels.ConvNet(blocks: 3, channels: 16);
        using var model = OnnxModel.Load(OnnxTestModels.WriteFile(proto, folder.Path));
        model.Save(folder.File("ext.onnx"), new OnnxSaveOptions { ExternalDataThreshold = 256 });

        using var external = OnnxModel.Load(folder.File("ext.onnx"));
        Assert.Contains(OnnxModelWalker.Tensors(external.Proto), TensorData.IsExternal);
        external.Save(folder.File("inline.onnx"), new OnnxSaveOptions { ForceInline = true });

        using var inline = OnnxModel.Load(folder.File("inline.onnx"));
        Assert.Equal(proto, inline.Proto);
        Assert.Equal(proto.ToByteArray(), external.ToBytesWithInlineData());
    }

    [Fact]
    public void External_data_file_name_option_is_used_as_the_location()
    {
        using var folder = new TempFolder();
        using var model = OnnxModel.Load(OnnxTestModels.WriteFile(OnnxTestModels.ConvNet(2, 8), folder.Path));
        model.Save(folder.File("out.onnx"), new OnnxSaveOptions { ExternalDataThreshold = 100, ExternalDataFileName = "weights/all.bin" });

        using var saved = OnnxModel.Load(folder.File("out.onnx"));
        var locations = OnnxModelWalker.Tensors(saved.Proto).Where(TensorData.IsExternal)
            .Select(t => t.ExternalData.Single(e => e.Key == "location").Value).Distinct().ToList();
        Assert.Equal(["weights/all.bin"], locations);
        Assert.Equal([folder.File("weights/all.bin")], saved.ExternalDataFileNames());
        AssertSameTensors(model, saved);
    }

    [Fact]
    public void External_tensors_start_aligned_for_memory_mapping()
    {
        using var folder = new TempFolder();
        var graph = new GraphProto { Name = "aligned" };
        graph.Initializer.Add(OnnxTestModels.Raw("odd", TensorProto.Types.DataType.Uint8, [1001], OnnxTestModels.RandomBytes(1001, 1)));
        graph.Initializer.Add(OnnxTestModels.Raw("large", TensorProto.Types.DataType.Float, [300_000], OnnxTestModels.RandomBytes(1_200_000, 2)));
        graph.Initializer.Add(OnnxTestModels.Raw("small", TensorProto.Types.DataType.Uint8, [77], OnnxTestModels.RandomBytes(77, 3)));
        using var model = OnnxModel.FromProto(OnnxTestModels.Model(graph));
        model.Save(folder.File("m.onnx"), new OnnxSaveOptions { ExternalDataThreshold = 1 });

        using var saved = OnnxModel.Load(folder.File("m.onnx"));
        var offsets = saved.Proto.Graph.Initializer.ToDictionary(t => t.Name, t => long.Parse(t.ExternalData.Single(e => e.Key == "offset").Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, offsets["odd"]);
        Assert.Equal(64 * 1024, offsets["large"]);
        Assert.Equal(0, offsets["small"] % 64);
        Assert.True(offsets["small"] >= 64 * 1024 + 1_200_000);
        AssertSameTensors(model, saved);
    }

    [Fact]
    public void String_tensors_stay_inline_whatever_the_threshold()
    {
        using var folder = new TempFolder();
        using var model = OnnxModel.FromProto(OnnxTestModels.Varied());
        model.Save(folder.File("m.onnx"), new OnnxSaveOptions { ExternalDataThreshold = 1 });

        using var saved = OnnxModel.Load(folder.File("m.onnx"));
        var labels = saved.Proto.Graph.Initializer.Single(t => t.Name == "labels");
        Assert.False(TensorData.IsExternal(labels));
        Assert.Equal(model.Proto.Graph.Initializer.Single(t => t.Name == "labels"), labels);
        // Non-initializer tensors (Constant values, sparse parts, function constants) stay inline too.
        Assert.False(TensorData.IsExternal(saved.Proto.Graph.Node.Single(n => n.OpType == "Constant").Attribute[0].T));
        Assert.False(TensorData.IsExternal(saved.Proto.Graph.SparseInitializer[0].Values));
        // Subgraph initializers are initializers: they move out.
        var thenBranch = saved.Proto.Graph.Node.Single(n => n.OpType == "If").Attribute.Single(a => a.Name == "then_branch").G;
        Assert.True(TensorData.IsExternal(thenBranch.Initializer.Single(t => t.Name == "then_big")));
    }

    private static ModelProto Build(string name) => name switch
    {
        "varied" => OnnxTestModels.Varied(),
        "convnet" => OnnxTestModels.ConvNet(blocks: 4, channels: 24, seed: 9),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>Every tensor, in walk order, reads as the same bytes (strings compared as stored).</summary>
    private static void AssertSameTensors(OnnxModel expected, OnnxModel actual)
    {
        var a = OnnxModelWalker.Tensors(expected.Proto).ToList();
        var b = OnnxModelWalker.Tensors(actual.Proto).ToList();
        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Name, b[i].Name);
            Assert.Equal(a[i].Dims, b[i].Dims);
            Assert.Equal(a[i].DataType, b[i].DataType);
            if (a[i].DataType == (int)TensorProto.Types.DataType.String)
            {
                Assert.Equal(a[i].StringData, b[i].StringData);
            }
            else
            {
                Assert.True(expected.ReadTensorBytes(a[i]).AsSpan().SequenceEqual(actual.ReadTensorBytes(b[i])), $"tensor '{a[i].Name}' differs");
            }
        }
    }

    /// <summary>Exactly the initializers (main graph and subgraphs) of at least <paramref name="threshold"/> bytes are external.</summary>
    private static void AssertExternalExactlyAtThreshold(OnnxModel model, long threshold)
    {
        var initializers = new HashSet<TensorProto>(ReferenceEqualityComparer.Instance);
        Collect(model.Proto.Graph);
        foreach (var tensor in OnnxModelWalker.Tensors(model.Proto))
        {
            var shouldBeExternal = initializers.Contains(tensor) && TensorData.ByteSize(tensor) >= threshold;
            Assert.True(shouldBeExternal == TensorData.IsExternal(tensor), $"tensor '{tensor.Name}' ({TensorData.ByteSize(tensor)} bytes) external: {TensorData.IsExternal(tensor)}");
        }

        void Collect(GraphProto graph)
        {
            foreach (var t in graph.Initializer)
            {
                initializers.Add(t);
            }

            foreach (var g in graph.Node.SelectMany(n => n.Attribute).SelectMany(a => a.G is null ? a.Graphs : a.Graphs.Append(a.G)))
            {
                Collect(g);
            }
        }
    }

    /// <summary>The model with every non-string tensor stored as raw_data: equal protos then mean equal models, whatever the storage.</summary>
    private static ModelProto Normalized(OnnxModel model)
    {
        var copy = model.Proto.Clone();
        var originals = OnnxModelWalker.Tensors(model.Proto).ToList();
        var copies = OnnxModelWalker.Tensors(copy).ToList();
        for (var i = 0; i < copies.Count; i++)
        {
            if (copies[i].DataType != (int)TensorProto.Types.DataType.String)
            {
                TensorData.MakeInline(copies[i], model.ReadTensorBytes(originals[i]));
            }
        }

        return copy;
    }
}
