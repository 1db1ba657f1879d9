using SuperRes.Deploy.Engines.Upscaling;

namespace SuperRes.Deploy.Engines.Tests.Upscaling;

public sealed class TilePlannerTests
{
    public static TheoryData<int, int, int> Grid()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var alignment in new[] { 1, 2, 8 })
        {
            foreach (var tile in new[] { 16, 48, 64, 96 })
            {
                foreach (var overlap in new[] { 0, 8, 16, 24 })
                {
                    data.Add(alignment, tile, overlap);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Tiles_are_aligned_cover_the_padded_image_and_overlap_at_least_as_asked(int alignment, int tile, int overlap)
    {
        for (var length = 1; length <= 300; length++)
        {
            var axis = TilePlanner.Plan(length, 7, new AxisLimits(alignment), new AxisLimits(alignment), 4, new TileSettings(tile, overlap)).Columns;

            Assert.Equal(0, axis.PaddedLength % alignment);
            Assert.InRange(axis.PaddedLength - length, 0, alignment - 1);
            Assert.Equal(0, axis.TileLength % alignment);
            Assert.True(axis.TileLength <= Math.Max(axis.PaddedLength, 1));
            Assert.All(axis.Origins, o => Assert.Equal(0, o % alignment));
            Assert.Equal(0, axis.Origins[0]);
            Assert.Equal(axis.PaddedLength, axis.Origins[^1] + axis.TileLength);
            for (var i = 0; i + 1 < axis.Origins.Count; i++)
            {
                Assert.True(axis.Origins[i + 1] > axis.Origins[i]);
                Assert.True(axis.OverlapAfter(i) >= Math.Min(overlap, axis.TileLength / 2 / alignment * alignment),
                    $"length {length}: overlap {axis.OverlapAfter(i)} after tile {i} < {overlap}");
            }

            if (axis.PaddedLength <= tile)
            {
                Assert.Single(axis.Origins);
            }
        }
    }

    [Fact]
    public void A_tile_of_zero_runs_the_whole_image_padded_to_the_alignment()
    {
        var plan = TilePlanner.Plan(125, 93, new AxisLimits(8), new AxisLimits(8), 4, new TileSettings(0, 16));

        Assert.True(plan.IsWholeImage);
        Assert.Equal((128, 96), (plan.Columns.TileLength, plan.Rows.TileLength));
    }

    [Fact]
    public void An_image_that_fits_in_one_tile_is_one_run()
    {
        var plan = TilePlanner.Plan(200, 150, AxisLimits.Any, AxisLimits.Any, 2, new TileSettings(256, 16));

        Assert.True(plan.IsWholeImage);
        Assert.Equal((200, 150), (plan.Columns.TileLength, plan.Rows.TileLength));
    }

    [Fact]
    public void The_requested_tile_is_rounded_down_to_the_alignment()
    {
        var plan = TilePlanner.Plan(500, 500, new AxisLimits(8), new AxisLimits(8), 4, new TileSettings(100, 16));

        Assert.Equal(96, plan.Columns.TileLength);
    }

    [Fact]
    public void The_maximum_of_a_profile_or_config_caps_the_tile_even_in_whole_image_mode()
    {
        var capped = new AxisLimits(8, 16, 100);

        var plan = TilePlanner.Plan(300, 300, capped, capped, 4, new TileSettings(0, 16));

        Assert.Equal(96, plan.Columns.TileLength);
        Assert.True(plan.TileCount > 1);
    }

    [Fact]
    public void An_image_below_the_minimum_is_padded_up_to_it()
    {
        var plan = TilePlanner.Plan(5, 3, new AxisLimits(8, 16), new AxisLimits(8, 16), 4, new TileSettings(256, 16));

        Assert.Equal((16, 16), (plan.Columns.PaddedLength, plan.Rows.PaddedLength));
        Assert.Equal((16, 16), (plan.Columns.TileLength, plan.Rows.TileLength));
    }

    [Fact]
    public void Limits_that_admit_no_size_are_bad_input()
    {
        var impossible = new AxisLimits(8, 20, 23);

        var error = Assert.Throws<DeployException>(() => TilePlanner.Plan(100, 100, impossible, impossible, 4, new TileSettings()));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("multiple of 8 between 20 and 23", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(64, -2)]
    public void Negative_tile_or_overlap_is_a_usage_error(int tile, int overlap)
    {
        var error = Assert.Throws<DeployException>(() => TilePlanner.Plan(10, 10, AxisLimits.Any, AxisLimits.Any, 2, new TileSettings(tile, overlap)));

        Assert.Equal(FailureKind.Usage, error.Kind);
    }

    [Fact]
    public void Neighbouring_windows_are_complementary_and_zero_only_on_the_outer_quarter_of_an_overlap()
    {
        var axis = TilePlanner.Plan(208, 8, new AxisLimits(8), new AxisLimits(8), 4, new TileSettings(64, 16)).Columns;
        Assert.Equal([0, 48, 96, 144], axis.Origins);

        var first = axis.Weights(0, 4);
        var second = axis.Weights(1, 4);
        var overlap = 4 * axis.OverlapAfter(0);
        for (var i = 0; i < overlap; i++)
        {
            Assert.Equal(1.0, first[first.Length - overlap + i] + second[i], 6);
            Assert.Equal(i < overlap / 4, second[i] == 0);
            Assert.Equal(i >= overlap * 3 / 4, first[first.Length - overlap + i] == 0);
        }

        Assert.All(first.Concat(second), w => Assert.InRange(w, 0f, 1f));
        Assert.Equal(1f, first[0]); // the image's own edge has no window
        Assert.Equal(1f, second[overlap * 3 / 4]);
    }

    [Fact]
    public void Alignment_limits_combine_by_least_common_multiple()
    {
        var combined = new AxisLimits(4, 8, 512).Intersect(new AxisLimits(6, 16, 256));

        Assert.Equal(new AxisLimits(12, 16, 256), combined);
    }
}
