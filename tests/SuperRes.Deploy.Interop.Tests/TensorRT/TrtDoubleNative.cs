using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using SuperRes.Deploy.Interop.TensorRT;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Interop.Tests.TensorRT;

/// <summary>Handle bookkeeping of the recording double (srd_double_handle_counts).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DoubleHandleCounts
{
    public long Created;
    public long Destroyed;
    public long Live;
    public long DoubleDestroys;
    public long UnknownHandles;
    public long UseAfterDestroy;
}

/// <summary>
/// The test-only controls of libsrd_trt_test_double.so (tests/native/trt_double/srd_trt_double.h) and the layout
/// probe library. Both are built by the native superbuild into artifacts/native/test-lib.
/// </summary>
internal static unsafe partial class TrtDoubleNative
{
    internal const string DoubleLibrary = "srd_trt_test_double";
    internal const string ProbeLibrary = "srd_trt_layout_probe";

    static TrtDoubleNative() => NativeLibrary.SetDllImportResolver(typeof(TrtDoubleNative).Assembly, Resolve);

    /// <summary>Folder of the native test libraries (override: SRDEPLOY_TEST_NATIVE_LIB_DIR).</summary>
    internal static string TestLibDirectory =>
        Environment.GetEnvironmentVariable("SRDEPLOY_TEST_NATIVE_LIB_DIR") is { Length: > 0 } dir
            ? dir
            : RepoPaths.Combine("artifacts", "native", "test-lib");

    internal static string DoublePath => Path.Combine(TestLibDirectory, "libsrd_trt_test_double.so");

    internal static string ProbePath => Path.Combine(TestLibDirectory, "libsrd_trt_layout_probe.so");

    [LibraryImport(DoubleLibrary)]
    internal static partial TrtStatus srd_double_reset();

    [LibraryImport(DoubleLibrary)]
    internal static partial TrtStatus srd_double_get_log(byte* buffer, ulong bufferSize, ulong* required);

    [LibraryImport(DoubleLibrary)]
    internal static partial TrtStatus srd_double_get_handle_counts(DoubleHandleCounts* counts);

    [LibraryImport(DoubleLibrary, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial TrtStatus srd_double_fail_next(string function, TrtStatus status, string message);

    [LibraryImport(DoubleLibrary, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial TrtStatus srd_double_throw_next(string function, int kind);

    [LibraryImport(DoubleLibrary)]
    internal static partial TrtStatus srd_double_set_tensorrt_version(int version, int build);

    [LibraryImport(DoubleLibrary)]
    internal static partial TrtStatus srd_double_set_library_missing(int missing);

    [LibraryImport(DoubleLibrary, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial TrtStatus srd_double_add_parser_error(
        int code, string description, int nodeIndex, string nodeName, string nodeOperator);

    [LibraryImport(DoubleLibrary, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial TrtStatus srd_double_log_from_worker_thread(TrtLogSeverity severity, string message);

    [LibraryImport(ProbeLibrary)]
    internal static partial int srd_layout_probe_count();

    [LibraryImport(ProbeLibrary, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long srd_layout_probe_get(string name);

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) => libraryName switch
    {
        DoubleLibrary => NativeLibrary.Load(DoublePath),
        ProbeLibrary => NativeLibrary.Load(ProbePath),
        _ => IntPtr.Zero,
    };
}

/// <summary>Convenience over <see cref="TrtDoubleNative"/> for the tests.</summary>
internal static unsafe class TrtDouble
{
    internal static void Reset() => Ok(TrtDoubleNative.srd_double_reset());

    internal static void FailNext(string function, TrtStatus status, string message) =>
        Ok(TrtDoubleNative.srd_double_fail_next(function, status, message));

    internal static void ThrowNext(string function, int kind) => Ok(TrtDoubleNative.srd_double_throw_next(function, kind));

    internal static void SetTensorRtVersion(int version, int build) =>
        Ok(TrtDoubleNative.srd_double_set_tensorrt_version(version, build));

    internal static void SetLibraryMissing(bool missing) =>
        Ok(TrtDoubleNative.srd_double_set_library_missing(missing ? 1 : 0));

    internal static void AddParserError(int code, string description, int nodeIndex, string nodeName, string nodeOperator) =>
        Ok(TrtDoubleNative.srd_double_add_parser_error(code, description, nodeIndex, nodeName, nodeOperator));

    internal static void LogFromWorkerThread(TrtLogSeverity severity, string message) =>
        Ok(TrtDoubleNative.srd_double_log_from_worker_thread(severity, message));

    internal static DoubleHandleCounts Counts()
    {
        DoubleHandleCounts counts;
        Ok(TrtDoubleNative.srd_double_get_handle_counts(&counts));
        return counts;
    }

    /// <summary>The double's call log and handle report.</summary>
    internal static JsonDocument Log()
    {
        ulong required = 0;
        Ok(TrtDoubleNative.srd_double_get_log(null, 0, &required));
        var buffer = new byte[required];
        fixed (byte* p = buffer)
        {
            Ok(TrtDoubleNative.srd_double_get_log(p, required, &required));
        }

        return JsonDocument.Parse(Encoding.UTF8.GetString(buffer, 0, (int)required - 1));
    }

    /// <summary>The recorded calls, in order.</summary>
    internal static List<JsonElement> Calls()
    {
        using var log = Log();
        return log.RootElement.GetProperty("calls").EnumerateArray().Select(c => c.Clone()).ToList();
    }

    /// <summary>The recorded calls of one function, in order.</summary>
    internal static List<JsonElement> Calls(string function) =>
        Calls().Where(c => c.GetProperty("function").GetString() == function).ToList();

    /// <summary>The build inputs JSON and digest the double embedded at the end of a plan it built:
    /// [json][u32 json length][u64 digest]["SRDDBLv1"].</summary>
    internal static (string Json, ulong Digest) ReadPlanTrailer(ReadOnlySpan<byte> plan)
    {
        Assert.True(plan.Length > 52, "plan too short for the double's trailer");
        Assert.Equal("SRDDBLv1", Encoding.ASCII.GetString(plan[^8..]));
        var digest = BitConverter.ToUInt64(plan[^16..^8]);
        var length = (int)BitConverter.ToUInt32(plan[^20..^16]);
        var json = Encoding.UTF8.GetString(plan[^(20 + length)..^20]);
        return (json, digest);
    }

    /// <summary>FNV-1a 64 as the double computes it (the plan's digest of its build inputs).</summary>
    internal static ulong Fnv1a64(ReadOnlySpan<byte> data)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in data)
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }

        return hash;
    }

    private static void Ok(TrtStatus status) => Assert.Equal(TrtStatus.Ok, status);
}

/// <summary>
/// Points the TensorRT wrapper at the recording double for every test of the collection. The double is part of the
/// native build (scripts/setup); when it is missing the tests fail and say how to build it.
/// </summary>
public sealed class TrtDoubleFixture
{
    public TrtDoubleFixture()
    {
        if (!File.Exists(TrtDoubleNative.DoublePath))
        {
            throw new InvalidOperationException(
                $"{TrtDoubleNative.DoublePath} is missing: build the native tests first "
                + "(cmake --preset default && cmake --build --preset default, or scripts/setup)");
        }

        TrtShimLibrary.UseLibrary(TrtDoubleNative.DoublePath);
        TrtShimLibrary.EnsureLoaded();
    }
}

[CollectionDefinition(Name)]
public sealed class TrtDoubleTests : ICollectionFixture<TrtDoubleFixture>
{
    /// <summary>Tests that share the double's process-wide state run one at a time.</summary>
    public const string Name = "TensorRT shim double";
}
