using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Packaging;
using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Engines.Upscaling;

/// <summary>What <see cref="UpscaleSession.Open"/> loads.</summary>
public sealed record UpscaleSessionOptions
{
    /// <summary>The model (ONNX, plan or bundle); null = the config's model.</summary>
    public string? ModelPath { get; init; }

    /// <summary>A deploy config (configs/NAME.yaml) for the I/O contract, scale, max_tile and, for plans, the ONNX to analyse.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>The runtime.</summary>
    public InferenceBackend Backend { get; init; } = InferenceBackend.Auto;

    /// <summary>Threads, custom ops, plugins.</summary>
    public RunnerSettings Runner { get; init; } = new();

    /// <summary>Tile size and overlap.</summary>
    public TileSettings Tiles { get; init; } = new();

    /// <summary>An extra alignment for both axes (for a plan whose ONNX is not at hand), or null.</summary>
    public int? Alignment { get; init; }
}

/// <summary>
/// A model loaded for upscaling: the runner, what the tiler knows about the model (from the graph analysis of the ONNX,
/// the config, the engine's profiles) and the <see cref="TiledUpscaler"/>. Disposing it releases the runner.
/// </summary>
public sealed class UpscaleSession : IDisposable
{
    private UpscaleSession(ModelSource source, InferenceBackend backend, IInferenceRunner runner, TiledUpscaler upscaler, DeployConfig? config)
    {
        Source = source;
        Backend = backend;
        Runner = runner;
        Upscaler = upscaler;
        Config = config;
    }

    /// <summary>The model file and its format.</summary>
    public ModelSource Source { get; }

    /// <summary>The backend in use.</summary>
    public InferenceBackend Backend { get; }

    /// <summary>The loaded model.</summary>
    public IInferenceRunner Runner { get; }

    /// <summary>The tiler over <see cref="Runner"/>.</summary>
    public TiledUpscaler Upscaler { get; }

    /// <summary>The config, when one was given.</summary>
    public DeployConfig? Config { get; }

    /// <summary>Loads the config and the model, analyses the ONNX graph and prepares the tiler.</summary>
    /// <exception cref="DeployException">Usage, BadInput or MissingComponent, as <see cref="RunnerFactory.Create"/> and the config loader.</exception>
    public static UpscaleSession Open(UpscaleSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Tiles.Validate();
        if (options.Alignment is <= 0)
        {
            throw DeployException.Usage($"--align must be a positive number of pixels, not {options.Alignment}");
        }

        var config = options.ConfigPath is null ? null : DeployConfigLoader.Load(options.ConfigPath);
        var modelPath = options.ModelPath ?? config?.ModelPath
                        ?? throw DeployException.Usage("give the model with --model (or a --config that names it)");
        var source = ModelSource.Detect(modelPath);
        if (source.Format == ModelFormat.Bundle)
        {
            // The runner and the graph analysis read the extracted files while the session opens; then they go.
            using var checkout = BundleCheckout.Open(source.Path, options.Backend);
            return Open(source, checkout.Backend, RunnerFactory.Create(checkout.Model, checkout.Backend, checkout.SettingsFor(options.Runner)),
                config, checkout.OnnxPath, checkout.Bundle.Manifest, options);
        }

        var onnx = source.Format == ModelFormat.Onnx ? source.Path
            : config is not null && File.Exists(config.ModelPath) ? config.ModelPath
            : null;
        return Open(source, source.ResolveBackend(options.Backend), RunnerFactory.Create(source, options.Backend, options.Runner), config, onnx, null, options);
    }

    private static UpscaleSession Open(
        ModelSource source, InferenceBackend backend, IInferenceRunner runner, DeployConfig? config, string? onnx, BundleManifest? bundle, UpscaleSessionOptions options)
    {
        try
        {
            var info = UpscaleModelInfo.FromRunner(runner, config, bundle?.Io);
            if (bundle is not null)
            {
                info = info.WithBundle(bundle);
            }

            if (onnx is not null)
            {
                using var model = OnnxModel.Load(onnx, new OnnxLoadOptions { VerifyExternalData = false });
                info = info.WithAnalysis(ModelAnalysis.Run(OnnxGraph.FromModel(model)));
            }

            info = PlanLimits.Apply(runner, info);
            if (options.Alignment is { } alignment)
            {
                info = info.WithAlignment(alignment, $"--align {alignment}");
            }

            return new UpscaleSession(source, backend, runner, new TiledUpscaler(runner, info, options.Tiles), config);
        }
        catch
        {
            runner.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => Runner.Dispose();
}

/// <summary>Limits that come from the runner itself beyond its declared shapes: a TensorRT engine's optimization profiles.</summary>
internal static class PlanLimits
{
    /// <summary>
    /// For a TensorRT runner: the spatial min/max of the profile with the largest max (H × W) for the image input, so
    /// that every tile lies inside one profile (the runner then selects it per run, opt match first, as vs-mlrt does).
    /// </summary>
    public static UpscaleModelInfo Apply(IInferenceRunner runner, UpscaleModelInfo info)
    {
        if (runner is not TrtRunner trt)
        {
            return info;
        }

        var best = trt.Profiles
            .Where(p => p.Inputs.TryGetValue(info.InputName, out var r) && r.Max.Count == 4)
            .OrderByDescending(p => p.Inputs[info.InputName].Max[2] * p.Inputs[info.InputName].Max[3])
            .FirstOrDefault();
        if (best is null)
        {
            return info;
        }

        var range = best.Inputs[info.InputName];
        if (range.Min[0] > 1 || range.Max[0] < 1)
        {
            throw DeployException.BadInput($"upscale runs batch 1; optimization profile {best.Index} of the engine allows batch {range.Min[0]}..{range.Max[0]}");
        }

        return info.WithProfileRange(range.Min[2], range.Min[3], range.Max[2], range.Max[3], $"engine: {best}");
    }
}
