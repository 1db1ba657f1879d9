using SuperRes.Deploy.Engines.Configuration;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>The optimize step's result as packaging uses it.</summary>
/// <param name="Path">The optimized ONNX model.</param>
/// <param name="Applied">Whether any pass ran (false when the config asks for none).</param>
/// <param name="FusedAttentionNodes">FusedAttention nodes in the optimized model.</param>
/// <param name="Summary">One line per pass result.</param>
public sealed record OptimizedModelFile(string Path, bool Applied, int FusedAttentionNodes, IReadOnlyList<string> Summary);

/// <summary>
/// The steps packaging (and <c>srdeploy pipeline</c>) takes from the other engines: optimize (Passes), the profile
/// planner (Building), the validation engine (Validation). Each is called through here, so there is one place that
/// says which are available in this build: a step that is not yet part of it fails (or reports) with a message
/// saying so instead of being imitated.
/// </summary>
public static class PackagingSteps
{
    /// <summary>Whether the optimize passes are part of this build.</summary>
    public static bool OptimizeAvailable => false;

    /// <summary>Whether the profile planner is part of this build.</summary>
    public static bool PlannerAvailable => false;

    /// <summary>Whether the validation engine is part of this build.</summary>
    public static bool ValidationAvailable => false;

    /// <summary>Why a step is missing, for messages.</summary>
    public const string OptimizeMissing = "the optimize step (graph passes) is not available yet in this build";
    public const string PlannerMissing = "the profile planner is not available yet in this build";
    public const string ValidationMissing = "the validation engine is not available yet in this build";

    /// <summary>True when the config asks for at least one pass.</summary>
    public static bool AsksForPasses(OptimizeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.FuseAttention || settings.Fp16 || settings.FoldConstants;
    }

    /// <summary>
    /// Writes the optimized model for <paramref name="config"/> to <paramref name="outputPath"/>. A config that asks for
    /// no pass gets the original model's bytes, reported as such.
    /// </summary>
    /// <exception cref="DeployException">MissingComponent: passes are asked for and the optimize step is not available.</exception>
    public static OptimizedModelFile Optimize(DeployConfig config, string outputPath, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        if (!AsksForPasses(config.Optimize))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
            File.Copy(config.ModelPath, outputPath, overwrite: true);
            log?.Invoke("optimize: the config asks for no pass (fuse_attention, fp16 and fold_constants are off): the model is used as given");
            return new OptimizedModelFile(outputPath, false, 0, ["no pass requested by the config: the model is used as given"]);
        }

        throw DeployException.MissingComponent(
            $"{OptimizeMissing}: cannot make the optimized model config '{config.Name}' asks for (optimize: fuse_attention={Flag(config.Optimize.FuseAttention)}, fp16={Flag(config.Optimize.Fp16)}, fold_constants={Flag(config.Optimize.FoldConstants)})");
    }

    /// <summary>The optimization profiles: the config's explicit ones, else the profile planner's for its targets.</summary>
    /// <exception cref="DeployException">MissingComponent: the config has targets and the planner is not available; BadInput: bad profiles.</exception>
    public static IReadOnlyList<BundleProfile> Profiles(DeployConfig config, string modelPath)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Profiles.Count > 0)
        {
            return [.. config.Profiles.Select((p, i) => FromConfig(p, i))];
        }

        _ = modelPath;
        throw DeployException.MissingComponent(
            $"{PlannerMissing}: config '{config.Name}' gives targets, not explicit profiles; add `profiles:` (min/opt/max per input) to the config");
    }

    /// <summary>ORT original vs ORT optimized at the validation shapes.</summary>
    public static BundleValidation Validate(DeployConfig config, string optimizedModel, IReadOnlyList<BundleProfile> profiles, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _ = optimizedModel;
        _ = profiles;
        log?.Invoke($"validate: {ValidationMissing}");
        return NotValidated(config, BundleValidation.NotAvailable, $"{ValidationMissing} (ORT original vs ORT optimized was not run)");
    }

    /// <summary>A validation section for a bundle whose validation did not run.</summary>
    public static BundleValidation NotValidated(DeployConfig config, string status, string reason)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new BundleValidation
        {
            Status = status,
            Reason = reason,
            Comparison = "onnxruntime: original vs optimized model",
            Atol = config.Validation.Atol,
            Rtol = config.Validation.Rtol,
            Check = config.Validation.Check,
            Cases = [],
        };
    }

    private static BundleProfile FromConfig(ProfileSettings profile, int index)
    {
        var names = profile.Opt.Select(s => s.Name).ToList();
        var inputs = new List<BundleProfileInput>();
        foreach (var name in names)
        {
            var min = profile.Min.FirstOrDefault(s => s.Name == name);
            var max = profile.Max.FirstOrDefault(s => s.Name == name);
            var opt = profile.Opt.First(s => s.Name == name);
            if (min is null || max is null)
            {
                throw DeployException.BadInput($"profile {index}: input '{name}' needs min, opt and max shapes");
            }

            inputs.Add(new BundleProfileInput { Name = name, Min = [.. min.Dims], Opt = [.. opt.Dims], Max = [.. max.Dims] });
        }

        return new BundleProfile { Index = index, Source = "config", Inputs = inputs, Covers = [] };
    }

    private static string Flag(bool value) => value ? "true" : "false";
}
