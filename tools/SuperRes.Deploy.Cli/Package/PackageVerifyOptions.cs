using CommandLine;
using SuperRes.Deploy.Cli.Hosting;

namespace SuperRes.Deploy.Cli.Package;

/// <summary>
/// What `srdeploy package verify BUNDLE` takes. CommandLineParser has no nested verbs: Program rewrites
/// `package verify …` to this verb, `package-verify …`, which also works when typed directly.
/// </summary>
[Verb("package-verify", HelpText = "Verify a bundle (also: `srdeploy package verify BUNDLE`): checksums of every file, no file missing or extra, the manifest's schema, safe entry names, and whether each shipped plan fits this machine's TensorRT and GPU. Exit 0 valid, 1 verification failed, 3 unreadable bundle.")]
public sealed class PackageVerifyOptions : CommonOptions
{
    [Value(0, MetaName = "BUNDLE", Required = true, HelpText = "The bundle (.tar.gz).")]
    public string Bundle { get; set; } = string.Empty;

    [Option("integrity-only", HelpText = "Check the bundle's contents only, not whether its plans fit this machine.")]
    public bool IntegrityOnly { get; set; }

    [Option("json", HelpText = "Print the result as JSON (schema srdeploy.verify/1).")]
    public bool Json { get; set; }
}
