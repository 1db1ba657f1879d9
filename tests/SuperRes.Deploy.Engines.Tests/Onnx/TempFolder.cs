namespace SuperRes.Deploy.Tests;

/// <summary>A fresh temporary folder for one test, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder(string prefix = "srd-onnx") => Path = RepoPaths.NewTempDirectory(prefix);

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>The names of every file in the folder (recursively, relative), sorted.</summary>
    public string[] FileNames() =>
        [.. Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories).Select(f => System.IO.Path.GetRelativePath(Path, f)).Order(StringComparer.Ordinal)];

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary folder must not fail the test that made it.
        }
    }
}
