namespace SuperRes.Deploy.Interop.OnnxRuntime;

/// <summary>
/// Per-run options (<c>OrtRunOptions</c>). <see cref="Terminate"/> may be called from another thread while a run that
/// uses these options is in progress: ORT stops between nodes and the run fails with "Exiting due to terminate flag".
/// </summary>
public sealed unsafe class OrtRunOptions : IDisposable
{
    private readonly OrtRunOptionsHandle _handle = new();

    /// <summary>Creates run options with ORT's defaults.</summary>
    public OrtRunOptions()
    {
        nint raw = 0;
        OrtStatus.Check(OrtLibrary.Api.CreateRunOptions(&raw));
        _handle.Attach(raw);
    }

    internal OrtRunOptionsHandle Handle => _handle;

    /// <summary>Sets the tag the run's log lines carry.</summary>
    public void SetTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        using var lease = _handle.Lease();
        using var nativeTag = new Utf8String(tag);
        OrtStatus.Check(OrtLibrary.Api.RunOptionsSetRunTag(lease.Pointer, nativeTag.Pointer));
    }

    /// <summary>Asks runs using these options to stop (thread-safe); later runs fail at once until <see cref="ResetTerminate"/>.</summary>
    public void Terminate()
    {
        using var lease = _handle.Lease();
        OrtStatus.Check(OrtLibrary.Api.RunOptionsSetTerminate(lease.Pointer));
    }

    /// <summary>Clears the terminate flag.</summary>
    public void ResetTerminate()
    {
        using var lease = _handle.Lease();
        OrtStatus.Check(OrtLibrary.Api.RunOptionsUnsetTerminate(lease.Pointer));
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
