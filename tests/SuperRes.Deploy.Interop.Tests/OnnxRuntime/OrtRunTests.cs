using SuperRes.Deploy.Interop.OnnxRuntime;
using SuperRes.Deploy.Tests;
using DataType = Onnx.TensorProto.Types.DataType;

namespace SuperRes.Deploy.Interop.Tests.OnnxRuntime;

public sealed class OrtRunTests
{
    [Fact]
    public void MatMul_softmax_output_matches_a_CSharp_computation()
    {
        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.MatMulSoftmax()));
        var random = new Random(1234);
        var x = Enumerable.Range(0, 5 * 4).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();

        using var input = OrtValue.CreateTensor<float>(x, [5, 4]);
        var outputs = session.Run(["X"], [input], ["Y"]);
        using var y = Assert.Single(outputs);

        Assert.Equal([5L, 3L], y.GetShape());
        Assert.Equal(OrtElementType.Float, y.ElementType);
        OrtSessionTests.AssertClose(TestOnnxModels.MatMulSoftmaxReference(x, 5), y.ToArray<float>(), 1e-6f);
    }

    [Fact]
    public void Add_of_two_inputs_matches_elementwise_sum()
    {
        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.Add()));
        float[] a = [1, 2, 3, 4, 5, 6];
        float[] b = [0.5f, -2, 10, 0, -5, 1e-3f];

        using var inputA = OrtValue.CreateTensor<float>(a, [2, 3]);
        using var inputB = OrtValue.CreateTensor<float>(b, [2, 3]);
        var outputs = session.Run(["B", "A"], [inputB, inputA], ["C"]);
        using var c = Assert.Single(outputs);

        Assert.Equal(a.Zip(b, (p, q) => p + q), c.ToArray<float>());
    }

    [Fact]
    public void Float16_tensors_run_through_a_float16_add()
    {
        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.Float16Add()));
        Half[] x = [(Half)0.5f, (Half)(-1.25f), (Half)1000f, (Half)0.0009765625f];

        using var input = OrtValue.CreateTensor<Half>(x, [x.Length]);
        var outputs = session.Run(["X"], [input], ["Y"]);
        using var y = Assert.Single(outputs);

        Assert.Equal(OrtElementType.Float16, y.ElementType);
        Assert.Equal(x.Select(v => (Half)((float)v * 2)), y.ToArray<Half>());
    }

    [Fact]
    public void Int64_tensors_run_through_an_int64_multiply()
    {
        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.Int64Scale()));
        long[] x = [1, -7, 1L << 40, 0];

        using var input = OrtValue.CreateTensor<long>(x, [x.Length]);
        var outputs = session.Run(["X"], [input], ["Y"]);
        using var y = Assert.Single(outputs);

        Assert.Equal(x.Select(v => v * 3), y.ToArray<long>());
    }

    [Fact]
    public void Int32_uint8_and_bool_tensors_pass_through_identity_unchanged()
    {
        Assert.Equal([int.MinValue, -1, 0, int.MaxValue], RoundTrip<int>(DataType.Int32, [int.MinValue, -1, 0, int.MaxValue]));
        Assert.Equal([0, 1, 128, 255], RoundTrip<byte>(DataType.Uint8, [0, 1, 128, 255]));
        Assert.Equal([true, false, false, true], RoundTrip<bool>(DataType.Bool, [true, false, false, true]));
    }

    [Fact]
    public unsafe void A_tensor_over_a_managed_array_points_at_the_array_itself()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };

        using var value = OrtValue.CreateTensor<float>(data, [2, 3]);

        fixed (float* first = data)
        {
            Assert.Equal((nint)first, value.DataAddress);
        }

        Assert.Equal([2L, 3L], value.GetShape());
        Assert.Equal(6, value.ElementCount);
    }

    [Fact]
    public void A_run_reads_the_wrapped_buffer_as_it_is_at_run_time_so_no_copy_was_taken()
    {
        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.Identity(DataType.Float, 4L)));
        var data = new float[] { 1, 2, 3, 4 };
        using var input = OrtValue.CreateTensor<float>(data, [4]);

        data[2] = 42;
        var outputs = session.Run(["X"], [input], ["Y"]);
        using var y = Assert.Single(outputs);

        Assert.Equal([1f, 2f, 42f, 4f], y.ToArray<float>());
    }

    [Fact]
    public void A_tensor_over_a_slice_of_an_array_wraps_that_slice()
    {
        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.Identity(DataType.Float, 3L)));
        var backing = new float[] { 9, 1, 2, 3, 9 };

        using var input = OrtValue.CreateTensor(backing.AsMemory(1, 3), [3]);
        var outputs = session.Run(["X"], [input], ["Y"]);
        using var y = Assert.Single(outputs);

        Assert.Equal([1f, 2f, 3f], y.ToArray<float>());
    }

    [Fact]
    public void A_shape_that_does_not_match_the_buffer_length_is_rejected_before_calling_the_runtime()
    {
        var error = Assert.Throws<ArgumentException>(() => OrtValue.CreateTensor<float>(new float[6], [2, 4]));
        Assert.Contains("[2,4] holds 8 elements but the buffer has 6", error.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => OrtValue.CreateTensor<float>(new float[6], [-2, -3]));
        Assert.Throws<NotSupportedException>(() => OrtValue.CreateTensor<decimal>(new decimal[1], [1]));
    }

    [Fact]
    public void Reading_an_output_as_the_wrong_element_type_is_refused()
    {
        using var value = OrtValue.CreateTensor<long>(new long[] { 1, 2 }, [2]);

        var error = Assert.Throws<InvalidOperationException>(() => value.ToArray<float>());

        Assert.Equal("the tensor holds Int64 elements, not Float", error.Message);
    }

    [Fact]
    public void An_unknown_input_name_fails_with_InvalidArgument_naming_it()
    {
        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.MatMulSoftmax()));
        using var input = OrtValue.CreateTensor<float>(new float[4], [1, 4]);

        var error = Assert.Throws<OrtException>(() => session.Run(["NotAnInput"], [input], ["Y"]));

        Assert.Equal(OrtErrorCode.InvalidArgument, error.ErrorCode);
        Assert.Contains("NotAnInput", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_input_of_the_wrong_shape_fails_with_a_message_naming_the_input()
    {
        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.MatMulSoftmax()));
        using var input = OrtValue.CreateTensor<float>(new float[6], [2, 3]);

        var error = Assert.Throws<OrtException>(() => session.Run(["X"], [input], ["Y"]));

        Assert.Equal(OrtErrorCode.InvalidArgument, error.ErrorCode);
        Assert.Contains("X", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_terminate_flag_stops_runs_until_it_is_reset()
    {
        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.MatMulSoftmax()));
        using var input = OrtValue.CreateTensor<float>(new float[4], [1, 4]);
        using var runOptions = new OrtRunOptions();
        runOptions.SetTag("terminate-test");

        runOptions.Terminate();
        var error = Assert.Throws<OrtException>(() => session.Run(["X"], [input], ["Y"], runOptions));
        Assert.Contains("terminate", error.Message, StringComparison.OrdinalIgnoreCase);

        runOptions.ResetTerminate();
        var outputs = session.Run(["X"], [input], ["Y"], runOptions);
        using var y = Assert.Single(outputs);
        Assert.Equal(3, y.ElementCount);
    }

    [Fact]
    public void Concurrent_runs_on_one_session_each_get_their_own_correct_result()
    {
        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.MatMulSoftmax()));
        var results = new float[16][];
        var inputs = Enumerable.Range(0, 16).Select(i => new float[] { i, -i, i * 0.5f, 1 }).ToArray();

        Parallel.For(0, 16, i => results[i] = OrtSessionTests.RunOnce(session, inputs[i]));

        for (var i = 0; i < 16; i++)
        {
            OrtSessionTests.AssertClose(TestOnnxModels.MatMulSoftmaxReference(inputs[i], 1), results[i], 1e-6f);
        }
    }

    private static T[] RoundTrip<T>(DataType type, T[] data)
        where T : unmanaged
    {
        using var session = OrtSession.FromBytes(TestOnnxModels.Bytes(TestOnnxModels.Identity(type, (long)data.Length)));
        using var input = OrtValue.CreateTensor<T>(data, [data.Length]);
        var outputs = session.Run(["X"], [input], ["Y"]);
        using var y = Assert.Single(outputs);
        Assert.Equal(OrtValue.ElementTypeOf<T>(), y.ElementType);
        return y.ToArray<T>();
    }
}
