using System.Globalization;
using System.Text.RegularExpressions;
using SuperRes.Deploy.Engines.Imaging;

namespace SuperRes.Deploy.Engines.Validation.Evaluation;

/// <summary>One evaluation pair: the ground truth and, when the dataset has one, its low-resolution file.</summary>
/// <param name="Name">The HR file name (e.g. "baby.png").</param>
/// <param name="HighResolution">The HR file.</param>
/// <param name="LowResolution">The LR file, or null when it is made from the HR image.</param>
public sealed record SrPair(string Name, string HighResolution, string? LowResolution);

/// <summary>
/// An SR test set on disk. Layouts understood: paired folders under the dataset root, HR in <c>GTmod12</c>, <c>HR</c>
/// or <c>GT</c> and LR in <c>LRbicx{scale}</c>, <c>LR_bicubic/X{scale}</c>, <c>LRx{scale}</c> or <c>LR</c> (the
/// shared datasets: Set5/GTmod12 + Set5/LRbicx4, Set14/HR + Set14/LRbicx4; names matched case-insensitively, LR files
/// named like the HR file or with an <c>x{scale}</c> suffix, as DIV2K); or HR images alone (in one of the HR folders or
/// in the root itself), whose LR inputs are then made with MATLAB-compatible bicubic downsampling.
/// </summary>
public sealed partial record SrDataset(string Name, string Root, string HighResolutionFolder, string? LowResolutionFolder, int Scale, IReadOnlyList<SrPair> Pairs)
{
    private static readonly string[] HighResolutionNames = ["GTmod12", "HR", "GT"];

    /// <summary>How the LR inputs come about, in words.</summary>
    public string LowResolutionSource => LowResolutionFolder is null
        ? string.Create(CultureInfo.InvariantCulture, $"made from HR: crop to a multiple of {Scale} (top-left), MATLAB imresize 1/{Scale} bicubic antialiased, rounded to uint8")
        : $"files in {LowResolutionFolder}";

    /// <summary>Finds the layout of <paramref name="root"/>; <paramref name="scale"/> null = from an <c>LRbicx{n}</c> folder.</summary>
    /// <exception cref="DeployException">BadInput: no HR images, an HR image without its LR file; Usage: the scale cannot be told.</exception>
    public static SrDataset Open(string root, int? scale)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (!Directory.Exists(root))
        {
            throw DeployException.BadInput($"dataset folder not found: {root}");
        }

        var folders = Directory.EnumerateDirectories(root).ToDictionary(d => Path.GetFileName(d), StringComparer.OrdinalIgnoreCase);
        var hr = HighResolutionNames.Select(n => folders.GetValueOrDefault(n)).FirstOrDefault(f => f is not null && Images(f).Any())
                 ?? (Images(root).Any() ? root : null)
                 ?? throw DeployException.BadInput(
                     $"dataset '{root}' has no HR images: expected a {string.Join(", ", HighResolutionNames)} folder or images in the folder itself");

        if (scale is null)
        {
            var found = folders.Keys.Select(n => LrBicubicName().Match(n)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Distinct().ToList();
            scale = found.Count == 1
                ? found[0]
                : throw DeployException.Usage($"cannot tell the scale of dataset '{root}' ({(found.Count == 0 ? "no LRbicx<N> folder" : "several LRbicx<N> folders")}); pass --scale");
        }

        if (scale is < 1 or > 16)
        {
            throw DeployException.Usage($"scale {scale} must be between 1 and 16");
        }

        var s = scale.Value;
        string? lr = null;
        foreach (var name in new[] { $"LRbicx{s}", Path.Combine("LR_bicubic", $"X{s}"), $"LRx{s}", "LR" })
        {
            var resolved = ResolveCaseInsensitive(root, name);
            if (resolved is not null && Images(resolved).Any())
            {
                lr = resolved;
                break;
            }
        }

        if (hr == root)
        {
            lr = null;
        }

        var pairs = new List<SrPair>();
        foreach (var file in Images(hr).OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            string? lrFile = null;
            if (lr is not null)
            {
                var stem = Path.GetFileNameWithoutExtension(file);
                lrFile = Images(lr).FirstOrDefault(f =>
                    string.Equals(Path.GetFileName(f), name, StringComparison.OrdinalIgnoreCase)
                    || string.Equals(Path.GetFileNameWithoutExtension(f), stem, StringComparison.OrdinalIgnoreCase)
                    || string.Equals(Path.GetFileNameWithoutExtension(f), $"{stem}x{s}", StringComparison.OrdinalIgnoreCase))
                    ?? throw DeployException.BadInput($"dataset '{root}': no LR image for {name} in {lr}");
            }

            pairs.Add(new SrPair(name, file, lrFile));
        }

        var datasetName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)));
        return new SrDataset(datasetName, root, hr, lr, s, pairs);
    }

    /// <summary>The LR input of a pair: the LR file, or the HR image cropped to a multiple of the scale and downsampled.</summary>
    public Image LoadLowResolution(SrPair pair, Image highResolution)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(highResolution);
        if (pair.LowResolution is not null)
        {
            return ImageFile.Read(pair.LowResolution);
        }

        var cropped = ModCrop(highResolution, Scale);
        return Resize.Imresize(cropped, 1.0 / Scale).Quantized(8);
    }

    /// <summary>MATLAB's modcrop: the top-left part whose sides are multiples of <paramref name="scale"/>.</summary>
    public static Image ModCrop(Image image, int scale)
    {
        ArgumentNullException.ThrowIfNull(image);
        var width = image.Width - (image.Width % scale);
        var height = image.Height - (image.Height % scale);
        if (width == 0 || height == 0)
        {
            throw DeployException.BadInput($"a {image.Width}x{image.Height} image is smaller than the scale {scale}");
        }

        return width == image.Width && height == image.Height ? image : image.Crop(0, 0, width, height);
    }

    private static IEnumerable<string> Images(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFiles(folder).Where(ImageFile.IsSupported) : [];

    private static string? ResolveCaseInsensitive(string root, string relative)
    {
        var current = root;
        foreach (var part in relative.Split(Path.DirectorySeparatorChar))
        {
            var next = Directory.Exists(current)
                ? Directory.EnumerateDirectories(current).FirstOrDefault(d => string.Equals(Path.GetFileName(d), part, StringComparison.OrdinalIgnoreCase))
                : null;
            if (next is null)
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    [GeneratedRegex(@"^LRbicx(\d+)$", RegexOptions.IgnoreCase)]
    private static partial Regex LrBicubicName();
}
