using System.Runtime.InteropServices;
using System.Text;
using SuperRes.Deploy.Interop.TensorRT;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Interop.Tests.TensorRT;

/// <summary>
/// The real shim (artifacts/native/lib/libsrd_trt.so), loaded side by side with the double through its exports. It is
/// built only where TensorRT's headers are given to CMake, so these tests skip elsewhere (CI without the headers).
/// </summary>
public sealed unsafe class TrtRealShimTests
{
    private static readonly string ShimPath = Environment.GetEnvironmentVariable("SRDEPLOY_TEST_REAL_SHIM") is { Length: > 0 } path
        ? path
        : RepoPaths.Combine("artifacts", "native", "lib", TrtShimLibrary.FileName);

    [SkippableFact]
    public void Real_shim_loads_without_TensorRT_and_reports_library_missing_with_the_paths_tried()
    {
        var library = LoadShimOrSkip();
        var getInfo = (delegate* unmanaged[Cdecl]<srd_library_info*, TrtStatus>)NativeLibrary.GetExport(library, "srd_library_get_info");
        var load = (delegate* unmanaged[Cdecl]<TrtStatus>)NativeLibrary.GetExport(library, "srd_library_load");
        var createBuilder = (delegate* unmanaged[Cdecl]<srd_builder**, TrtStatus>)NativeLibrary.GetExport(library, "srd_builder_create");
        var destroyBuilder = (delegate* unmanaged[Cdecl]<srd_builder*, TrtStatus>)NativeLibrary.GetExport(library, "srd_builder_destroy");
        srd_library_info info;
        Assert.Equal(TrtStatus.Ok, getInfo(&info));
        Assert.Equal(0, info.is_test_double);
        Assert.Equal(SrdTrtNative.SRD_TRT_ABI_VERSION, info.abi_version);
        Assert.True(info.header_tensorrt_version >= 100300, $"header version {info.header_tensorrt_version}");

        srd_builder* builder = null;
        if (info.tensorrt_loaded == 0)
        {
            Assert.Equal(TrtStatus.LibraryMissing, load());
            var message = LastError(library);
            Assert.StartsWith("srd_library_load: TensorRT ", message, StringComparison.Ordinal);
            Assert.Contains("libnvinfer.so.", message, StringComparison.Ordinal);
            Assert.Contains("Tried: ", message, StringComparison.Ordinal);
            Assert.Equal(TrtStatus.LibraryMissing, createBuilder(&builder));
            Assert.True(builder == null);
        }
        else
        {
            Assert.Equal(TrtStatus.Ok, createBuilder(&builder));
            Assert.Equal(TrtStatus.Ok, destroyBuilder(builder));
        }
    }

    [SkippableFact]
    public void Real_shim_exports_exactly_the_functions_of_the_generated_bindings()
    {
        var library = LoadShimOrSkip();
        var names = typeof(SrdTrtNative).GetMethods(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic)
            .Where(m => m.GetCustomAttributes(typeof(LibraryImportAttribute), false).Length > 0)
            .Select(m => m.Name)
            .ToList();

        Assert.All(names, name => Assert.True(NativeLibrary.TryGetExport(library, name, out _), $"{name} is not exported"));
        Assert.False(NativeLibrary.TryGetExport(library, "srd_double_reset", out _));
    }

    private static IntPtr LoadShimOrSkip()
    {
        Skip.IfNot(File.Exists(ShimPath),
            $"the real TensorRT shim is not built ({ShimPath}): configure CMake with -DSRD_TENSORRT_INCLUDE_DIR=<TensorRT include>");
        return NativeLibrary.Load(ShimPath);
    }

    private static string LastError(IntPtr library)
    {
        var get = (delegate* unmanaged[Cdecl]<byte*, ulong, ulong*, TrtStatus>)NativeLibrary.GetExport(library, "srd_error_get_last_message");
        ulong required = 0;
        Assert.Equal(TrtStatus.Ok, get(null, 0, &required));
        var buffer = new byte[required];
        fixed (byte* p = buffer)
        {
            Assert.Equal(TrtStatus.Ok, get(p, required, &required));
        }

        return Encoding.UTF8.GetString(buffer, 0, (int)required - 1);
    }
}
