using System.Globalization;
using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>A local CUDA device, as far as plan compatibility is concerned.</summary>
public sealed record LocalGpu(int Index, int ComputeCapabilityMajor, int ComputeCapabilityMinor)
{
    public string ComputeCapability => string.Create(CultureInfo.InvariantCulture, $"{ComputeCapabilityMajor}.{ComputeCapabilityMinor}");
}

/// <summary>
/// What this machine offers a TensorRT plan: the installed TensorRT version (null when TensorRT cannot be loaded, with
/// the reason) and the CUDA devices (empty without CUDA).
/// </summary>
public sealed record PlanFitEnvironment(Version? TensorRt, string? TensorRtProblem, IReadOnlyList<LocalGpu> Gpus)
{
    /// <summary>Asks the TensorRT shim (<see cref="TrtInfo.Probe"/>); never throws.</summary>
    public static PlanFitEnvironment Probe()
    {
        var probe = TrtInfo.Probe();
        var gpus = probe.Devices.Select(d => new LocalGpu(d.Device, d.ComputeCapabilityMajor, d.ComputeCapabilityMinor)).ToList();
        var version = probe.Library is { TensorRtLoaded: true } library ? library.RuntimeTensorRtVersion : null;
        string? problem = null;
        if (version is null)
        {
            problem = !probe.ShimLoaded
                ? "TensorRT not installed (the TensorRT shim libsrd_trt.so is not available)"
                : $"TensorRT not installed ({probe.Problem ?? "libnvinfer was not loaded"})";
        }

        return new PlanFitEnvironment(version, problem, gpus);
    }
}

/// <summary>Whether a shipped plan can run here.</summary>
public enum PlanFitVerdict
{
    /// <summary>TensorRT version and GPU both allow it.</summary>
    Fits,

    /// <summary>It cannot run here (one-line reasons given).</summary>
    DoesNotFit,

    /// <summary>Something needed for the decision is absent here (TensorRT, a GPU, the build record): a warning.</summary>
    CannotCheck,
}

/// <summary>The verdict for one plan: why it does not fit (failures) and what could not be checked here (warnings), one line each.</summary>
public sealed record PlanFitResult(string File, PlanFitVerdict Verdict, IReadOnlyList<string> Failures, IReadOnlyList<string> Warnings);

/// <summary>
/// TensorRT plans are tied to the TensorRT version and GPU that built them (NVIDIA/TensorRT#2176, #2900): this decides
/// from the plan header's version and the build record's compute capability whether a plan runs on this machine.
/// Rules: same TensorRT major.minor, unless the plan is version-compatible (then any later version of the same
/// major, and a 10.x plan on an 11.x runtime, tensorrt.md §0 #8); the same compute capability as a local GPU for
/// hardware compatibility "none"/"sameComputeCapability", any GPU of compute capability 8.0 or more for "ampere+".
/// </summary>
public static class PlanFit
{
    public static PlanFitResult Check(BundlePlan plan, TrtPlanHeader? header, PlanFitEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(environment);
        var failures = new List<string>();
        var warnings = new List<string>();
        if (header is null)
        {
            return new PlanFitResult(plan.File, PlanFitVerdict.DoesNotFit, [$"{plan.File}: not a TensorRT plan (no plan header)"], []);
        }

        var built = header.Version;
        if (environment.TensorRt is not { } installed)
        {
            warnings.Add($"{plan.File}: cannot check here: {environment.TensorRtProblem ?? "TensorRT not installed"}");
        }
        else if (!VersionFits(built, installed, plan.VersionCompatible))
        {
            var need = plan.VersionCompatible
                ? $"TensorRT {built.Major}.{built.Minor} or later{(built.Major == 10 ? " (10.x or 11.x)" : $" {built.Major}.x")}"
                : $"TensorRT {built.Major}.{built.Minor}.x";
            failures.Add($"{plan.File}: built with TensorRT {Format(built)}, needs {need}; installed: {Format(installed)}");
        }

        CheckGpu(plan, environment, failures, warnings);
        var verdict = failures.Count > 0 ? PlanFitVerdict.DoesNotFit : warnings.Count > 0 ? PlanFitVerdict.CannotCheck : PlanFitVerdict.Fits;
        return new PlanFitResult(plan.File, verdict, failures, warnings);
    }

    /// <summary>The TensorRT version rule alone.</summary>
    public static bool VersionFits(Version built, Version installed, bool versionCompatible)
    {
        ArgumentNullException.ThrowIfNull(built);
        ArgumentNullException.ThrowIfNull(installed);
        if (built.Major == installed.Major && built.Minor == installed.Minor)
        {
            return true;
        }

        if (!versionCompatible)
        {
            return false;
        }

        var sameMajorLater = built.Major == installed.Major && installed.Minor > built.Minor;
        var tenOnEleven = built.Major == 10 && installed.Major == 11;
        return sameMajorLater || tenOnEleven;
    }

    private static void CheckGpu(BundlePlan plan, PlanFitEnvironment environment, List<string> failures, List<string> warnings)
    {
        if (plan.BuiltFor?.ComputeCapability is not { } text || !TryParseComputeCapability(text, out var major, out var minor))
        {
            warnings.Add($"{plan.File}: cannot check the GPU: the compute capability it was built for is unknown (no build record)");
            return;
        }

        if (environment.Gpus.Count == 0)
        {
            warnings.Add($"{plan.File}: cannot check here: no CUDA GPU found (built for compute capability {text})");
            return;
        }

        var level = plan.HardwareCompatibilityLevel;
        bool Fits(LocalGpu gpu) => level == "ampere+"
            ? gpu.ComputeCapabilityMajor >= 8
            : gpu.ComputeCapabilityMajor == major && gpu.ComputeCapabilityMinor == minor;

        if (!environment.Gpus.Any(Fits))
        {
            var local = string.Join(", ", environment.Gpus.Select(g => $"GPU {g.Index} {g.ComputeCapability}"));
            var need = level == "ampere+" ? "compute capability 8.0 or later (ampere+)" : $"compute capability {text}";
            failures.Add($"{plan.File}: built for {need}; this machine has {local}");
        }
    }

    /// <summary>Parses "8.7" (or "sm_87", "87").</summary>
    public static bool TryParseComputeCapability(string text, out int major, out int minor)
    {
        ArgumentNullException.ThrowIfNull(text);
        major = minor = 0;
        var t = text.Trim();
        if (t.StartsWith("sm_", StringComparison.OrdinalIgnoreCase))
        {
            t = t[3..];
        }

        var parts = t.Split('.');
        if (parts.Length == 2)
        {
            return int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out major)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out minor);
        }

        if (parts.Length == 1 && t.Length is 2 or 3 && int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var both))
        {
            major = both / 10;
            minor = both % 10;
            return true;
        }

        return false;
    }

    private static string Format(Version v) => v.Revision >= 0 ? v.ToString(4) : v.Build >= 0 ? v.ToString(3) : v.ToString(2);
}
