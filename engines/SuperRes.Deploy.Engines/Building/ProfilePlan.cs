using System.Globalization;
using SuperRes.Deploy.Engines.Configuration;

namespace SuperRes.Deploy.Engines.Building;

/// <summary>TensorRT limits the planner respects.</summary>
public static class TensorRtLimits
{
    /// <summary>Largest element count of any tensor (2^31 − 1, TensorRT#4408).</summary>
    public const long MaxTensorElements = (1L << 31) - 1;
}

/// <summary>One target image size, named as the user wrote it (e.g. "1080p" or "1920x1080").</summary>
public sealed record PlannerTarget(string Name, int Width, int Height);

/// <summary>What the profile planner is asked to cover, and within which limits.</summary>
public sealed record ProfilePlanRequest
{
    public required IReadOnlyList<PlannerTarget> Targets { get; init; }

    /// <summary>Also cover every target rotated by 90° (portrait as well as landscape; VSGAN-tensorrt-docker#65).</summary>
    public bool BothOrientations { get; init; } = true;

    /// <summary>Largest side of an engine input; targets with a longer side are tiled (null: whole images where the limits allow).</summary>
    public int? MaxTile { get; init; }

    public int Batch { get; init; } = 1;

    public int MaxProfiles { get; init; } = 4;

    /// <summary>Peak activation bytes allowed at each profile's max shape (null: no budget).</summary>
    public long? ActivationMemoryBudget { get; init; }

    /// <summary>Element limit of every tensor at each profile's max shape.</summary>
    public long ElementLimit { get; init; } = TensorRtLimits.MaxTensorElements;

    /// <summary>The request a config's <c>targets</c> section makes.</summary>
    public static ProfilePlanRequest FromConfig(TargetSettings targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var names = targets.SizeNames;
        return new ProfilePlanRequest
        {
            Targets = [.. targets.Sizes.Select((s, i) => new PlannerTarget(
                i < names.Count ? names[i] : string.Create(CultureInfo.InvariantCulture, $"{s.Width}x{s.Height}"), s.Width, s.Height))],
            BothOrientations = targets.BothOrientations,
            MaxTile = targets.MaxTile,
            Batch = targets.Batch,
            MaxProfiles = targets.MaxProfiles,
            ActivationMemoryBudget = targets.ActivationMemoryBudget,
        };
    }
}

/// <summary>A full NCHW shape of a profile corner.</summary>
public sealed record ProfileShape(long Batch, long Channels, long Height, long Width)
{
    public long[] Dims => [Batch, Channels, Height, Width];

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Batch}x{Channels}x{Height}x{Width}");
}

public enum TargetOrientation
{
    Landscape,
    Portrait,
    Square,
}

/// <summary>How one target (in one orientation) is served.</summary>
/// <param name="Target">The target's name (e.g. "1080p").</param>
/// <param name="Width">Image width in this orientation.</param>
/// <param name="Height">Image height in this orientation.</param>
/// <param name="EngineHeight">Height the engine receives: the image (rounded up to a size the model accepts; the
/// runner pads) or the tile.</param>
/// <param name="EngineWidth">Width the engine receives.</param>
/// <param name="Tiled">True when the image is cut into tiles of EngineHeight × EngineWidth.</param>
/// <param name="Why">Why it is tiled, or why the engine shape differs from the image; empty otherwise.</param>
/// <param name="Profile">The profile that serves it.</param>
public sealed record TargetAssignment(
    string Target, TargetOrientation Orientation, long Width, long Height, long EngineHeight, long EngineWidth, bool Tiled, string Why, int Profile)
{
    public string Label => string.Create(CultureInfo.InvariantCulture, $"{Target} {Orientation.ToString().ToLowerInvariant()} {Width}x{Height}");
}

/// <summary>One planned optimization profile with what it covers and why it has its bounds.</summary>
public sealed record PlannedProfile(
    int Index,
    ProfileShape Min,
    ProfileShape Opt,
    ProfileShape Max,
    IReadOnlyList<string> Covers,
    ShapeCost MinCost,
    ShapeCost OptCost,
    ShapeCost MaxCost,
    IReadOnlyList<string> Reasons)
{
    /// <summary>True when every dimension of <paramref name="shape"/> lies within min..max.</summary>
    public bool Contains(long height, long width) =>
        height >= Min.Height && height <= Max.Height && width >= Min.Width && width <= Max.Width;
}

/// <summary>The planner's result: profiles, how each target is served, and the notes behind them.</summary>
public sealed record ProfilePlan(
    string InputName,
    long Batch,
    long Channels,
    AxisSizeRule HeightRule,
    AxisSizeRule WidthRule,
    IReadOnlyList<PlannedProfile> Profiles,
    IReadOnlyList<TargetAssignment> Targets,
    long? TileHeight,
    long? TileWidth,
    long? ActivationMemoryBudget,
    long ElementLimit,
    int MaxProfiles,
    IReadOnlyList<string> Notes)
{
    /// <summary>The <c>--explain</c> text: the rules, each profile and why it is what it is, each target.</summary>
    public IReadOnlyList<string> Explain()
    {
        var lines = new List<string>
        {
            $"input '{InputName}': height {HeightRule.Describe()}; width {WidthRule.Describe()}",
            $"limits at every max shape: tensors ≤ {Num(ElementLimit)} elements (TensorRT), peak activation "
                + (ActivationMemoryBudget is { } b ? $"≤ {ByteSize.Format(b)} (targets.memory_budget)" : "unbounded (no targets.memory_budget)")
                + $"; at most {MaxProfiles} profile(s)",
        };
        lines.AddRange(Notes);
        foreach (var p in Profiles)
        {
            lines.Add($"profile {p.Index}: min {p.Min}  opt {p.Opt}  max {p.Max}");
            lines.AddRange(p.Reasons.Select(r => "  " + r));
        }

        lines.Add("targets:");
        foreach (var t in Targets)
        {
            var how = t.Tiled
                ? string.Create(CultureInfo.InvariantCulture, $"tiled, tiles of {Batch}x{Channels}x{t.EngineHeight}x{t.EngineWidth}")
                : string.Create(CultureInfo.InvariantCulture, $"whole image as {Batch}x{Channels}x{t.EngineHeight}x{t.EngineWidth}");
            lines.Add($"  {t.Label}: profile {t.Profile}, {how}{(t.Why.Length > 0 ? "; " + t.Why : string.Empty)}");
        }

        return lines;
    }

    internal static string Num(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
