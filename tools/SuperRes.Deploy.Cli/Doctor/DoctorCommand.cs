using System.Text.Json;
using Serilog;
using SuperRes.Deploy.Cli.Hosting;
using SuperRes.Deploy.Engines;

namespace SuperRes.Deploy.Cli.Doctor;

/// <summary>
/// `srdeploy doctor`: reports every component (found or not, version, path, hash, the places tried) as text or JSON;
/// exit 0 when everything the ONNX Runtime path needs is there (TensorRT, CUDA and the TensorRT plugin are optional),
/// else exit 4 naming what is missing.
/// </summary>
public sealed class DoctorCommand : VerbCommand<DoctorOptions>
{
    /// <summary>The probes the command runs (tests replace one to simulate a missing component).</summary>
    public static DoctorProbes Probes { get; set; } = DoctorProbes.Default;

    public override int Run(DoctorOptions options, ILogger log, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stdout);
        var components = DoctorReport.Collect(Probes);
        if (options.Json)
        {
            stdout.WriteLine(DoctorReport.ToJson(components).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            DoctorReport.Render(components, stdout);
        }

        stdout.Flush();
        var missing = components.Where(c => c.Required && !c.Found).ToList();
        if (missing.Count > 0)
        {
            throw DeployException.MissingComponent(
                $"doctor: required component(s) missing: {string.Join("; ", missing.Select(c => $"{c.Title}: {c.Detail}"))}");
        }

        return (int)ExitCode.Ok;
    }
}
