namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>
/// A failed call into the TensorRT shim: the shim's status code and its one-line message (read from the shim's
/// thread-local last error right after the failing call, on the same thread). The only exception type the TensorRT
/// wrapper throws for native failures; Engines maps <see cref="Status"/> to its failure kinds.
/// </summary>
public sealed class TrtException : Exception
{
    public TrtException(TrtStatus status, string function, string nativeMessage)
        : this(status, function, nativeMessage, [])
    {
    }

    public TrtException(TrtStatus status, string function, string nativeMessage, IReadOnlyList<TrtParserError> parserErrors)
        : base(Describe(status, function, nativeMessage))
    {
        Status = status;
        Function = function;
        NativeMessage = nativeMessage;
        ParserErrors = parserErrors;
    }

    public TrtException()
        : this(TrtStatus.Internal, "(unknown)", "TensorRT shim call failed")
    {
    }

    public TrtException(string message)
        : this(TrtStatus.Internal, "(unknown)", message)
    {
    }

    public TrtException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = TrtStatus.Internal;
        Function = "(unknown)";
        NativeMessage = message;
        ParserErrors = [];
    }

    /// <summary>The status the native function returned.</summary>
    public TrtStatus Status { get; }

    /// <summary>The native function that failed (e.g. <c>srd_builder_build</c>).</summary>
    public string Function { get; }

    /// <summary>The shim's message, "&lt;function&gt;: &lt;what went wrong&gt;".</summary>
    public string NativeMessage { get; }

    /// <summary>The ONNX parser's errors when <see cref="Status"/> is <see cref="TrtStatus.ParseFailed"/>.</summary>
    public IReadOnlyList<TrtParserError> ParserErrors { get; }

    private static string Describe(TrtStatus status, string function, string nativeMessage) =>
        string.IsNullOrEmpty(nativeMessage) ? $"{function} failed ({status})" : $"{nativeMessage} ({status})";
}
