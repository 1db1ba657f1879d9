using System.Runtime.InteropServices;
using SuperRes.Deploy.Interop.TensorRT;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.TestSupport;

/// <summary>
/// The recording test double of the TensorRT shim (tests/native/trt_double, built by the native superbuild into
/// artifacts/native/test-lib): its "network" has input `input` / output `output`, float [-1,3,-1,-1], and its engines
/// compute output = input + 1. Loaded as the process's TensorRT shim by <see cref="TrtDoubleFixture"/>.
/// </summary>
internal static unsafe class TrtTestDouble
{
    private static readonly Lazy<nint> Handle = new(() => NativeLibrary.Load(Path));

    /// <summary>artifacts/native/test-lib/libsrd_trt_test_double.so (folder override: SRDEPLOY_TEST_NATIVE_LIB_DIR).</summary>
    public static string Path =>
        System.IO.Path.Combine(
            Environment.GetEnvironmentVariable("SRDEPLOY_TEST_NATIVE_LIB_DIR") is { Length: > 0 } dir ? dir : RepoPaths.Combine("artifacts", "native", "test-lib"),
            "libsrd_trt_test_double.so");

    /// <summary>Makes every TensorRT call of the double fail with LIBRARY_MISSING (as the shim does without libnvinfer).</summary>
    public static void SetTensorRtMissing(bool missing)
    {
        var function = (delegate* unmanaged[Cdecl]<int, TrtStatus>)NativeLibrary.GetExport(Handle.Value, "srd_double_set_library_missing");
        Assert.Equal(TrtStatus.Ok, function(missing ? 1 : 0));
    }

    /// <summary>
    /// Builds a plan through the double with one optimization profile per (min, opt, max) triple of input `input`.
    /// The double only checks that the model file exists.
    /// </summary>
    public static byte[] BuildPlan(string folder, params (string Min, string Opt, string Max)[] profiles)
    {
        var model = System.IO.Path.Combine(folder, "double-network.onnx");
        File.WriteAllBytes(model, [0x08, 0x08]);
        using var builder = TrtBuilder.Create();
        using var network = builder.CreateNetwork();
        using (var parser = TrtOnnxParser.Create(network))
        {
            parser.ParseFile(model);
        }

        using var config = builder.CreateConfig();
        foreach (var (min, opt, max) in profiles)
        {
            using var profile = builder.CreateOptimizationProfile();
            profile.SetDimensions("input", TrtDims.Parse(min), TrtDims.Parse(opt), TrtDims.Parse(max));
            config.AddOptimizationProfile(profile);
        }

        return builder.Build(network, config).Bytes.ToArray();
    }
}

/// <summary>Loads the double as the process's TensorRT shim (once; the choice is process-wide).</summary>
public sealed class TrtDoubleFixture
{
    public TrtDoubleFixture()
    {
        if (!File.Exists(TrtTestDouble.Path))
        {
            throw new InvalidOperationException(
                $"{TrtTestDouble.Path} is missing: build the native tests first (cmake --preset default && cmake --build --preset default, or scripts/setup)");
        }

        TrtShimLibrary.UseLibrary(TrtTestDouble.Path);
        TrtShimLibrary.EnsureLoaded();
    }
}

/// <summary>Tests that use the double share its process-wide state and run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class TrtDoubleTestGroup : ICollectionFixture<TrtDoubleFixture>
{
    public const string Name = "TensorRT test double";
}
