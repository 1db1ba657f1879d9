using System.Globalization;

namespace SuperRes.Deploy.Engines.Upscaling;

/// <summary>
/// What one spatial axis of the model input accepts: sizes that are multiples of <see cref="Alignment"/>, at least
/// <see cref="Minimum"/> and at most <see cref="Maximum"/>. For a model that pads to a multiple of k inside (DITN's
/// 8×8 patches, Swin windows) the alignment is k too: its output depends on where the patch grid falls, so tiles must
/// start on that grid for a tiled result to equal the whole-image one.
/// </summary>
/// <param name="Alignment">Tile origins and sizes are multiples of this (≥ 1).</param>
/// <param name="Minimum">The smallest size the model accepts (≥ 1).</param>
/// <param name="Maximum">The largest size (an engine profile's max, a config's max_tile), or null.</param>
public sealed record AxisLimits(int Alignment = 1, int Minimum = 1, int? Maximum = null)
{
    /// <summary>Any size.</summary>
    public static AxisLimits Any { get; } = new();

    /// <summary>Both limits' rules at once: the least common multiple of the alignments, the larger minimum, the smaller maximum.</summary>
    public AxisLimits Intersect(AxisLimits other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var maximum = (Maximum, other.Maximum) switch
        {
            ({ } a, { } b) => Math.Min(a, b),
            ({ } a, null) => a,
            (null, var b) => b,
        };
        return new AxisLimits(Lcm(Alignment, other.Alignment), Math.Max(Minimum, other.Minimum), maximum);
    }

    /// <summary>E.g. "multiple of 8, 16..512".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"multiple of {Alignment}, {Minimum}..{(Maximum is { } m ? m.ToString(CultureInfo.InvariantCulture) : "any")}");

    internal static int Lcm(int a, int b)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(a);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(b);
        var (x, y) = (a, b);
        while (y != 0)
        {
            (x, y) = (y, x % y);
        }

        return checked(a / x * b);
    }
}

/// <summary>How the user wants an image cut: tile size (0 = the whole image in one run) and overlap, in input pixels.</summary>
/// <param name="Tile">The requested tile side; rounded down to the alignment and clamped to the limits. 0 = whole image.</param>
/// <param name="Overlap">The least overlap between neighbouring tiles (input pixels, capped at half a tile); blended with raised-cosine ramps.</param>
public sealed record TileSettings(int Tile = TileSettings.DefaultTile, int Overlap = TileSettings.DefaultOverlap)
{
    /// <summary>The default tile side (input pixels).</summary>
    public const int DefaultTile = 256;

    /// <summary>
    /// The default overlap (input pixels). With it, tiled DITN-Real x4 stays above 60 dB PSNR (float and 8-bit) of the
    /// whole-image result on the Set5 images measured; 8 already keeps it above 50 dB (docs/cli.md, "upscale", has the
    /// table; tests/SuperRes.Deploy.Benchmarks "tiling" makes it).
    /// </summary>
    public const int DefaultOverlap = 16;

    /// <summary>Fails with a usage error for negative values.</summary>
    public void Validate()
    {
        if (Tile < 0)
        {
            throw DeployException.Usage($"--tile must be 0 (whole image) or a positive size, not {Tile}");
        }

        if (Overlap < 0)
        {
            throw DeployException.Usage($"--overlap must be 0 or more, not {Overlap}");
        }
    }
}

/// <summary>
/// The tiles along one axis: the image is padded (reflect) from <see cref="ImageLength"/> to <see cref="PaddedLength"/>
/// (a multiple of the alignment, at least the minimum), cut into <see cref="Origins"/>.Count tiles of
/// <see cref="TileLength"/> starting at <see cref="Origins"/> (multiples of the alignment; the first at 0, the last
/// ending at the padded edge; spread evenly in between so that every overlap is at least the requested one).
/// </summary>
public sealed record AxisTiling(int ImageLength, int PaddedLength, int TileLength, int Alignment, IReadOnlyList<int> Origins)
{
    /// <summary>The overlap between tile <paramref name="index"/> and the next one (input pixels), 0 for the last.</summary>
    public int OverlapAfter(int index) => index + 1 < Origins.Count ? Origins[index] + TileLength - Origins[index + 1] : 0;

    /// <summary>The overlap between tile <paramref name="index"/> and the previous one (input pixels), 0 for the first.</summary>
    public int OverlapBefore(int index) => index > 0 ? OverlapAfter(index - 1) : 0;

    /// <summary>The smallest overlap between neighbours (0 with one tile).</summary>
    public int MinimumOverlap => Origins.Count < 2 ? 0 : Enumerable.Range(0, Origins.Count - 1).Min(OverlapAfter);

    /// <summary>
    /// The blend weight of tile <paramref name="index"/> at each of its <paramref name="scale"/> × <see cref="TileLength"/>
    /// output samples. Across its overlap (length L) with each neighbour: 0 on the outer quarter (the tile's border,
    /// where the model's own zero or reflect padding corrupts its output), a raised-cosine (half-sine squared) ramp
    /// over the middle half, 1 on the inner quarter and beyond; 1 on the image's own edges. The neighbour's window over
    /// the same overlap is the mirror image, so two tiles' weights add to exactly 1 there, and a model whose receptive
    /// field reaches less than L/4 pixels gives the whole-image result exactly.
    /// </summary>
    public float[] Weights(int index, int scale)
    {
        var length = scale * TileLength;
        var before = scale * OverlapBefore(index);
        var after = scale * OverlapAfter(index);
        var weights = new float[length];
        for (var i = 0; i < length; i++)
        {
            weights[i] = (float)(Ramp(i + 0.5, before) * Ramp(length - i - 0.5, after));
        }

        return weights;
    }

    /// <summary>The window at <paramref name="distance"/> from the tile's edge inside an overlap of <paramref name="length"/>.</summary>
    private static double Ramp(double distance, int length)
    {
        if (length <= 0)
        {
            return 1;
        }

        var margin = length / 4.0;
        var ramp = length - (2 * margin);
        if (distance < margin)
        {
            return 0;
        }

        if (distance - margin >= ramp)
        {
            return 1;
        }

        var s = Math.Sin(Math.PI / 2 * (distance - margin) / ramp);
        return s * s;
    }

    /// <summary>Plans one axis. See <see cref="TilePlanner"/>.</summary>
    internal static AxisTiling Plan(string axis, int imageLength, AxisLimits limits, int requestedTile, int overlap)
    {
        var k = limits.Alignment;
        var minimum = RoundUp(limits.Minimum, k);
        int? maximum = limits.Maximum is { } max ? RoundDown(max, k) : null;
        if (maximum is { } upper && upper < minimum)
        {
            throw DeployException.BadInput(
                $"no {axis} tile size fits the model: it needs a multiple of {k} between {limits.Minimum} and {limits.Maximum}");
        }

        var padded = Math.Max(RoundUp(imageLength, k), minimum);
        int tile;
        if (requestedTile == 0)
        {
            tile = padded;
        }
        else
        {
            tile = Math.Max(RoundDown(requestedTile, k), Math.Max(k, minimum));
        }

        if (maximum is { } cap)
        {
            tile = Math.Min(tile, cap);
        }

        tile = Math.Min(tile, padded);
        if (tile >= padded)
        {
            return new AxisTiling(imageLength, padded, padded, k, [0]);
        }

        // The stride between tiles: at most tile − overlap (the overlap capped at half a tile), a multiple of k; at least k.
        var stride = Math.Max(k, RoundDown(tile - Math.Min(overlap, tile / 2), k));
        var span = (padded - tile) / k; // the last origin, in units of k
        var intervals = (span + (stride / k) - 1) / (stride / k);
        var origins = new int[intervals + 1];
        for (var i = 0; i <= intervals; i++)
        {
            origins[i] = (int)((long)i * span / intervals) * k; // floor keeps every step ≤ stride
        }

        return new AxisTiling(imageLength, padded, tile, k, origins);
    }

    internal static int RoundUp(int value, int k) => checked((value + k - 1) / k * k);

    internal static int RoundDown(int value, int k) => value / k * k;
}

/// <summary>The tiles of one image: rows × columns of tiles, and the model's scale.</summary>
public sealed record TilePlan(AxisTiling Rows, AxisTiling Columns, int Scale)
{
    /// <summary>Tiles in all.</summary>
    public int TileCount => Rows.Origins.Count * Columns.Origins.Count;

    /// <summary>True when one run covers the whole (padded) image.</summary>
    public bool IsWholeImage => TileCount == 1;

    /// <summary>E.g. "4×3 tiles of 256×256 (overlap ≥ 32×40), image padded to 1000×752".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Columns.Origins.Count}×{Rows.Origins.Count} tiles of {Columns.TileLength}×{Rows.TileLength} (overlap ≥ {Columns.MinimumOverlap}×{Rows.MinimumOverlap}), image {Columns.ImageLength}×{Rows.ImageLength} padded to {Columns.PaddedLength}×{Rows.PaddedLength}, scale {Scale}");
}

/// <summary>
/// Chooses tiles for an image inside what the model accepts. Per axis: the image is padded (reflect) up to a multiple
/// of the alignment (and to the minimum size); the tile side is the requested one rounded down to the alignment, at least
/// the minimum, at most the maximum and the padded image; tiles start at multiples of the alignment, the first at 0 and
/// the last at the padded edge, spread evenly so that neighbours overlap by at least the requested overlap. A tile of 0,
/// or an image that fits in one tile, gives a single whole-image run (still padded to the alignment).
/// </summary>
public static class TilePlanner
{
    /// <summary>Plans the tiles of a <paramref name="width"/> × <paramref name="height"/> image.</summary>
    /// <exception cref="DeployException">Usage: negative tile/overlap. BadInput: the limits admit no tile size.</exception>
    public static TilePlan Plan(int width, int height, AxisLimits heightLimits, AxisLimits widthLimits, int scale, TileSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(heightLimits);
        ArgumentNullException.ThrowIfNull(widthLimits);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        return new TilePlan(
            AxisTiling.Plan("height", height, heightLimits, settings.Tile, settings.Overlap),
            AxisTiling.Plan("width", width, widthLimits, settings.Tile, settings.Overlap),
            scale);
    }
}
