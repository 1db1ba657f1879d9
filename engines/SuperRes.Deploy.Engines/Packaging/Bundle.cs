namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>
/// A deployment bundle opened for use (e.g. by <c>srdeploy upscale --model BUNDLE</c>): its manifest, checked for
/// integrity (schema, every file's sha256 and size, no missing or extra file, safe names) when opened, and safe
/// extraction of its files.
/// </summary>
public sealed class Bundle
{
    private readonly byte[] _manifestBytes;

    private Bundle(string path, BundleManifest manifest, byte[] manifestBytes, IReadOnlyList<string> warnings, IReadOnlyList<PlanFitResult> planFits)
    {
        Path = path;
        Manifest = manifest;
        _manifestBytes = manifestBytes;
        Warnings = warnings;
        PlanFits = planFits;
    }

    /// <summary>The .tar.gz file.</summary>
    public string Path { get; }

    public BundleManifest Manifest { get; }

    /// <summary>Integrity warnings (none today; plan fit is not checked by <see cref="Open"/>).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Whether each shipped plan fits the environment given to <see cref="Open(string, PlanFitEnvironment?)"/> (empty without one).</summary>
    public IReadOnlyList<PlanFitResult> PlanFits { get; }

    /// <summary>The image input and output names, scale, layout, colour order and value range.</summary>
    public BundleIo Io => Manifest.Io;

    /// <summary>
    /// Opens and checks a bundle. Nothing is extracted.
    /// </summary>
    /// <exception cref="DeployException">BadInput: unreadable, not a bundle, or its integrity check fails (the first problem is named).</exception>
    public static Bundle Open(string path) => Open(path, environment: null);

    /// <summary>
    /// Opens and checks a bundle, and judges its shipped plans against <paramref name="environment"/> (see
    /// <see cref="PlanFits"/>); a plan that does not fit is not an integrity problem here. Nothing is extracted.
    /// </summary>
    /// <exception cref="DeployException">BadInput: unreadable, not a bundle, or its integrity check fails (the first problem is named).</exception>
    public static Bundle Open(string path, PlanFitEnvironment? environment)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var verification = BundleVerifier.Verify(path, environment);
        var problems = verification.IntegrityProblems;
        if (problems.Count > 0 || verification.Manifest is null)
        {
            var more = problems.Count > 1
                ? $" (and {problems.Count - 1} more problem(s); run `srdeploy package verify {path}`)"
                : string.Empty;
            throw DeployException.BadInput($"bundle {path} is damaged: {(problems.Count > 0 ? problems[0] : "its manifest cannot be read")}{more}");
        }

        return new Bundle(System.IO.Path.GetFullPath(path), verification.Manifest, verification.ManifestBytes!, verification.Warnings, verification.PlanFits);
    }

    /// <summary>Extracts every file (manifest.json included) into <paramref name="directory"/>, checking each sha256.</summary>
    public ExtractedBundle ExtractTo(string directory) => Extract(directory, Manifest.Files);

    /// <summary>Extracts the files a runtime needs: the model, the plugin library if any, and manifest.json.</summary>
    public ExtractedBundle ExtractModel(string directory) =>
        Extract(directory, Manifest.Files.Where(f => f.Path == Manifest.Model.Onnx || f.Path == Manifest.Plugin?.Library).ToList());

    /// <summary>Extracts the named bundle files (and manifest.json), checking each sha256.</summary>
    /// <exception cref="DeployException">BadInput: a name that is not a file of the bundle.</exception>
    public ExtractedBundle ExtractFiles(string directory, IEnumerable<string> bundlePaths)
    {
        ArgumentNullException.ThrowIfNull(bundlePaths);
        var byPath = Manifest.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var files = bundlePaths.Distinct(StringComparer.Ordinal)
            .Select(p => byPath.TryGetValue(p, out var f) ? f : throw DeployException.BadInput($"bundle {Path} has no file {p}"))
            .ToList();
        return Extract(directory, files);
    }

    private ExtractedBundle Extract(string directory, IReadOnlyList<BundleFile> files)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var wanted = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var written = BundleArchive.Extract(Path, directory, wanted);
        AtomicFile.WriteAllBytes(System.IO.Path.Combine(directory, BundleLayout.Manifest), _manifestBytes);
        return new ExtractedBundle(System.IO.Path.GetFullPath(directory), Manifest, written);
    }
}

/// <summary>Files of a bundle on disk after <see cref="Bundle.ExtractTo"/> or <see cref="Bundle.ExtractModel"/>.</summary>
public sealed record ExtractedBundle(string Directory, BundleManifest Manifest, IReadOnlyDictionary<string, string> Files)
{
    /// <summary>The optimized ONNX model's path on disk.</summary>
    public string ModelPath => Files[Manifest.Model.Onnx];

    /// <summary>The shipped plugin library's path on disk, or null.</summary>
    public string? PluginLibraryPath => Manifest.Plugin?.Library is { } p && Files.TryGetValue(p, out var full) ? full : null;

    /// <summary>The path on disk of a bundle file, or null when it was not extracted.</summary>
    public string? PathOf(string bundlePath) => Files.TryGetValue(bundlePath, out var full) ? full : null;
}
