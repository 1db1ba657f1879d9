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
    /// Removes temporary files that killed runs left beside <paramref name="path"/>: those named like this class names
    /// them (<c>.NAME.PID.GUID.tmp</c>) whose process no longer runs. Returns how many were removed.
    /// </summary>
    public static int RemoveStaleTemporaries(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        var prefix = $".{Path.GetFileName(full)}.";
        var removed = 0;
        foreach (var candidate in Directory.EnumerateFileSystemEntries(directory, prefix + "*"))
        {
            var name = Path.GetFileName(candidate);
            var parts = name[prefix.Length..].Split('.');
            if (parts.Length != 3 || parts[2] is not ("tmp" or "staging")
                || !int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid)
                || IsProcessRunning(pid))
            {
                continue;
            }

            try
            {
                if (Directory.Exists(candidate))
                {
                    Directory.Delete(candidate, recursive: true);
                }
                else
                {
                    File.Delete(candidate);
                }

                removed++;
            }
            catch (IOException)
            {
                // Another run may be removing it at the same time; what is left is retried next time.
            }
        }

        return removed;
    }

    /// <summary>A temporary folder beside <paramref name="path"/> that <see cref="RemoveStaleTemporaries"/> cleans up if this process is killed.</summary>
    public static string CreateTemporaryDirectory(string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? ".";
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.staging");
        Directory.CreateDirectory(temporary);
        return temporary;
    }

    private static bool IsProcessRunning(int pid)
    {
        if (pid == Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

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
