namespace SuperRes.Deploy.Engines.Imaging;

/// <summary>
/// Reads and writes image files, choosing the format by extension: .png (PNG), .ppm/.pgm/.pnm (Netpbm).
/// </summary>
public static class ImageFile
{
    /// <summary>The extensions <see cref="Read"/> and <see cref="Write"/> understand (lower case, with the dot).</summary>
    public static IReadOnlyList<string> SupportedExtensions { get; } = [".png", ".ppm", ".pgm", ".pnm"];

    /// <summary>Whether <paramref name="path"/> has an extension this class can read and write.</summary>
    public static bool IsSupported(string path) =>
        SupportedExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>
    /// Reads an image. The extension picks the decoder; a file with another extension is accepted when its content starts
    /// with a PNG or PGM/PPM signature. Missing, unreadable or malformed files are <see cref="FailureKind.BadInput"/>.
    /// </summary>
    public static Image Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw DeployException.BadInput($"{path}: image file not found");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DeployException.BadInput($"{path}: cannot read image file: {e.Message.ReplaceLineEndings(" ")}");
        }

        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".png" => Png.Decode(bytes, path),
            ".ppm" or ".pgm" or ".pnm" => Pnm.Decode(bytes, path),
            _ when Png.HasSignature(bytes) => Png.Decode(bytes, path),
            _ when Pnm.HasSignature(bytes) => Pnm.Decode(bytes, path),
            var other => throw DeployException.BadInput(
                $"{path}: unsupported image format '{other}' (supported: {string.Join(", ", SupportedExtensions)})"),
        };
    }

    /// <summary>
    /// Writes an image atomically (temporary file + rename, see <see cref="AtomicFile"/>): .png keeps every channel;
    /// .pgm takes grey only; .ppm writes colour (grey is repeated into R, G, B); .pnm writes P5 for grey and P6 for
    /// colour. Netpbm cannot hold alpha. An unsupported extension or combination is a <see cref="FailureKind.Usage"/> error.
    /// </summary>
    public static void Write(string path, Image image, ImageWriteOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(image);
        options ??= ImageWriteOptions.Default;
        options.Validate();
        var extension = Path.GetExtension(path).ToLowerInvariant();
        switch (extension)
        {
            case ".png":
                AtomicFile.Write(path, stream => Png.Encode(image, stream, options));
                break;
            case ".ppm" or ".pgm" or ".pnm" when image.HasAlpha:
                throw DeployException.Usage($"{path}: PGM/PPM cannot store an alpha channel; write PNG instead");
            case ".pgm" when image.ColorChannels != 1:
                throw DeployException.Usage($"{path}: a .pgm file holds grey images only; this image has {image.ColorChannels} colour channels");
            case ".ppm" or ".pgm" or ".pnm":
                var bytes = Pnm.Encode(image, options, forceColor: extension == ".ppm");
                AtomicFile.Write(path, stream => stream.Write(bytes));
                break;
            default:
                throw DeployException.Usage(
                    $"{path}: cannot write image format '{extension}' (supported: {string.Join(", ", SupportedExtensions)})");
        }
    }
}
