namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>Name, direction, element type and shape of a network or engine I/O tensor.</summary>
public sealed record TrtTensorInfo(string Name, TrtTensorIoMode Mode, TrtDataType DataType, TrtDims Shape);

/// <summary>One error of the ONNX parser (nvonnxparser::IParserError).</summary>
/// <param name="Code">nvonnxparser::ErrorCode (8 = unsupported node, ...).</param>
/// <param name="NodeIndex">Index of the failing node in the graph; -1 when none.</param>
public sealed record TrtParserError(
    int Code, int NodeIndex, string Description, string NodeName, string NodeOperator, string SourceFile,
    string SourceFunction, int SourceLine)
{
    public override string ToString() =>
        NodeIndex >= 0 ? $"{Description} [node {NodeIndex} '{NodeName}' op {NodeOperator}]" : Description;
}

/// <summary>What the builder reports about the GPU; null where the TensorRT version has no such query (11.x).</summary>
public sealed record TrtBuilderPlatformInfo(bool? HasFastFp16, bool? HasTf32, int DlaCoreCount, int MaxThreads);

/// <summary>A CUDA device as the shim sees it.</summary>
public sealed record TrtDeviceInfo(
    int Device, int ComputeCapabilityMajor, int ComputeCapabilityMinor, int MultiprocessorCount, bool Integrated,
    ulong TotalMemoryBytes, ulong FreeMemoryBytes)
{
    /// <summary>"sm_87" style name of the compute capability.</summary>
    public string SmName => $"sm_{ComputeCapabilityMajor}{ComputeCapabilityMinor}";
}

/// <summary>Min, opt and max shape of one input in one optimization profile.</summary>
public sealed record TrtProfileShape(TrtDims Min, TrtDims Opt, TrtDims Max);

/// <summary>Versions and load state reported by the shim (srd_library_info).</summary>
/// <param name="HeaderTensorRtVersion">TensorRT headers the shim was compiled against.</param>
/// <param name="RuntimeTensorRtVersion">libnvinfer actually loaded; null when not loaded.</param>
public sealed record TrtLibraryInfo(
    int AbiVersion, Version HeaderTensorRtVersion, Version? RuntimeTensorRtVersion, Version? OnnxParserVersion,
    Version? CudaRuntimeVersion, Version? CudaDriverVersion, bool TensorRtLoaded, bool OnnxParserLoaded,
    bool CudaRuntimeLoaded, bool IsTestDouble)
{
    internal static TrtLibraryInfo FromNative(in srd_library_info info) => new(
        info.abi_version,
        TensorRtVersion(info.header_tensorrt_version, info.header_tensorrt_build) ?? new Version(0, 0),
        TensorRtVersion(info.runtime_tensorrt_version, null),
        TensorRtVersion(info.onnx_parser_version, null),
        CudaVersion(info.cuda_runtime_version),
        CudaVersion(info.cuda_driver_version),
        info.tensorrt_loaded != 0,
        info.onnx_parser_loaded != 0,
        info.cuda_runtime_loaded != 0,
        info.is_test_double != 0);

    /// <summary>major*10000 + minor*100 + patch (+ build) as a Version; null for 0.</summary>
    internal static Version? TensorRtVersion(int value, int? build) =>
        value <= 0 ? null
        : build is { } b ? new Version(value / 10000, value / 100 % 100, value % 100, b)
        : new Version(value / 10000, value / 100 % 100, value % 100);

    /// <summary>CUDA's major*1000 + minor*10 as a Version; null for 0.</summary>
    internal static Version? CudaVersion(int value) => value <= 0 ? null : new Version(value / 1000, value % 1000 / 10);
}

/// <summary>
/// One host buffer for <see cref="TrtExecutionContext.Execute"/>: for an input, exactly the tensor's bytes; for an
/// output, at least its bytes. <see cref="BytesWritten"/> is set after a successful run.
/// </summary>
public sealed class TrtHostTensor(string name, Memory<byte> buffer)
{
    public string Name { get; } = name ?? throw new ArgumentNullException(nameof(name));

    public Memory<byte> Buffer { get; } = buffer;

    public ulong BytesWritten { get; internal set; }
}

/// <summary>What <see cref="TrtInfo.Probe"/> found (for <c>srdeploy doctor</c>); never throws.</summary>
/// <param name="ShimLoaded">The shim library itself loaded.</param>
/// <param name="ShimPath">File the shim was loaded from.</param>
/// <param name="ShimTrace">Every path tried for the shim.</param>
/// <param name="Library">The shim's report on TensorRT, its ONNX parser and CUDA (null without a shim).</param>
/// <param name="NativeTrace">Every path the shim tried for libnvinfer, libnvonnxparser and libcudart.</param>
/// <param name="Devices">CUDA devices (empty without CUDA).</param>
/// <param name="Problem">One line saying what is missing; null when TensorRT is usable.</param>
public sealed record TrtProbeResult(
    bool ShimLoaded, string? ShimPath, IReadOnlyList<string> ShimTrace, TrtLibraryInfo? Library, string NativeTrace,
    IReadOnlyList<TrtDeviceInfo> Devices, string? Problem)
{
    /// <summary>TensorRT, its ONNX parser and the CUDA runtime all loaded.</summary>
    public bool TensorRtUsable => Problem is null;
}
