namespace SuperRes.Deploy.Engines;

/// <summary>What kind of failure a <see cref="DeployException"/> reports; the CLI maps each kind to a documented exit code.</summary>
public enum FailureKind
{
    /// <summary>A check ran and did not pass (validation, verification). Exit code 1.</summary>
    CheckFailed,

    /// <summary>The command line itself is wrong. Exit code 2.</summary>
    Usage,

    /// <summary>An input file or value is missing, unreadable or malformed. Exit code 3.</summary>
    BadInput,

    /// <summary>A component the step needs is not installed (TensorRT, ONNX Runtime, the plugin library). Exit code 4.</summary>
    MissingComponent,
}

/// <summary>
/// An expected failure with a one-line message that names the problem. Everything the user can cause or fix is reported
/// through this type; anything else is a bug and is reported as an internal error.
/// </summary>
public class DeployException : Exception
{
    public DeployException(FailureKind kind, string message)
        : base(message) => Kind = kind;

    public DeployException(FailureKind kind, string message, Exception innerException)
        : base(message, innerException) => Kind = kind;

    public DeployException()
        : this(FailureKind.BadInput, "deployment failed")
    {
    }

    public DeployException(string message)
        : this(FailureKind.BadInput, message)
    {
    }

    public DeployException(string message, Exception innerException)
        : this(FailureKind.BadInput, message, innerException)
    {
    }

    public FailureKind Kind { get; }

    public static DeployException BadInput(string message) => new(FailureKind.BadInput, message);

    public static DeployException Usage(string message) => new(FailureKind.Usage, message);

    public static DeployException MissingComponent(string message) => new(FailureKind.MissingComponent, message);

    public static DeployException CheckFailed(string message) => new(FailureKind.CheckFailed, message);
}
