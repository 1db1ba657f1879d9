using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>
/// A bundle opened for the runtime verbs (upscale, bench): verified (<see cref="Bundle.Open"/>), then the files a
/// runner needs extracted into a private temporary folder: the optimized ONNX always (the tiler analyses its graph
/// even when a plan runs), the shipped plugin library, and for TensorRT the first shipped plan that fits this machine
/// (<see cref="PlanFit"/>). Runners read their model when they are created (ONNX Runtime parses the ONNX, TensorRT
/// deserializes the plan, dlopen maps the library), so the folder is deleted on <see cref="Dispose"/> right after.
/// </summary>
public sealed class BundleCheckout : IDisposable
{
    private BundleCheckout(Bundle bundle, string directory, ModelSource model, string onnxPath, InferenceBackend backend, string? shippedLibrary, string detail)
    {
        Bundle = bundle;
        Directory = directory;
        Model = model;
        OnnxPath = onnxPath;
        Backend = backend;
        ShippedPluginLibrary = shippedLibrary;
        Detail = detail;
    }

    /// <summary>The verified bundle.</summary>
    public Bundle Bundle { get; }

    /// <summary>The temporary folder holding the extracted files.</summary>
    public string Directory { get; }

    /// <summary>What runs: the extracted ONNX (ONNX Runtime) or the extracted plan (TensorRT).</summary>
    public ModelSource Model { get; }

    /// <summary>The extracted optimized ONNX (for graph analysis, whichever backend runs).</summary>
    public string OnnxPath { get; }

    /// <summary>The backend the request resolved to (auto: TensorRT when a shipped plan fits this machine, else ONNX Runtime).</summary>
    public InferenceBackend Backend { get; }

    /// <summary>The plugin library the bundle ships (built where the bundle was made), extracted, or null.</summary>
    public string? ShippedPluginLibrary { get; }

    /// <summary>One line for the log: which file runs and why.</summary>
    public string Detail { get; }

    /// <summary>Verifies and extracts <paramref name="bundlePath"/> for <paramref name="requested"/>.</summary>
    /// <exception cref="DeployException">
    /// BadInput: the bundle is damaged. MissingComponent: TensorRT was asked for and the bundle ships no plan, or none
    /// fits this machine (each reason named).
    /// </exception>
    public static BundleCheckout Open(string bundlePath, InferenceBackend requested)
    {
        var environment = requested == InferenceBackend.Ort ? null : PlanFitEnvironment.Probe();
        var bundle = Bundle.Open(bundlePath, environment);
        var manifest = bundle.Manifest;
        string? plan = null;
        var reasons = new List<string>();
        if (requested != InferenceBackend.Ort)
        {
            plan = ChoosePlan(bundle, environment!, requested, reasons);
        }

        var directory = System.IO.Directory.CreateTempSubdirectory("srdeploy-bundle-").FullName;
        try
        {
            var wanted = new List<string> { manifest.Model.Onnx };
            if (manifest.Plugin?.Library is { } library)
            {
                wanted.Add(library);
            }

            if (plan is not null)
            {
                wanted.Add(plan);
            }

            var extracted = bundle.ExtractFiles(directory, wanted);
            var onnx = extracted.ModelPath;
            var backend = plan is null ? InferenceBackend.Ort : InferenceBackend.Trt;
            var model = plan is null ? new ModelSource(onnx, ModelFormat.Onnx) : new ModelSource(extracted.PathOf(plan)!, ModelFormat.Plan);
            var detail = plan is null
                ? $"bundle {manifest.Model.Name}: the optimized ONNX {manifest.Model.Onnx} on ONNX Runtime" + (reasons.Count > 0 ? $" ({string.Join("; ", reasons)})" : string.Empty)
                : $"bundle {manifest.Model.Name}: shipped plan {plan} on TensorRT";
            return new BundleCheckout(bundle, directory, model, onnx, backend, extracted.PluginLibraryPath, detail);
        }
        catch
        {
            TryDelete(directory);
            throw;
        }
    }

    /// <summary>
    /// The runner settings for the checked-out model: a plan gets the shipped plugin library when none was given; an
    /// ONNX model keeps the caller's custom-op libraries, else this installation's library, else the shipped one (the
    /// shipped library was built where the bundle was made, so this installation's own build is preferred).
    /// </summary>
    public RunnerSettings SettingsFor(RunnerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (Backend == InferenceBackend.Trt)
        {
            return settings.PluginLibraries.Count > 0 || ShippedPluginLibrary is null
                ? settings
                : settings with { PluginLibraries = [ShippedPluginLibrary] };
        }

        if (settings.CustomOpLibraries.Count > 0 || Bundle.Manifest.Model.CustomOpDomains.Count == 0)
        {
            return settings;
        }

        try
        {
            return settings with { CustomOpLibraries = RunnerFactory.DefaultCustomOps(OnnxPath) };
        }
        catch (DeployException e) when (e.Kind == FailureKind.MissingComponent && ShippedPluginLibrary is not null)
        {
            return settings with { CustomOpLibraries = [ShippedPluginLibrary] };
        }
    }

    /// <summary>Deletes the extracted files.</summary>
    public void Dispose() => TryDelete(Directory);

    private static string? ChoosePlan(Bundle bundle, PlanFitEnvironment environment, InferenceBackend requested, List<string> reasons)
    {
        var manifest = bundle.Manifest;
        if (manifest.Plans.Count == 0)
        {
            if (requested == InferenceBackend.Trt)
            {
                throw DeployException.MissingComponent(
                    $"bundle {bundle.Path} ships no TensorRT plan (engine: {manifest.Engine}); build one on this machine with the bundle's device/build_and_validate.sh, or run the ONNX with --backend ort");
            }

            reasons.Add("the bundle ships no plan");
            return null;
        }

        if (requested == InferenceBackend.Auto && environment.TensorRt is null)
        {
            reasons.Add($"its plans need TensorRT: {environment.TensorRtProblem}");
            return null;
        }

        var failures = new List<string>();
        foreach (var fit in bundle.PlanFits)
        {
            if (fit.Verdict == PlanFitVerdict.Fits || (fit.Verdict == PlanFitVerdict.CannotCheck && requested == InferenceBackend.Trt))
            {
                // CannotCheck with TensorRT asked for: the runner then names what is missing (TensorRT, a GPU).
                return fit.File;
            }

            failures.AddRange(fit.Failures.Concat(fit.Warnings));
        }

        if (requested == InferenceBackend.Trt)
        {
            throw DeployException.MissingComponent(
                $"no plan in bundle {bundle.Path} fits this machine: {string.Join("; ", failures)}; build one here with the bundle's device/build_and_validate.sh");
        }

        reasons.Add($"no shipped plan fits: {string.Join("; ", failures)}");
        return null;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is not worth failing a finished job for.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
