namespace SuperRes.Deploy.Tests;

/// <summary>The committed ONNX models every I/O test runs over: tests/fixtures/models/*.onnx and models/ditn_real_x4.onnx.</summary>
internal static class FixtureModels
{
    /// <summary>Stands for "no fixture found", so that the theory fails with a message instead of running over nothing.</summary>
    public const string None = "(no fixture models found)";

    public static IEnumerable<string> Paths()
    {
        var folder = RepoPaths.Combine("tests", "fixtures", "models");
        var files = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.onnx").Order(StringComparer.Ordinal).ToList() : [];
        if (File.Exists(RepoPaths.DefaultModel))
        {
            files.Add(RepoPaths.DefaultModel);
        }

        return files;
    }

    /// <summary>Theory data: repository-relative paths, or <see cref="None"/> when there are no fixtures.</summary>
    public static TheoryData<string> Data()
    {
        var data = new TheoryData<string>();
        var paths = Paths().ToList();
        if (paths.Count == 0)
        {
            data.Add(None);
        }

        foreach (var path in paths)
        {
            data.Add(Path.GetRelativePath(RepoPaths.Root, path));
        }

        return data;
    }

    public static string Resolve(string relativePath)
    {
        Assert.False(relativePath == None, "tests/fixtures/models holds no *.onnx and models/ditn_real_x4.onnx is missing: the fixture models must be committed");
        return Path.Combine(RepoPaths.Root, relativePath);
    }
}
