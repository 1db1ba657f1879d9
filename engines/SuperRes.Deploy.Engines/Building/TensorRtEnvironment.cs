using System.Globalization;
using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Engines.Building;

/// <summary>
/// The GPU an engine is built for, as far as the shim and the driver tell: compute capability, multiprocessors, memory,
/// integrated or not, and the product name where the NVIDIA driver lists exactly one GPU in /proc (the shim's
/// srd_device_info carries no name).
/// </summary>
public sealed record GpuIdentity(string? Name, int ComputeCapabilityMajor, int ComputeCapabilityMinor, int Multiprocessors, ulong MemoryBytes, bool Integrated)
{
    public string ComputeCapability => string.Create(CultureInfo.InvariantCulture, $"{ComputeCapabilityMajor}.{ComputeCapabilityMinor}");

    public string SmName => string.Create(CultureInfo.InvariantCulture, $"sm_{ComputeCapabilityMajor}{ComputeCapabilityMinor}");

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Name ?? "GPU"} ({SmName}, {Multiprocessors} SMs, {MemoryBytes / (1024.0 * 1024 * 1024):0.#} GiB{(Integrated ? ", integrated" : string.Empty)})");
}

/// <summary>
/// What TensorRT looks like on this machine for a build: the shim's probe (never throws) reduced to what the build
/// decides on (runtime version for the precision path and the cache key, GPU for the cache key) and, when TensorRT is
/// not usable, one line saying what to install.
/// </summary>
public sealed record TensorRtEnvironment(
    bool Usable,
    string? Problem,
    string? ShimPath,
    Version? RuntimeVersion,
    Version? ShimHeaderVersion,
    Version? OnnxParserVersion,
    Version? CudaRuntimeVersion,
    Version? CudaDriverVersion,
    bool IsTestDouble,
    GpuIdentity? Gpu)
{
    /// <summary>What a machine needs for build-engine (named in the exit-4 message).</summary>
    public const string InstallHint =
        "install TensorRT 10.x or 11.x (libnvinfer and libnvonnxparser, e.g. packages libnvinfer10 libnvonnxparsers10) and the CUDA runtime (libcudart), "
        + "and build the TensorRT shim libsrd_trt.so with TensorRT's headers (cmake -DSRD_TENSORRT_INCLUDE_DIR=...; see docs/build-engine.md)";

    /// <summary>Asks the shim (never throws).</summary>
    public static TensorRtEnvironment Probe()
    {
        var probe = TrtInfo.Probe();
        var library = probe.Library;
        GpuIdentity? gpu = null;
        if (probe.Devices.Count > 0)
        {
            var d = probe.Devices[0];
            gpu = new GpuIdentity(DriverGpuName(), d.ComputeCapabilityMajor, d.ComputeCapabilityMinor, d.MultiprocessorCount, d.TotalMemoryBytes, d.Integrated);
        }

        var usable = probe.TensorRtUsable && library is { TensorRtLoaded: true, OnnxParserLoaded: true };
        var problem = usable ? null : probe.Problem ?? "TensorRT or its ONNX parser is not loaded";
        return new TensorRtEnvironment(usable, problem, probe.ShimPath, library?.RuntimeTensorRtVersion, library?.HeaderTensorRtVersion,
            library?.OnnxParserVersion, library?.CudaRuntimeVersion, library?.CudaDriverVersion, library?.IsTestDouble ?? false, gpu);
    }

    /// <summary>The one-line exit-4 message: what is missing and what to install.</summary>
    public string MissingMessage(string step) =>
        $"{step} needs TensorRT, which is not usable here: {Problem}. To build engines, {InstallHint}";

    /// <summary>The product name from /proc/driver/nvidia/gpus/*/information when exactly one GPU is listed.</summary>
    private static string? DriverGpuName()
    {
        try
        {
            const string root = "/proc/driver/nvidia/gpus";
            if (!Directory.Exists(root))
            {
                return null;
            }

            var gpus = Directory.GetDirectories(root);
            if (gpus.Length != 1)
            {
                return null;
            }

            var model = File.ReadLines(Path.Combine(gpus[0], "information"))
                .FirstOrDefault(l => l.StartsWith("Model:", StringComparison.Ordinal));
            return model?["Model:".Length..].Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
