using Serilog;

namespace SuperRes.Deploy.Cli.Hosting;

/// <summary>
/// The behaviour of one verb. Each verb folder holds an options type (what the user can set, with help text) and a
/// command deriving from this class (what the verb does). <see cref="Program"/> discovers the pairs by reflection, so a
/// new verb is a new folder and nothing else.
/// </summary>
public abstract class VerbCommand<TOptions>
    where TOptions : CommonOptions
{
    /// <summary>Runs the verb. Expected failures are thrown as <see cref="Engines.DeployException"/>.</summary>
    public abstract int Run(TOptions options, ILogger log, TextWriter stdout);
}
