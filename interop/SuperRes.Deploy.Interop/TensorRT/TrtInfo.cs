namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>What the TensorRT side of this machine looks like, for <c>srdeploy doctor</c>.</summary>
public static class TrtInfo
{
    /// <summary>Loads the shim if it can and asks it about TensorRT, the ONNX parser and CUDA. Never throws: what is
    /// missing is in <see cref="TrtProbeResult.Problem"/> with the load traces.</summary>
    public static TrtProbeResult Probe()
    {
        if (!TrtShimLibrary.TryEnsureLoaded(out var shimProblem))
        {
            return new TrtProbeResult(false, null, TrtShimLibrary.Trace, null, string.Empty, [], shimProblem);
        }

        try
        {
            return ProbeLoadedShim();
        }
        catch (TrtException e)
        {
            return new TrtProbeResult(true, TrtShimLibrary.LoadedPath, TrtShimLibrary.Trace, null, string.Empty, [], e.Message);
        }
    }

    /// <summary>The shim's report on the libraries it loaded (loads them first; succeeds without them).</summary>
    public static unsafe TrtLibraryInfo GetLibraryInfo()
    {
        TrtShimLibrary.EnsureLoaded();
        srd_library_info info;
        TrtNative.Check(SrdTrtNative.srd_library_get_info(&info), nameof(SrdTrtNative.srd_library_get_info));
        return TrtLibraryInfo.FromNative(info);
    }

    /// <summary>CUDA devices; throws LibraryMissing without the CUDA runtime.</summary>
    public static unsafe IReadOnlyList<TrtDeviceInfo> GetDevices()
    {
        TrtShimLibrary.EnsureLoaded();
        var count = 0;
        TrtNative.Check(SrdTrtNative.srd_cuda_get_device_count(&count), nameof(SrdTrtNative.srd_cuda_get_device_count));
        var devices = new List<TrtDeviceInfo>(count);
        for (var i = 0; i < count; i++)
        {
            srd_device_info info;
            TrtNative.Check(SrdTrtNative.srd_cuda_get_device_info(i, &info), nameof(SrdTrtNative.srd_cuda_get_device_info));
            devices.Add(new TrtDeviceInfo(info.device, info.compute_capability_major, info.compute_capability_minor,
                info.multiprocessor_count, info.integrated != 0, info.total_memory_bytes, info.free_memory_bytes));
        }

        return devices;
    }

    private static unsafe TrtProbeResult ProbeLoadedShim()
    {
        var library = GetLibraryInfo();
        var nativeTrace = TrtNative.ReadString(nameof(SrdTrtNative.srd_library_get_load_trace),
            (buffer, size, required) => SrdTrtNative.srd_library_get_load_trace(buffer, size, required));
        string? problem = null;
        var status = SrdTrtNative.srd_library_load();
        if (status != TrtStatus.Ok)
        {
            problem = TrtNative.LastErrorMessage();
        }

        IReadOnlyList<TrtDeviceInfo> devices = library.CudaRuntimeLoaded ? GetDevices() : [];
        return new TrtProbeResult(true, TrtShimLibrary.LoadedPath, TrtShimLibrary.Trace, library, nativeTrace, devices, problem);
    }
}
