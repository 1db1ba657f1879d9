using Onnx;
using SuperRes.Deploy.Interop.OnnxRuntime;
using SuperRes.Deploy.Tests;
using DataType = Onnx.TensorProto.Types.DataType;

namespace SuperRes.Deploy.Interop.Tests.OnnxRuntime;

public sealed class OrtSessionTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDirectory("srd-ort");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Session_reports_input_and_output_names_element_types_and_dims()
    {
        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.MatMulSoftmax()));

        var input = Assert.Single(session.Inputs);
        Assert.Equal("X", input.Name);
        Assert.Equal(OrtValueType.Tensor, input.ValueType);
        Assert.Equal(OrtElementType.Float, input.ElementType);
        Assert.Equal([-1L, 4L], input.Dimensions);
        Assert.Equal(["batch", ""], input.SymbolicDimensions);

        var output = Assert.Single(session.Outputs);
        Assert.Equal("Y", output.Name);
        Assert.Equal([-1L, 3L], output.Dimensions);
        Assert.Equal("Y: Float[batch,3]", output.ToString());
    }

    [Fact]
    public void Symbolic_and_unknown_dims_come_back_as_minus_one_with_their_names_or_empty()
    {
        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.SymbolicDims()));

        var input = Assert.Single(session.Inputs);
        Assert.Equal([-1L, 3L, -1L, -1L], input.Dimensions);
        Assert.Equal(["batch", "", "height", ""], input.SymbolicDimensions);
        Assert.Equal("X: Float[batch,3,height,?]", input.ToString());
    }

    [Theory]
    [InlineData(DataType.Float16, OrtElementType.Float16)]
    [InlineData(DataType.Int64, OrtElementType.Int64)]
    [InlineData(DataType.Int32, OrtElementType.Int32)]
    [InlineData(DataType.Uint8, OrtElementType.UInt8)]
    [InlineData(DataType.Bool, OrtElementType.Bool)]
    [InlineData(DataType.Double, OrtElementType.Double)]
    public void Element_types_of_inputs_are_reported_with_onnx_numbering(DataType onnxType, OrtElementType expected)
    {
        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.Identity(onnxType, 2L)));

        Assert.Equal(expected, session.Inputs[0].ElementType);
        Assert.Equal(expected, session.Outputs[0].ElementType);
    }

    [Fact]
    public void Model_metadata_carries_producer_graph_domain_description_version_and_custom_properties()
    {
        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.MatMulSoftmax()));

        var metadata = session.ReadModelMetadata();

        Assert.Equal(TestOnnxModels.Producer, metadata.ProducerName);
        Assert.Equal("matmul_softmax", metadata.GraphName);
        Assert.Equal("tests.srdeploy", metadata.Domain);
        Assert.Equal("matmul then softmax", metadata.Description);
        Assert.Equal(7, metadata.Version);
        Assert.Equal(2, metadata.CustomMetadata.Count);
        Assert.Equal("4", metadata.CustomMetadata["scale"]);
        Assert.Equal("tests", metadata.CustomMetadata["author"]);
    }

    [Fact]
    public void Session_from_bytes_and_session_from_file_agree_on_metadata_and_results()
    {
        var model = TestOnnxModels.MatMulSoftmax();
        var path = TestOnnxModels.Save(model, _dir, "matmul_softmax.onnx");
        float[] x = [1, 2, 3, 4, -1, 0.5f, 0.25f, 2];

        using var fromFile = OrtSession.FromFile(path);
        using var fromBytes = OrtSession.FromBytes(File.ReadAllBytes(path));

        Assert.Equal(fromFile.Inputs, fromBytes.Inputs, OrtValueInfoEquality.Instance);
        Assert.Equal(fromFile.Outputs, fromBytes.Outputs, OrtValueInfoEquality.Instance);
        Assert.Equal(fromFile.ReadModelMetadata().GraphName, fromBytes.ReadModelMetadata().GraphName);
        Assert.Equal(RunOnce(fromFile, x), RunOnce(fromBytes, x));
    }

    [Fact]
    public void Missing_model_file_fails_with_NoSuchFile()
    {
        var path = Path.Combine(_dir, "absent.onnx");

        var error = Assert.Throws<OrtException>(() => OrtSession.FromFile(path));

        Assert.Equal(OrtErrorCode.NoSuchFile, error.ErrorCode);
        Assert.Contains("absent.onnx", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_that_are_not_an_onnx_model_fail_with_InvalidProtobuf()
    {
        byte[] garbage = [0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0x03];

        var error = Assert.Throws<OrtException>(() => OrtSession.FromBytes(garbage));

        Assert.Equal(OrtErrorCode.InvalidProtobuf, error.ErrorCode);
        Assert.NotEmpty(error.Message);
    }

    [Fact]
    public void A_graph_using_an_unknown_operator_fails_at_session_creation()
    {
        var model = TestOnnxModels.Model(
            "unknown_op",
            [TestOnnxModels.Node("NoSuchOperator", ["X"], ["Y"])],
            [TestOnnxModels.TensorValue("X", DataType.Float, 1L)],
            [TestOnnxModels.TensorValue("Y", DataType.Float, 1L)]);

        var error = Assert.Throws<OrtException>(() => OrtSession.FromBytes(TestOnnxModels.Bytes(model)));

        Assert.Contains("NoSuchOperator", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registering_a_custom_op_library_that_does_not_exist_fails_naming_the_path()
    {
        using var options = new OrtSessionOptions();
        var library = Path.Combine(_dir, "libno_such_custom_ops.so");

        var error = Assert.Throws<OrtException>(() => options.RegisterCustomOpsLibrary(library));

        Assert.Contains(library, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_session_option_is_accepted_and_the_session_still_computes_correctly()
    {
        using var options = new OrtSessionOptions();
        options.SetGraphOptimizationLevel(OrtGraphOptimizationLevel.Basic);
        options.SetIntraOpThreads(1);
        options.SetInterOpThreads(1);
        options.SetExecutionMode(OrtExecutionMode.Parallel);
        options.AddConfigEntry("session.intra_op.allow_spinning", "0");
        options.SetLogId("options-test");
        options.SetLogSeverity(OrtLogLevel.Error);
        float[] x = [0.5f, -2, 1, 3];

        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.MatMulSoftmax()), options);

        AssertClose(TestOnnxModels.MatMulSoftmaxReference(x, 1), RunOnce(session, x), 1e-6f);
    }

    [Fact]
    public void An_invalid_graph_optimization_level_is_rejected_by_the_runtime()
    {
        using var options = new OrtSessionOptions();

        var error = Assert.Throws<OrtException>(() => options.SetGraphOptimizationLevel((OrtGraphOptimizationLevel)4));

        Assert.Equal(OrtErrorCode.InvalidArgument, error.ErrorCode);
    }

    [Fact]
    public void Optimized_model_path_makes_session_creation_write_the_optimized_graph()
    {
        var optimized = Path.Combine(_dir, "optimized.onnx");
        using var options = new OrtSessionOptions();
        options.SetOptimizedModelFilePath(optimized);

        using (OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.MatMulSoftmax()), options))
        {
        }

        var written = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized));
        Assert.Contains(written.Graph.Node, n => n.OpType == "Softmax");
        Assert.Equal("X", Assert.Single(written.Graph.Input).Name);
    }

    [Fact]
    public void Profiling_writes_a_json_trace_named_by_the_prefix_once_ended()
    {
        var prefix = Path.Combine(_dir, "profile");
        using var options = new OrtSessionOptions();
        options.EnableProfiling(prefix);
        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.MatMulSoftmax()), options);
        RunOnce(session, [1, 2, 3, 4]);

        var path = session.EndProfiling();

        Assert.StartsWith(prefix, Path.GetFullPath(path), StringComparison.Ordinal);
        Assert.EndsWith(".json", path, StringComparison.Ordinal);
        Assert.Contains("\"name\"", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Options_disposed_right_after_creating_a_session_do_not_affect_the_session()
    {
        OrtSession session;
        using (var options = new OrtSessionOptions())
        {
            options.SetIntraOpThreads(1);
            session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.MatMulSoftmax()), options);
        }

        using (session)
        {
            float[] x = [1, 1, 1, 1];
            AssertClose(TestOnnxModels.MatMulSoftmaxReference(x, 1), RunOnce(session, x), 1e-6f);
        }
    }

    [Fact]
    public void A_disposed_session_refuses_to_run()
    {
        var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.MatMulSoftmax()));
        session.Dispose();

        Assert.Throws<ObjectDisposedException>(() => RunOnce(session, [1, 2, 3, 4]));
    }

    [Fact]
    public void Log_sink_receives_the_session_lines_at_the_session_severity()
    {
        var logId = $"log-test-{Guid.NewGuid():N}";
        var lines = new System.Collections.Concurrent.ConcurrentQueue<OrtLogMessage>();
        var previous = OrtEnvironment.LogSink;
        OrtEnvironment.LogSink = m =>
        {
            if (m.LogId == logId)
            {
                lines.Enqueue(m);
            }

            previous?.Invoke(m);
        };
        try
        {
            using var options = new OrtSessionOptions();
            options.SetLogId(logId);
            options.SetLogSeverity(OrtLogLevel.Verbose);
            using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.MatMulSoftmax()), options);
            RunOnce(session, [1, 2, 3, 4]);
        }
        finally
        {
            OrtEnvironment.LogSink = previous;
        }

        Assert.NotEmpty(lines);
        Assert.Contains(lines, l => l.Level == OrtLogLevel.Verbose || l.Level == OrtLogLevel.Info);
        Assert.All(lines, l => Assert.False(string.IsNullOrEmpty(l.Message)));
    }

    internal static float[] RunOnce(OrtSession session, float[] x)
    {
        using var input = OrtValue.CreateTensor<float>(x, [x.Length / 4, 4]);
        var outputs = session.Run(["X"], [input], ["Y"]);
        try
        {
            return outputs[0].ToArray<float>();
        }
        finally
        {
            foreach (var output in outputs)
            {
                output.Dispose();
            }
        }
    }

    internal static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    private sealed class OrtValueInfoEquality : IEqualityComparer<OrtValueInfo>
    {
        public static readonly OrtValueInfoEquality Instance = new();

        public bool Equals(OrtValueInfo? x, OrtValueInfo? y) =>
            x is not null && y is not null && x.Name == y.Name && x.ValueType == y.ValueType && x.ElementType == y.ElementType
            && x.Dimensions.SequenceEqual(y.Dimensions) && x.SymbolicDimensions.SequenceEqual(y.SymbolicDimensions);

        public int GetHashCode(OrtValueInfo obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }
}
