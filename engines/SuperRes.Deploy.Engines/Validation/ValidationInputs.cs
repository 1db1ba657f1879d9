using SuperRes.Deploy.Engines.Imaging;

namespace SuperRes.Deploy.Engines.Validation;

/// <summary>What the models are fed: seeded uniform noise, or images (a file or a folder of them).</summary>
public sealed record ValidationInputs
{
    /// <summary>Null for random inputs; otherwise an image file or a folder of images.</summary>
    public string? ImagePath { get; init; }

    /// <summary>Seed of the random inputs (also used for non-image inputs when feeding images).</summary>
    public int Seed { get; init; }

    /// <summary>The inputs' value range (the config's <c>io.value_range</c>; default [0, 1]).</summary>
    public (double Min, double Max) ValueRange { get; init; } = (0, 1);

    /// <summary>
    /// The input fed with images (default: the config's <c>io.input</c>, else the first input of shape [N, 1|3, H, W]).
    /// </summary>
    public string? ImageInput { get; init; }

    /// <summary>True when images are fed.</summary>
    public bool UsesImages => ImagePath is not null;

    /// <summary>Seeded uniform random inputs.</summary>
    public static ValidationInputs Random(int seed, (double Min, double Max)? valueRange = null) =>
        new() { Seed = seed, ValueRange = valueRange ?? (0, 1) };

    /// <summary>Images from a file or folder.</summary>
    public static ValidationInputs Images(string path, int seed = 0, (double Min, double Max)? valueRange = null) =>
        new() { ImagePath = path, Seed = seed, ValueRange = valueRange ?? (0, 1) };

    /// <summary>
    /// Parses the CLI/config form: <c>random</c>, or a path to an image or a folder. A path that does not exist is a
    /// bad input; a folder without supported images too.
    /// </summary>
    public static ValidationInputs Parse(string text, int seed, (double Min, double Max) valueRange)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        if (string.Equals(text, "random", StringComparison.OrdinalIgnoreCase))
        {
            return Random(seed, valueRange);
        }

        if (Directory.Exists(text))
        {
            if (!Directory.EnumerateFiles(text).Any(ImageFile.IsSupported))
            {
                throw DeployException.BadInput(
                    $"input folder '{text}' holds no images ({string.Join(", ", ImageFile.SupportedExtensions)})");
            }
        }
        else if (!File.Exists(text))
        {
            throw DeployException.BadInput($"--inputs '{text}' is neither 'random' nor an existing image file or folder");
        }

        return Images(text, seed, valueRange);
    }
}
