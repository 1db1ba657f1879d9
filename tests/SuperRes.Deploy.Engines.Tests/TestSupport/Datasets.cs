using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.TestSupport;

/// <summary>
/// Finds the SR evaluation datasets (Set5, Set14): $SRDEPLOY_DATASETS, else tests/fixtures/datasets in the repository,
/// else a shared/datasets folder beside the repository. Tests skip with <see cref="SkipReason"/> when none holds the set.
/// </summary>
internal static class Datasets
{
    public const string EnvironmentVariable = "SRDEPLOY_DATASETS";

    public static string SkipReason(string relative) =>
        $"dataset folder '{relative}' not found under ${EnvironmentVariable}, tests/fixtures/datasets or ../shared/datasets";

    /// <summary>The folder <paramref name="relative"/> (e.g. "Set5/GTmod12") under the first dataset root that has it, or null.</summary>
    public static string? Find(string relative)
    {
        var roots = new List<string>();
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            roots.Add(fromEnvironment);
        }

        roots.Add(RepoPaths.Combine("tests", "fixtures", "datasets"));
        roots.Add(Path.Combine(RepoPaths.Root, "..", "shared", "datasets"));
        foreach (var root in roots)
        {
            var candidate = Path.GetFullPath(Path.Combine(root, relative));
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
