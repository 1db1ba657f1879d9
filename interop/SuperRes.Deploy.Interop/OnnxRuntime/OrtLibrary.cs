using System.Runtime.InteropServices;

namespace SuperRes.Deploy.Interop.OnnxRuntime;

/// <summary>One place <see cref="OrtLibrary"/> looks for the ONNX Runtime native library.</summary>
/// <param name="Origin">Where the candidate comes from, for the trace ("SRDEPLOY_ORT_LIBRARY", "app folder", "system").</param>
/// <param name="Location">A file path (<paramref name="IsFile"/>) or a library name handed to the system loader.</param>
/// <param name="IsFile">True for a file path, false for a name the system loader searches for.</param>
public sealed record OrtLibraryCandidate(string Origin, string Location, bool IsFile)
{
    /// <inheritdoc />
    public override string ToString() => $"{Origin} {Location}";
}

/// <summary>The outcome of looking for ONNX Runtime: what was found (if anything) and every place tried, in order.</summary>
/// <param name="Found">True when a usable library (serving API version <see cref="OrtLibrary.ApiVersion"/>) was loaded.</param>
/// <param name="LibraryPath">The file or name that loaded, or null.</param>
/// <param name="Version">The runtime's version string (e.g. "1.30.0"), or null.</param>
/// <param name="BuildInfo">The runtime's build information string (e.g. "git-commit-id=…"), or null.</param>
/// <param name="Trace">One line per place tried, with the reason it failed or "loaded".</param>
public sealed record OrtLibraryProbe(bool Found, string? LibraryPath, string? Version, string? BuildInfo, IReadOnlyList<string> Trace)
{
    /// <summary>One line for humans: what loaded from where, or every place tried.</summary>
    public string Summary => Found
        ? $"ONNX Runtime {Version} ({BuildInfo}) from {LibraryPath}"
        : $"ONNX Runtime not found; tried: {string.Join("; ", Trace)}";
}

/// <summary>
/// Finds, loads and checks ONNX Runtime's native library, and holds the process-wide API table. Only the C entry point
/// <c>OrtGetApiBase</c> is imported (by <see cref="NativeLibrary.GetExport"/>); everything else is read from the table it
/// returns. Places tried, in order: the file named by <c>SRDEPLOY_ORT_LIBRARY</c>; the app folder
/// (<see cref="AppContext.BaseDirectory"/>); the system loader's search path. Every attempt is recorded, and the trace is
/// in the exception when nothing works and in <see cref="Probe()"/> for <c>srdeploy doctor</c>.
/// </summary>
public static unsafe class OrtLibrary
{
    /// <summary>The C API version requested from the runtime (ORT 1.30 serves 1..30).</summary>
    public const uint ApiVersion = 30;

    /// <summary>The environment variable naming the library file to try first.</summary>
    public const string PathVariable = "SRDEPLOY_ORT_LIBRARY";

    private static readonly Lock _gate = new();
    private static volatile LoadedRuntime? _loaded;

    /// <summary>The process-wide API table; loads the library on first use (throws <see cref="OrtLibraryNotFoundException"/>).</summary>
    internal static OrtApi Api => (_loaded ?? Load()).Api;

    /// <summary>
    /// The <c>OrtApiBase*</c> of the loaded runtime, for native code that needs it (a custom-op library's
    /// <c>RegisterCustomOps(options, apiBase)</c>). Loads the library on first use.
    /// </summary>
    public static nint ApiBase => (_loaded ?? Load()).ApiBase;

    /// <summary>The loaded runtime's version string (e.g. "1.30.0"). Loads the library on first use.</summary>
    public static string Version => (_loaded ?? Load()).Version;

    /// <summary>Loads the library if it is not loaded yet. Throws <see cref="OrtLibraryNotFoundException"/> listing every place tried.</summary>
    public static void EnsureLoaded() => _ = _loaded ?? Load();

    /// <summary>
    /// Loads the process-wide library if needed and reports the outcome; never throws. This is what <c>srdeploy doctor</c>
    /// prints. After a success the result (and trace) of that first load is returned.
    /// </summary>
    public static OrtLibraryProbe Probe()
    {
        try
        {
            return (_loaded ?? Load()).ToProbe();
        }
        catch (OrtLibraryNotFoundException e)
        {
            return new OrtLibraryProbe(false, null, null, null, e.Attempts);
        }
    }

    /// <summary>
    /// Tries <paramref name="candidates"/> in order without touching the process-wide library: a library loaded here is
    /// checked (OrtGetApiBase export, API version, version string) and unloaded again. For tests and diagnostics.
    /// </summary>
    public static OrtLibraryProbe Probe(IEnumerable<OrtLibraryCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var trace = new List<string>();
        foreach (var candidate in candidates)
        {
            var runtime = TryCandidate(candidate, trace);
            if (runtime is not null)
            {
                var probe = runtime.ToProbe() with { Trace = trace };
                NativeLibrary.Free(runtime.Handle);
                return probe;
            }
        }

        return new OrtLibraryProbe(false, null, null, null, trace);
    }

    /// <summary>The places tried by default, in order: <c>SRDEPLOY_ORT_LIBRARY</c> (when set), the app folder, the system.</summary>
    public static IReadOnlyList<OrtLibraryCandidate> DefaultCandidates() =>
        DefaultCandidates(Environment.GetEnvironmentVariable(PathVariable), AppContext.BaseDirectory);

    /// <summary>The default candidates for a given value of <c>SRDEPLOY_ORT_LIBRARY</c> (null or empty: unset) and app folder.</summary>
    public static IReadOnlyList<OrtLibraryCandidate> DefaultCandidates(string? pathVariableValue, string appFolder)
    {
        ArgumentNullException.ThrowIfNull(appFolder);
        var candidates = new List<OrtLibraryCandidate>();
        if (!string.IsNullOrWhiteSpace(pathVariableValue))
        {
            candidates.Add(new OrtLibraryCandidate(PathVariable, Path.GetFullPath(pathVariableValue), IsFile: true));
        }

        foreach (var name in PlatformFileNames())
        {
            candidates.Add(new OrtLibraryCandidate("app folder", Path.Combine(appFolder, name), IsFile: true));
        }

        foreach (var name in PlatformFileNames())
        {
            candidates.Add(new OrtLibraryCandidate("system", name, IsFile: false));
        }

        return candidates;
    }

    private static LoadedRuntime Load()
    {
        lock (_gate)
        {
            if (_loaded is not null)
            {
                return _loaded;
            }

            var trace = new List<string>();
            if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(PathVariable)))
            {
                trace.Add($"{PathVariable}: not set");
            }

            foreach (var candidate in DefaultCandidates())
            {
                var runtime = TryCandidate(candidate, trace);
                if (runtime is not null)
                {
                    _loaded = runtime with { Trace = trace };
                    return _loaded;
                }
            }

            throw new OrtLibraryNotFoundException(trace);
        }
    }

    private static LoadedRuntime? TryCandidate(OrtLibraryCandidate candidate, List<string> trace)
    {
        if (candidate.IsFile && !File.Exists(candidate.Location))
        {
            trace.Add($"{candidate}: no such file");
            return null;
        }

        nint handle;
        try
        {
            handle = NativeLibrary.Load(candidate.Location);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            trace.Add($"{candidate}: {LoaderReason(e.Message, candidate.Location)}");
            return null;
        }

        var failure = Check(handle, out var runtime);
        if (failure is not null)
        {
            NativeLibrary.Free(handle);
            trace.Add($"{candidate}: {failure}");
            return null;
        }

        trace.Add($"{candidate}: loaded ONNX Runtime {runtime!.Version}");
        return runtime with { Location = candidate.Location };
    }

    /// <summary>Checks that a loaded library is an ONNX Runtime serving <see cref="ApiVersion"/>; returns why not, or null.</summary>
    private static string? Check(nint handle, out LoadedRuntime? runtime)
    {
        runtime = null;
        if (!NativeLibrary.TryGetExport(handle, "OrtGetApiBase", out var entry))
        {
            return "no OrtGetApiBase export (not ONNX Runtime)";
        }

        var apiBase = ((delegate* unmanaged<nint>)entry)();
        if (apiBase == 0)
        {
            return "OrtGetApiBase returned NULL";
        }

        // OrtApiBase: +0 GetApi(uint version), +8 GetVersionString(); a fixed layout that never grows.
        var getApi = ((delegate* unmanaged<uint, nint>*)apiBase)[0];
        var getVersionString = ((delegate* unmanaged<byte*>*)apiBase)[1];
        var version = Marshal.PtrToStringUTF8((nint)getVersionString()) ?? "?";
        var table = getApi(ApiVersion);
        if (table == 0)
        {
            return $"ONNX Runtime {version} does not serve API version {ApiVersion} (1.{ApiVersion} or later is needed)";
        }

        OrtApi api;
        try
        {
            api = new OrtApi(table);
        }
        catch (InvalidOperationException e)
        {
            return $"ONNX Runtime {version}: {e.Message}";
        }

        var buildInfo = Marshal.PtrToStringUTF8((nint)api.GetBuildInfoString()) ?? string.Empty;
        runtime = new LoadedRuntime(handle, apiBase, api, string.Empty, version, buildInfo, []);
        return null;
    }

    /// <summary>
    /// The loader's reason in a few words. .NET's message wraps dlerror() text in advice; keep the dlerror part
    /// ("…: cannot open shared object file: No such file or directory").
    /// </summary>
    private static string LoaderReason(string message, string location)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var reasons = lines.Where(l => l.Contains(location, StringComparison.Ordinal) && l.Contains(':', StringComparison.Ordinal)
                                       && !l.StartsWith("Unable to load", StringComparison.Ordinal))
            .Select(l => l.Replace(location + ": ", string.Empty, StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var reason = reasons.Count > 0 ? string.Join(", ", reasons) : lines.LastOrDefault() ?? "load failed";
        return reason.Length > 200 ? reason[..200] + "…" : reason;
    }

    private static string[] PlatformFileNames() =>
        OperatingSystem.IsWindows() ? ["onnxruntime.dll"]
        : OperatingSystem.IsMacOS() ? ["libonnxruntime.dylib"]
        : ["libonnxruntime.so.1", "libonnxruntime.so"];

    private sealed record LoadedRuntime(
        nint Handle, nint ApiBase, OrtApi Api, string Location, string Version, string BuildInfo, IReadOnlyList<string> Trace)
    {
        public OrtLibraryProbe ToProbe() => new(true, Location, Version, BuildInfo, Trace);
    }
}
