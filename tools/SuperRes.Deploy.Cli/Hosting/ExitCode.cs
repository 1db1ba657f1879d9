namespace SuperRes.Deploy.Cli.Hosting;

/// <summary>The documented process exit codes (docs/cli.md).</summary>
public enum ExitCode
{
    /// <summary>The verb did what was asked and every check passed.</summary>
    Ok = 0,

    /// <summary>A check ran and failed (validation tolerances, package verification).</summary>
    CheckFailed = 1,

    /// <summary>The command line is wrong: unknown verb or option, missing or malformed argument.</summary>
    Usage = 2,

    /// <summary>An input is missing, unreadable or malformed (model, image, config, bundle).</summary>
    BadInput = 3,

    /// <summary>A component the step needs is not installed (TensorRT, CUDA, ONNX Runtime, the plugin library).</summary>
    MissingComponent = 4,

    /// <summary>An unexpected internal error: a bug. Rerun with --verbose for the stack trace.</summary>
    InternalError = 70,
}
