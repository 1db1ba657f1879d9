using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Engines.Tests.Runtime;

public sealed class TensorTests
{
    [Fact]
    public void FromArray_wraps_the_array_without_copying_and_keeps_the_shape()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };

        var tensor = Tensor.FromArray(data, 2, 3);
        data[0] = 42;

        Assert.Equal(TensorElementType.Float32, tensor.ElementType);
        Assert.Equal([2L, 3L], tensor.Shape);
        Assert.Equal(2, tensor.Rank);
        Assert.Equal(6, tensor.ElementCount);
        Assert.Same(data, tensor.Data);
        Assert.Equal(42f, tensor.AsSpan<float>()[0]);
        Assert.Equal("float32[2,3]", tensor.ToString());
    }

    [Fact]
    public void Each_array_type_maps_to_its_element_type()
    {
        Assert.Equal(TensorElementType.Float16, Tensor.FromArray(new Half[2], 2).ElementType);
        Assert.Equal(TensorElementType.Float64, Tensor.FromArray(new double[2], 2).ElementType);
        Assert.Equal(TensorElementType.Int8, Tensor.FromArray(new sbyte[2], 2).ElementType);
        Assert.Equal(TensorElementType.UInt8, Tensor.FromArray(new byte[2], 2).ElementType);
        Assert.Equal(TensorElementType.Int32, Tensor.FromArray(new int[2], 2).ElementType);
        Assert.Equal(TensorElementType.Int64, Tensor.FromArray(new long[2], 2).ElementType);
        Assert.Equal(TensorElementType.Bool, Tensor.FromArray(new bool[2], 2).ElementType);
    }

    [Fact]
    public void A_scalar_has_rank_zero_and_one_element()
    {
        var scalar = Tensor.FromArray(new long[] { 7 });

        Assert.Equal(0, scalar.Rank);
        Assert.Equal(1, scalar.ElementCount);
        Assert.Equal("int64[]", scalar.ToString());
    }

    [Fact]
    public void A_shape_that_does_not_match_the_array_length_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[5], 2, 3));
        Assert.StartsWith("shape [2,3] holds 6 elements but the array has 5", error.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[6], -2, -3));
    }

    [Fact]
    public void Reading_the_elements_as_another_type_is_refused()
    {
        var tensor = Tensor.FromArray(new long[3], 3);

        var error = Assert.Throws<InvalidOperationException>(() => tensor.AsSpan<float>());

        Assert.Equal("the tensor holds int64 elements, not Single", error.Message);
    }

    [Fact]
    public void Zeros_allocates_the_backing_array_of_the_element_type()
    {
        var tensor = Tensor.Zeros(TensorElementType.Float16, 1, 3, 4, 5);

        Assert.IsType<Half[]>(tensor.Data);
        Assert.Equal(60, tensor.ElementCount);
        Assert.All(tensor.AsSpan<Half>().ToArray(), h => Assert.Equal(Half.Zero, h));
    }

    [Fact]
    public void Shape_returned_to_callers_cannot_change_the_tensor()
    {
        var shape = new long[] { 2, 2 };
        var tensor = Tensor.FromArray(new float[4], shape);

        shape[0] = 4;

        Assert.Equal([2L, 2L], tensor.Shape);
    }

    [Fact]
    public void Dims_and_infos_print_fixed_sizes_symbols_and_unknowns()
    {
        var info = new TensorInfo("input", TensorElementType.Float32, [TensorDim.Symbolic("batch"), TensorDim.Fixed(3), TensorDim.Unknown, default]);

        Assert.Equal("input: float32[batch,3,?,?]", info.ToString());
        Assert.Equal(4, info.Rank);
        Assert.True(info.Dims[1].IsFixed);
        Assert.Equal(3, info.Dims[1].Size);
        Assert.True(info.Dims[0].IsSymbolic);
        Assert.False(info.Dims[2].IsFixed || info.Dims[2].IsSymbolic);
        Assert.Equal(TensorDim.Unknown, info.Dims[3]);
    }
}
