using System.Globalization;

namespace SuperRes.Deploy.Engines.Building;

/// <summary>
/// The sizes one spatial axis of the image input accepts, as the profile planner needs them: every size
/// <c>s ≥ Minimum</c> with <c>s mod Multiple = Remainder</c> (or exactly <see cref="Fixed"/>). A model that pads the
/// axis internally to a multiple of k accepts any size (Multiple 1) and records k in <see cref="PaddedMultiple"/>
/// for the explanation.
/// </summary>
public sealed record AxisSizeRule
{
    public AxisSizeRule(long multiple = 1, long remainder = 0, long minimum = 1, long? @fixed = null, long? paddedMultiple = null)
    {
        if (multiple < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(multiple), multiple, "must be at least 1");
        }

        if (remainder < 0 || remainder >= multiple)
        {
            throw new ArgumentOutOfRangeException(nameof(remainder), remainder, $"must be in [0, {multiple})");
        }

        if (@fixed is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(@fixed), @fixed, "must be at least 1");
        }

        Multiple = multiple;
        Remainder = remainder;
        Minimum = Math.Max(1, minimum);
        Fixed = @fixed;
        PaddedMultiple = paddedMultiple;
    }

    /// <summary>Any size from 1 up.</summary>
    public static AxisSizeRule Any { get; } = new();

    public long Multiple { get; }

    public long Remainder { get; }

    /// <summary>Never below 1: a profile's min shape is never 0 (vs-mlrt#20).</summary>
    public long Minimum { get; }

    /// <summary>The only size accepted, when the axis is static (or pinned by the graph).</summary>
    public long? Fixed { get; }

    /// <summary>The multiple the model pads this axis to internally (informational; any size is accepted).</summary>
    public long? PaddedMultiple { get; }

    /// <summary>The smallest size the axis accepts.</summary>
    public long Smallest => RoundUp(1) ?? Minimum;

    public bool Accepts(long size) =>
        Fixed is { } f ? size == f : size >= Minimum && Mod(size) == Remainder;

    /// <summary>The smallest accepted size ≥ <paramref name="size"/>; null when none (a fixed axis below the size).</summary>
    public long? RoundUp(long size)
    {
        if (Fixed is { } f)
        {
            return size <= f ? f : null;
        }

        var s = Math.Max(size, Minimum);
        var r = Mod(s);
        var up = r <= Remainder ? s + (Remainder - r) : s + (Multiple - r + Remainder);
        return up;
    }

    /// <summary>The largest accepted size ≤ <paramref name="size"/>; null when none.</summary>
    public long? RoundDown(long size)
    {
        if (Fixed is { } f)
        {
            return size >= f ? f : null;
        }

        if (size < Minimum)
        {
            return null;
        }

        var r = Mod(size);
        var down = r >= Remainder ? size - (r - Remainder) : size - (Multiple - Remainder + r);
        return down >= Minimum ? down : null;
    }

    /// <summary>"any size ≥ 5 (padded to a multiple of 8 inside the model)", "a multiple of 8, ≥ 8", "exactly 64".</summary>
    public string Describe()
    {
        if (Fixed is { } f)
        {
            return string.Create(CultureInfo.InvariantCulture, $"exactly {f}");
        }

        var text = Multiple == 1
            ? string.Create(CultureInfo.InvariantCulture, $"any size ≥ {Minimum}")
            : Remainder == 0
                ? string.Create(CultureInfo.InvariantCulture, $"a multiple of {Multiple}, ≥ {Smallest}")
                : string.Create(CultureInfo.InvariantCulture, $"{Remainder} more than a multiple of {Multiple}, ≥ {Smallest}");
        return PaddedMultiple is { } k
            ? string.Create(CultureInfo.InvariantCulture, $"{text} (padded to a multiple of {k} inside the model)")
            : text;
    }

    private long Mod(long size) => ((size % Multiple) + Multiple) % Multiple;
}
