using System.Diagnostics;
using System.Text.Json;
using Serilog;
using SuperRes.Deploy.Cli.Hosting;
using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Cli.Inspect;

/// <summary>
/// `srdeploy inspect`: loads and validates the model (a cycle, a dangling input, an unknown op or a duplicate definition
/// is bad input, exit 3), analyses it, and prints the report as tables or JSON. With --input-shape it also evaluates
/// FLOPs and peak memory there; a shape that breaks the model's size constraints still gets its report, then exit 1.
/// </summary>
public sealed class InspectCommand : VerbCommand<InspectOptions>
{
    public override int Run(InspectOptions options, ILogger log, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(stdout);
        if (options.Top < 1)
        {
            throw DeployException.Usage($"--top must be at least 1 (got {options.Top})");
        }

        var shapeTexts = options.InputShapes.Where(s => !string.IsNullOrWhiteSpace(s)).ToList();
        var modelPath = options.Model;
        if (string.IsNullOrEmpty(modelPath))
        {
            var swallowed = shapeTexts.FindLastIndex(s => !InputShapeParser.LooksLikeShape(s));
            if (swallowed < 0)
            {
                throw DeployException.Usage("inspect needs a MODEL argument (srdeploy inspect MODEL.onnx [--json] [--input-shape NAME:1x3x256x256])");
            }

            modelPath = shapeTexts[swallowed];
            shapeTexts.RemoveAt(swallowed);
        }

        // Shape syntax is checked before the model is read, so a typo is reported as such (exit 2).
        InputShapeParser.ParseSyntax(shapeTexts);

        var watch = Stopwatch.StartNew();
        using var model = OnnxModel.Load(modelPath);
        var graph = OnnxGraph.FromModel(model);
        GraphValidator.EnsureValid(graph, model.DisplayName);
        var shapes = InputShapeParser.Parse(shapeTexts, [.. graph.Inputs.Select(i => i.Name)]);
        log.Debug("loaded {Model} ({Nodes} nodes) in {Ms} ms", model.DisplayName, graph.Nodes.Count, watch.ElapsedMilliseconds);

        watch.Restart();
        var analysis = ModelAnalysis.Run(graph);
        var at = shapes.Count > 0 ? analysis.At(shapes) : null;
        log.Debug("analysed in {Ms} ms", watch.ElapsedMilliseconds);

        var report = InspectReport.Build(modelPath, model, analysis, at, options.Top);
        if (options.Json)
        {
            stdout.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            InspectText.Render(report, stdout, interactive: ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected);
        }

        stdout.Flush();
        if (at is { Violations.Count: > 0 } violated)
        {
            var shapeText = string.Join(", ", shapes.Select(kv => $"{kv.Key}:{string.Join("x", kv.Value)}"));
            throw DeployException.CheckFailed(
                $"input shape {shapeText} violates {violated.Violations.Count} of the model's size constraints, e.g. {violated.Violations[0].Describe()}");
        }

        return (int)ExitCode.Ok;
    }
}
