using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace SuperRes.Deploy.Engines.Imaging;

/// <summary>
/// An image read one row at a time, top to bottom, so that a caller can work on images larger than it wants to hold.
/// Rows come as planar float samples ([channel][column], nominally in [0, 1]) with the channel layout of
/// <see cref="Image"/>: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA.
/// </summary>
public interface IImageRowReader : IDisposable
{
    /// <summary>The file name (or other source name) that starts error messages.</summary>
    string SourceName { get; }

    /// <summary>Columns.</summary>
    int Width { get; }

    /// <summary>Rows.</summary>
    int Height { get; }

    /// <summary>1 grey, 2 grey + alpha, 3 RGB, 4 RGBA.</summary>
    int Channels { get; }

    /// <summary>Bits per sample of the source (1, 2, 4, 8 or 16), as <see cref="Image.BitDepth"/>.</summary>
    int BitDepth { get; }

    /// <summary>True when rows are decoded as they are read; false when the reader had to decode the whole image first
    /// (interlaced PNG, ASCII Netpbm).</summary>
    bool IsStreaming { get; }

    /// <summary>Rows read so far.</summary>
    int RowsRead { get; }

    /// <summary>Reads the next row into <paramref name="planarRow"/> (length <see cref="Channels"/> × <see cref="Width"/>).</summary>
    /// <exception cref="DeployException">BadInput: the data is malformed or truncated.</exception>
    /// <exception cref="InvalidOperationException">Every row has been read already.</exception>
    void ReadRow(Span<float> planarRow);

    /// <summary>After the last row: checks the rest of the file (a PNG's remaining chunks up to IEND).</summary>
    /// <exception cref="DeployException">BadInput: the rest of the file is malformed.</exception>
    void Finish();
}

/// <summary>
/// An image written one row at a time, top to bottom, from scanlines: the samples of one row interleaved
/// (R G B R G B …, grey, grey + alpha…), one byte each at 8 bits, two bytes big-endian at 16 bits: the layout PNG and
/// binary Netpbm store. Nothing is complete until <see cref="Complete"/>; write through <see cref="AtomicFile"/> so that
/// a failure leaves no half-written file.
/// </summary>
public interface IScanlineWriter : IDisposable
{
    /// <summary>Columns.</summary>
    int Width { get; }

    /// <summary>Rows.</summary>
    int Height { get; }

    /// <summary>Channels of each scanline: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA.</summary>
    int Channels { get; }

    /// <summary>8 or 16.</summary>
    int BitDepth { get; }

    /// <summary>Rows written so far.</summary>
    int RowsWritten { get; }

    /// <summary>Writes the next row (length <see cref="Scanlines.Length"/>).</summary>
    void WriteScanline(ReadOnlySpan<byte> scanline);

    /// <summary>Ends the file after the last row. Fails when rows are missing.</summary>
    void Complete();
}

/// <summary>Scanline layout helpers shared by the row writers and their callers.</summary>
public static class Scanlines
{
    /// <summary>Bytes of one scanline.</summary>
    public static int Length(int width, int channels, int bitDepth) => checked(width * channels * (bitDepth / 8));

    /// <summary>
    /// Quantises one planar row ([channel][column], <paramref name="channels"/> × <paramref name="width"/>) into a
    /// scanline with the rounding of <see cref="Quantization"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FromPlanar(ReadOnlySpan<float> planarRow, int width, int channels, int bitDepth, Span<byte> scanline)
    {
        if (planarRow.Length < width * channels)
        {
            throw new ArgumentException($"a planar row of {channels}×{width} needs {width * channels} samples, got {planarRow.Length}", nameof(planarRow));
        }

        if (scanline.Length < Length(width, channels, bitDepth))
        {
            throw new ArgumentException("scanline buffer too small", nameof(scanline));
        }

        for (var c = 0; c < channels; c++)
        {
            var plane = planarRow.Slice(c * width, width);
            if (bitDepth == 8)
            {
                for (var x = 0; x < width; x++)
                {
                    scanline[(x * channels) + c] = Quantization.ToUInt8(plane[x]);
                }
            }
            else
            {
                for (var x = 0; x < width; x++)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(scanline[(((x * channels) + c) * 2)..], Quantization.ToUInt16(plane[x]));
                }
            }
        }
    }
}

/// <summary>Opens image files for row-by-row reading and writing, choosing the format as <see cref="ImageFile"/> does.</summary>
public static class ImageRowFiles
{
    /// <summary>
    /// Opens <paramref name="path"/> for reading row by row: .png with <see cref="PngRowReader"/>, .ppm/.pgm/.pnm with
    /// <see cref="PnmRowReader"/>; another extension is accepted when the content starts with a PNG or PGM/PPM signature.
    /// </summary>
    /// <exception cref="DeployException">BadInput: missing, unreadable or unsupported file, or a malformed header.</exception>
    public static IImageRowReader OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw DeployException.BadInput($"{path}: image file not found");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DeployException.BadInput($"{path}: cannot read image file: {e.Message.ReplaceLineEndings(" ")}");
        }

        try
        {
            var extension = Path.GetExtension(path).ToLowerInvariant();
            Span<byte> head = stackalloc byte[8];
            var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            stream.Position = 0;
            return extension switch
            {
                ".png" => new PngRowReader(stream, path),
                ".ppm" or ".pgm" or ".pnm" => new PnmRowReader(stream, path),
                _ when Png.HasSignature(head[..read]) => new PngRowReader(stream, path),
                _ when Pnm.HasSignature(head[..read]) => new PnmRowReader(stream, path),
                var other => throw DeployException.BadInput(
                    $"{path}: unsupported image format '{other}' (supported: {string.Join(", ", ImageFile.SupportedExtensions)})"),
            };
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks that an image of <paramref name="channels"/> channels can be written to <paramref name="path"/> (by its
    /// extension), with the rules of <see cref="ImageFile.Write"/>.
    /// </summary>
    /// <exception cref="DeployException">Usage: unsupported extension, or a channel layout the format cannot hold.</exception>
    public static void CheckWritable(string path, int channels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var extension = Path.GetExtension(path).ToLowerInvariant();
        var hasAlpha = channels is 2 or 4;
        switch (extension)
        {
            case ".png":
                return;
            case ".ppm" or ".pgm" or ".pnm" when hasAlpha:
                throw DeployException.Usage($"{path}: PGM/PPM cannot store an alpha channel; write PNG instead");
            case ".pgm" when channels != 1:
                throw DeployException.Usage($"{path}: a .pgm file holds grey images only; this image has {channels} colour channels");
            case ".ppm" or ".pgm" or ".pnm":
                return;
            default:
                throw DeployException.Usage(
                    $"{path}: cannot write image format '{extension}' (supported: {string.Join(", ", ImageFile.SupportedExtensions)})");
        }
    }

    /// <summary>
    /// A row writer for the format <paramref name="path"/>'s extension names, writing to <paramref name="destination"/>
    /// (usually the temporary file of <see cref="AtomicFile.Write"/>). A .ppm file gets colour even from grey rows.
    /// </summary>
    public static IScanlineWriter CreateWriter(string path, Stream destination, int width, int height, int channels, ImageWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CheckWritable(path, channels);
        var extension = Path.GetExtension(path).ToLowerInvariant();
        return extension == ".png"
            ? new PngRowWriter(destination, width, height, channels, options)
            : new PnmRowWriter(destination, width, height, channels, options, forceColor: extension == ".ppm");
    }
}

/// <summary>Serves the rows of an image already in memory (for callers holding an <see cref="Image"/>).</summary>
public sealed class ImageRowReader(Image image, string sourceName = "image") : IImageRowReader
{
    private readonly Image _image = image ?? throw new ArgumentNullException(nameof(image));

    /// <inheritdoc />
    public string SourceName { get; } = sourceName;

    /// <inheritdoc />
    public int Width => _image.Width;

    /// <inheritdoc />
    public int Height => _image.Height;

    /// <inheritdoc />
    public int Channels => _image.Channels;

    /// <inheritdoc />
    public int BitDepth => _image.BitDepth;

    /// <inheritdoc />
    public bool IsStreaming => false;

    /// <inheritdoc />
    public int RowsRead { get; private set; }

    /// <inheritdoc />
    public void ReadRow(Span<float> planarRow) => CopyRow(_image, RowsRead++, planarRow);

    /// <inheritdoc />
    public void Finish()
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <summary>Copies row <paramref name="y"/> of <paramref name="image"/> into a planar row buffer.</summary>
    internal static void CopyRow(Image image, int y, Span<float> planarRow)
    {
        if (y >= image.Height)
        {
            throw new InvalidOperationException($"all {image.Height} rows have been read");
        }

        if (planarRow.Length < image.Width * image.Channels)
        {
            throw new ArgumentException($"a row of {image.Channels}×{image.Width} needs {image.Width * image.Channels} samples", nameof(planarRow));
        }

        for (var c = 0; c < image.Channels; c++)
        {
            image.Plane(c).Slice(y * image.Width, image.Width).CopyTo(planarRow.Slice(c * image.Width, image.Width));
        }
    }
}
