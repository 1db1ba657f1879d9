using Microsoft.Win32.SafeHandles;

namespace SuperRes.Deploy.Engines.Onnx;

/// <summary>
/// A read-only, seekable window [offset, offset + length) of a file, read with positional reads (pread) so that several
/// streams can share one handle without racing on a file position. Used for external tensor payloads of any size.
/// </summary>
internal sealed class FileSegmentStream : Stream
{
    private readonly SafeFileHandle _handle;
    private readonly bool _ownsHandle;
    private readonly long _offset;
    private readonly long _length;
    private readonly Action<long>? _bytesRead;
    private long _position;
    private bool _disposed;

    public FileSegmentStream(SafeFileHandle handle, bool ownsHandle, long offset, long length, Action<long>? bytesRead)
    {
        _handle = handle;
        _ownsHandle = ownsHandle;
        _offset = offset;
        _length = length;
        _bytesRead = bytesRead;
    }

    public override bool CanRead => !_disposed;

    public override bool CanSeek => !_disposed;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var remaining = _length - _position;
        if (remaining <= 0 || buffer.IsEmpty)
        {
            return 0;
        }

        if (buffer.Length > remaining)
        {
            buffer = buffer[..(int)remaining];
        }

        var n = RandomAccess.Read(_handle, buffer, _offset + _position);
        if (n == 0)
        {
            throw new EndOfStreamException($"external data file ended {remaining} bytes before the end of the tensor (was it truncated?)");
        }

        _position += n;
        _bytesRead?.Invoke(n);
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        Position = target;
        return target;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException("tensor streams are read-only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("tensor streams are read-only");

    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing && _ownsHandle)
        {
            _handle.Dispose();
        }

        _disposed = true;
        base.Dispose(disposing);
    }
}
