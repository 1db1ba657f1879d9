using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>
/// Finds and loads the TensorRT shim (libsrd_trt.so) behind the logical library name of the generated bindings,
/// recording every path tried. Order: a path given to <see cref="UseLibrary"/>, else the
/// <c>SRDEPLOY_TRT_SHIM_LIBRARY</c> environment variable (an explicit choice: no fallback when it fails), else the
/// application folder, else the system's library search (LD_LIBRARY_PATH, ldconfig).
/// The shim's own search for TensorRT, its ONNX parser and CUDA is a second trace (<see cref="TrtInfo.Probe"/>).
/// </summary>
public static class TrtShimLibrary
{
    /// <summary>Environment variable naming the shim file to load (tests point it at the recording double).</summary>
    public const string EnvironmentVariable = "SRDEPLOY_TRT_SHIM_LIBRARY";

    /// <summary>File name of the shim in the application folder and on the system search path.</summary>
    public const string FileName = "libsrd_trt.so";

    private static readonly Lock Gate = new();
    private static readonly List<string> LoadTrace = [];
    private static string? _overridePath;
    private static IntPtr _handle;
    private static string? _loadedPath;
    private static string? _failure;
    private static bool _resolverRegistered;

    /// <summary>The file the shim was loaded from, or null before the first successful load.</summary>
    public static string? LoadedPath
    {
        get
        {
            lock (Gate)
            {
                return _loadedPath;
            }
        }
    }

    /// <summary>Every candidate tried so far and what happened, in order.</summary>
    public static IReadOnlyList<string> Trace
    {
        get
        {
            lock (Gate)
            {
                return [.. LoadTrace];
            }
        }
    }

    /// <summary>
    /// Loads the shim from <paramref name="path"/> instead of searching (used by tests to load the recording double).
    /// Must be called before the first TensorRT call; a different path after a load is refused.
    /// </summary>
    public static void UseLibrary(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        lock (Gate)
        {
            if (_handle != IntPtr.Zero && !string.Equals(_loadedPath, fullPath, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"the TensorRT shim is already loaded from {_loadedPath}; cannot switch to {fullPath}");
            }

            _overridePath = fullPath;
            _failure = null;
        }
    }

    /// <summary>Loads the shim (once) or throws a <see cref="TrtException"/> (LibraryMissing) with the trace.</summary>
    public static void EnsureLoaded()
    {
        if (!TryEnsureLoaded(out var problem))
        {
            throw new TrtException(TrtStatus.LibraryMissing, "load", problem);
        }
    }

    /// <summary>Loads the shim (once); on failure returns false and a one-line problem with every path tried.</summary>
    public static bool TryEnsureLoaded(out string problem)
    {
        RegisterResolver();
        lock (Gate)
        {
            problem = string.Empty;
            if (_handle != IntPtr.Zero)
            {
                return true;
            }

            var candidates = Candidates(
                _overridePath, Environment.GetEnvironmentVariable(EnvironmentVariable), AppContext.BaseDirectory);
            var tried = new List<string>(); // this attempt's; LoadTrace keeps every attempt of the process
            foreach (var candidate in candidates)
            {
                if (TryLoad(candidate, out var handle, out var outcome))
                {
                    LoadTrace.Add($"{candidate.Source}: {candidate.Path}: loaded");
                    _handle = handle;
                    _loadedPath = candidate.Path;
                    return true;
                }

                tried.Add($"{candidate.Source}: {candidate.Path}: {outcome}");
                LoadTrace.Add(tried[^1]);
                if (candidate.Exclusive)
                {
                    break;
                }
            }

            _failure = $"the TensorRT shim ({FileName}) could not be loaded: build it with TensorRT headers "
                + "(cmake -DSRD_TENSORRT_INCLUDE_DIR=...) or set " + EnvironmentVariable + ". Tried: "
                + string.Join("; ", tried);
            problem = _failure;
            return false;
        }
    }

    /// <summary>Where to look, in order. An explicit path (<see cref="UseLibrary"/> or the environment variable) is
    /// the only candidate: when it fails, silently loading another copy would hide the mistake.</summary>
    internal static IReadOnlyList<ShimCandidate> Candidates(string? overridePath, string? environmentPath, string appFolder)
    {
        if (!string.IsNullOrEmpty(overridePath))
        {
            return [new ShimCandidate("UseLibrary", overridePath, Exclusive: true)];
        }

        if (!string.IsNullOrEmpty(environmentPath))
        {
            return [new ShimCandidate(EnvironmentVariable, Path.GetFullPath(environmentPath), Exclusive: true)];
        }

        return
        [
            new ShimCandidate("application folder", Path.Combine(appFolder, FileName), Exclusive: false),
            new ShimCandidate("system library search", FileName, Exclusive: false),
        ];
    }

    /// <summary>Loads one candidate and checks it speaks this ABI version.</summary>
    internal static unsafe bool TryLoad(ShimCandidate candidate, out IntPtr handle, out string outcome)
    {
        handle = IntPtr.Zero;
        var isPath = candidate.Path.Contains('/', StringComparison.Ordinal);
        if (isPath && !File.Exists(candidate.Path))
        {
            outcome = "no such file";
            return false;
        }

        if (!NativeLibrary.TryLoad(candidate.Path, out var loaded))
        {
            outcome = isPath ? "exists but could not be loaded (wrong architecture or missing dependency)" : "not found";
            return false;
        }

        if (!NativeLibrary.TryGetExport(loaded, nameof(SrdTrtNative.srd_abi_get_version), out var export))
        {
            NativeLibrary.Free(loaded);
            outcome = "not a TensorRT shim (no srd_abi_get_version export)";
            return false;
        }

        var getVersion = (delegate* unmanaged[Cdecl]<int*, TrtStatus>)export;
        var version = 0;
        if (getVersion(&version) != TrtStatus.Ok || version != SrdTrtNative.SRD_TRT_ABI_VERSION)
        {
            NativeLibrary.Free(loaded);
            outcome = $"ABI version {version}, this build expects {SrdTrtNative.SRD_TRT_ABI_VERSION}";
            return false;
        }

        handle = loaded;
        outcome = "loaded";
        return true;
    }

    /// <summary>Routes the generated bindings' logical library name to <see cref="TryEnsureLoaded"/>.</summary>
    internal static void RegisterResolver()
    {
        lock (Gate)
        {
            if (_resolverRegistered)
            {
                return;
            }

            _resolverRegistered = true;
            try
            {
                NativeLibrary.SetDllImportResolver(typeof(TrtShimLibrary).Assembly, Resolve);
            }
            catch (InvalidOperationException)
            {
                // Another binding of this assembly registered the (single) DllImport resolver first. The event
                // below still sees our logical name: it matches no file, so default probing cannot preempt it.
                LoadTrace.Add("DllImport resolver already set for this assembly; resolving through "
                    + "AssemblyLoadContext.ResolvingUnmanagedDll");
                AssemblyLoadContext.Default.ResolvingUnmanagedDll += (assembly, name) => Resolve(name, assembly, null);
            }
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!string.Equals(libraryName, SrdTrtNative.LibraryName, StringComparison.Ordinal))
        {
            return IntPtr.Zero;
        }

        if (!TryEnsureLoaded(out var problem))
        {
            // Surfaces as the P/Invoke's exception; callers of the managed API normally get it from EnsureLoaded.
            throw new DllNotFoundException(problem);
        }

        lock (Gate)
        {
            return _handle;
        }
    }
}

/// <summary>One place the shim may be loaded from.</summary>
/// <param name="Source">Why this candidate is tried (for the trace).</param>
/// <param name="Path">A file path, or a bare file name for the system search.</param>
/// <param name="Exclusive">When true, no other candidate is tried after this one fails.</param>
internal sealed record ShimCandidate(string Source, string Path, bool Exclusive);
