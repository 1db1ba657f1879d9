namespace SuperRes.Deploy.Engines.Runtime;

/// <summary>The element types a <see cref="Tensor"/> can hold, each backed by one .NET array type.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The members name element types.")]
public enum TensorElementType
{
    /// <summary>32-bit float, <c>float[]</c>.</summary>
    Float32,

    /// <summary>16-bit float, <c>Half[]</c>.</summary>
    Float16,

    /// <summary>64-bit float, <c>double[]</c>.</summary>
    Float64,

    /// <summary>Signed 8-bit integer, <c>sbyte[]</c>.</summary>
    Int8,

    /// <summary>Unsigned 8-bit integer, <c>byte[]</c>.</summary>
    UInt8,

    /// <summary>Signed 32-bit integer, <c>int[]</c>.</summary>
    Int32,

    /// <summary>Signed 64-bit integer, <c>long[]</c>.</summary>
    Int64,

    /// <summary>Boolean, <c>bool[]</c> (one byte per element).</summary>
    Bool,
}

/// <summary>Names and .NET types of <see cref="TensorElementType"/> values.</summary>
public static class TensorElementTypes
{
    /// <summary>The lower-case name used in messages and reports ("float32", "int64"...).</summary>
    public static string Name(this TensorElementType type) => type switch
    {
        TensorElementType.Float32 => "float32",
        TensorElementType.Float16 => "float16",
        TensorElementType.Float64 => "float64",
        TensorElementType.Int8 => "int8",
        TensorElementType.UInt8 => "uint8",
        TensorElementType.Int32 => "int32",
        TensorElementType.Int64 => "int64",
        TensorElementType.Bool => "bool",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown element type"),
    };

    /// <summary>The .NET element type backing <paramref name="type"/> (e.g. <see cref="float"/> for Float32).</summary>
    public static Type ClrType(this TensorElementType type) => type switch
    {
        TensorElementType.Float32 => typeof(float),
        TensorElementType.Float16 => typeof(Half),
        TensorElementType.Float64 => typeof(double),
        TensorElementType.Int8 => typeof(sbyte),
        TensorElementType.UInt8 => typeof(byte),
        TensorElementType.Int32 => typeof(int),
        TensorElementType.Int64 => typeof(long),
        TensorElementType.Bool => typeof(bool),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown element type"),
    };

    /// <summary>The element type backed by the .NET type <typeparamref name="T"/>.</summary>
    /// <exception cref="NotSupportedException">No element type is backed by <typeparamref name="T"/>.</exception>
    public static TensorElementType Of<T>()
        where T : unmanaged =>
        typeof(T) == typeof(float) ? TensorElementType.Float32
        : typeof(T) == typeof(Half) ? TensorElementType.Float16
        : typeof(T) == typeof(double) ? TensorElementType.Float64
        : typeof(T) == typeof(sbyte) ? TensorElementType.Int8
        : typeof(T) == typeof(byte) ? TensorElementType.UInt8
        : typeof(T) == typeof(int) ? TensorElementType.Int32
        : typeof(T) == typeof(long) ? TensorElementType.Int64
        : typeof(T) == typeof(bool) ? TensorElementType.Bool
        : throw new NotSupportedException($"{typeof(T).Name} is not a tensor element type");
}
