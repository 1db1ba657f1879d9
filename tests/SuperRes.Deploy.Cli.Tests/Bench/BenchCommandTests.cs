using System.Text.Json.Nodes;
using SuperRes.Deploy.Cli;

namespace SuperRes.Deploy.Tests.Bench;

public sealed class BenchCommandTests
{
    private static readonly string[] OrderedStatistics = ["min", "median", "p90", "p95", "p99", "max"];

    private static string PlainSr => RepoPaths.FixtureModel("plain_sr.onnx");

    [Fact]
    public void The_JSON_report_has_the_schema_settings_and_ordered_statistics_per_shape()
    {
        using var folder = new TempFolder("srd-cli-bench");
        var json = folder.File("bench.json");

        var (code, stdout, _) = Run("bench", "--model", PlainSr, "--shape", "input:1x3x32x32", "--shape", "input:1x3x48x40",
            "--warmup", "2", "--iterations", "20", "--duration", "0", "--threads", "1", "--json", json, "--quiet");

        Assert.Equal(0, code);
        var report = JsonNode.Parse(File.ReadAllText(json))!.AsObject();
        Assert.Equal("srdeploy.bench/1", report["schema"]!.GetValue<string>());
        Assert.Equal("onnx", report["model"]!["format"]!.GetValue<string>());
        Assert.Equal("onnxruntime", report["backend"]!["name"]!.GetValue<string>());
        Assert.Equal(1, report["backend"]!["threads"]!.GetValue<int>());
        Assert.Equal(20, report["settings"]!["iterations"]!.GetValue<int>());
        var results = report["results"]!.AsArray();
        Assert.Equal(2, results.Count);
        long[][] expectedOutputs = [[1, 3, 128, 128], [1, 3, 192, 160]];
        for (var i = 0; i < 2; i++)
        {
            var result = results[i]!;
            Assert.Equal(expectedOutputs[i], result["outputs"]!["output"]!.AsArray().Select(d => d!.GetValue<long>()));
            Assert.Equal(2, result["warmup"]!["runs"]!.GetValue<int>());
            Assert.Equal(20, result["iterations"]!.GetValue<int>());
            var latency = result["latencyMs"]!;
            var ordered = OrderedStatistics.Select(k => latency[k]!.GetValue<double>()).ToArray();
            Assert.True(ordered[0] > 0);
            Assert.Equal(ordered.Order(), ordered);
            Assert.InRange(latency["mean"]!.GetValue<double>(), ordered[0], ordered[^1]);
            var perSecond = result["throughput"]!["inferencesPerSecond"]!.GetValue<double>();
            Assert.Equal(20 / result["measuredSeconds"]!.GetValue<double>(), perSecond, perSecond * 5e-3);
            var pixels = expectedOutputs[i][2] * expectedOutputs[i][3];
            Assert.Equal(pixels * perSecond / 1e6, result["throughput"]!["outputMegapixelsPerSecond"]!.GetValue<double>(), 1e-3);
        }

        Assert.Contains("input:1x3x32x32", stdout, StringComparison.Ordinal);
        Assert.Contains("output:1x3x192x160", stdout, StringComparison.Ordinal);
        Assert.Contains("p99 ms", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_with_dynamic_inputs_needs_a_shape()
    {
        var (code, _, stderr) = Run("bench", "--model", PlainSr, "--quiet");

        Assert.Equal(2, code);
        Assert.Contains("--shape input:1x3x256x256", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--shape", "image:1x3x32x32", "not an input of the model")]
    [InlineData("--shape", "input:1x3x32", "has rank 3")]
    [InlineData("--shape", "input:1x3xAx32", "is not a positive integer")]
    [InlineData("--iterations", "0", "--iterations must be at least 1")]
    [InlineData("--duration", "-1", "--duration must be 0 or more")]
    public void Impossible_settings_are_usage_errors(string option, string value, string message)
    {
        var args = new List<string> { "bench", "--model", PlainSr, option, value, "--quiet" };
        if (option != "--shape")
        {
            args.AddRange(["--shape", "input:1x3x16x16"]);
        }

        var (code, _, stderr) = Run([.. args]);

        Assert.Equal(2, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_model_is_exit_code_3()
    {
        var (code, _, _) = Run("bench", "--model", "does-not-exist.onnx", "--shape", "input:1x3x8x8", "--quiet");

        Assert.Equal(3, code);
    }

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
