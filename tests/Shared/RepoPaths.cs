namespace SuperRes.Deploy.Tests;

/// <summary>Locates files of the repository from a test assembly's output folder, whatever the clone's location.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The repository root (the folder holding SuperRes.Deploy.sln).</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>A path below the repository root, from '/'-separated parts.</summary>
    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The committed fixture models (tests/fixtures/models).</summary>
    public static string FixtureModel(string fileName) => Combine("tests", "fixtures", "models", fileName);

    /// <summary>The default pretrained model shipped with the tool (models/ditn_real_x4.onnx).</summary>
    public static string DefaultModel => Combine("models", "ditn_real_x4.onnx");

    /// <summary>A fresh, empty temporary folder for one test; the caller deletes it (or leaves it for inspection on failure).</summary>
    public static string NewTempDirectory(string prefix = "srd-test")
    {
        var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SuperRes.Deploy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"repository root (SuperRes.Deploy.sln) not found above {AppContext.BaseDirectory}");
    }
}
