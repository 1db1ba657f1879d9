using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>One entry of a bundle archive as read: its normalised name, kind, size, sha256 and first bytes.</summary>
/// <param name="Path">The entry name without a leading "./".</param>
/// <param name="RawName">The name as stored in the archive.</param>
/// <param name="IsRegularFile">A regular file (anything else but a directory is refused by verification).</param>
/// <param name="IsDirectory">A directory entry (allowed, ignored).</param>
/// <param name="Kind">The tar entry type, for messages.</param>
/// <param name="Head">The first <see cref="BundleArchive.HeadLength"/> bytes (plan headers are read from here).</param>
public sealed record BundleArchiveEntry(
    string Path, string RawName, bool IsRegularFile, bool IsDirectory, string Kind, long Size, string Sha256, byte[] Head);

/// <summary>
/// Reads a bundle (gzip'd tar) in one streaming pass without extracting it: every entry's name, kind, size and sha256,
/// the first bytes of each file, and manifest.json's content. A file that is not gzip, not tar or truncated is bad
/// input (exit 3); what the entries contain is judged by <see cref="BundleVerifier"/>.
/// </summary>
public static class BundleArchive
{
    public const int HeadLength = 64;

    /// <summary>manifest.json larger than this is refused (a manifest is a few tens of KiB).</summary>
    public const int ManifestSizeLimit = 16 << 20;

    /// <summary>Reads every entry of <paramref name="bundlePath"/>; returns them and manifest.json's bytes (null when absent).</summary>
    /// <exception cref="DeployException">BadInput: missing, unreadable, not gzip, not tar, truncated.</exception>
    public static (IReadOnlyList<BundleArchiveEntry> Entries, byte[]? Manifest) Read(string bundlePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(bundlePath);
        if (Directory.Exists(bundlePath))
        {
            throw DeployException.BadInput($"bundle {bundlePath} is a directory; give the .tar.gz file");
        }

        if (!File.Exists(bundlePath))
        {
            throw DeployException.BadInput($"bundle not found: {bundlePath}");
        }

        var entries = new List<BundleArchiveEntry>();
        byte[]? manifest = null;
        var buffer = new byte[1 << 16];
        try
        {
            using var file = File.OpenRead(bundlePath);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var reader = new TarReader(gzip);
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                if (entry.EntryType is TarEntryType.GlobalExtendedAttributes)
                {
                    continue;
                }

                var path = BundlePath.Normalize(entry.Name);
                var isFile = entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile;
                var isDirectory = entry.EntryType is TarEntryType.Directory;
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var head = new List<byte>(HeadLength);
                MemoryStream? content = path == BundleLayout.Manifest && isFile ? new MemoryStream() : null;
                long size = 0;
                if (isFile && entry.DataStream is { } data)
                {
                    int read;
                    while ((read = data.Read(buffer)) > 0)
                    {
                        hash.AppendData(buffer, 0, read);
                        if (head.Count < HeadLength)
                        {
                            head.AddRange(buffer.AsSpan(0, Math.Min(read, HeadLength - head.Count)).ToArray());
                        }

                        if (content is not null)
                        {
                            if (content.Length + read > ManifestSizeLimit)
                            {
                                throw DeployException.BadInput($"bundle {Path.GetFileName(bundlePath)}: manifest.json is larger than {ManifestSizeLimit >> 20} MiB");
                            }

                            content.Write(buffer, 0, read);
                        }

                        size += read;
                    }
                }

                if (content is not null && manifest is null)
                {
                    manifest = content.ToArray();
                }

                entries.Add(new BundleArchiveEntry(
                    path, entry.Name, isFile, isDirectory, entry.EntryType.ToString(), size, Convert.ToHexStringLower(hash.GetHashAndReset()), [.. head]));
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or IOException or ArgumentException)
        {
            throw new DeployException(FailureKind.BadInput, $"bundle {bundlePath} is not a readable gzip'd tar: {OneLine(e.Message)}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new DeployException(FailureKind.BadInput, $"cannot read bundle {bundlePath}: {e.Message}", e);
        }

        return (entries, manifest);
    }

    /// <summary>
    /// Copies the regular files named in <paramref name="wanted"/> out of the archive into <paramref name="directory"/>,
    /// checking each one's sha256 while writing. Entry names are checked with <see cref="BundlePath"/> first: nothing is
    /// ever written outside <paramref name="directory"/>. Returns the paths written.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Extract(string bundlePath, string directory, IReadOnlyDictionary<string, BundleFile> wanted)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        Directory.CreateDirectory(directory);
        var written = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var file = File.OpenRead(bundlePath);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var reader = new TarReader(gzip);
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                var path = BundlePath.Normalize(entry.Name);
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || !wanted.TryGetValue(path, out var expected)
                    || written.ContainsKey(path))
                {
                    continue;
                }

                var target = BundlePath.Resolve(directory, path);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using (var output = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None))
                using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
                {
                    var buffer = new byte[1 << 16];
                    int read;
                    var data = entry.DataStream ?? Stream.Null;
                    while ((read = data.Read(buffer)) > 0)
                    {
                        hash.AppendData(buffer, 0, read);
                        output.Write(buffer, 0, read);
                    }

                    var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
                    if (actual != expected.Sha256)
                    {
                        throw DeployException.BadInput($"bundle {Path.GetFileName(bundlePath)}: {path} changed while extracting (sha256 {actual[..12]}…, manifest {expected.Sha256[..12]}…)");
                    }
                }

                if (BundleLayout.IsExecutable(path) && !OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(target, File.GetUnixFileMode(target) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
                }

                written[path] = target;
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new DeployException(FailureKind.BadInput, $"bundle {bundlePath} is not a readable gzip'd tar: {OneLine(e.Message)}", e);
        }

        var missing = wanted.Keys.Where(k => !written.ContainsKey(k)).ToList();
        if (missing.Count > 0)
        {
            throw DeployException.BadInput($"bundle {Path.GetFileName(bundlePath)}: {missing[0]} is missing from the archive");
        }

        return written;
    }

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
