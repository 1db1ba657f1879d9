using CommandLine;

namespace SuperRes.Deploy.Cli.Hosting;

/// <summary>Options every verb accepts.</summary>
public abstract class CommonOptions
{
    [Option('v', "verbose", HelpText = "Log debug detail and print stack traces of errors.")]
    public bool Verbose { get; set; }

    [Option("quiet", HelpText = "Log warnings and errors only.")]
    public bool Quiet { get; set; }

    [Option("log-file", HelpText = "Also write the log (debug level) to this file.")]
    public string? LogFile { get; set; }
}
