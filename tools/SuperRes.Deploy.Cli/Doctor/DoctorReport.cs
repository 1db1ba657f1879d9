using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Interop.OnnxRuntime;
using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Cli.Doctor;

/// <summary>One thing doctor checks.</summary>
/// <param name="Name">Stable id (e.g. "onnxruntime").</param>
/// <param name="Title">What it is, for people.</param>
/// <param name="Required">Needed for the ONNX Runtime path (inspect, optimize, validate with ONNX Runtime); TensorRT parts are optional.</param>
/// <param name="NeededFor">What it is needed for.</param>
/// <param name="Found">Present and usable.</param>
/// <param name="Version">Its version, when known.</param>
/// <param name="Path">Where it was loaded or found from.</param>
/// <param name="Sha256">Content hash of a library file, when found.</param>
/// <param name="Detail">One line: what was found, or what is missing and what to do.</param>
/// <param name="Trace">Every place tried, in order.</param>
public sealed record DoctorComponent(
    string Name, string Title, bool Required, string NeededFor, bool Found, string? Version, string? Path, string? Sha256, string Detail, IReadOnlyList<string> Trace);

/// <summary>The probes doctor runs (the tests replace single ones to simulate a missing component).</summary>
public sealed record DoctorProbes
{
    public Func<OrtLibraryProbe> OnnxRuntime { get; init; } = OrtLibrary.Probe;

    public Func<TrtProbeResult> TensorRt { get; init; } = TrtInfo.Probe;

    public Func<string, LocatedLibrary> Library { get; init; } = PluginLibraries.Locate;

    /// <summary>TensorRT and CUDA looked for directly (used when the shim is not loaded).</summary>
    public Func<NvidiaProbeResult> Nvidia { get; init; } = NvidiaLibraryProbe.Probe;

    public static DoctorProbes Default { get; } = new();
}

/// <summary>Runs the probes and assembles the report (schema srdeploy.doctor/1).</summary>
public static class DoctorReport
{
    public const string Schema = "srdeploy.doctor/1";

    public static IReadOnlyList<DoctorComponent> Collect(DoctorProbes probes)
    {
        ArgumentNullException.ThrowIfNull(probes);
        var components = new List<DoctorComponent>
        {
            new("dotnet", ".NET runtime", true, "everything", true, Environment.Version.ToString(), RuntimeEnvironment.GetRuntimeDirectory(), null,
                $"{RuntimeInformation.FrameworkDescription} on {RuntimeInformation.RuntimeIdentifier}", []),
            Machine(),
        };

        var ort = probes.OnnxRuntime();
        components.Add(new DoctorComponent("onnxruntime", "ONNX Runtime", true, "validate, eval and every comparison with the reference", ort.Found, ort.Version,
            ort.LibraryPath, null, ort.Found ? ort.Summary : $"not found: run scripts/setup (fetches libonnxruntime.so.1) or set {OrtLibrary.PathVariable}", ort.Trace));

        var ortOps = probes.Library(PluginLibraries.FusedAttentionOnnxRuntime);
        components.Add(Library("ort-fused-attention", "FusedAttention custom op for ONNX Runtime", true, "running optimized models (FusedAttention nodes) with ONNX Runtime",
            ortOps, "build it with scripts/setup (cmake --preset default), or set " + PluginLibraries.EnvironmentVariable));

        var trt = probes.TensorRt();
        components.Add(new DoctorComponent("tensorrt-shim", "TensorRT shim (libsrd_trt.so)", false, "build-engine and TensorRT validation", trt.ShimLoaded,
            trt.Library is { } lib ? $"ABI {lib.AbiVersion}, TensorRT headers {lib.HeaderTensorRtVersion}{(lib.IsTestDouble ? " (TEST DOUBLE)" : string.Empty)}" : null,
            trt.ShimPath, null,
            trt.ShimLoaded ? "loaded" : $"not loaded: build it with TensorRT headers (cmake -DSRD_TENSORRT_INCLUDE_DIR=...) or set {TrtShimLibrary.EnvironmentVariable}",
            trt.ShimTrace));

        if (trt.Library is null)
        {
            // Without the shim, TensorRT and CUDA are still looked for directly, so the report says whether the
            // machine has them (and only lacks the shim) or lacks TensorRT itself.
            components.AddRange(DirectNvidiaComponents(probes.Nvidia()));
        }
        else
        {
            components.AddRange(ShimNvidiaComponents(trt));
        }

        var trtPlugin = probes.Library(PluginLibraries.FusedAttentionTensorRt);
        components.Add(Library("trt-fused-attention", "FusedAttention TensorRT plugin", false, "building engines of optimized models (FusedAttention nodes)",
            trtPlugin, "built only with CUDA and TensorRT headers (plugins/fused_attention/README.md)"));
        return components;
    }

    public static JsonObject ToJson(IReadOnlyList<DoctorComponent> components)
    {
        ArgumentNullException.ThrowIfNull(components);
        return new JsonObject
        {
            ["schema"] = Schema,
            ["ok"] = components.All(c => c.Found || !c.Required),
            ["missingRequired"] = BuildJson.Strings(components.Where(c => c.Required && !c.Found).Select(c => c.Name)),
            ["missingOptional"] = BuildJson.Strings(components.Where(c => !c.Required && !c.Found).Select(c => c.Name)),
            ["components"] = new JsonArray([.. components.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name,
                ["title"] = c.Title,
                ["required"] = c.Required,
                ["neededFor"] = c.NeededFor,
                ["found"] = c.Found,
                ["version"] = c.Version,
                ["path"] = c.Path,
                ["sha256"] = c.Sha256,
                ["detail"] = c.Detail,
                ["trace"] = BuildJson.Strings(c.Trace),
            })]),
        };
    }

    public static void Render(IReadOnlyList<DoctorComponent> components, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(components);
        ArgumentNullException.ThrowIfNull(writer);
        foreach (var c in components)
        {
            var state = c.Found ? "ok     " : c.Required ? "MISSING" : "absent ";
            writer.WriteLine($"[{state}] {c.Title}{(c.Required ? string.Empty : " (optional)")}{(c.Version is { } v ? $": {v}" : string.Empty)}");
            writer.WriteLine($"          {c.Detail}");
            if (c.Path is { } p)
            {
                writer.WriteLine($"          path: {p}");
            }

            if (c.Sha256 is { } h)
            {
                writer.WriteLine($"          sha256: {h}");
            }

            foreach (var line in c.Trace)
            {
                writer.WriteLine($"          tried: {line}");
            }
        }

        var missing = components.Where(c => c.Required && !c.Found).Select(c => c.Title).ToList();
        var trtCore = components.Where(c => c.Name is "tensorrt-shim" or "tensorrt" or "tensorrt-onnx-parser" or "cuda" && !c.Found).Select(c => c.Title).ToList();
        var trtPlugin = components.Any(c => c.Name == "trt-fused-attention" && !c.Found);
        var trtPath = trtCore.Count > 0
            ? $"TensorRT path: not available (missing: {string.Join(", ", trtCore)}); build-engine stops with exit code 4 before the build."
            : trtPlugin
                ? "TensorRT path: ready, except engines of models with FusedAttention nodes (the TensorRT plugin is missing)."
                : "TensorRT path: ready.";
        writer.WriteLine(missing.Count == 0
            ? $"ONNX Runtime path: ready. {trtPath}"
            : $"missing required: {string.Join(", ", missing)}. {trtPath}");
    }

    private static IEnumerable<DoctorComponent> ShimNvidiaComponents(TrtProbeResult trt)
    {
        var native = trt.NativeTrace.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var info = trt.Library!;
        yield return new DoctorComponent("tensorrt", "TensorRT (libnvinfer)", false, "build-engine and TensorRT validation", info.TensorRtLoaded,
            info.RuntimeTensorRtVersion?.ToString(), null, null,
            info.TensorRtLoaded ? $"TensorRT {info.RuntimeTensorRtVersion} loaded" : $"not loaded: {trt.Problem ?? "unknown reason"}",
            [.. native.Where(l => l.Contains("nvinfer", StringComparison.Ordinal) && !l.Contains("nvinfer_plugin", StringComparison.Ordinal))]);
        yield return new DoctorComponent("tensorrt-onnx-parser", "TensorRT ONNX parser (libnvonnxparser)", false, "build-engine", info.OnnxParserLoaded,
            info.OnnxParserVersion?.ToString(), null, null,
            info.OnnxParserLoaded ? $"ONNX parser {info.OnnxParserVersion} loaded" : "not loaded",
            [.. native.Where(l => l.Contains("nvonnxparser", StringComparison.Ordinal))]);
        var devices = trt.Devices;
        yield return new DoctorComponent("cuda", "CUDA runtime, driver and GPUs", false, "build-engine and TensorRT validation", info.CudaRuntimeLoaded,
            info.CudaRuntimeVersion is { } rt ? $"runtime {rt}, driver {info.CudaDriverVersion?.ToString() ?? "none"}" : null, null, null,
            !info.CudaRuntimeLoaded ? "CUDA runtime not loaded"
                : devices.Count == 0 ? "CUDA runtime loaded, no GPU"
                : string.Join("; ", devices.Select(d => string.Create(CultureInfo.InvariantCulture,
                    $"GPU {d.Device}: {d.SmName}, {d.MultiprocessorCount} SMs, {d.TotalMemoryBytes / (1024.0 * 1024 * 1024):0.#} GiB ({d.FreeMemoryBytes / (1024.0 * 1024 * 1024):0.#} free){(d.Integrated ? ", integrated" : string.Empty)}"))),
            [.. native.Where(l => l.Contains("cudart", StringComparison.Ordinal))]);
    }

    private static IEnumerable<DoctorComponent> DirectNvidiaComponents(NvidiaProbeResult nvidia)
    {
        const string NoShim = "the srdeploy shim is not built, so srdeploy cannot use it yet (cmake -DSRD_TENSORRT_INCLUDE_DIR=...)";
        yield return Direct("tensorrt", "build-engine and TensorRT validation", nvidia.TensorRt,
            found: $"TensorRT {nvidia.TensorRt.Version} found ({nvidia.TensorRt.LoadedName}); {NoShim}",
            missing: "not found: install TensorRT 10.x or 11.x (libnvinfer) and put it on the library path");
        yield return Direct("tensorrt-onnx-parser", "build-engine", nvidia.OnnxParser,
            found: $"ONNX parser {nvidia.OnnxParser.Version} found ({nvidia.OnnxParser.LoadedName})",
            missing: "not found: install TensorRT's ONNX parser (libnvonnxparser)");
        var runtime = nvidia.CudaRuntime;
        var driver = nvidia.CudaDriver;
        var version = runtime.Found || driver.Found ? $"runtime {runtime.Version ?? "none"}, driver {driver.Version ?? "none"}" : null;
        var detail = !runtime.Found
            ? "CUDA runtime (libcudart) not found"
            : !driver.Found ? "CUDA runtime found, but no CUDA driver (libcuda.so.1): no usable GPU"
            : nvidia.DeviceCount is { } n ? string.Create(CultureInfo.InvariantCulture, $"CUDA runtime and driver found, {n} GPU(s)")
            : "CUDA runtime and driver found, but the driver did not initialise";
        yield return new DoctorComponent("cuda", "CUDA runtime, driver and GPUs", false, "build-engine and TensorRT validation",
            runtime.Found && driver.Found && nvidia.DeviceCount > 0, version, null, null, detail, [.. runtime.Trace, .. driver.Trace]);
    }

    private static DoctorComponent Direct(string name, string neededFor, NvidiaLibraryStatus status, string found, string missing) =>
        new(name, status.Name, false, neededFor, status.Found, status.Version, status.LoadedName, null, status.Found ? found : missing, status.Trace);

    private static DoctorComponent Library(string name, string title, bool required, string neededFor, LocatedLibrary library, string howToGet) =>
        new(name, title, required, neededFor, library.Found, null, library.Path, library.Sha256,
            library.Found ? string.Create(CultureInfo.InvariantCulture, $"{library.Name}, {library.Bytes} bytes") : $"{library.Name} not found: {howToGet}",
            library.Tried);

    private static DoctorComponent Machine()
    {
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        string? cpu = null;
        try
        {
            cpu = File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
                : null;
        }
        catch (IOException)
        {
            cpu = null;
        }

        return new DoctorComponent("machine", "Machine", true, "everything", true, null, null, null,
            string.Create(CultureInfo.InvariantCulture,
                $"{RuntimeInformation.OSDescription}, {RuntimeInformation.OSArchitecture}, {Environment.ProcessorCount} logical CPUs{(cpu is null ? string.Empty : $" ({cpu})")}, {memory / (1024.0 * 1024 * 1024):0.#} GiB memory"),
            []);
    }
}
