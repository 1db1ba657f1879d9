using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Interop.OnnxRuntime;

namespace SuperRes.Deploy.Cli.Hosting;

/// <summary>The one place that decides which exit code an exception becomes.</summary>
public static class ExitCodes
{
    public static ExitCode For(Exception error) => error switch
    {
        DeployException d => d.Kind switch
        {
            FailureKind.CheckFailed => ExitCode.CheckFailed,
            FailureKind.Usage => ExitCode.Usage,
            FailureKind.BadInput => ExitCode.BadInput,
            FailureKind.MissingComponent => ExitCode.MissingComponent,
            _ => ExitCode.InternalError,
        },
        FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException => ExitCode.BadInput,
        DllNotFoundException => ExitCode.MissingComponent,
        OrtLibraryNotFoundException => ExitCode.MissingComponent,
        _ => ExitCode.InternalError,
    };
}
