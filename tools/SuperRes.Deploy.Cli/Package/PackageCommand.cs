using System.Reflection;
using Serilog;
using SuperRes.Deploy.Cli.BuildEngine;
using SuperRes.Deploy.Cli.Hosting;
using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Packaging;

namespace SuperRes.Deploy.Cli.Package;

/// <summary>`srdeploy package`: the config into a deployment bundle through <see cref="PackageBuilder"/>.</summary>
public sealed class PackageCommand : VerbCommand<PackageOptions>
{
    /// <summary>srdeploy's version (the CLI assembly's informational version).</summary>
    public static string ToolVersion =>
        typeof(PackageCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public override int Run(PackageOptions options, ILogger log, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(stdout);
        var config = DeployConfigLoader.Load(options.Config);
        var result = PackageBuilder.Build(
            new PackageRequest
            {
                Config = config,
                OutputPath = options.Output,
                Plans = options.Plans.ToList(),
                SkipValidation = options.SkipValidation,
                PluginLibrary = options.PluginLibrary,
                EngineCacheDirectory = options.NoCache ? null : options.CacheDir ?? EngineCache.DefaultDirectory,
                BuildSteps = BuildEngineCommand.Steps,
                ToolVersion = ToolVersion,
            },
            message => log.Information("{Message}", message));
        Describe(result, stdout, log);
        return (int)ExitCode.Ok;
    }

    /// <summary>Prints what the bundle holds (shared with `srdeploy pipeline`).</summary>
    public static void Describe(PackageResult result, TextWriter stdout, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(log);
        var m = result.Manifest;
        foreach (var note in m.Notes)
        {
            log.Warning("{Note}", note);
        }

        stdout.WriteLine($"wrote {result.BundlePath} ({result.Bytes} bytes, {m.Files.Count + 1} files)");
        stdout.WriteLine($"  model       {m.Model.Name} x{m.Model.Scale}: {m.Model.Onnx} ({(m.Model.Optimization.Applied ? "optimized" : "as given")}, {m.Model.Optimization.FusedAttentionNodes} FusedAttention nodes)");
        stdout.WriteLine($"  precision   {m.Precision.Precision}, {m.Precision.Typing}");
        stdout.WriteLine($"  profiles    {m.Profiles.Count} ({string.Join("; ", m.Profiles.Select(p => string.Join(",", p.Inputs.Select(i => $"{i.Name} {string.Join('x', i.Min)}..{string.Join('x', i.Max)}"))))})");
        stdout.WriteLine($"  plugin      {(m.Plugin is { } p ? $"{p.Name} v{p.Version}: sources in {p.SourceDirectory} (sha256 {p.SourceSha256[..12]}…){(p.Library is not null ? $", prebuilt {p.LibraryMachine} library" : string.Empty)}" : "none (no custom op)")}");
        stdout.WriteLine($"  validation  {m.Validation.Status}{(m.Validation.Reason is { } r ? $": {r}" : string.Empty)}{(m.Validation.MaxAbsError is { } e ? $" (max abs {e:g3}{(m.Validation.MinPsnrDb is { } psnr ? $", min PSNR {psnr:0.00} dB" : string.Empty)})" : string.Empty)}");
        stdout.WriteLine($"  references  {m.References.Cases.Count} case(s): {string.Join(", ", m.References.Cases.Select(c => c.Name))}");
        stdout.WriteLine($"  engine      {(m.Plans.Count == 0 ? m.Engine : string.Join("; ", m.Plans.Select(p => $"{p.File} (TensorRT {p.TensorRtVersion})")))}");
        stdout.WriteLine($"  on device   tar -xzf {Path.GetFileName(result.BundlePath)} && {m.Device.Script}");
    }
}
