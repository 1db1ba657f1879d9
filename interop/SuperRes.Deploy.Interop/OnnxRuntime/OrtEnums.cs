namespace SuperRes.Deploy.Interop.OnnxRuntime;

/// <summary>Element types of ONNX tensors (<c>ONNXTensorElementDataType</c>; the same numbers as ONNX's TensorProto.DataType).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The members name element types, after ONNX's own names.")]
public enum OrtElementType
{
    /// <summary>Not a tensor, or the type is not set.</summary>
    Undefined = 0,

    /// <summary>32-bit IEEE float.</summary>
    Float = 1,

    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 2,

    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 3,

    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,

    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,

    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,

    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 7,

    /// <summary>String (not supported by the tensor helpers of this binding).</summary>
    String = 8,

    /// <summary>Boolean, one byte per element (0 or 1).</summary>
    Bool = 9,

    /// <summary>16-bit IEEE float (<see cref="Half"/>).</summary>
    Float16 = 10,

    /// <summary>64-bit IEEE float.</summary>
    Double = 11,

    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 12,

    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 13,

    /// <summary>Complex of two 32-bit floats.</summary>
    Complex64 = 14,

    /// <summary>Complex of two 64-bit floats.</summary>
    Complex128 = 15,

    /// <summary>bfloat16.</summary>
    BFloat16 = 16,
}

/// <summary>What kind of value an input or output holds (<c>ONNXType</c>).</summary>
public enum OrtValueType
{
    /// <summary>Unknown.</summary>
    Unknown = 0,

    /// <summary>A dense tensor.</summary>
    Tensor = 1,

    /// <summary>A sequence.</summary>
    Sequence = 2,

    /// <summary>A map.</summary>
    Map = 3,

    /// <summary>An opaque value.</summary>
    Opaque = 4,

    /// <summary>A sparse tensor.</summary>
    SparseTensor = 5,

    /// <summary>An optional value.</summary>
    Optional = 6,
}

/// <summary>Severity of ONNX Runtime log messages (<c>OrtLoggingLevel</c>).</summary>
public enum OrtLogLevel
{
    /// <summary>Verbose.</summary>
    Verbose = 0,

    /// <summary>Informational.</summary>
    Info = 1,

    /// <summary>Warning.</summary>
    Warning = 2,

    /// <summary>Error.</summary>
    Error = 3,

    /// <summary>Fatal.</summary>
    Fatal = 4,
}

/// <summary>How far ONNX Runtime rewrites the graph before running it (<c>GraphOptimizationLevel</c>).</summary>
public enum OrtGraphOptimizationLevel
{
    /// <summary>No graph optimization: the graph runs as written.</summary>
    DisableAll = 0,

    /// <summary>Semantics-preserving basic rewrites (constant folding, redundant node removal).</summary>
    Basic = 1,

    /// <summary>Basic plus extended fusions.</summary>
    Extended = 2,

    /// <summary>Extended plus layout optimizations.</summary>
    Layout = 3,

    /// <summary>Everything (ORT's default).</summary>
    All = 99,
}

/// <summary>Whether ONNX Runtime runs independent graph branches one after the other or in parallel (<c>ExecutionMode</c>).</summary>
public enum OrtExecutionMode
{
    /// <summary>One node at a time (ORT's default).</summary>
    Sequential = 0,

    /// <summary>Independent branches on the inter-op thread pool.</summary>
    Parallel = 1,
}
