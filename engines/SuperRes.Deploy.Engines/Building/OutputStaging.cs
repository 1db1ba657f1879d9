namespace SuperRes.Deploy.Engines.Building;

/// <summary>
/// A hidden staging folder inside the output folder (same file system, so publishing is a rename per file). Steps write
/// their outputs here; <see cref="Publish"/> moves them into place at the very end. Disposing removes the staging folder
/// and, when this run created the output folder and nothing was published, the output folder too: a failed run leaves
/// nothing behind.
/// </summary>
public sealed class OutputStaging : IDisposable
{
    private readonly string _output;
    private readonly bool _createdOutput;
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);
    private readonly List<string> _directories = [];
    private bool _published;

    public OutputStaging(string outputDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        _output = Path.GetFullPath(outputDirectory);
        if (File.Exists(_output))
        {
            throw DeployException.BadInput($"the output folder {_output} is a file");
        }

        _createdOutput = !Directory.Exists(_output);
        Directory.CreateDirectory(_output);
        Folder = Path.Combine(_output, $".srdeploy-staging-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Folder);
    }

    /// <summary>The staging folder.</summary>
    public string Folder { get; }

    /// <summary>A path in the staging folder for a file published as <paramref name="finalPath"/> (default: the
    /// output folder / <paramref name="name"/>).</summary>
    public string Stage(string name, string? finalPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var staged = Path.Combine(Folder, name);
        _files[staged] = Path.GetFullPath(finalPath ?? Path.Combine(_output, name));
        return staged;
    }

    /// <summary>A folder in the staging folder whose files are published under the output folder / <paramref name="name"/>.</summary>
    public string StageDirectory(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var staged = Path.Combine(Folder, name);
        Directory.CreateDirectory(staged);
        _directories.Add(staged);
        return staged;
    }

    /// <summary>Drops a staged file (not published).</summary>
    public void DiscardStaged(string? stagedPath)
    {
        if (stagedPath is not null && _files.Remove(stagedPath) && File.Exists(stagedPath))
        {
            File.Delete(stagedPath);
        }
    }

    /// <summary>Moves every staged file into place; returns staged path → published path (files of staged folders
    /// included). If a move fails, the files already moved by this call are removed again.</summary>
    public IReadOnlyDictionary<string, string> Publish()
    {
        var moves = new List<(string From, string To)>();
        foreach (var (staged, final) in _files)
        {
            if (File.Exists(staged))
            {
                moves.Add((staged, final));
            }
        }

        foreach (var dir in _directories)
        {
            foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            {
                moves.Add((file, Path.Combine(_output, Path.GetRelativePath(Folder, file))));
            }
        }

        var done = new List<string>();
        try
        {
            foreach (var (from, to) in moves)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Move(from, to, overwrite: true);
                done.Add(to);
            }
        }
        catch
        {
            foreach (var path in done)
            {
                File.Delete(path);
            }

            throw;
        }

        _published = true;
        return moves.ToDictionary(m => m.From, m => m.To, StringComparer.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }

        if (_createdOutput && !_published && Directory.Exists(_output) && !Directory.EnumerateFileSystemEntries(_output).Any())
        {
            Directory.Delete(_output);
        }
    }
}
