namespace SuperRes.Deploy.Engines;

/// <summary>
/// Writes files so that a reader never sees a half-written one: the content goes to a temporary sibling, which is
/// renamed over the destination only once it is complete. A killed process leaves at most a stray temporary file.
/// </summary>
public static class AtomicFile
{
    /// <summary>Runs <paramref name="write"/> against a temporary file beside <paramref name="path"/>, then renames it into place.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        WriteViaTemporaryPath(path, temporary =>
        {
            using var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            write(stream);
            stream.Flush(flushToDisk: true);
        });
    }

    /// <summary>Writes all bytes atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>Writes text (UTF-8, no BOM) atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, new System.Text.UTF8Encoding(false).GetBytes(text));

    /// <summary>
    /// Lets <paramref name="produce"/> create a file at the temporary path it is given (by any means, e.g. native code),
    /// then renames it over <paramref name="path"/>. On failure the temporary file is removed and the destination is untouched.
    /// </summary>
    public static void WriteViaTemporaryPath(string path, Action<string> produce)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(produce);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            produce(temporary);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }
}
