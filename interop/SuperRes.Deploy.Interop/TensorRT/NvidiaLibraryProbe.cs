using System.Globalization;
using System.Runtime.InteropServices;

namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>One NVIDIA library looked for by <see cref="NvidiaLibraryProbe"/>.</summary>
/// <param name="Name">What it is (e.g. "TensorRT (libnvinfer)").</param>
/// <param name="Found">A candidate loaded and exported the version function.</param>
/// <param name="LoadedName">The file name that loaded.</param>
/// <param name="Version">Its version as the library reports it (e.g. 10.3.0), when found.</param>
/// <param name="Trace">Every candidate tried, with the outcome.</param>
public sealed record NvidiaLibraryStatus(string Name, bool Found, string? LoadedName, string? Version, IReadOnlyList<string> Trace);

/// <summary>What <see cref="NvidiaLibraryProbe.Probe"/> found.</summary>
/// <param name="DeviceCount">GPUs the CUDA driver reports (null when the driver is absent or fails to initialise).</param>
public sealed record NvidiaProbeResult(
    NvidiaLibraryStatus TensorRt, NvidiaLibraryStatus OnnxParser, NvidiaLibraryStatus CudaRuntime, NvidiaLibraryStatus CudaDriver, int? DeviceCount);

/// <summary>
/// Looks for TensorRT, its ONNX parser and CUDA directly, through the few plain C symbols they export
/// (<c>getInferLibVersion</c>, <c>getNvOnnxParserVersion</c>, <c>cudaRuntimeGetVersion</c>, <c>cuDriverGetVersion</c>,
/// <c>cuDeviceGetCount</c>), without our shim. `doctor` uses it when the shim is not built, so a machine that has
/// TensorRT but not the shim is told exactly that, instead of "not checked".
/// </summary>
public static unsafe class NvidiaLibraryProbe
{
    /// <summary>Sonames tried in order: the newest major first.</summary>
    public static IReadOnlyList<string> TensorRtNames { get; } = ["libnvinfer.so.11", "libnvinfer.so.10"];

    public static IReadOnlyList<string> OnnxParserNames { get; } = ["libnvonnxparser.so.11", "libnvonnxparser.so.10"];

    public static IReadOnlyList<string> CudaRuntimeNames { get; } = ["libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0"];

    public static IReadOnlyList<string> CudaDriverNames { get; } = ["libcuda.so.1"];

    /// <summary>Probes every library by its usual sonames. Never throws.</summary>
    public static NvidiaProbeResult Probe() => Probe(TensorRtNames, OnnxParserNames, CudaRuntimeNames, CudaDriverNames);

    /// <summary>Probes the given candidates (names or paths) for each library. Never throws.</summary>
    public static NvidiaProbeResult Probe(
        IReadOnlyList<string> tensorRt, IReadOnlyList<string> onnxParser, IReadOnlyList<string> cudaRuntime, IReadOnlyList<string> cudaDriver)
    {
        var trt = ProbeOne("TensorRT (libnvinfer)", tensorRt, "getInferLibVersion", (lib, fn) => TensorRtVersion(((delegate* unmanaged<int>)fn)()));
        var parser = ProbeOne("TensorRT ONNX parser (libnvonnxparser)", onnxParser, "getNvOnnxParserVersion",
            (lib, fn) => TensorRtVersion(((delegate* unmanaged<int>)fn)()));
        var cudart = ProbeOne("CUDA runtime (libcudart)", cudaRuntime, "cudaRuntimeGetVersion", (lib, fn) =>
        {
            int v;
            return ((delegate* unmanaged<int*, int>)fn)(&v) == 0 ? CudaVersion(v) : null;
        });
        int? devices = null;
        var driver = ProbeOne("CUDA driver (libcuda)", cudaDriver, "cuDriverGetVersion", (lib, fn) =>
        {
            int v;
            if (((delegate* unmanaged<int*, int>)fn)(&v) != 0)
            {
                return null;
            }

            if (NativeLibrary.TryGetExport(lib, "cuInit", out var init) && NativeLibrary.TryGetExport(lib, "cuDeviceGetCount", out var count) &&
                ((delegate* unmanaged<uint, int>)init)(0) == 0)
            {
                int n;
                if (((delegate* unmanaged<int*, int>)count)(&n) == 0)
                {
                    devices = n;
                }
            }

            return CudaVersion(v);
        });
        return new NvidiaProbeResult(trt, parser, cudart, driver, devices);
    }

    /// <summary>TensorRT encodes versions as major·10000 + minor·100 + patch (e.g. 100300 = 10.3.0).</summary>
    public static string TensorRtVersion(int encoded) =>
        string.Create(CultureInfo.InvariantCulture, $"{encoded / 10000}.{encoded / 100 % 100}.{encoded % 100}");

    /// <summary>CUDA encodes versions as major·1000 + minor·10 (e.g. 12080 = 12.8).</summary>
    public static string CudaVersion(int encoded) =>
        string.Create(CultureInfo.InvariantCulture, $"{encoded / 1000}.{encoded % 1000 / 10}");

    private static NvidiaLibraryStatus ProbeOne(string title, IReadOnlyList<string> names, string versionExport, Func<nint, nint, string?> readVersion)
    {
        var trace = new List<string>();
        foreach (var name in names)
        {
            if (!NativeLibrary.TryLoad(name, out var handle))
            {
                trace.Add($"{name}: not found");
                continue;
            }

            try
            {
                if (!NativeLibrary.TryGetExport(handle, versionExport, out var fn))
                {
                    trace.Add($"{name}: loaded, but it has no {versionExport} export");
                    continue;
                }

                var version = readVersion(handle, fn);
                trace.Add($"{name}: loaded, version {version ?? "unknown"}");
                return new NvidiaLibraryStatus(title, true, name, version, trace);
            }
#pragma warning disable CA1031 // a probe reports every failure as a trace line; it must never throw
            catch (Exception e)
#pragma warning restore CA1031
            {
                trace.Add($"{name}: loaded, but reading its version failed: {e.Message}");
            }

            // Loaded libraries stay loaded: unloading NVIDIA libraries while their static state may be live is unsafe.
        }

        return new NvidiaLibraryStatus(title, false, null, null, trace);
    }
}
