using System.Text.Json;
using System.Text.Json.Nodes;
using Serilog;
using SuperRes.Deploy.Cli.Hosting;
using SuperRes.Deploy.Engines.Packaging;

namespace SuperRes.Deploy.Cli.Package;

/// <summary>
/// `srdeploy package verify BUNDLE`: <see cref="BundleVerifier"/> against this machine's TensorRT and GPUs. Prints one
/// line per problem (FAIL) and per warning (warn); exit 0 valid, 1 verification failed, 3 unreadable bundle.
/// </summary>
public sealed class PackageVerifyCommand : VerbCommand<PackageVerifyOptions>
{
    public const string JsonSchema = "srdeploy.verify/1";

    public override int Run(PackageVerifyOptions options, ILogger log, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(stdout);
        var environment = options.IntegrityOnly ? null : PlanFitEnvironment.Probe();
        var result = BundleVerifier.Verify(options.Bundle, environment);
        if (options.Json)
        {
            stdout.WriteLine(ToJson(result).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            Print(result, environment, options.IntegrityOnly, stdout);
        }

        return (int)(result.Passed ? ExitCode.Ok : ExitCode.CheckFailed);
    }

    private static void Print(BundleVerification result, PlanFitEnvironment? environment, bool integrityOnly, TextWriter stdout)
    {
        var m = result.Manifest;
        stdout.WriteLine(m is null
            ? $"bundle {result.BundlePath}: {result.FilesChecked} files, manifest unreadable"
            : $"bundle {result.BundlePath}: {m.Schema}, model {m.Model.Name} x{m.Model.Scale}, {m.Files.Count + 1} files, engine: {(m.Plans.Count == 0 ? m.Engine : $"{m.Plans.Count} plan(s)")}");
        if (m is not null && result.IntegrityProblems.Count == 0)
        {
            stdout.WriteLine($"ok    {m.Files.Count} files match their sha256 and size in manifest.json; none missing, none extra");
        }

        if (integrityOnly)
        {
            stdout.WriteLine("skip  plan fit: --integrity-only");
        }
        else if (environment is not null && m is not null && m.Plans.Count > 0)
        {
            stdout.WriteLine($"here  TensorRT {environment.TensorRt?.ToString() ?? "not installed"}; GPUs: {(environment.Gpus.Count == 0 ? "none" : string.Join(", ", environment.Gpus.Select(g => $"{g.Index} (compute capability {g.ComputeCapability})")))}");
            foreach (var fit in result.PlanFits.Where(f => f.Verdict == PlanFitVerdict.Fits))
            {
                stdout.WriteLine($"ok    {fit.File} fits this machine");
            }
        }

        foreach (var warning in result.Warnings)
        {
            stdout.WriteLine($"warn  {warning}");
        }

        foreach (var problem in result.Problems)
        {
            stdout.WriteLine($"FAIL  {problem}");
        }

        stdout.WriteLine(result.Passed
            ? $"verification passed{(result.Warnings.Count > 0 ? $" ({result.Warnings.Count} warning(s))" : string.Empty)}"
            : $"verification FAILED: {result.Problems.Count} problem(s)");
    }

    private static JsonObject ToJson(BundleVerification result) => new()
    {
        ["schema"] = JsonSchema,
        ["bundle"] = result.BundlePath,
        ["passed"] = result.Passed,
        ["model"] = result.Manifest?.Model.Name,
        ["files"] = result.FilesChecked,
        ["problems"] = new JsonArray([.. result.Problems.Select(p => (JsonNode?)JsonValue.Create(p))]),
        ["warnings"] = new JsonArray([.. result.Warnings.Select(w => (JsonNode?)JsonValue.Create(w))]),
        ["plans"] = new JsonArray([.. result.PlanFits.Select(f => (JsonNode?)new JsonObject
        {
            ["file"] = f.File,
            ["verdict"] = f.Verdict switch
            {
                PlanFitVerdict.Fits => "fits",
                PlanFitVerdict.DoesNotFit => "does not fit",
                _ => "cannot check here",
            },
            ["failures"] = new JsonArray([.. f.Failures.Select(x => (JsonNode?)JsonValue.Create(x))]),
            ["warnings"] = new JsonArray([.. f.Warnings.Select(x => (JsonNode?)JsonValue.Create(x))]),
        })]),
    };
}
