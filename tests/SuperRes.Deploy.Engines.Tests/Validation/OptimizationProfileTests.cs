using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Engines.Tests.Validation;

public sealed class OptimizationProfileTests
{
    private static readonly OptimizationProfile[] Profiles =
    [
        new(0, new Dictionary<string, ProfileRange> { ["input"] = new([1, 3, 16, 16], [1, 3, 64, 64], [1, 3, 256, 256]) }),
        new(1, new Dictionary<string, ProfileRange> { ["input"] = new([1, 3, 64, 64], [1, 3, 128, 128], [1, 3, 512, 512]) }),
        new(2, new Dictionary<string, ProfileRange> { ["input"] = new([1, 3, 100, 100], [1, 3, 200, 200], [1, 3, 200, 200]) }),
    ];

    [Theory]
    [InlineData(64, 64, 0)]     // profile 0's opt (also inside profile 1)
    [InlineData(128, 128, 1)]   // inside profile 0, but profile 1's opt wins
    [InlineData(200, 200, 2)]   // inside 0 and 1, profile 2's opt
    [InlineData(100, 100, 0)]   // no opt match: the first profile containing it
    [InlineData(300, 300, 1)]
    [InlineData(8, 8, -1)]
    [InlineData(600, 64, -1)]
    public void The_profile_with_the_exact_opt_shape_is_chosen_first_then_the_first_that_contains_the_shape(int height, int width, int expected)
    {
        var shapes = new Dictionary<string, IReadOnlyList<long>> { ["input"] = new long[] { 1, 3, height, width } };

        Assert.Equal(expected, OptimizationProfile.Select(Profiles, shapes));
    }

    [Fact]
    public void A_shape_of_another_rank_lies_in_no_profile()
    {
        var shapes = new Dictionary<string, IReadOnlyList<long>> { ["input"] = new long[] { 3, 64, 64 } };

        Assert.Equal(-1, OptimizationProfile.Select(Profiles, shapes));
    }
}
