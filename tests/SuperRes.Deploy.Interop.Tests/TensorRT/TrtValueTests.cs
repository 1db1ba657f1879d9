using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Interop.Tests.TensorRT;

public sealed class TrtValueTests
{
    [Theory]
    [InlineData("1x3x64x64", 4)]
    [InlineData("-1x3x-1x-1", 4)]
    [InlineData("scalar", 0)]
    [InlineData("1x2x3x4x5x6x7x8", 8)]
    public void Dims_parse_and_print_round_trip(string text, int rank)
    {
        var dims = TrtDims.Parse(text);

        Assert.Equal(rank, dims.Rank);
        Assert.Equal(text, dims.ToString());
        Assert.Equal(dims, TrtDims.Parse(text));
        Assert.Equal(text.Contains("-1", StringComparison.Ordinal), dims.IsDynamic);
    }

    [Theory]
    [InlineData("1x3xx64")]
    [InlineData("1x-2")]
    [InlineData("axb")]
    public void Malformed_dims_are_rejected(string text) => Assert.Throws<FormatException>(() => TrtDims.Parse(text));

    [Fact]
    public void Dims_beyond_TensorRTs_rank_limit_are_rejected() =>
        Assert.Throws<ArgumentException>(() => new TrtDims(1, 2, 3, 4, 5, 6, 7, 8, 9));

    [Fact]
    public void Plan_header_gives_the_version_of_the_TensorRT_that_built_the_plan()
    {
        var plan = new byte[32];
        BitConverter.GetBytes(TrtPlanHeader.Tag).CopyTo(plan, 0);
        plan[24] = 10;
        plan[25] = 16;
        plan[26] = 0;
        plan[27] = 72;

        Assert.Equal(new Version(10, 16, 0, 72), TrtPlanHeader.TryRead(plan)?.Version);
    }

    [Theory]
    [InlineData(0u, 0u, 32)]
    [InlineData(0x74727466u, 1u, 32)]
    [InlineData(0x74727466u, 0u, 27)]
    public void Bytes_that_are_not_a_plan_have_no_header(uint tag, uint serializationVersion, int length)
    {
        var bytes = new byte[length];
        BitConverter.GetBytes(tag).CopyTo(bytes, 0);
        BitConverter.GetBytes(serializationVersion).CopyTo(bytes, 4);

        Assert.Null(TrtPlanHeader.TryRead(bytes));
    }

    [Theory]
    [InlineData(100300, 26, "10.3.0.26")]
    [InlineData(110100, null, "11.1.0")]
    [InlineData(0, null, null)]
    public void TensorRT_version_numbers_become_versions(int value, int? build, string? expected) =>
        Assert.Equal(expected, TrtLibraryInfo.TensorRtVersion(value, build)?.ToString());

    [Theory]
    [InlineData(12080, "12.8")]
    [InlineData(13000, "13.0")]
    [InlineData(0, null)]
    public void CUDA_version_numbers_become_versions(int value, string? expected) =>
        Assert.Equal(expected, TrtLibraryInfo.CudaVersion(value)?.ToString());
}
