using Onnx;
using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Tests.Onnx;

public sealed class ExternalDataTests
{
    [Fact]
    public void Load_fails_naming_the_missing_external_data_file()
    {
        using var folder = new TempFolder();
        var path = WriteModelWithExternalTensor(folder, "weights.bin", dataBytes: null);

        var error = Assert.Throws<DeployException>(() => OnnxModel.Load(path));
        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Equal($"model.onnx: external data file 'weights.bin' (tensor 'w') not found in {folder.Path}", error.Message);
    }

    [Fact]
    public void Load_fails_when_the_external_data_file_is_too_short_for_a_tensor()
    {
        using var folder = new TempFolder();
        var path = WriteModelWithExternalTensor(folder, "weights.bin", dataBytes: 100);

        var error = Assert.Throws<DeployException>(() => OnnxModel.Load(path));
        Assert.Equal("model.onnx: external data file 'weights.bin' is 100 bytes, too short for tensor 'w' (offset 64, length 64)", error.Message);
    }

    [Fact]
    public void Load_without_verification_defers_the_missing_file_error_to_the_first_read()
    {
        using var folder = new TempFolder();
        var path = WriteModelWithExternalTensor(folder, "weights.bin", dataBytes: null);

        using var model = OnnxModel.Load(path, new OnnxLoadOptions { VerifyExternalData = false });
        var error = Assert.Throws<DeployException>(() => model.ReadTensorBytes(model.Proto.Graph.Initializer[0]));
        Assert.Contains("external data file 'weights.bin' (tensor 'w') not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_with_external_data_reads_every_tensor_inline_and_no_longer_needs_the_file()
    {
        using var folder = new TempFolder();
        var path = WriteModelWithExternalTensor(folder, "weights.bin", dataBytes: 200);
        var expected = File.ReadAllBytes(folder.File("weights.bin"))[64..128];

        using var model = OnnxModel.Load(path, new OnnxLoadOptions { LoadExternalData = true });
        File.Delete(folder.File("weights.bin"));
        var tensor = model.Proto.Graph.Initializer[0];
        Assert.False(TensorData.IsExternal(tensor));
        Assert.Equal(expected, model.ReadTensorBytes(tensor));
        Assert.Equal(64, model.ExternalBytesRead);
    }

    [Fact]
    public void Saving_over_the_models_own_data_file_reads_the_old_data_before_replacing_it()
    {
        using var folder = new TempFolder();
        // Tensors stored back to front with gaps, so a re-save writes a different layout into the same file.
        var a = OnnxTestModels.RandomBytes(4000, 1);
        var b = OnnxTestModels.RandomBytes(8000, 2);
        var data = new byte[20_000];
        b.CopyTo(data, 100);
        a.CopyTo(data, 12_000);
        File.WriteAllBytes(folder.File("model.onnx.data"), data);
        var graph = new GraphProto { Name = "g" };
        graph.Initializer.Add(OnnxTestModels.External("a", TensorProto.Types.DataType.Float, [1000], "model.onnx.data", 12_000, 4000));
        graph.Initializer.Add(OnnxTestModels.External("b", TensorProto.Types.DataType.Float, [2000], "model.onnx.data", 100, 8000));
        var path = OnnxTestModels.WriteFile(OnnxTestModels.Model(graph), folder.Path);

        using var model = OnnxModel.Load(path);
        model.Save(path, new OnnxSaveOptions { ExternalDataThreshold = 1 });

        Assert.NotEqual(data, File.ReadAllBytes(folder.File("model.onnx.data")));
        using var saved = OnnxModel.Load(path);
        Assert.Equal(a, saved.ReadTensorBytes(saved.Proto.Graph.Initializer[0]));
        Assert.Equal(b, saved.ReadTensorBytes(saved.Proto.Graph.Initializer[1]));
        // The loaded model holds its original data file open, so it still reads what it was loaded with.
        Assert.Equal(a, model.ReadTensorBytes(model.Proto.Graph.Initializer[0]));
        Assert.Equal(b, model.ReadTensorBytes(model.Proto.Graph.Initializer[1]));
        Assert.Equal(["model.onnx", "model.onnx.data"], folder.FileNames());
    }

    [Fact]
    public void A_save_that_fails_half_way_leaves_the_previous_files_untouched_and_no_temporary_files()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("out.onnx"), "previous model");
        File.WriteAllText(folder.File("out.onnx.data"), "previous data");
        var graph = new GraphProto { Name = "g" };
        graph.Initializer.Add(OnnxTestModels.Raw("fine", TensorProto.Types.DataType.Float, [50_000], OnnxTestModels.RandomBytes(200_000, 1)));
        // Declares 2000 floats but stores 1999: found only while the data file is being written.
        graph.Initializer.Add(new TensorProto { Name = "broken", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 2000 }, FloatData = { new float[1999] } });
        using var model = OnnxModel.FromProto(OnnxTestModels.Model(graph));

        var error = Assert.Throws<DeployException>(() => model.Save(folder.File("out.onnx"), new OnnxSaveOptions { ExternalDataThreshold = 1024 }));
        Assert.Contains("'broken' has 1999 stored values but its shape needs 2000", error.Message, StringComparison.Ordinal);
        Assert.Equal(["out.onnx", "out.onnx.data"], folder.FileNames());
        Assert.Equal("previous model", File.ReadAllText(folder.File("out.onnx")));
        Assert.Equal("previous data", File.ReadAllText(folder.File("out.onnx.data")));
    }

    [Theory]
    [InlineData("../escape.data")]
    [InlineData("/tmp/absolute.data")]
    [InlineData("out.onnx")]
    public void Save_refuses_a_data_file_name_outside_the_folder_or_naming_the_model_itself(string name)
    {
        using var folder = new TempFolder();
        using var model = OnnxModel.FromProto(OnnxTestModels.ConvNet(1, 8));
        var error = Assert.Throws<DeployException>(() =>
            model.Save(folder.File("out.onnx"), new OnnxSaveOptions { ExternalDataThreshold = 1, ExternalDataFileName = name }));
        Assert.Equal(FailureKind.Usage, error.Kind);
        Assert.Empty(folder.FileNames());
    }

    [Fact]
    public void Save_without_external_tensors_writes_no_data_file()
    {
        using var folder = new TempFolder();
        using var model = OnnxModel.FromProto(OnnxTestModels.ConvNet(1, 4));
        var result = model.SaveWithSummary(folder.File("m.onnx"), new OnnxSaveOptions { ExternalDataThreshold = 1L << 30 });
        Assert.Null(result.DataPath);
        Assert.Equal(0, result.ExternalTensors);
        Assert.Equal(["m.onnx"], folder.FileNames());
    }

    [Fact]
    public void Inline_only_and_a_threshold_together_are_a_usage_error()
    {
        using var model = OnnxModel.FromProto(OnnxTestModels.ConvNet(1, 4));
        var error = Assert.Throws<DeployException>(() =>
            model.Save("/nonexistent/m.onnx", new OnnxSaveOptions { ForceInline = true, ExternalDataThreshold = 1 }));
        Assert.Equal(FailureKind.Usage, error.Kind);
    }

    [Fact]
    public void Disposed_model_no_longer_reads_external_data()
    {
        using var folder = new TempFolder();
        var path = WriteModelWithExternalTensor(folder, "weights.bin", dataBytes: 200);
        var model = OnnxModel.Load(path);
        var tensor = model.Proto.Graph.Initializer[0];
        Assert.Equal(64, model.ReadTensorBytes(tensor).Length);
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.ReadTensorBytes(tensor));
    }

    [Fact]
    public void External_data_file_names_lists_each_data_file_once()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("a.bin"), new byte[64]);
        File.WriteAllBytes(folder.File("b.bin"), new byte[64]);
        var graph = new GraphProto { Name = "g" };
        graph.Initializer.Add(OnnxTestModels.External("x", TensorProto.Types.DataType.Float, [4], "a.bin", 0, 16));
        graph.Initializer.Add(OnnxTestModels.External("y", TensorProto.Types.DataType.Float, [4], "b.bin", 0, 16));
        graph.Initializer.Add(OnnxTestModels.External("z", TensorProto.Types.DataType.Float, [4], "a.bin", 16, 16));
        using var model = OnnxModel.Load(OnnxTestModels.WriteFile(OnnxTestModels.Model(graph), folder.Path));
        Assert.Equal([folder.File("a.bin"), folder.File("b.bin")], model.ExternalDataFileNames());
    }

    /// <summary>A model with one 16-float tensor 'w' stored at offset 64 of <paramref name="location"/>, which gets <paramref name="dataBytes"/> random bytes (or is not written).</summary>
    private static string WriteModelWithExternalTensor(TempFolder folder, string location, int? dataBytes)
    {
        if (dataBytes is not null)
        {
            File.WriteAllBytes(folder.File(location), OnnxTestModels.RandomBytes(dataBytes.Value, 5));
        }

        var graph = new GraphProto { Name = "g" };
        graph.Initializer.Add(OnnxTestModels.External("w", TensorProto.Types.DataType.Float, [16], location, 64, 64));
        return OnnxTestModels.WriteFile(OnnxTestModels.Model(graph), folder.Path);
    }
}
