using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Engines.Benchmarking;

/// <summary>
/// The result of `srdeploy bench`, and its JSON form (schema <see cref="SchemaId"/>, documented in docs/cli.md "bench").
/// </summary>
/// <param name="ModelPath">The model file.</param>
/// <param name="ModelFormat">onnx or tensorrt-plan.</param>
/// <param name="Backend">The runner's backend name (onnxruntime, tensorrt).</param>
/// <param name="RuntimeVersion">The backend's version, when known.</param>
/// <param name="Threads">ONNX Runtime intra-op threads asked for (0 = its default).</param>
/// <param name="Settings">Warm-up and measurement settings.</param>
/// <param name="Results">One entry per shape set, in command-line order.</param>
/// <param name="Created">When the run ended (UTC).</param>
/// <param name="ToolVersion">The srdeploy version that measured.</param>
public sealed record BenchmarkReport(
    string ModelPath,
    string ModelFormat,
    string Backend,
    string? RuntimeVersion,
    int Threads,
    BenchmarkSettings Settings,
    IReadOnlyList<ShapeBenchmark> Results,
    DateTimeOffset Created,
    string ToolVersion)
{
    /// <summary>The JSON schema identifier; the number changes when a field changes meaning or disappears.</summary>
    public const string SchemaId = "srdeploy.bench/1";

    /// <summary>The report as JSON (camelCase keys, milliseconds for latencies).</summary>
    public JsonObject ToJson()
    {
        var results = new JsonArray();
        foreach (var r in Results)
        {
            results.Add(new JsonObject
            {
                ["inputs"] = Shapes(r.Inputs),
                ["outputs"] = Shapes(r.Outputs),
                ["warmup"] = new JsonObject { ["runs"] = r.WarmupRuns, ["milliseconds"] = Round(r.WarmupMilliseconds) },
                ["iterations"] = r.Latency.Count,
                ["measuredSeconds"] = Math.Round(r.MeasuredSeconds, 6),
                ["latencyMs"] = new JsonObject
                {
                    ["min"] = Round(r.Latency.Min),
                    ["mean"] = Round(r.Latency.Mean),
                    ["median"] = Round(r.Latency.Median),
                    ["p90"] = Round(r.Latency.P90),
                    ["p95"] = Round(r.Latency.P95),
                    ["p99"] = Round(r.Latency.P99),
                    ["max"] = Round(r.Latency.Max),
                    ["stddev"] = Round(r.Latency.StandardDeviation),
                },
                ["throughput"] = new JsonObject
                {
                    ["inferencesPerSecond"] = Round(r.InferencesPerSecond),
                    ["outputMegapixelsPerSecond"] = r.OutputMegapixelsPerSecond is { } mp ? Round(mp) : null,
                },
            });
        }

        return new JsonObject
        {
            ["schema"] = SchemaId,
            ["tool"] = new JsonObject { ["name"] = "srdeploy", ["version"] = ToolVersion },
            ["created"] = Created.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["model"] = new JsonObject { ["path"] = ModelPath, ["format"] = ModelFormat },
            ["backend"] = new JsonObject { ["name"] = Backend, ["version"] = RuntimeVersion, ["threads"] = Threads },
            ["machine"] = new JsonObject
            {
                ["logicalCpus"] = Environment.ProcessorCount,
                ["os"] = RuntimeInformation.OSDescription,
                ["architecture"] = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
                ["dotnet"] = Environment.Version.ToString(),
            },
            ["settings"] = new JsonObject
            {
                ["warmupRuns"] = Settings.WarmupRuns,
                ["warmupMilliseconds"] = Settings.WarmupTime.TotalMilliseconds,
                ["iterations"] = Settings.Iterations,
                ["durationSeconds"] = Settings.Duration.TotalSeconds,
                ["seed"] = Settings.Seed,
            },
            ["results"] = results,
        };
    }

    /// <summary>Indented JSON text.</summary>
    public string ToJsonString() => ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>The format name of a model source in reports.</summary>
    public static string FormatName(Runtime.ModelFormat format) => format switch
    {
        Runtime.ModelFormat.Plan => "tensorrt-plan",
        Runtime.ModelFormat.Bundle => "bundle",
        _ => "onnx",
    };

    private static JsonObject Shapes(IReadOnlyDictionary<string, long[]> shapes)
    {
        var json = new JsonObject();
        foreach (var (name, dims) in shapes)
        {
            json[name] = new JsonArray([.. dims.Select(d => (JsonNode)d)]);
        }

        return json;
    }

    private static double Round(double value) => Math.Round(value, 4);
}
