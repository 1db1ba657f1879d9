namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>One optimization profile: min/opt/max shape per dynamic input (and values of shape-tensor inputs).</summary>
public sealed unsafe class TrtOptimizationProfile : IDisposable
{
    internal TrtOptimizationProfile(TrtOptimizationProfileHandle handle) => Handle = handle;

    internal TrtOptimizationProfileHandle Handle { get; }

    public void SetDimensions(string inputName, TrtDims min, TrtDims opt, TrtDims max)
    {
        ArgumentNullException.ThrowIfNull(min);
        ArgumentNullException.ThrowIfNull(opt);
        ArgumentNullException.ThrowIfNull(max);
        var name = TrtNative.Utf8(inputName, nameof(inputName));
        var nativeMin = min.ToNative();
        var nativeOpt = opt.ToNative();
        var nativeMax = max.ToNative();
        using var profile = Handle.Borrow();
        fixed (byte* n = name)
        {
            TrtNative.Check(
                SrdTrtNative.srd_optimization_profile_set_dimensions(profile.Pointer, n, &nativeMin, &nativeOpt, &nativeMax),
                nameof(SrdTrtNative.srd_optimization_profile_set_dimensions));
        }
    }

    public TrtDims GetDimensions(string inputName, TrtProfileSelector selector)
    {
        var name = TrtNative.Utf8(inputName, nameof(inputName));
        srd_dims dims;
        using var profile = Handle.Borrow();
        fixed (byte* n = name)
        {
            TrtNative.Check(SrdTrtNative.srd_optimization_profile_get_dimensions(profile.Pointer, n, selector, &dims),
                nameof(SrdTrtNative.srd_optimization_profile_get_dimensions));
        }

        return TrtDims.FromNative(dims);
    }

    /// <summary>Values of a shape-tensor input for one selector.</summary>
    public void SetShapeValues(string inputName, TrtProfileSelector selector, ReadOnlySpan<long> values)
    {
        var name = TrtNative.Utf8(inputName, nameof(inputName));
        using var profile = Handle.Borrow();
        fixed (byte* n = name)
        fixed (long* v = values)
        {
            TrtNative.Check(
                SrdTrtNative.srd_optimization_profile_set_shape_values(profile.Pointer, n, selector, v, values.Length),
                nameof(SrdTrtNative.srd_optimization_profile_set_shape_values));
        }
    }

    public void Dispose() => Handle.Dispose();
}
