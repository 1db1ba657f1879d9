namespace SuperRes.Deploy.Interop.OnnxRuntime;

/// <summary>ONNX Runtime's error codes (<c>OrtErrorCode</c>), as returned in a failed <c>OrtStatus</c>.</summary>
public enum OrtErrorCode
{
    /// <summary>Success (never carried by an exception).</summary>
    Ok = 0,

    /// <summary>A generic failure; also used here for codes this binding does not know.</summary>
    Fail = 1,

    /// <summary>An argument was invalid (wrong input name, shape, type...).</summary>
    InvalidArgument = 2,

    /// <summary>A file (model, library) does not exist.</summary>
    NoSuchFile = 3,

    /// <summary>No model was loaded.</summary>
    NoModel = 4,

    /// <summary>An execution engine failed.</summary>
    EngineError = 5,

    /// <summary>An exception was thrown inside the runtime.</summary>
    RuntimeException = 6,

    /// <summary>The model bytes are not a valid ONNX protobuf.</summary>
    InvalidProtobuf = 7,

    /// <summary>The session is in the wrong state for the call (named MODEL_LOADED in the C API).</summary>
    ModelLoaded = 8,

    /// <summary>The feature is not implemented.</summary>
    NotImplemented = 9,

    /// <summary>The model graph is invalid.</summary>
    InvalidGraph = 10,

    /// <summary>An execution provider failed.</summary>
    EpFail = 11,

    /// <summary>Model loading was cancelled.</summary>
    ModelLoadCanceled = 12,

    /// <summary>The model must be compiled first.</summary>
    ModelRequiresCompilation = 13,

    /// <summary>Something looked up was not found.</summary>
    NotFound = 14,

    /// <summary>The device was reset.</summary>
    DeviceReset = 15,
}

/// <summary>A failed ONNX Runtime call: the runtime's error code and message.</summary>
public class OrtException : Exception
{
    /// <summary>Creates the exception for a failed status.</summary>
    public OrtException(OrtErrorCode errorCode, string message)
        : base(message) => ErrorCode = errorCode;

    /// <summary>Creates a generic failure.</summary>
    public OrtException()
        : this(OrtErrorCode.Fail, "ONNX Runtime call failed")
    {
    }

    /// <summary>Creates a generic failure with a message.</summary>
    public OrtException(string message)
        : this(OrtErrorCode.Fail, message)
    {
    }

    /// <summary>Creates a generic failure with a message and a cause.</summary>
    public OrtException(string message, Exception innerException)
        : base(message, innerException) => ErrorCode = OrtErrorCode.Fail;

    /// <summary>The runtime's error code.</summary>
    public OrtErrorCode ErrorCode { get; }
}
