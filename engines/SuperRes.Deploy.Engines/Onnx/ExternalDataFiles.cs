using Microsoft.Win32.SafeHandles;
using Onnx;

namespace SuperRes.Deploy.Engines.Onnx;

/// <summary>
/// The external data files of one <see cref="OnnxModel"/>, each opened once (on first use) and held until the model is
/// disposed. Holding the handle pins the file's content as it was when opened: a save that renames a new data file
/// over the old path (including the model's own data file) does not change what this model reads.
/// </summary>
internal sealed class ExternalDataFiles : IDisposable
{
    private readonly Dictionary<string, SafeFileHandle> _handles = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _bytesRead;
    private bool _disposed;

    /// <summary>Bytes read from external data files so far, by any read through this model.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Resolves an external tensor, opening its file if needed, and checks the file covers it.</summary>
    public (ExternalReference Reference, SafeFileHandle Handle) Resolve(TensorProto tensor, string? baseDirectory, string modelName)
    {
        var reference = ExternalReference.Parse(tensor, baseDirectory, modelName);
        SafeFileHandle handle;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_handles.TryGetValue(reference.File, out handle!))
            {
                handle = reference.OpenHandle();
                _handles.Add(reference.File, handle);
            }
        }

        reference.CheckFits(RandomAccess.GetLength(handle));
        return (reference, handle);
    }

    public byte[] ReadAll(TensorProto tensor, string? baseDirectory, string modelName)
    {
        var (reference, handle) = Resolve(tensor, baseDirectory, modelName);
        return reference.ReadAll(handle, CountRead);
    }

    public Stream OpenRead(TensorProto tensor, string? baseDirectory, string modelName)
    {
        var (reference, handle) = Resolve(tensor, baseDirectory, modelName);
        return new FileSegmentStream(handle, ownsHandle: false, reference.Offset, reference.Length, CountRead);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var handle in _handles.Values)
            {
                handle.Dispose();
            }

            _handles.Clear();
            _disposed = true;
        }
    }

    private void CountRead(long n) => Interlocked.Add(ref _bytesRead, n);
}
