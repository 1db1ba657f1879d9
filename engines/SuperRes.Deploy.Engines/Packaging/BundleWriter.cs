using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>
/// Writes a bundle: every file of a staging folder plus manifest.json into a gzip'd tar (PAX, deterministic order and
/// times: manifest.json first, then the files sorted by path). The archive goes to a temporary name beside the
/// destination and is renamed into place only when complete (<see cref="AtomicFile"/>), so a killed run never leaves
/// a half-written bundle at the destination; temporaries left by killed runs are removed by the next one.
/// </summary>
public static class BundleWriter
{
    /// <summary>
    /// Test-only hook: milliseconds to sleep after each archive entry, to give tests a reliable window to kill a
    /// package run mid-write. Never set it outside tests.
    /// </summary>
    public const string TestSlowWriteVariable = "SRDEPLOY_TEST_SLOW_BUNDLE_WRITE_MS";

    /// <summary>sha256 and size of every file under <paramref name="stagingDirectory"/>, by bundle path (sorted).</summary>
    public static IReadOnlyList<BundleFile> Describe(string stagingDirectory)
    {
        var root = Path.GetFullPath(stagingDirectory);
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(full => (Full: full, Path: Path.GetRelativePath(root, full).Replace('\\', '/')))
            .Where(f => f.Path != BundleLayout.Manifest)
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .Select(f => new BundleFile { Path = f.Path, Size = new FileInfo(f.Full).Length, Sha256 = Sha256(f.Full) })
            .ToList();
    }

    /// <summary>
    /// Writes <paramref name="manifestBytes"/> as manifest.json and the listed files from <paramref name="stagingDirectory"/>
    /// into <paramref name="destination"/>, atomically.
    /// </summary>
    public static void Write(string destination, string stagingDirectory, IReadOnlyList<BundleFile> files, byte[] manifestBytes, DateTimeOffset time)
    {
        ArgumentException.ThrowIfNullOrEmpty(destination);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(manifestBytes);
        var delay = SlowWriteDelay();
        AtomicFile.RemoveStaleTemporaries(destination);
        AtomicFile.Write(destination, stream =>
        {
            using var gzip = new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true);
            using var writer = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true);
            WriteEntry(writer, BundleLayout.Manifest, new MemoryStream(manifestBytes, writable: false), time);
            Pause(delay);
            foreach (var file in files)
            {
                var source = BundlePath.Resolve(stagingDirectory, file.Path);
                using var content = File.OpenRead(source);
                if (content.Length != file.Size)
                {
                    throw new InvalidOperationException($"{file.Path} changed in the staging folder while the bundle was written");
                }

                WriteEntry(writer, file.Path, content, time);
                Pause(delay);
            }
        });
    }

    private static void WriteEntry(TarWriter writer, string path, Stream content, DateTimeOffset time)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, path)
        {
            DataStream = content,
            ModificationTime = time,
            Mode = BundleLayout.IsExecutable(path)
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        };
        writer.WriteEntry(entry);
    }

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static int SlowWriteDelay() =>
        int.TryParse(Environment.GetEnvironmentVariable(TestSlowWriteVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : 0;

    private static void Pause(int milliseconds)
    {
        if (milliseconds > 0)
        {
            Thread.Sleep(milliseconds);
        }
    }
}
