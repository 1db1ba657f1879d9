using Google.Protobuf;
using Onnx;
using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Tests.Onnx;

public sealed class TensorDataTests
{
    public static TheoryData<string> TypedCaseNames => [.. OnnxTestModels.TypedCases().Select(c => c.Tensor.Name)];

    [Theory]
    [MemberData(nameof(TypedCaseNames))]
    public void Typed_field_tensor_reads_as_little_endian_bytes_of_its_element_type(string name)
    {
        var (tensor, expected) = OnnxTestModels.TypedCases().Single(c => c.Tensor.Name == name);
        Assert.Equal(expected, TensorData.ReadBytes(tensor, baseDirectory: null, "test"));
        Assert.Equal(expected.Length, TensorData.ByteSize(tensor));
        using var stream = TensorData.OpenRead(tensor, baseDirectory: null, "test");
        Assert.Equal(expected, ReadAll(stream));
    }

    [Theory]
    [MemberData(nameof(TypedCaseNames))]
    public void Typed_field_tensor_moved_to_external_data_reads_back_the_same_bytes(string name)
    {
        using var folder = new TempFolder();
        var (tensor, expected) = OnnxTestModels.TypedCases().Single(c => c.Tensor.Name == name);
        var graph = new GraphProto { Name = "g", Initializer = { tensor } };
        using var model = OnnxModel.FromProto(OnnxTestModels.Model(graph));
        model.Save(folder.File("m.onnx"), new OnnxSaveOptions { ExternalDataThreshold = 1 });

        using var saved = OnnxModel.Load(folder.File("m.onnx"));
        var external = saved.Proto.Graph.Initializer.Single();
        Assert.True(TensorData.IsExternal(external));
        Assert.Equal(expected, saved.ReadTensorBytes(external));
    }

    [Theory]
    [InlineData(TensorProto.Types.DataType.Float, 4)]
    [InlineData(TensorProto.Types.DataType.Double, 8)]
    [InlineData(TensorProto.Types.DataType.Float16, 2)]
    [InlineData(TensorProto.Types.DataType.Bfloat16, 2)]
    [InlineData(TensorProto.Types.DataType.Bool, 1)]
    [InlineData(TensorProto.Types.DataType.Uint32, 4)]
    [InlineData(TensorProto.Types.DataType.Uint64, 8)]
    [InlineData(TensorProto.Types.DataType.Complex64, 8)]
    [InlineData(TensorProto.Types.DataType.Complex128, 16)]
    [InlineData(TensorProto.Types.DataType.String, 0)]
    public void Element_size_follows_the_onnx_element_type(TensorProto.Types.DataType type, int size) =>
        Assert.Equal(size, TensorData.ElementSize((int)type));

    [Fact]
    public void Element_types_newer_than_the_schema_have_sizes_including_packed_four_bit()
    {
        Assert.Equal(1, TensorData.ElementSize(17)); // FLOAT8E4M3FN
        Assert.Equal(1, TensorData.ElementSize(20)); // FLOAT8E5M2FNUZ
        var int4 = new TensorProto { DataType = 22, Dims = { 5 }, RawData = ByteString.CopyFrom(1, 2, 3) };
        Assert.Equal(3, TensorData.ByteSize(int4));
        Assert.Equal(new byte[] { 1, 2, 3 }, TensorData.ReadBytes(int4, null, "test"));
        var uint4Typed = new TensorProto { DataType = 21, Dims = { 3 }, Int32Data = { 0x21, 0x03 } };
        Assert.Equal(new byte[] { 0x21, 0x03 }, TensorData.ReadBytes(uint4Typed, null, "test"));
    }

    [Fact]
    public void Raw_data_is_returned_as_stored_and_streamed_without_a_copy()
    {
        var bytes = OnnxTestModels.RandomBytes(4096, 7);
        var tensor = OnnxTestModels.Raw("r", TensorProto.Types.DataType.Float, [1024], bytes);
        Assert.Equal(bytes, TensorData.ReadBytes(tensor, null, "test"));
        using var model = OnnxModel.FromProto(OnnxTestModels.Model(new GraphProto { Initializer = { tensor } }));
        using var stream = model.OpenTensorStream(tensor);
        Assert.False(stream.CanWrite);
        Assert.Equal(4096, stream.Length);
        Assert.Equal(bytes, ReadAll(stream));
    }

    [Fact]
    public void Raw_data_whose_length_disagrees_with_the_shape_is_bad_input()
    {
        var tensor = OnnxTestModels.Raw("short", TensorProto.Types.DataType.Float, [4], new byte[12]);
        var error = Assert.Throws<DeployException>(() => TensorData.ReadBytes(tensor, null, "m.onnx"));
        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("'short' has 12 bytes of raw_data but its shape and type need 16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Typed_fields_with_too_few_values_are_bad_input()
    {
        var tensor = new TensorProto { Name = "few", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 3 }, FloatData = { 1f, 2f } };
        var error = Assert.Throws<DeployException>(() => TensorData.ReadBytes(tensor, null, "m.onnx"));
        Assert.Contains("'few' has 2 stored values but its shape needs 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void String_tensors_have_no_byte_layout()
    {
        var tensor = new TensorProto { Name = "s", DataType = (int)TensorProto.Types.DataType.String, Dims = { 1 }, StringData = { ByteString.CopyFromUtf8("a") } };
        Assert.Equal(0, TensorData.ByteSize(tensor));
        var error = Assert.Throws<DeployException>(() => TensorData.ReadBytes(tensor, null, "m.onnx"));
        Assert.Contains("holds strings", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Make_inline_and_make_external_replace_every_other_storage_form()
    {
        var tensor = new TensorProto { Name = "t", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 2 }, FloatData = { 1f, 2f } };
        TensorData.MakeExternal(tensor, "w.bin", offset: 1L << 33, length: 8);
        Assert.True(TensorData.IsExternal(tensor));
        Assert.Empty(tensor.FloatData);
        Assert.False(tensor.HasRawData);
        Assert.Equal(["location=w.bin", "offset=8589934592", "length=8"], tensor.ExternalData.Select(e => $"{e.Key}={e.Value}"));

        var bytes = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        TensorData.MakeInline(tensor, bytes);
        bytes[0] = 99; // MakeInline copies: later changes to the caller's array do not leak into the model.
        Assert.False(TensorData.IsExternal(tensor));
        Assert.Empty(tensor.ExternalData);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, tensor.RawData.ToByteArray());
    }

    [Fact]
    public void External_tensor_without_length_reads_the_size_its_shape_needs()
    {
        using var folder = new TempFolder();
        var data = OnnxTestModels.RandomBytes(100, 3);
        File.WriteAllBytes(folder.File("w.bin"), data);
        var tensor = OnnxTestModels.External("w", TensorProto.Types.DataType.Float, [4], "w.bin", offset: 10, length: null);

        Assert.Equal(data[10..26], TensorData.ReadBytes(tensor, folder.Path, "m.onnx"));
        var (file, offset, length) = TensorData.ResolveExternal(tensor, folder.Path, "m.onnx");
        Assert.Equal((folder.File("w.bin"), 10L, 16L), (file, offset, length));
    }

    [Fact]
    public void External_stream_seeks_and_reads_any_window_of_the_payload()
    {
        using var folder = new TempFolder();
        var data = OnnxTestModels.RandomBytes(10_000, 4);
        File.WriteAllBytes(folder.File("w.bin"), data);
        var tensor = OnnxTestModels.External("w", TensorProto.Types.DataType.Uint8, [9000], "w.bin", offset: 500, length: 9000);
        using var model = OnnxModel.FromProto(OnnxTestModels.Model(new GraphProto { Initializer = { tensor } }), folder.Path);

        using var stream = model.OpenTensorStream(tensor);
        Assert.Equal(9000, stream.Length);
        stream.Seek(-100, SeekOrigin.End);
        Assert.Equal(data[9400..9500], ReadAll(stream));
        stream.Position = 0;
        var head = new byte[10];
        stream.ReadExactly(head);
        Assert.Equal(data[500..510], head);
        Assert.Equal(0, stream.Read(new byte[1], 0, 0));
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../outside.bin")]
    [InlineData("sub/../../outside.bin")]
    [InlineData("sub\\..\\..\\outside.bin")]
    public void External_location_outside_the_model_folder_is_refused(string location)
    {
        using var folder = new TempFolder();
        var tensor = OnnxTestModels.External("w", TensorProto.Types.DataType.Float, [1], location, 0, 4);
        var error = Assert.Throws<DeployException>(() => TensorData.ReadBytes(tensor, folder.Path, "m.onnx"));
        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Equal($"m.onnx: tensor 'w' has external location '{location}' outside the model's folder", error.Message);
    }

    [Fact]
    public void External_location_that_is_a_link_to_a_file_outside_the_model_folder_is_refused()
    {
        using var outside = new TempFolder();
        using var folder = new TempFolder();
        File.WriteAllBytes(outside.File("secret.bin"), new byte[16]);
        File.CreateSymbolicLink(folder.File("w.bin"), outside.File("secret.bin"));
        var tensor = OnnxTestModels.External("w", TensorProto.Types.DataType.Float, [1], "w.bin", 0, 4);

        var error = Assert.Throws<DeployException>(() => TensorData.ReadBytes(tensor, folder.Path, "m.onnx"));
        Assert.Contains("is a link to a file outside the model's folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void External_tensor_whose_declared_length_disagrees_with_its_shape_is_bad_input()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("w.bin"), new byte[64]);
        var tensor = OnnxTestModels.External("w", TensorProto.Types.DataType.Float, [4], "w.bin", 0, 12);
        var error = Assert.Throws<DeployException>(() => TensorData.ReadBytes(tensor, folder.Path, "m.onnx"));
        Assert.Equal("m.onnx: tensor 'w' declares 12 external bytes but its shape and type need 16", error.Message);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("12abc")]
    [InlineData("")]
    public void External_offset_that_is_not_a_number_is_bad_input(string offset)
    {
        var tensor = OnnxTestModels.External("w", TensorProto.Types.DataType.Float, [1], "w.bin", 0, 4);
        tensor.ExternalData.Single(e => e.Key == "offset").Value = offset;
        var error = Assert.Throws<DeployException>(() => TensorData.ReadBytes(tensor, "/nonexistent", "m.onnx"));
        Assert.Equal($"m.onnx: tensor 'w' has an invalid external-data offset '{offset}'", error.Message);
    }

    [Fact]
    public void External_string_tensor_is_refused_because_strings_are_kept_inline()
    {
        var tensor = OnnxTestModels.External("s", TensorProto.Types.DataType.String, [1], "w.bin", 0, null);
        var error = Assert.Throws<DeployException>(() => TensorData.ReadBytes(tensor, "/nonexistent", "m.onnx"));
        Assert.Contains("string tensor 's' is marked external", error.Message, StringComparison.Ordinal);
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
