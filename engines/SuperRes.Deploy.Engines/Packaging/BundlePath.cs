namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>
/// Paths inside a bundle: relative, '/'-separated, no empty, "." or ".." segment, no backslash or control character.
/// Archive entry names are normalised first (a leading "./" is dropped, as <c>tar -C dir .</c> writes them).
/// Anything else is refused, so extraction can never write outside its folder.
/// </summary>
public static class BundlePath
{
    /// <summary>The entry name with a leading "./" removed (and a trailing '/' for directories).</summary>
    public static string Normalize(string entryName)
    {
        ArgumentNullException.ThrowIfNull(entryName);
        var name = entryName;
        while (name.StartsWith("./", StringComparison.Ordinal))
        {
            name = name[2..];
        }

        return name.TrimEnd('/');
    }

    /// <summary>Why <paramref name="path"/> is not a safe bundle path, or null when it is.</summary>
    public static string? Problem(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            return "empty path";
        }

        if (path.StartsWith('/'))
        {
            return "absolute path";
        }

        if (path.Any(c => c == '\\' || char.IsControl(c)))
        {
            return "backslash or control character in the path";
        }

        foreach (var segment in path.Split('/'))
        {
            if (segment is "..")
            {
                return "'..' leads outside the bundle";
            }

            if (segment.Length == 0 || segment == ".")
            {
                return "empty or '.' path segment";
            }
        }

        return null;
    }

    /// <summary>The full path of <paramref name="path"/> under <paramref name="root"/>; throws for an unsafe path.</summary>
    public static string Resolve(string root, string path)
    {
        if (Problem(path) is { } problem)
        {
            throw DeployException.BadInput($"bundle entry '{path}' refused: {problem}");
        }

        var fullRoot = Path.GetFullPath(root);
        var full = Path.GetFullPath(Path.Combine(fullRoot, path));
        if (!full.StartsWith(fullRoot.TrimEnd('/') + "/", StringComparison.Ordinal))
        {
            throw DeployException.BadInput($"bundle entry '{path}' refused: it leads outside {fullRoot}");
        }

        return full;
    }
}
