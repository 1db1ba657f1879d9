namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>TensorRT's IBuilder: creates networks, configurations and optimization profiles, and builds plans.</summary>
public sealed unsafe class TrtBuilder : IDisposable
{
    private TrtBuilder(TrtBuilderHandle handle) => Handle = handle;

    internal TrtBuilderHandle Handle { get; }

    /// <summary>Creates a builder; throws <see cref="TrtException"/> (LibraryMissing) without TensorRT.</summary>
    public static TrtBuilder Create()
    {
        TrtShimLibrary.EnsureLoaded();
        srd_builder* builder = null;
        TrtNative.Check(SrdTrtNative.srd_builder_create(&builder), nameof(SrdTrtNative.srd_builder_create));
        var handle = new TrtBuilderHandle();
        handle.Adopt(builder);
        return new TrtBuilder(handle);
    }

    public TrtBuilderPlatformInfo GetPlatformInfo()
    {
        srd_builder_platform_info info;
        using (var builder = Handle.Borrow())
        {
            TrtNative.Check(SrdTrtNative.srd_builder_get_platform_info(builder.Pointer, &info),
                nameof(SrdTrtNative.srd_builder_get_platform_info));
        }

        return new TrtBuilderPlatformInfo(
            info.has_fast_fp16 < 0 ? null : info.has_fast_fp16 != 0,
            info.has_tf32 < 0 ? null : info.has_tf32 != 0,
            info.nb_dla_cores,
            info.max_threads);
    }

    /// <summary>A new empty network; strongly typed takes precisions from the model (always so on TensorRT 11).</summary>
    public TrtNetwork CreateNetwork(bool stronglyTyped = true)
    {
        srd_network* network = null;
        using (var builder = Handle.Borrow())
        {
            TrtNative.Check(SrdTrtNative.srd_network_create(builder.Pointer, stronglyTyped ? 1 : 0, &network),
                nameof(SrdTrtNative.srd_network_create));
        }

        var handle = new TrtNetworkHandle();
        handle.Adopt(network);
        return new TrtNetwork(handle);
    }

    public TrtBuilderConfig CreateConfig()
    {
        srd_builder_config* config = null;
        using (var builder = Handle.Borrow())
        {
            TrtNative.Check(SrdTrtNative.srd_builder_config_create(builder.Pointer, &config),
                nameof(SrdTrtNative.srd_builder_config_create));
        }

        var handle = new TrtBuilderConfigHandle();
        handle.Adopt(config);
        return new TrtBuilderConfig(handle);
    }

    public TrtOptimizationProfile CreateOptimizationProfile()
    {
        srd_optimization_profile* profile = null;
        using (var builder = Handle.Borrow())
        {
            TrtNative.Check(SrdTrtNative.srd_optimization_profile_create(builder.Pointer, &profile),
                nameof(SrdTrtNative.srd_optimization_profile_create));
        }

        var handle = new TrtOptimizationProfileHandle();
        handle.Adopt(profile);
        return new TrtOptimizationProfile(handle);
    }

    /// <summary>Builds a serialized plan (BuildFailed with TensorRT's last error when it cannot). The plan's bytes
    /// are copied out and the native buffer released before this returns.</summary>
    public TrtPlan Build(TrtNetwork network, TrtBuilderConfig config)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(config);
        srd_host_memory* plan = null;
        using (var builder = Handle.Borrow())
        using (var net = network.Handle.Borrow())
        using (var cfg = config.Handle.Borrow())
        {
            TrtNative.Check(SrdTrtNative.srd_builder_build(builder.Pointer, net.Pointer, cfg.Pointer, &plan),
                nameof(SrdTrtNative.srd_builder_build));
        }

        return new TrtPlan(TrtHostMemory.CopyAndRelease(plan));
    }

    public void Dispose() => Handle.Dispose();
}

/// <summary>Copies shim-owned host memory (plans, timing caches) into managed arrays and releases it.</summary>
internal static unsafe class TrtHostMemory
{
    internal static byte[] CopyAndRelease(srd_host_memory* memory)
    {
        using var handle = new TrtHostMemoryHandle();
        handle.Adopt(memory);
        void* data = null;
        ulong size = 0;
        using (var lease = handle.Borrow())
        {
            TrtNative.Check(SrdTrtNative.srd_host_memory_get_data(lease.Pointer, &data, &size),
                nameof(SrdTrtNative.srd_host_memory_get_data));
        }

        if (size > int.MaxValue)
        {
            throw new TrtException(TrtStatus.Unsupported, nameof(SrdTrtNative.srd_host_memory_get_data),
                $"{size} bytes exceed the 2 GiB a managed array holds");
        }

        return new ReadOnlySpan<byte>(data, (int)size).ToArray();
    }
}
