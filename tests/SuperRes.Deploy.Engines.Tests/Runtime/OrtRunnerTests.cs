using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Interop.OnnxRuntime;
using SuperRes.Deploy.Tests;
using DataType = Onnx.TensorProto.Types.DataType;

namespace SuperRes.Deploy.Engines.Tests.Runtime;

public sealed class OrtRunnerTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDirectory("srd-runner");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static OrtRunner RunnerFor(global::Onnx.ModelProto model, string name) =>
        new(OrtRunnerOptions.ForBytes(TestOnnxModels.Bytes(model), name) with { IntraOpThreads = 1 });

    [Fact]
    public void Inputs_and_outputs_carry_names_element_types_and_fixed_symbolic_and_unknown_dims()
    {
        using var matmul = RunnerFor(TestOnnxModels.MatMulSoftmax(), "matmul");
        using var symbolic = RunnerFor(TestOnnxModels.SymbolicDims(), "symbolic");

        Assert.Equal("onnxruntime", matmul.BackendName);
        Assert.Equal("1.30.0", OrtRunner.RuntimeVersion);
        Assert.Equal("X: float32[batch,4]", Assert.Single(matmul.Inputs).ToString());
        Assert.Equal("Y: float32[batch,3]", Assert.Single(matmul.Outputs).ToString());
        var dims = Assert.Single(symbolic.Inputs).Dims;
        Assert.Equal([TensorDim.Symbolic("batch"), TensorDim.Fixed(3), TensorDim.Symbolic("height"), TensorDim.Unknown], dims);
    }

    [Fact]
    public void Run_returns_every_output_by_name_matching_a_CSharp_computation()
    {
        using var runner = RunnerFor(TestOnnxModels.MatMulSoftmax(), "matmul");
        var x = Enumerable.Range(0, 3 * 4).Select(i => (float)Math.Cos(i * 0.7)).ToArray();

        var outputs = runner.Run(new Dictionary<string, Tensor> { ["X"] = Tensor.FromArray(x, 3, 4) });

        var y = Assert.Single(outputs);
        Assert.Equal("Y", y.Key);
        Assert.Equal([3L, 3L], y.Value.Shape);
        var expected = TestOnnxModels.MatMulSoftmaxReference(x, 3);
        var actual = y.Value.AsSpan<float>().ToArray();
        Assert.All(expected.Zip(actual), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-6f, $"{p.First} vs {p.Second}"));
    }

    [Fact]
    public void Float16_and_int64_models_exchange_their_own_element_types()
    {
        using var half = RunnerFor(TestOnnxModels.Float16Add(), "f16");
        using var int64 = RunnerFor(TestOnnxModels.Int64Scale(), "i64");
        Half[] h = [(Half)1.5f, (Half)(-3f), (Half)0.125f];
        long[] l = [2, -5, long.MaxValue / 4];

        var halfOut = half.Run(new Dictionary<string, Tensor> { ["X"] = Tensor.FromArray(h, 3) })["Y"];
        var longOut = int64.Run(new Dictionary<string, Tensor> { ["X"] = Tensor.FromArray(l, 3) })["Y"];

        Assert.Equal(TensorElementType.Float16, halfOut.ElementType);
        Assert.Equal(h.Select(v => (Half)((float)v * 2)), halfOut.AsSpan<Half>().ToArray());
        Assert.Equal(TensorElementType.Int64, longOut.ElementType);
        Assert.Equal(l.Select(v => v * 3), longOut.AsSpan<long>().ToArray());
    }

    [Fact]
    public void A_runner_from_a_file_and_one_from_bytes_give_identical_outputs()
    {
        var path = TestOnnxModels.Save(TestOnnxModels.MatMulSoftmax(), _dir, "matmul_softmax.onnx");
        var x = Tensor.FromArray(new float[] { 0.1f, 0.2f, -0.3f, 4, 5, -6, 0.7f, 0.8f }, 2, 4);

        using var fromFile = new OrtRunner(OrtRunnerOptions.ForFile(path));
        using var fromBytes = new OrtRunner(OrtRunnerOptions.ForBytes(File.ReadAllBytes(path)));

        Assert.Equal("matmul_softmax.onnx", fromFile.ModelName);
        Assert.Equal("in-memory model", fromBytes.ModelName);
        Assert.Equal(
            fromFile.Run(new Dictionary<string, Tensor> { ["X"] = x })["Y"].AsSpan<float>().ToArray(),
            fromBytes.Run(new Dictionary<string, Tensor> { ["X"] = x })["Y"].AsSpan<float>().ToArray());
    }

    [Fact]
    public void Every_option_reaches_the_runtime_and_the_optimized_graph_is_written()
    {
        var optimized = Path.Combine(_dir, "optimized.onnx");
        var options = OrtRunnerOptions.ForBytes(TestOnnxModels.Bytes(TestOnnxModels.Add()), "add") with
        {
            OptimizationLevel = OrtGraphOptimizationLevel.DisableAll,
            IntraOpThreads = 2,
            InterOpThreads = 2,
            OptimizedModelPath = optimized,
        };

        using var runner = new OrtRunner(options);
        var c = runner.Run(new Dictionary<string, Tensor>
        {
            ["A"] = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3),
            ["B"] = Tensor.FromArray(new float[] { 6, 5, 4, 3, 2, 1 }, 2, 3),
        })["C"];

        Assert.All(c.AsSpan<float>().ToArray(), v => Assert.Equal(7f, v));
        Assert.True(new FileInfo(optimized).Length > 0);
    }

    [Theory]
    [InlineData("unknown", "model 'matmul' has no input named 'Z' (inputs: X)")]
    [InlineData("missing", "input 'X' of model 'matmul' is missing (expected float32[batch,4])")]
    [InlineData("type", "input 'X' of model 'matmul' must be float32, got int64")]
    [InlineData("rank", "input 'X' of model 'matmul' must have rank 2 (float32[batch,4]), got shape [1,2,4]")]
    [InlineData("dim", "input 'X' of model 'matmul' must have size 4 on axis 1 (float32[batch,4]), got shape [2,3]")]
    public void Inputs_that_do_not_match_the_model_are_rejected_with_one_line_naming_the_input(string mistake, string message)
    {
        using var runner = RunnerFor(TestOnnxModels.MatMulSoftmax(), "matmul");
        var inputs = mistake switch
        {
            "unknown" => new Dictionary<string, Tensor> { ["X"] = Tensor.FromArray(new float[4], 1, 4), ["Z"] = Tensor.FromArray(new float[1], 1) },
            "missing" => [],
            "type" => new Dictionary<string, Tensor> { ["X"] = Tensor.FromArray(new long[4], 1, 4) },
            "rank" => new Dictionary<string, Tensor> { ["X"] = Tensor.FromArray(new float[8], 1, 2, 4) },
            _ => new Dictionary<string, Tensor> { ["X"] = Tensor.FromArray(new float[6], 2, 3) },
        };

        var error = Assert.Throws<DeployException>(() => runner.Run(inputs));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Symbolic_and_unknown_axes_accept_any_size()
    {
        using var runner = RunnerFor(TestOnnxModels.SymbolicDims(), "symbolic");
        var x = Enumerable.Range(0, 2 * 3 * 5 * 7).Select(i => (float)(i % 7) - 3).ToArray();

        var y = runner.Run(new Dictionary<string, Tensor> { ["X"] = Tensor.FromArray(x, 2, 3, 5, 7) })["Y"];

        Assert.Equal([2L, 3L, 5L, 7L], y.Shape);
        Assert.Equal(x.Select(v => Math.Max(v, 0)), y.AsSpan<float>().ToArray());
    }

    [Fact]
    public void A_failure_inside_the_runtime_is_reported_with_the_model_name_on_one_line()
    {
        using var runner = RunnerFor(TestOnnxModels.AddOfIndependentLengths(), "independent.onnx");

        var error = Assert.Throws<DeployException>(() => runner.Run(new Dictionary<string, Tensor>
        {
            ["A"] = Tensor.FromArray(new float[3], 3),
            ["B"] = Tensor.FromArray(new float[4], 4),
        }));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.StartsWith("ONNX Runtime failed to run model 'independent.onnx': ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.IsType<OrtException>(error.InnerException);
    }

    [Fact]
    public void A_missing_model_file_is_bad_input_naming_the_path()
    {
        var path = Path.Combine(_dir, "absent.onnx");

        var error = Assert.Throws<DeployException>(() => new OrtRunner(OrtRunnerOptions.ForFile(path)));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Equal($"model file not found: {path}", error.Message);
    }

    [Fact]
    public void Bytes_that_are_not_a_model_are_bad_input_naming_the_model()
    {
        var error = Assert.Throws<DeployException>(() => new OrtRunner(OrtRunnerOptions.ForBytes(new byte[] { 0xff, 0xff, 0xff, 0x01 }, "garbage")));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.StartsWith("ONNX Runtime cannot load model 'garbage': ", error.Message, StringComparison.Ordinal);
        Assert.Equal(OrtErrorCode.InvalidProtobuf, Assert.IsType<OrtException>(error.InnerException).ErrorCode);
    }

    [Fact]
    public void A_custom_op_library_that_does_not_exist_is_a_missing_component()
    {
        var library = Path.Combine(_dir, "libsrd_fused_attention_ort.so");
        var options = OrtRunnerOptions.ForBytes(TestOnnxModels.Bytes(TestOnnxModels.Add())) with { CustomOpLibraries = [library] };

        var error = Assert.Throws<DeployException>(() => new OrtRunner(options));

        Assert.Equal(FailureKind.MissingComponent, error.Kind);
        Assert.Equal($"custom-op library not found: {library}", error.Message);
    }

    [Fact]
    public void A_custom_op_library_that_cannot_be_loaded_is_a_missing_component_naming_it()
    {
        var library = Path.Combine(_dir, "libbroken_ops.so");
        File.WriteAllText(library, "not a shared library");
        var options = OrtRunnerOptions.ForBytes(TestOnnxModels.Bytes(TestOnnxModels.Add())) with { CustomOpLibraries = [library] };

        var error = Assert.Throws<DeployException>(() => new OrtRunner(options));

        Assert.Equal(FailureKind.MissingComponent, error.Kind);
        Assert.StartsWith($"custom-op library '{library}' cannot be registered: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_with_an_element_type_tensors_cannot_hold_is_refused_at_load()
    {
        var error = Assert.Throws<DeployException>(() => RunnerFor(TestOnnxModels.Identity(DataType.String, 2L), "strings"));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Equal("input 'X' of model 'strings' has element type String, which srdeploy cannot exchange", error.Message);
    }

    [Fact]
    public void Setting_both_or_neither_model_source_is_a_usage_error()
    {
        Assert.Equal(FailureKind.Usage, Assert.Throws<DeployException>(() => new OrtRunner(new OrtRunnerOptions())).Kind);
        var both = new OrtRunnerOptions { ModelPath = "m.onnx", ModelBytes = new byte[] { 1 } };
        Assert.Equal(FailureKind.Usage, Assert.Throws<DeployException>(() => new OrtRunner(both)).Kind);
    }

    [Fact]
    public void A_missing_runtime_becomes_a_missing_component_listing_every_place_tried()
    {
        var notFound = new OrtLibraryNotFoundException(["SRDEPLOY_ORT_LIBRARY /x/libonnxruntime.so.1: no such file", "system libonnxruntime.so.1: cannot open shared object file"]);

        var error = Assert.Throws<DeployException>(() => OrtRunner.Translate<int>(() => throw notFound, m => m));

        Assert.Equal(FailureKind.MissingComponent, error.Kind);
        Assert.Equal(notFound.Message, error.Message);
        Assert.Contains("/x/libonnxruntime.so.1: no such file; system libonnxruntime.so.1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_token_cancelled_before_the_run_cancels_it_and_the_runner_stays_usable()
    {
        using var runner = RunnerFor(TestOnnxModels.MatMulSoftmax(), "matmul");
        var inputs = new Dictionary<string, Tensor> { ["X"] = Tensor.FromArray(new float[4], 1, 4) };

        Assert.Throws<OperationCanceledException>(() => runner.Run(inputs, new CancellationToken(canceled: true)));

        Assert.Equal(3, runner.Run(inputs)["Y"].ElementCount);
    }

    [Fact]
    public void Cancelling_during_a_run_stops_it_through_the_runtime_terminate_flag()
    {
        // About 270 GFLOP on one thread (over a second on a fast core), cancelled after 100 ms.
        using var runner = RunnerFor(TestOnnxModels.SlowChain(layers: 1000, size: 512), "slow");
        var inputs = new Dictionary<string, Tensor> { ["X"] = Tensor.FromArray(new float[512 * 512], 512, 512) };
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        var error = Assert.ThrowsAny<OperationCanceledException>(() => runner.Run(inputs, cancellation.Token));

        Assert.Equal(cancellation.Token, error.CancellationToken);
        var stoppedBy = Assert.IsType<OrtException>(error.InnerException);
        Assert.Contains("terminate", stoppedBy.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Concurrent_runs_on_one_runner_each_get_their_own_result()
    {
        using var runner = RunnerFor(TestOnnxModels.Int64Scale(), "i64");

        var results = new long[32][];
        Parallel.For(0, 32, i => results[i] = runner.Run(new Dictionary<string, Tensor>
        {
            ["X"] = Tensor.FromArray(new long[] { i, -i }, 2),
        })["Y"].AsSpan<long>().ToArray());

        for (var i = 0; i < 32; i++)
        {
            Assert.Equal([3L * i, -3L * i], results[i]);
        }
    }

    [Fact]
    public void A_disposed_runner_refuses_to_run()
    {
        var runner = RunnerFor(TestOnnxModels.MatMulSoftmax(), "matmul");
        runner.Dispose();

        Assert.Throws<ObjectDisposedException>(() => runner.Run(new Dictionary<string, Tensor> { ["X"] = Tensor.FromArray(new float[4], 1, 4) }));
    }
}
