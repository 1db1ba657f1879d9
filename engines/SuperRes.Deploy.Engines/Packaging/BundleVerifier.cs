using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>The outcome of verifying a bundle: problems (verification failed) and warnings (could not check here).</summary>
/// <param name="IntegrityProblems">What is wrong with the bundle itself: entries, manifest, checksums, files.</param>
/// <param name="PlanProblems">Shipped plans that cannot run on this machine.</param>
public sealed record BundleVerification(
    string BundlePath,
    BundleManifest? Manifest,
    IReadOnlyList<string> IntegrityProblems,
    IReadOnlyList<string> PlanProblems,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<PlanFitResult> PlanFits,
    int FilesChecked)
{
    /// <summary>Every problem, one line each: integrity first, then plan fit.</summary>
    public IReadOnlyList<string> Problems => [.. IntegrityProblems, .. PlanProblems];

    public bool Passed => IntegrityProblems.Count == 0 && PlanProblems.Count == 0;

    /// <summary>manifest.json's bytes as stored in the bundle.</summary>
    public byte[]? ManifestBytes { get; init; }
}

/// <summary>
/// Checks a bundle without extracting it: safe entry names and kinds (no absolute paths, no "..", no links), the
/// manifest (schema, types, self-digest, rules between fields), the sha256 and size of every file, no file missing and
/// none extra, the plugin source hash, plan headers against the manifest, and whether each shipped plan fits this
/// machine (TensorRT version, GPU compute capability). Each problem is one line naming the file it concerns.
/// </summary>
public static class BundleVerifier
{
    /// <param name="bundlePath">The .tar.gz file.</param>
    /// <param name="environment">This machine's TensorRT and GPUs; null skips the plan-fit check (integrity only).</param>
    /// <exception cref="DeployException">BadInput: the file is missing, not a gzip'd tar, or has no manifest.json.</exception>
    public static BundleVerification Verify(string bundlePath, PlanFitEnvironment? environment)
    {
        var (entries, manifestBytes) = BundleArchive.Read(bundlePath);
        if (manifestBytes is null)
        {
            throw DeployException.BadInput($"{bundlePath} is not a srdeploy bundle: it has no {BundleLayout.Manifest}");
        }

        var problems = new List<string>();
        var warnings = new List<string>();
        var files = CheckEntries(entries, problems);
        var (manifest, manifestProblems) = BundleManifestJson.Parse(manifestBytes);
        problems.AddRange(manifestProblems);
        if (manifest is null)
        {
            return new BundleVerification(bundlePath, null, problems, [], warnings, [], files.Count) { ManifestBytes = manifestBytes };
        }

        var listed = new Dictionary<string, BundleFile>(StringComparer.Ordinal);
        foreach (var file in manifest.Files)
        {
            listed.TryAdd(file.Path, file);
        }

        foreach (var file in listed.Values)
        {
            if (!files.TryGetValue(file.Path, out var entry))
            {
                problems.Add($"{file.Path}: listed in the manifest but missing from the bundle");
                continue;
            }

            if (entry.Size != file.Size)
            {
                problems.Add($"{file.Path}: size {entry.Size} bytes, the manifest says {file.Size}");
            }
            else if (entry.Sha256 != file.Sha256)
            {
                problems.Add($"{file.Path}: sha256 mismatch: content {entry.Sha256[..12]}…, manifest {Short(file.Sha256)}");
            }
        }

        foreach (var path in files.Keys.Where(p => p != BundleLayout.Manifest && !listed.ContainsKey(p)).Order(StringComparer.Ordinal))
        {
            problems.Add($"{path}: extra file, not listed in the manifest");
        }

        if (manifest.Plugin is { } plugin)
        {
            var recomputed = PluginSourceTree.Hash(
                listed.Values.Where(f => f.Path.StartsWith(plugin.SourceDirectory.TrimEnd('/') + "/", StringComparison.Ordinal))
                    .Select(f => (f.Path[(plugin.SourceDirectory.TrimEnd('/').Length + 1)..], f.Sha256)));
            if (recomputed != plugin.SourceSha256)
            {
                problems.Add($"{plugin.SourceDirectory}: the plugin source hash of the listed files is {recomputed[..12]}…, plugin.source_sha256 says {Short(plugin.SourceSha256)}");
            }
        }

        var fits = new List<PlanFitResult>();
        var planProblems = new List<string>();
        foreach (var plan in manifest.Plans)
        {
            if (!files.TryGetValue(plan.File, out var entry))
            {
                continue;
            }

            var header = TrtPlanHeader.TryRead(entry.Head);
            if (header is null)
            {
                problems.Add($"{plan.File}: not a TensorRT plan (no plan header)");
                continue;
            }

            if (BundleManifestRules.ParseTensorRtVersion(plan.TensorRtVersion) is { } recorded && recorded != header.Version)
            {
                problems.Add($"{plan.File}: plan header says TensorRT {header.Version}, the manifest says {plan.TensorRtVersion}");
            }

            if (environment is null)
            {
                continue;
            }

            var fit = PlanFit.Check(plan, header, environment);
            fits.Add(fit);
            planProblems.AddRange(fit.Failures);
            warnings.AddRange(fit.Warnings);
        }

        return new BundleVerification(bundlePath, manifest, problems, planProblems, warnings, fits, files.Count) { ManifestBytes = manifestBytes };
    }

    /// <summary>
    /// Checks entry names and kinds; returns the regular files by path. Unsafe names, links and devices, and duplicate
    /// names are problems.
    /// </summary>
    private static Dictionary<string, BundleArchiveEntry> CheckEntries(IReadOnlyList<BundleArchiveEntry> entries, List<string> problems)
    {
        var files = new Dictionary<string, BundleArchiveEntry>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.IsDirectory && entry.Path.Length == 0)
            {
                continue;
            }

            if (BundlePath.Problem(entry.Path) is { } problem)
            {
                problems.Add($"{entry.RawName}: entry refused: {problem}");
                continue;
            }

            if (entry.IsDirectory)
            {
                continue;
            }

            if (!entry.IsRegularFile)
            {
                problems.Add($"{entry.Path}: entry refused: a {entry.Kind} entry (only regular files belong in a bundle)");
                continue;
            }

            if (!files.TryAdd(entry.Path, entry))
            {
                problems.Add($"{entry.Path}: appears twice in the archive");
            }
        }

        return files;
    }

    private static string Short(string digest) => digest.Length > 12 ? digest[..12] + "…" : digest;
}
