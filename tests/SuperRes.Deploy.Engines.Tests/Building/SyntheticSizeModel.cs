using SuperRes.Deploy.Engines.Building;

namespace SuperRes.Deploy.Engines.Tests.Building;

/// <summary>
/// A made-up model for the planner's property tests: axis rules as given, an optional internal padding, and costs that
/// grow with the (padded) pixel count like an SR network's: peak activation = batch · pixels · bytesPerPixel,
/// largest tensor = batch · pixels · elementsPerPixel (an SR output is scale² · channels per input pixel).
/// </summary>
internal sealed record SyntheticSizeModel(
    AxisSizeRule Height,
    AxisSizeRule Width,
    long BytesPerPixel,
    long ElementsPerPixel,
    long PadTo = 1,
    long? FixedBatch = null,
    long Channels = 3) : IProfileSizeModel
{
    public string InputName => "input";

    public double? Scale => 4;

    public ShapeCost CostAt(long batch, long height, long width)
    {
        var pixels = checked(batch * Pad(height) * Pad(width));
        return new ShapeCost(checked(pixels * BytesPerPixel), checked(pixels * ElementsPerPixel), "synthetic/largest", 0);
    }

    public IReadOnlyList<string> ViolationsAt(long batch, long height, long width)
    {
        var problems = new List<string>();
        if (!Height.Accepts(height))
        {
            problems.Add($"height {height} is not {Height.Describe()}");
        }

        if (!Width.Accepts(width))
        {
            problems.Add($"width {width} is not {Width.Describe()}");
        }

        if (FixedBatch is { } b && batch != b)
        {
            problems.Add($"batch {batch} is not {b}");
        }

        return problems;
    }

    public override string ToString() =>
        $"height {Height.Describe()}, width {Width.Describe()}, {BytesPerPixel} B/px, {ElementsPerPixel} el/px, pad {PadTo}, batch {FixedBatch?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "dynamic"}";

    private long Pad(long size) => (size + PadTo - 1) / PadTo * PadTo;
}
