namespace SuperRes.Deploy.Engines.Imaging;

/// <summary>How an image is written.</summary>
public sealed record ImageWriteOptions
{
    /// <summary>The defaults: 8 bits per sample, zlib level 6.</summary>
    public static ImageWriteOptions Default { get; } = new();

    /// <summary>Bits per sample in the file: 8 or 16. Samples are quantised as <see cref="Quantization"/> states.</summary>
    public int BitDepth { get; init; } = 8;

    /// <summary>PNG only: the zlib compression level, 0 (store) to 9 (smallest); 6 is zlib's default.</summary>
    public int CompressionLevel { get; init; } = 6;

    /// <summary>
    /// PNG only: null (default) picks each row's filter adaptively (the one with the smallest sum of absolute values, of
    /// all five); 0..4 (None, Sub, Up, Average, Paeth) uses that filter for every row, five times less filtering work
    /// for slightly larger files (for previews written on a hot path).
    /// </summary>
    public int? RowFilter { get; init; }

    internal void Validate()
    {
        if (BitDepth is not (8 or 16))
        {
            throw DeployException.Usage($"image bit depth must be 8 or 16, not {BitDepth}");
        }

        if (CompressionLevel is < 0 or > 9)
        {
            throw DeployException.Usage($"PNG compression level must be 0..9, not {CompressionLevel}");
        }

        if (RowFilter is < 0 or > 4)
        {
            throw DeployException.Usage($"PNG row filter must be 0..4, not {RowFilter}");
        }
    }
}
