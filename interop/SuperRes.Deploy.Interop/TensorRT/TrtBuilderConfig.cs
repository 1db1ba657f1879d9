namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>TensorRT's IBuilderConfig: flags, memory pools, optimization level, timing cache, hardware/version
/// compatibility, profiling verbosity, plugins to embed and optimization profiles.</summary>
public sealed unsafe class TrtBuilderConfig : IDisposable
{
    internal TrtBuilderConfig(TrtBuilderConfigHandle handle) => Handle = handle;

    internal TrtBuilderConfigHandle Handle { get; }

    /// <summary>Sets or clears a flag. The weak-typing precision flags (FP16, BF16, INT8, precision constraints)
    /// throw Unsupported on TensorRT 11.</summary>
    public void SetFlag(TrtBuilderFlag flag, bool enabled = true)
    {
        using var config = Handle.Borrow();
        TrtNative.Check(SrdTrtNative.srd_builder_config_set_flag(config.Pointer, flag, enabled ? 1 : 0),
            nameof(SrdTrtNative.srd_builder_config_set_flag));
    }

    public bool GetFlag(TrtBuilderFlag flag)
    {
        var value = 0;
        using var config = Handle.Borrow();
        TrtNative.Check(SrdTrtNative.srd_builder_config_get_flag(config.Pointer, flag, &value),
            nameof(SrdTrtNative.srd_builder_config_get_flag));
        return value != 0;
    }

    public void SetMemoryPoolLimit(TrtMemoryPool pool, ulong bytes)
    {
        using var config = Handle.Borrow();
        TrtNative.Check(SrdTrtNative.srd_builder_config_set_memory_pool_limit(config.Pointer, pool, bytes),
            nameof(SrdTrtNative.srd_builder_config_set_memory_pool_limit));
    }

    public ulong GetMemoryPoolLimit(TrtMemoryPool pool)
    {
        ulong value = 0;
        using var config = Handle.Borrow();
        TrtNative.Check(SrdTrtNative.srd_builder_config_get_memory_pool_limit(config.Pointer, pool, &value),
            nameof(SrdTrtNative.srd_builder_config_get_memory_pool_limit));
        return value;
    }

    /// <summary>0..5; TensorRT's default is 3, higher searches longer.</summary>
    public void SetOptimizationLevel(int level)
    {
        using var config = Handle.Borrow();
        TrtNative.Check(SrdTrtNative.srd_builder_config_set_optimization_level(config.Pointer, level),
            nameof(SrdTrtNative.srd_builder_config_set_optimization_level));
    }

    /// <summary>SameComputeCapability needs TensorRT 10.9 (Unsupported before).</summary>
    public void SetHardwareCompatibility(TrtHardwareCompatibility level)
    {
        using var config = Handle.Borrow();
        TrtNative.Check(SrdTrtNative.srd_builder_config_set_hardware_compatibility(config.Pointer, level),
            nameof(SrdTrtNative.srd_builder_config_set_hardware_compatibility));
    }

    public void SetProfilingVerbosity(TrtProfilingVerbosity verbosity)
    {
        using var config = Handle.Borrow();
        TrtNative.Check(SrdTrtNative.srd_builder_config_set_profiling_verbosity(config.Pointer, verbosity),
            nameof(SrdTrtNative.srd_builder_config_set_profiling_verbosity));
    }

    public void SetMaxAuxStreams(int count)
    {
        using var config = Handle.Borrow();
        TrtNative.Check(SrdTrtNative.srd_builder_config_set_max_aux_streams(config.Pointer, count),
            nameof(SrdTrtNative.srd_builder_config_set_max_aux_streams));
    }

    /// <summary>Plugin libraries to embed into the plan (no loading needed where the plan runs).</summary>
    public void SetPluginsToSerialize(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var utf8 = paths.Select((p, i) => TrtNative.Utf8(p, $"{nameof(paths)}[{i}]")).ToArray();
        var handles = new System.Runtime.InteropServices.GCHandle[utf8.Length];
        var pointers = new byte*[utf8.Length];
        try
        {
            for (var i = 0; i < utf8.Length; i++)
            {
                handles[i] = System.Runtime.InteropServices.GCHandle.Alloc(utf8[i], System.Runtime.InteropServices.GCHandleType.Pinned);
                pointers[i] = (byte*)handles[i].AddrOfPinnedObject();
            }

            using var config = Handle.Borrow();
            fixed (byte** array = pointers)
            {
                TrtNative.Check(SrdTrtNative.srd_builder_config_set_plugins_to_serialize(config.Pointer, array, utf8.Length),
                    nameof(SrdTrtNative.srd_builder_config_set_plugins_to_serialize));
            }
        }
        finally
        {
            foreach (var handle in handles)
            {
                if (handle.IsAllocated)
                {
                    handle.Free();
                }
            }
        }
    }

    /// <summary>Replaces the timing cache with one read from <paramref name="cache"/> (empty = fresh cache).</summary>
    public void LoadTimingCache(ReadOnlySpan<byte> cache, bool ignoreMismatch = false)
    {
        using var config = Handle.Borrow();
        fixed (byte* data = cache)
        {
            TrtNative.Check(
                SrdTrtNative.srd_builder_config_load_timing_cache(config.Pointer, data, (ulong)cache.Length, ignoreMismatch ? 1 : 0),
                nameof(SrdTrtNative.srd_builder_config_load_timing_cache));
        }
    }

    /// <summary>Merges another serialized timing cache into the current one.</summary>
    public void CombineTimingCache(ReadOnlySpan<byte> cache, bool ignoreMismatch = false)
    {
        using var config = Handle.Borrow();
        fixed (byte* data = cache)
        {
            TrtNative.Check(
                SrdTrtNative.srd_builder_config_combine_timing_cache(config.Pointer, data, (ulong)cache.Length, ignoreMismatch ? 1 : 0),
                nameof(SrdTrtNative.srd_builder_config_combine_timing_cache));
        }
    }

    /// <summary>The current timing cache (after a build: including what the build measured).</summary>
    public byte[] SerializeTimingCache()
    {
        srd_host_memory* memory = null;
        using (var config = Handle.Borrow())
        {
            TrtNative.Check(SrdTrtNative.srd_builder_config_serialize_timing_cache(config.Pointer, &memory),
                nameof(SrdTrtNative.srd_builder_config_serialize_timing_cache));
        }

        return TrtHostMemory.CopyAndRelease(memory);
    }

    /// <summary>Adds a profile (copied: later changes to it do not apply); returns its index.</summary>
    public int AddOptimizationProfile(TrtOptimizationProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var index = -1;
        using var config = Handle.Borrow();
        using var prof = profile.Handle.Borrow();
        TrtNative.Check(SrdTrtNative.srd_builder_config_add_optimization_profile(config.Pointer, prof.Pointer, &index),
            nameof(SrdTrtNative.srd_builder_config_add_optimization_profile));
        return index;
    }

    public void Dispose() => Handle.Dispose();
}
