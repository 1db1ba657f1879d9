namespace SuperRes.Deploy.Interop.OnnxRuntime;

/// <summary>
/// An ONNX Runtime value (<c>OrtValue</c>). Either a tensor over a pinned managed buffer
/// (<see cref="CreateTensor{T}(Memory{T}, ReadOnlySpan{long})"/>: no copy, the buffer stays pinned until Dispose) or a
/// value ORT allocated (a run's outputs: read with <see cref="CopyTo{T}"/> or <see cref="ToArray{T}"/>).
/// Element types map to .NET types: float, <see cref="Half"/>, double, sbyte, byte, short, ushort, int, uint, long, ulong, bool.
/// </summary>
public sealed unsafe class OrtValue : IDisposable
{
    private static readonly Lock _memoryInfoGate = new();
    private static OrtMemoryInfoHandle? _cpuMemoryInfo;

    private readonly OrtValueHandle _handle;

    private OrtValue(OrtValueHandle handle) => _handle = handle;

    internal OrtValueHandle Handle => _handle;

    /// <summary>
    /// Wraps <paramref name="data"/> as a tensor of shape <paramref name="shape"/> without copying: the buffer is pinned
    /// now and unpinned only after ORT has released the value (on Dispose or finalization). Writes to the buffer are
    /// visible to ORT, so do not change it during a run.
    /// </summary>
    /// <exception cref="ArgumentException">The shape has a negative axis, or its element count differs from the buffer length.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> has no ONNX element type.</exception>
    public static OrtValue CreateTensor<T>(Memory<T> data, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        var elementType = ElementTypeOf<T>();
        var count = CheckedElementCount(shape);
        if (count != data.Length)
        {
            throw new ArgumentException(
                $"shape [{string.Join(",", shape.ToArray())}] holds {count} elements but the buffer has {data.Length}", nameof(shape));
        }

        var memoryInfo = CpuMemoryInfo();
        var handle = new OrtValueHandle();
        var pin = data.Pin();
        try
        {
            using var memoryInfoLease = memoryInfo.Lease();
            nint raw = 0;
            fixed (long* shapePointer = shape)
            {
                OrtStatus.Check(OrtLibrary.Api.CreateTensorWithDataAsOrtValue(
                    memoryInfoLease.Pointer, pin.Pointer, (nuint)data.Length * (nuint)sizeof(T), shapePointer, (nuint)shape.Length,
                    (int)elementType, &raw));
            }

            handle.Attach(raw);
            handle.HoldPin(pin);
        }
        catch
        {
            pin.Dispose();
            handle.Dispose();
            throw;
        }

        return new OrtValue(handle);
    }

    /// <summary>Takes ownership of a value ORT created (a run output).</summary>
    internal static OrtValue Adopt(nint raw)
    {
        var handle = new OrtValueHandle();
        handle.Attach(raw);
        return new OrtValue(handle);
    }

    /// <summary>Tensor, sequence, map...</summary>
    public OrtValueType ValueType
    {
        get
        {
            using var lease = _handle.Lease();
            int type;
            OrtStatus.Check(OrtLibrary.Api.GetValueType(lease.Pointer, &type));
            return (OrtValueType)type;
        }
    }

    /// <summary>The tensor's element type.</summary>
    public OrtElementType ElementType => ReadTensorShape().Type;

    /// <summary>The number of elements (the product of the shape).</summary>
    public long ElementCount => CheckedElementCount(ReadTensorShape().Dims);

    /// <summary>
    /// The address of the tensor's first element. For a tensor made by <see cref="CreateTensor{T}"/> this is the pinned
    /// managed buffer itself (no copy was made).
    /// </summary>
    public nint DataAddress
    {
        get
        {
            using var lease = _handle.Lease();
            void* data = null;
            OrtStatus.Check(OrtLibrary.Api.GetTensorMutableData(lease.Pointer, &data));
            return (nint)data;
        }
    }

    /// <summary>The tensor's shape (a new array on each call).</summary>
    public long[] GetShape() => ReadTensorShape().Dims;

    /// <summary>Copies the tensor's elements into <paramref name="destination"/>, which must be at least <see cref="ElementCount"/> long.</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> does not match <see cref="ElementType"/>.</exception>
    public void CopyTo<T>(Span<T> destination)
        where T : unmanaged
    {
        var (type, dims) = ReadTensorShape();
        var wanted = ElementTypeOf<T>();
        if (type != wanted)
        {
            throw new InvalidOperationException($"the tensor holds {type} elements, not {wanted}");
        }

        var count = CheckedElementCount(dims);
        if (destination.Length < count)
        {
            throw new ArgumentException($"destination holds {destination.Length} elements, the tensor {count}", nameof(destination));
        }

        if (count == 0)
        {
            return;
        }

        using var lease = _handle.Lease();
        void* data = null;
        OrtStatus.Check(OrtLibrary.Api.GetTensorMutableData(lease.Pointer, &data));
        new ReadOnlySpan<T>(data, checked((int)count)).CopyTo(destination);
    }

    /// <summary>Copies the tensor's elements into a new array.</summary>
    public T[] ToArray<T>()
        where T : unmanaged
    {
        var array = new T[checked((int)ElementCount)];
        CopyTo<T>(array);
        return array;
    }

    /// <summary>Releases the native value, then unpins the managed buffer it wrapped (if any).</summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>The ONNX element type of a .NET element type.</summary>
    /// <exception cref="NotSupportedException">No ONNX element type matches <typeparamref name="T"/>.</exception>
    public static OrtElementType ElementTypeOf<T>()
        where T : unmanaged =>
        typeof(T) == typeof(float) ? OrtElementType.Float
        : typeof(T) == typeof(Half) ? OrtElementType.Float16
        : typeof(T) == typeof(double) ? OrtElementType.Double
        : typeof(T) == typeof(long) ? OrtElementType.Int64
        : typeof(T) == typeof(int) ? OrtElementType.Int32
        : typeof(T) == typeof(short) ? OrtElementType.Int16
        : typeof(T) == typeof(sbyte) ? OrtElementType.Int8
        : typeof(T) == typeof(ulong) ? OrtElementType.UInt64
        : typeof(T) == typeof(uint) ? OrtElementType.UInt32
        : typeof(T) == typeof(ushort) ? OrtElementType.UInt16
        : typeof(T) == typeof(byte) ? OrtElementType.UInt8
        : typeof(T) == typeof(bool) ? OrtElementType.Bool
        : throw new NotSupportedException($"{typeof(T).Name} has no ONNX tensor element type");

    private (OrtElementType Type, long[] Dims) ReadTensorShape()
    {
        using var lease = _handle.Lease();
        using var info = new OrtTensorTypeAndShapeInfoHandle();
        nint raw = 0;
        OrtStatus.Check(OrtLibrary.Api.GetTensorTypeAndShape(lease.Pointer, &raw));
        info.Attach(raw);
        var (type, dims, _) = OrtValueInfo.ReadTensorShape(raw);
        return (type, dims);
    }

    private static long CheckedElementCount(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var axis in shape)
        {
            if (axis < 0)
            {
                throw new ArgumentException($"shape [{string.Join(",", shape.ToArray())}] has a negative axis", nameof(shape));
            }

            count = checked(count * axis);
        }

        return count;
    }

    /// <summary>
    /// The CPU memory description every managed-buffer tensor uses; ORT copies it into each value, so one process-wide
    /// instance serves all of them and, like the env, it is never released.
    /// </summary>
    private static OrtMemoryInfoHandle CpuMemoryInfo()
    {
        lock (_memoryInfoGate)
        {
            if (_cpuMemoryInfo is null)
            {
                const int arenaAllocator = 1; // OrtArenaAllocator
                const int defaultMemType = 0; // OrtMemTypeDefault
                var info = new OrtMemoryInfoHandle();
                nint raw = 0;
                OrtStatus.Check(OrtLibrary.Api.CreateCpuMemoryInfo(arenaAllocator, defaultMemType, &raw));
                info.Attach(raw);
                _cpuMemoryInfo = info;
            }

            return _cpuMemoryInfo;
        }
    }
}
