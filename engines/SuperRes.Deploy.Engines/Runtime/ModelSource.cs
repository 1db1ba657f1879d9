using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Packaging;
using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Engines.Runtime;

/// <summary>The kinds of model file the runtime verbs (upscale, bench) take.</summary>
public enum ModelFormat
{
    /// <summary>An ONNX model, run with ONNX Runtime.</summary>
    Onnx,

    /// <summary>A serialized TensorRT engine (plan), run with TensorRT through the shim.</summary>
    Plan,

    /// <summary>A deployment bundle (.tar.gz with manifest.json) made by `srdeploy package`.</summary>
    Bundle,
}

/// <summary>Which runtime runs a model.</summary>
public enum InferenceBackend
{
    /// <summary>ONNX Runtime for ONNX models, TensorRT for plans.</summary>
    Auto,

    /// <summary>ONNX Runtime (CPU).</summary>
    Ort,

    /// <summary>TensorRT through the srdeploy shim.</summary>
    Trt,
}

/// <summary>A model file and its format, found from the extension or, failing that, the content.</summary>
/// <param name="Path">The file.</param>
/// <param name="Format">What it holds.</param>
public sealed record ModelSource(string Path, ModelFormat Format)
{
    /// <summary>
    /// The format of <paramref name="path"/>: .onnx → ONNX; .plan, .engine, .trt → plan; .tar.gz, .tgz → bundle; any
    /// other extension by content (TensorRT's plan tag, the gzip signature), else ONNX.
    /// </summary>
    /// <exception cref="DeployException">BadInput: missing file, or a folder.</exception>
    public static ModelSource Detect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw DeployException.BadInput($"model '{path}' is a folder; give an .onnx, a TensorRT plan or a bundle (.tar.gz)");
        }

        if (!File.Exists(path))
        {
            throw DeployException.BadInput($"model file not found: {path}");
        }

        var name = System.IO.Path.GetFileName(path).ToLowerInvariant();
        if (name.EndsWith(".onnx", StringComparison.Ordinal))
        {
            return new ModelSource(path, ModelFormat.Onnx);
        }

        if (name.EndsWith(".plan", StringComparison.Ordinal) || name.EndsWith(".engine", StringComparison.Ordinal) || name.EndsWith(".trt", StringComparison.Ordinal))
        {
            return new ModelSource(path, ModelFormat.Plan);
        }

        if (name.EndsWith(".tar.gz", StringComparison.Ordinal) || name.EndsWith(".tgz", StringComparison.Ordinal))
        {
            return new ModelSource(path, ModelFormat.Bundle);
        }

        var head = new byte[32];
        int read;
        try
        {
            using var stream = File.OpenRead(path);
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DeployException.BadInput($"cannot read model '{path}': {e.Message.ReplaceLineEndings(" ")}");
        }

        if (TrtPlanHeader.TryRead(head.AsSpan(0, read)) is not null)
        {
            return new ModelSource(path, ModelFormat.Plan);
        }

        return read >= 2 && head[0] == 0x1F && head[1] == 0x8B ? new ModelSource(path, ModelFormat.Bundle) : new ModelSource(path, ModelFormat.Onnx);
    }

    /// <summary>The backend <paramref name="requested"/> resolves to for this model.</summary>
    public InferenceBackend ResolveBackend(InferenceBackend requested) => requested switch
    {
        InferenceBackend.Auto => Format == ModelFormat.Plan ? InferenceBackend.Trt : InferenceBackend.Ort,
        _ => requested,
    };
}

/// <summary>How <see cref="RunnerFactory"/> sets a runner up.</summary>
public sealed record RunnerSettings
{
    /// <summary>ONNX Runtime intra-op threads (0 = its default, one per physical core).</summary>
    public int Threads { get; init; }

    /// <summary>ONNX Runtime custom-op libraries (e.g. the fused-attention op).</summary>
    public IReadOnlyList<string> CustomOpLibraries { get; init; } = [];

    /// <summary>TensorRT plugin libraries registered before a plan is loaded.</summary>
    public IReadOnlyList<string> PluginLibraries { get; init; } = [];
}

/// <summary>Makes the runner for a model source and backend, with the checks and messages the runtime verbs share.</summary>
public static class RunnerFactory
{
    /// <summary>Creates the runner.</summary>
    /// <exception cref="DeployException">
    /// Usage: a plan with --backend ort, an ONNX model with --backend trt. MissingComponent: TensorRT, the shim, ONNX
    /// Runtime, a custom-op or plugin library is missing, or TensorRT was asked for and a bundle has no plan that fits.
    /// BadInput: the model cannot be loaded or a bundle is damaged.
    /// </exception>
    public static IInferenceRunner Create(ModelSource model, InferenceBackend backend, RunnerSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        settings ??= new RunnerSettings();
        if (settings.Threads < 0)
        {
            throw DeployException.Usage($"--threads must be 0 (default) or more, not {settings.Threads}");
        }

        var resolved = model.ResolveBackend(backend);
        if (resolved == InferenceBackend.Trt)
        {
            EnsureTensorRt();
        }

        switch (model.Format, resolved)
        {
            case (ModelFormat.Bundle, _):
            {
                // The runner reads the extracted files when it is created, so they can go right after.
                using var checkout = BundleCheckout.Open(model.Path, backend);
                return Create(checkout.Model, checkout.Backend, checkout.SettingsFor(settings));
            }

            case (ModelFormat.Plan, InferenceBackend.Ort):
                throw DeployException.Usage($"{model.Path} is a TensorRT plan; run it with --backend trt (ONNX Runtime runs .onnx models)");
            case (ModelFormat.Onnx, InferenceBackend.Trt):
                throw DeployException.Usage(
                    $"{model.Path} is an ONNX model; --backend trt runs engine plans: build one first (srdeploy build) or use --backend ort");
            case (ModelFormat.Plan, _):
                return CreatePlanRunner(model, settings);
            default:
                return CreateOnnxRunner(model, settings);
        }
    }

    /// <summary>
    /// The custom-op libraries an ONNX model needs when none are given: the project's fused-attention library (found as
    /// <see cref="PluginLibraries.Locate"/> does) when the model imports the <c>com.superres.deploy</c> domain (an
    /// optimized model), else none.
    /// </summary>
    /// <exception cref="DeployException">MissingComponent: the model needs the library and it cannot be found.</exception>
    public static IReadOnlyList<string> DefaultCustomOps(string onnxPath)
    {
        using var model = OnnxModel.Load(onnxPath, new OnnxLoadOptions { VerifyExternalData = false });
        if (!model.Proto.OpsetImport.Any(o => o.Domain == OpCatalog.SuperResDomain))
        {
            return [];
        }

        var library = PluginLibraries.Locate(PluginLibraries.FusedAttentionOnnxRuntime);
        return library.Path is { } path
            ? [path]
            : throw DeployException.MissingComponent(
                $"model '{Path.GetFileName(onnxPath)}' uses custom operators of domain {OpCatalog.SuperResDomain}, but their ONNX Runtime library {PluginLibraries.FusedAttentionOnnxRuntime} was not found (tried: {string.Join("; ", library.Tried)}); build it (scripts/setup) or pass --custom-ops LIB");
    }

    /// <summary>Fails with a missing-component error naming what to install unless the TensorRT shim and TensorRT load.</summary>
    public static void EnsureTensorRt()
    {
        var probe = TrtInfo.Probe();
        if (probe.Problem is { } problem)
        {
            throw DeployException.MissingComponent(
                $"--backend trt needs TensorRT, which is not usable here: {OneLine(problem)}. To run engine plans, {TensorRtEnvironment.InstallHint}");
        }
    }

    private static OrtRunner CreateOnnxRunner(ModelSource model, RunnerSettings settings)
    {
        if (settings.PluginLibraries.Count > 0)
        {
            throw DeployException.Usage("--plugins applies to TensorRT plans; an ONNX model on ONNX Runtime takes --custom-ops");
        }

        return new OrtRunner(new OrtRunnerOptions
        {
            ModelPath = model.Path,
            IntraOpThreads = settings.Threads,
            CustomOpLibraries = settings.CustomOpLibraries.Count > 0 ? settings.CustomOpLibraries : DefaultCustomOps(model.Path),
        });
    }

    private static TrtRunner CreatePlanRunner(ModelSource model, RunnerSettings settings)
    {
        if (settings.CustomOpLibraries.Count > 0)
        {
            throw DeployException.Usage("--custom-ops applies to ONNX models on ONNX Runtime; a TensorRT plan takes --plugins");
        }

        return new TrtRunner(new TrtRunnerOptions { PlanPath = model.Path, PluginLibraries = settings.PluginLibraries });
    }

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
