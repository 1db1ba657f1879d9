using System.Text.RegularExpressions;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>
/// The rules between manifest fields that the JSON shape alone does not express: safe and unique file paths, digests
/// in the right form, every path the manifest mentions being one of its files, enumerations, profile bounds.
/// </summary>
public static partial class BundleManifestRules
{
    private static readonly string[] Precisions = ["fp32", "fp16"];
    private static readonly string[] Checks = ["elemwise", "max", "mean", "median", "p99"];
    private static readonly string[] HardwareLevels = ["none", "ampere+", "sameComputeCapability"];
    private static readonly string[] Dtypes = ["float32", "float16", "float64", "int8", "uint8", "int32", "int64", "bool"];

    /// <summary>Every rule violation of <paramref name="manifest"/>, one line each (without the "manifest.json: " prefix).</summary>
    public static IReadOnlyList<string> Check(BundleManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var problems = new List<string>();
        var files = CheckFiles(manifest, problems);

        void MustBeFile(string? path, string field)
        {
            if (path is not null && !files.Contains(path))
            {
                problems.Add($"{field} '{path}' is not one of the bundle's files");
            }
        }

        OneOf(manifest.Precision.Precision, Precisions, "precision.precision", problems);
        OneOf(manifest.Precision.Typing, BundlePrecision.TypingModes, "precision.typing", problems);
        OneOf(manifest.Validation.Status, BundleValidation.Statuses, "validation.status", problems);
        OneOf(manifest.Validation.Check, Checks, "validation.check", problems);
        OneOf(manifest.References.Tolerance.Check, Checks, "references.tolerance.check", problems);
        OneOf(manifest.Build.HardwareCompatibilityLevel, HardwareLevels, "build.hardware_compatibility_level", problems);
        if (manifest.Model.Scale < 1)
        {
            problems.Add($"model.scale must be at least 1, got {manifest.Model.Scale}");
        }

        if (!Sha256Pattern().IsMatch(manifest.Model.Source.Sha256))
        {
            problems.Add("model.source.sha256 must be 64 lowercase hex digits");
        }

        if (manifest.Io.ValueRange.Count != 2 || !(manifest.Io.ValueRange[0] < manifest.Io.ValueRange[1]))
        {
            problems.Add("io.value_range must be [min, max] with min < max");
        }

        MustBeFile(manifest.Model.Onnx, "model.onnx");
        MustBeFile(manifest.Validation.Report, "validation.report");
        MustBeFile(manifest.Model.Optimization.Report, "model.optimization.report");
        MustBeFile(manifest.Device.Script, "device.script");
        MustBeFile(manifest.Device.Validator, "device.validator");
        MustBeFile(manifest.Device.CompareModule, "device.compare_module");
        MustBeFile(manifest.Device.Readme, "device.readme");
        MustBeFile(manifest.Device.Config, "device.config");
        CheckIo(manifest, problems);
        CheckProfiles(manifest, problems);
        CheckReferences(manifest, files, problems);
        CheckPlugin(manifest, files, problems);
        CheckPlans(manifest, files, problems);
        return problems;
    }

    /// <summary>"a.b.c.d" → Version; null when malformed.</summary>
    public static Version? ParseTensorRtVersion(string text) =>
        TensorRtVersionPattern().IsMatch(text) && Version.TryParse(text, out var v) ? v : null;

    private static HashSet<string> CheckFiles(BundleManifest manifest, List<string> problems)
    {
        var files = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in manifest.Files)
        {
            if (BundlePath.Problem(file.Path) is { } problem)
            {
                problems.Add($"files: '{file.Path}' refused: {problem}");
                continue;
            }

            if (file.Path == BundleLayout.Manifest)
            {
                problems.Add("files: manifest.json must not list itself");
            }

            if (!files.Add(file.Path))
            {
                problems.Add($"files: '{file.Path}' is listed twice");
            }

            if (!Sha256Pattern().IsMatch(file.Sha256))
            {
                problems.Add($"files: '{file.Path}' sha256 must be 64 lowercase hex digits");
            }

            if (file.Size < 0)
            {
                problems.Add($"files: '{file.Path}' size must not be negative");
            }
        }

        return files;
    }

    private static void CheckIo(BundleManifest manifest, List<string> problems)
    {
        var io = manifest.Io;
        if (!io.Inputs.Any(i => i.Name == io.Input))
        {
            problems.Add($"io.input '{io.Input}' is not one of io.inputs");
        }

        if (!io.Outputs.Any(o => o.Name == io.Output))
        {
            problems.Add($"io.output '{io.Output}' is not one of io.outputs");
        }

        foreach (var (tensor, i) in io.Inputs.Select((t, i) => (t, $"io.inputs[{i}]")).Concat(io.Outputs.Select((t, i) => (t, $"io.outputs[{i}]"))))
        {
            OneOf(tensor.Dtype, Dtypes, $"{i}.dtype", problems);
            if (tensor.Shape.Count != tensor.Dims.Count)
            {
                problems.Add($"{i}: shape and dims differ in rank");
            }
        }
    }

    private static void CheckProfiles(BundleManifest manifest, List<string> problems)
    {
        if (manifest.Profiles.Count == 0)
        {
            problems.Add("profiles must hold at least one profile");
        }

        var inputs = manifest.Io.Inputs.ToDictionary(i => i.Name, StringComparer.Ordinal);
        for (var p = 0; p < manifest.Profiles.Count; p++)
        {
            var profile = manifest.Profiles[p];
            if (profile.Index != p)
            {
                problems.Add($"profiles[{p}].index must be {p}, got {profile.Index}");
            }

            OneOf(profile.Source, ["config", "planner"], $"profiles[{p}].source", problems);
            foreach (var input in profile.Inputs)
            {
                var where = $"profiles[{p}] input '{input.Name}'";
                if (!inputs.TryGetValue(input.Name, out var tensor))
                {
                    problems.Add($"{where} is not a model input");
                    continue;
                }

                if (input.Min.Count != tensor.Shape.Count || input.Opt.Count != tensor.Shape.Count || input.Max.Count != tensor.Shape.Count)
                {
                    problems.Add($"{where}: min/opt/max must have the input's rank {tensor.Shape.Count}");
                    continue;
                }

                for (var axis = 0; axis < tensor.Shape.Count; axis++)
                {
                    if (input.Min[axis] < 1 || input.Min[axis] > input.Opt[axis] || input.Opt[axis] > input.Max[axis])
                    {
                        problems.Add($"{where} axis {axis}: needs 1 <= min <= opt <= max, got {input.Min[axis]}, {input.Opt[axis]}, {input.Max[axis]}");
                    }
                }
            }
        }
    }

    private static void CheckReferences(BundleManifest manifest, HashSet<string> files, List<string> problems)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (@case, c) in manifest.References.Cases.Select((x, i) => (x, i)))
        {
            var where = $"references.cases[{c}]";
            if (!names.Add(@case.Name))
            {
                problems.Add($"{where}: name '{@case.Name}' is used twice");
            }

            if (@case.Profile < 0 || @case.Profile >= manifest.Profiles.Count)
            {
                problems.Add($"{where}: profile {@case.Profile} does not exist");
            }

            foreach (var tensor in @case.Inputs.Concat(@case.Outputs))
            {
                OneOf(tensor.Dtype, Dtypes, $"{where} '{tensor.Name}' dtype", problems);
                if (!files.Contains(tensor.File))
                {
                    problems.Add($"{where}: '{tensor.File}' is not one of the bundle's files");
                }
            }
        }
    }

    private static void CheckPlugin(BundleManifest manifest, HashSet<string> files, List<string> problems)
    {
        if (manifest.Plugin is not { } plugin)
        {
            return;
        }

        if (plugin.Library is not null && !files.Contains(plugin.Library))
        {
            problems.Add($"plugin.library '{plugin.Library}' is not one of the bundle's files");
        }

        if (!Sha256Pattern().IsMatch(plugin.SourceSha256))
        {
            problems.Add("plugin.source_sha256 must be 64 lowercase hex digits");
        }

        var prefix = plugin.SourceDirectory.TrimEnd('/') + "/";
        if (!files.Any(f => f.StartsWith(prefix, StringComparison.Ordinal)))
        {
            problems.Add($"plugin.source_directory '{plugin.SourceDirectory}' holds none of the bundle's files");
        }
    }

    private static void CheckPlans(BundleManifest manifest, HashSet<string> files, List<string> problems)
    {
        var expected = manifest.Plans.Count == 0 ? BundleManifest.BuildOnDevice : BundleManifest.PlansShipped;
        if (manifest.Engine != expected)
        {
            problems.Add($"engine must be \"{expected}\" when {manifest.Plans.Count} plan(s) are shipped, got \"{manifest.Engine}\"");
        }

        foreach (var (plan, i) in manifest.Plans.Select((p, i) => (p, i)))
        {
            if (!files.Contains(plan.File))
            {
                problems.Add($"plans[{i}].file '{plan.File}' is not one of the bundle's files");
            }

            if (plan.BuildRecord is not null && !files.Contains(plan.BuildRecord))
            {
                problems.Add($"plans[{i}].build_record '{plan.BuildRecord}' is not one of the bundle's files");
            }

            if (ParseTensorRtVersion(plan.TensorRtVersion) is null)
            {
                problems.Add($"plans[{i}].tensorrt_version must look like 10.3.0.26, got \"{plan.TensorRtVersion}\"");
            }

            OneOf(plan.HardwareCompatibilityLevel, HardwareLevels, $"plans[{i}].hardware_compatibility_level", problems);
        }
    }

    private static void OneOf(string value, IReadOnlyCollection<string> allowed, string field, List<string> problems)
    {
        if (!allowed.Contains(value, StringComparer.Ordinal))
        {
            problems.Add($"{field} must be one of {string.Join(", ", allowed)}; got \"{value}\"");
        }
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();

    [GeneratedRegex(@"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")]
    private static partial Regex TensorRtVersionPattern();
}
