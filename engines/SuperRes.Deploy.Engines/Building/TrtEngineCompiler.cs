using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Engines.Building;

/// <summary>One optimization profile as passed to TensorRT: min/opt/max per input.</summary>
public sealed record EngineProfile(IReadOnlyList<EngineProfileInput> Inputs);

/// <summary>Min/opt/max of one input in one profile.</summary>
public sealed record EngineProfileInput(string Name, long[] Min, long[] Opt, long[] Max);

/// <summary>Everything the TensorRT build needs, resolved.</summary>
/// <param name="ModelPath">The ONNX file to parse (the optimized model).</param>
/// <param name="Precision">How precision is realised (typing mode, kFP16 flag).</param>
/// <param name="Settings">Builder settings.</param>
/// <param name="Profiles">Optimization profiles, in index order.</param>
/// <param name="PluginLibraries">TensorRT plugin libraries to load before parsing (absolute).</param>
/// <param name="TimingCache">Serialized timing cache to start from (null = a fresh one).</param>
/// <param name="NewerTimingCache">Called after the build: the timing cache file's bytes if another build replaced it
/// meanwhile (they are combined into this build's cache before it is saved), else null.</param>
public sealed record EngineCompileRequest(
    string ModelPath,
    PrecisionPlan Precision,
    EngineBuildSettings Settings,
    IReadOnlyList<EngineProfile> Profiles,
    IReadOnlyList<string> PluginLibraries,
    byte[]? TimingCache,
    Func<byte[]?>? NewerTimingCache = null);

/// <summary>The build's products.</summary>
/// <param name="Plan">The serialized engine.</param>
/// <param name="TimingCache">The timing cache after the build (what was loaded plus what the build measured).</param>
/// <param name="NetworkLayers">Layers of the parsed network.</param>
/// <param name="Warnings">Non-fatal problems (e.g. a timing cache from another device that was replaced).</param>
public sealed record CompiledEngine(byte[] Plan, byte[] TimingCache, int NetworkLayers, IReadOnlyList<string> Warnings);

/// <summary>The build step: turns an ONNX model and settings into a serialized engine.</summary>
public interface IEngineCompiler
{
    CompiledEngine Compile(EngineCompileRequest request, IBuildLog log, CancellationToken cancellationToken);
}

/// <summary>
/// Builds through the TensorRT shim in trtexec's order: plugin libraries, builder, network (strongly typed or not),
/// ONNX parser, builder configuration (flags, memory pools, optimization level, hardware compatibility, profiling
/// verbosity, auxiliary streams, plugins to serialize, timing cache, profiles), build, then the timing cache is
/// serialized. Every native object is disposed on every path. Native failures become <see cref="DeployException"/>s
/// carrying the shim's message (<see cref="TranslateTrt"/>).
/// </summary>
public sealed class TrtEngineCompiler : IEngineCompiler
{
    public CompiledEngine Compile(EngineCompileRequest request, IBuildLog log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(log);
        var warnings = new List<string>();
        var plugins = new List<TrtPluginLibrary>();
        TrtLogger? logger = null;
        try
        {
            TranslateTrt(() => logger = new TrtLogger((severity, message) => Forward(log, severity, message), TrtLogSeverity.Warning), "cannot attach to TensorRT's logger");
            foreach (var path in request.PluginLibraries)
            {
                plugins.Add(TranslateTrt(() => TrtPluginLibrary.Load(path), $"cannot load TensorRT plugin library '{path}'"));
                log.Debug($"loaded TensorRT plugin library {path}");
            }

            using var builder = TranslateTrt(TrtBuilder.Create, "cannot create the TensorRT builder");
            var stronglyTyped = request.Precision.Typing == TypingMode.StronglyTyped;
            using var network = TranslateTrt(() => builder.CreateNetwork(stronglyTyped), "cannot create the TensorRT network");
            using (var parser = TranslateTrt(() => TrtOnnxParser.Create(network), "cannot create the ONNX parser"))
            {
                TranslateTrt(() => parser.ParseFile(request.ModelPath), $"TensorRT's ONNX parser rejected '{Path.GetFileName(request.ModelPath)}'");
            }

            cancellationToken.ThrowIfCancellationRequested();
            var layers = TranslateTrt(() => network.LayerCount, "cannot read the parsed network");
            log.Debug($"parsed {Path.GetFileName(request.ModelPath)}: {layers} layers, {(stronglyTyped ? "strongly" : "weakly")} typed");
            using var config = TranslateTrt(builder.CreateConfig, "cannot create the builder configuration");
            Configure(config, request, warnings, log);
            foreach (var (profile, index) in request.Profiles.Select((p, i) => (p, i)))
            {
                using var trtProfile = TranslateTrt(builder.CreateOptimizationProfile, "cannot create an optimization profile");
                foreach (var input in profile.Inputs)
                {
                    TranslateTrt(() => trtProfile.SetDimensions(input.Name, new TrtDims(input.Min), new TrtDims(input.Opt), new TrtDims(input.Max)),
                        $"TensorRT refused profile {index} of input '{input.Name}' ({string.Join('x', input.Min)} / {string.Join('x', input.Opt)} / {string.Join('x', input.Max)})");
                }

                var added = TranslateTrt(() => config.AddOptimizationProfile(trtProfile), $"TensorRT refused profile {index}");
                if (added != index)
                {
                    throw new InvalidOperationException($"TensorRT numbered profile {index} as {added}");
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            log.Info($"building the TensorRT engine ({request.Profiles.Count} profile(s), {request.Precision.Requested}, {request.Precision.TypingName})");
            var plan = TranslateTrt(() => builder.Build(network, config), "TensorRT could not build the engine");
            if (request.NewerTimingCache?.Invoke() is { Length: > 0 } newer)
            {
                try
                {
                    config.CombineTimingCache(newer);
                    log.Debug($"combined the timing cache another build saved meanwhile ({newer.Length} bytes)");
                }
                catch (TrtException e) when (e.Status is TrtStatus.InvalidArgument or TrtStatus.RuntimeError)
                {
                    var warning = $"the timing cache saved meanwhile by another build could not be combined ({OneLine(e.Message)}); it is replaced";
                    warnings.Add(warning);
                    log.Warning(warning);
                }
            }

            var timingCache = TranslateTrt(config.SerializeTimingCache, "cannot serialize the timing cache");
            return new CompiledEngine(plan.Bytes.ToArray(), timingCache, layers, warnings);
        }
        finally
        {
            // Plugins are deregistered only after every network and builder using them is gone (the usings above).
            for (var i = plugins.Count - 1; i >= 0; i--)
            {
                plugins[i].Dispose();
            }

            logger?.Dispose();
        }
    }

    private static void Configure(TrtBuilderConfig config, EngineCompileRequest request, List<string> warnings, IBuildLog log)
    {
        var settings = request.Settings;
        if (request.Precision.Fp16BuilderFlag)
        {
            TranslateTrt(() => config.SetFlag(TrtBuilderFlag.Fp16), "TensorRT refused the kFP16 builder flag");
        }

        foreach (var (pool, bytes) in settings.MemoryPools.OrderBy(p => p.Key))
        {
            TranslateTrt(() => config.SetMemoryPoolLimit(pool, (ulong)bytes), $"TensorRT refused the {EngineBuildSettings.PoolName(pool)} memory pool limit");
        }

        TranslateTrt(() => config.SetOptimizationLevel(settings.BuilderOptimizationLevel), "TensorRT refused the builder optimization level");
        if (settings.HardwareCompatibility != TrtHardwareCompatibility.None)
        {
            TranslateTrt(() => config.SetHardwareCompatibility(settings.HardwareCompatibility),
                $"TensorRT refused hardware compatibility level {EngineBuildSettings.HardwareCompatibilityName(settings.HardwareCompatibility)}");
        }

        TranslateTrt(() => config.SetProfilingVerbosity(settings.ProfilingVerbosity), "TensorRT refused the profiling verbosity");
        if (settings.MaxAuxStreams is { } aux)
        {
            TranslateTrt(() => config.SetMaxAuxStreams(aux), "TensorRT refused the auxiliary stream count");
        }

        if (settings.SerializePlugins && request.PluginLibraries.Count > 0)
        {
            TranslateTrt(() => config.SetPluginsToSerialize(request.PluginLibraries), "TensorRT refused the plugin libraries to serialize");
        }

        if (request.TimingCache is { Length: > 0 } cache)
        {
            try
            {
                config.LoadTimingCache(cache);
                log.Debug($"timing cache loaded ({cache.Length} bytes)");
            }
            catch (TrtException e) when (e.Status is TrtStatus.InvalidArgument or TrtStatus.RuntimeError)
            {
                // A cache from another device or TensorRT version: start fresh rather than fail the build.
                var warning = $"the timing cache was not accepted ({OneLine(e.Message)}); starting a fresh one";
                warnings.Add(warning);
                log.Warning(warning);
                TranslateTrt(() => config.LoadTimingCache([]), "cannot create an empty timing cache");
            }
        }
    }

    private static void Forward(IBuildLog log, TrtLogSeverity severity, string message)
    {
        if (severity <= TrtLogSeverity.Warning)
        {
            log.Warning($"TensorRT: {message}");
        }
        else
        {
            log.Debug($"TensorRT: {message}");
        }
    }

    /// <summary>
    /// The one place the build step turns shim failures into <see cref="DeployException"/>s, keeping the shim's message:
    /// a missing library or plugin is a missing component (exit 4), a setting the TensorRT version lacks is a usage
    /// error (exit 2), a model or profile TensorRT rejects is bad input (exit 3, with the parser's first error). Other
    /// statuses (CUDA errors, out of memory, internal) propagate as <see cref="TrtException"/> (exit 70).
    /// </summary>
    public static T TranslateTrt<T>(Func<T> action, string context)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            return action();
        }
        catch (TrtException e) when (e.Status is TrtStatus.LibraryMissing)
        {
            throw new DeployException(FailureKind.MissingComponent,
                $"{context}: {OneLine(e.NativeMessage.Length > 0 ? e.NativeMessage : e.Message)}. To build engines, {TensorRtEnvironment.InstallHint}", e);
        }
        catch (TrtException e) when (e.Status is TrtStatus.NotFound)
        {
            throw new DeployException(FailureKind.MissingComponent, $"{context}: {OneLine(e.Message)}", e);
        }
        catch (TrtException e) when (e.Status is TrtStatus.Unsupported)
        {
            throw new DeployException(FailureKind.Usage, $"{context}: {OneLine(e.Message)}", e);
        }
        catch (TrtException e) when (e.Status is TrtStatus.ParseFailed)
        {
            var first = e.ParserErrors.Count > 0 ? $"; first of {e.ParserErrors.Count} parser error(s): {e.ParserErrors[0]}" : string.Empty;
            throw new DeployException(FailureKind.BadInput, $"{context}: {OneLine(e.Message)}{OneLine(first)}", e);
        }
        catch (TrtException e) when (e.Status is TrtStatus.InvalidArgument or TrtStatus.BuildFailed)
        {
            throw new DeployException(FailureKind.BadInput, $"{context}: {OneLine(e.Message)}", e);
        }
        catch (DllNotFoundException e)
        {
            throw new DeployException(FailureKind.MissingComponent, $"{context}: {OneLine(e.Message)}. To build engines, {TensorRtEnvironment.InstallHint}", e);
        }
    }

    public static void TranslateTrt(Action action, string context)
    {
        ArgumentNullException.ThrowIfNull(action);
        TranslateTrt(() =>
        {
            action();
            return true;
        }, context);
    }

    internal static string OneLine(string message) =>
        string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
