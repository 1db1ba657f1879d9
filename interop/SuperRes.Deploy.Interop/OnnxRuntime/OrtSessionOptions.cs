namespace SuperRes.Deploy.Interop.OnnxRuntime;

/// <summary>
/// Options for creating an <see cref="OrtSession"/> (<c>OrtSessionOptions</c>). A session keeps the native options alive
/// for its own lifetime, so disposing these after creating sessions is safe.
/// </summary>
public sealed unsafe class OrtSessionOptions : IDisposable
{
    private readonly OrtSessionOptionsHandle _handle = new();

    /// <summary>Creates options with ORT's defaults (all graph optimizations, default thread counts, sequential execution).</summary>
    public OrtSessionOptions()
    {
        nint raw = 0;
        OrtStatus.Check(OrtLibrary.Api.CreateSessionOptions(&raw));
        _handle.Attach(raw);
    }

    internal OrtSessionOptionsHandle Handle => _handle;

    /// <summary>Sets how far ORT rewrites the graph.</summary>
    public void SetGraphOptimizationLevel(OrtGraphOptimizationLevel level)
    {
        using var lease = _handle.Lease();
        OrtStatus.Check(OrtLibrary.Api.SetSessionGraphOptimizationLevel(lease.Pointer, (int)level));
    }

    /// <summary>Threads for parallelism inside one operator; 0 = ORT's default (one per physical core).</summary>
    public void SetIntraOpThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        using var lease = _handle.Lease();
        OrtStatus.Check(OrtLibrary.Api.SetIntraOpNumThreads(lease.Pointer, threads));
    }

    /// <summary>Threads for running independent nodes in parallel (with <see cref="OrtExecutionMode.Parallel"/>); 0 = ORT's default.</summary>
    public void SetInterOpThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        using var lease = _handle.Lease();
        OrtStatus.Check(OrtLibrary.Api.SetInterOpNumThreads(lease.Pointer, threads));
    }

    /// <summary>Sequential or parallel execution of independent graph branches.</summary>
    public void SetExecutionMode(OrtExecutionMode mode)
    {
        using var lease = _handle.Lease();
        OrtStatus.Check(OrtLibrary.Api.SetSessionExecutionMode(lease.Pointer, (int)mode));
    }

    /// <summary>Makes session creation write the optimized graph to <paramref name="path"/> (for debugging what ORT ran).</summary>
    public void SetOptimizedModelFilePath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var lease = _handle.Lease();
        using var nativePath = new NativePath(Path.GetFullPath(path));
        OrtStatus.Check(OrtLibrary.Api.SetOptimizedModelFilePath(lease.Pointer, nativePath.Pointer));
    }

    /// <summary>
    /// Turns on ORT's profiler: sessions write <c>&lt;prefix&gt;_&lt;timestamp&gt;.json</c>; the file is complete after
    /// <see cref="OrtSession.EndProfiling"/>.
    /// </summary>
    public void EnableProfiling(string pathPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathPrefix);
        using var lease = _handle.Lease();
        using var nativePath = new NativePath(pathPrefix);
        OrtStatus.Check(OrtLibrary.Api.EnableProfiling(lease.Pointer, nativePath.Pointer));
    }

    /// <summary>
    /// Loads a custom-operator library (it must export <c>RegisterCustomOps</c>) and registers its operators
    /// (RegisterCustomOpsLibrary_V2). The path is made absolute first, so a file in the working folder is found. ORT owns
    /// the library handle and unloads it when these options and every session created from them are gone.
    /// </summary>
    public void RegisterCustomOpsLibrary(string libraryPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(libraryPath);
        using var lease = _handle.Lease();
        using var nativePath = new NativePath(Path.GetFullPath(libraryPath));
        OrtStatus.Check(OrtLibrary.Api.RegisterCustomOpsLibraryV2(lease.Pointer, nativePath.Pointer));
    }

    /// <summary>Sets a session configuration entry (e.g. <c>session.intra_op.allow_spinning</c> = <c>0</c>).</summary>
    public void AddConfigEntry(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        using var lease = _handle.Lease();
        using var nativeKey = new Utf8String(key);
        using var nativeValue = new Utf8String(value);
        OrtStatus.Check(OrtLibrary.Api.AddSessionConfigEntry(lease.Pointer, nativeKey.Pointer, nativeValue.Pointer));
    }

    /// <summary>The minimum severity the session logs (to <see cref="OrtEnvironment.LogSink"/>); the env's default is Warning.</summary>
    public void SetLogSeverity(OrtLogLevel level)
    {
        using var lease = _handle.Lease();
        OrtStatus.Check(OrtLibrary.Api.SetSessionLogSeverityLevel(lease.Pointer, (int)level));
    }

    /// <summary>The log id the session's log lines carry.</summary>
    public void SetLogId(string logId)
    {
        ArgumentNullException.ThrowIfNull(logId);
        using var lease = _handle.Lease();
        using var nativeId = new Utf8String(logId);
        OrtStatus.Check(OrtLibrary.Api.SetSessionLogId(lease.Pointer, nativeId.Pointer));
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
