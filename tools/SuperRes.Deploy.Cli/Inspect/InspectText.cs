using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace SuperRes.Deploy.Cli.Inspect;

/// <summary>
/// Renders the inspect report (the JSON document of <see cref="InspectReport"/>) as readable text and tables: rounded
/// tables with colour on a terminal, plain ASCII tables without colour when stdout is redirected (CI logs, files).
/// </summary>
public static class InspectText
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static void Render(JsonObject report, TextWriter stdout, bool interactive)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(stdout);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(stdout),
        });
        if (!interactive)
        {
            console.Profile.Width = 200;
        }

        var border = interactive ? TableBorder.Rounded : TableBorder.Ascii;
        new Renderer(console, border, report).Run();
    }

    private sealed class Renderer(IAnsiConsole console, TableBorder border, JsonObject r)
    {
        public void Run()
        {
            Header();
            Constraints();
            Histogram();
            Attention();
            Fused();
            Lints("Lints", r["lints"]!.AsArray());
            AtShape();
            Diagnostics();
        }

        private void Header()
        {
            var model = r["model"]!.AsObject();
            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            Row(grid, "Model", S(model["path"]));
            Row(grid, "IR version", S(model["irVersion"]));
            Row(grid, "Opsets", string.Join(", ", model["opsets"]!.AsArray().Select(o => $"{S(o!["domain"])} {S(o["version"])}")));
            var producer = model["producer"]!;
            Row(grid, "Producer", $"{S(producer["name"])} {S(producer["version"])}".Trim());
            foreach (var input in r["inputs"]!.AsArray())
            {
                Row(grid, "Input", $"{S(input!["name"])}  {S(input["elementType"])} {ShapeText(input["shape"])}");
            }

            foreach (var output in r["outputs"]!.AsArray())
            {
                Row(grid, "Output", $"{S(output!["name"])}  {S(output["elementType"])} {ShapeText(output["shape"])}");
            }

            var p = r["parameters"]!;
            Row(grid, "Nodes", S(r["nodeCount"]));
            Row(grid, "Parameters", $"{Count(p["count"])} ({Bytes(p["bytes"])} in {S(p["initializers"])} initializers: " +
                string.Join(", ", p["byElementType"]!.AsArray().Select(t => $"{S(t!["elementType"])} {Count(t["elements"])}")) + ")");
            var rt = r["reshapeTranspose"]!;
            Row(grid, "Reshape+Transpose", $"{S(rt["total"])} ({S(rt["reshape"])} Reshape, {S(rt["transpose"])} Transpose)");
            var scale = r["scaleFactor"];
            Row(grid, "Scale factor", scale is null
                ? "not a constant ratio of a 4-D input and output"
                : $"x{Number(scale["height"])}{(scale["uniform"]!.GetValue<bool>() ? string.Empty : $" (height) x{Number(scale["width"])} (width)")}  (output {S(scale["outputHeight"])} x {S(scale["outputWidth"])})");
            console.Write(grid);
            console.WriteLine();
        }

        private void Constraints()
        {
            var sc = r["sizeConstraints"]!;
            var rules = sc["rules"]!.AsArray();
            Title("Size constraints");
            if (rules.Count == 0)
            {
                console.WriteLine("  none found: any input size works" + (sc["referenceValid"]!.GetValue<bool>() ? string.Empty : " (but no valid reference size was found)"));
            }

            foreach (var rule in rules)
            {
                var nodes = rule!["nodes"]!.AsArray();
                var source = nodes.Count == 0 ? string.Empty : $"  [{string.Join(", ", nodes.Take(4).Select(n => S(n)))}{(nodes.Count > 4 ? ", …" : string.Empty)}]";
                var marker = rule["constrainsInput"]!.GetValue<bool>() ? "-" : "~";
                console.Write(new Text($"  {marker} {S(rule["description"])}{source}"));
                console.WriteLine();
            }

            console.WriteLine();
        }

        private void Histogram()
        {
            Title("Op histogram");
            var ops = r["opHistogram"]!.AsArray();
            var table = NewTable("Op", "Count", "Op", "Count", "Op", "Count");
            var perColumn = (ops.Count + 2) / 3;
            for (var i = 0; i < perColumn; i++)
            {
                var cells = new List<IRenderable>();
                for (var c = 0; c < 3; c++)
                {
                    var index = (c * perColumn) + i;
                    if (index < ops.Count)
                    {
                        var op = ops[index]!;
                        var domain = S(op["domain"]);
                        cells.Add(new Text((domain == "ai.onnx" ? string.Empty : domain + ":") + S(op["opType"])));
                        cells.Add(new Text(S(op["count"])));
                    }
                    else
                    {
                        cells.Add(new Text(string.Empty));
                        cells.Add(new Text(string.Empty));
                    }
                }

                table.AddRow(cells);
            }

            console.Write(table);
            console.WriteLine();
        }

        private void Attention()
        {
            var attention = r["attention"]!;
            var blocks = attention["blocks"]!.AsArray();
            Title($"Attention blocks: {blocks.Count}");
            if (blocks.Count > 0)
            {
                var bound = blocks[0]!["boundShapes"] is not null;
                var table = NewTable("#", "Softmax", "Heads", "Nq", "Nk", "d", "dv", "Scale", "Q/K norm", "Bias", bound ? "Scores at shape" : "Scores shape");
                foreach (var b in blocks)
                {
                    var q = S(b!["queryNormalization"]);
                    var k = S(b["keyNormalization"]);
                    var norm = $"{(q.Length > 0 ? q : "-")}/{(k.Length > 0 ? k : "-")}";
                    var scale = string.Join("; ", b["scale"]!.AsArray().Select(s => S(s!["description"])));
                    table.AddRow(new Text(S(b["index"])), new Text(S(b["softmax"])), new Text(S(b["heads"])), new Text(S(b["queryTokens"])),
                        new Text(S(b["keyTokens"])), new Text(S(b["headDim"])), new Text(S(b["valueDim"])), new Text(scale.Length == 0 ? "none" : scale),
                        new Text(norm), new Text(b["bias"]!.AsArray().Count.ToString(C)),
                        new Text(bound ? ShapeText(b["boundShapes"]!["scores"]) : ShapeText(b["shapes"]!["scores"])));
                }

                console.Write(table);
                foreach (var b in blocks)
                {
                    var n = b!["nodes"]!;
                    console.Write(new Text($"  #{S(b["index"])} {S(b["form"])}: Q {ShapeText(b["shapes"]!["query"])}, K {ShapeText(b["shapes"]!["key"])}, V {ShapeText(b["shapes"]!["value"])}; '{S(n["scoresMatMul"])}' -> '{S(n["outputMatMul"])}' ({n["all"]!.AsArray().Count} nodes)"));
                    console.WriteLine();
                }
            }

            var misses = attention["nearMisses"]!.AsArray();
            foreach (var m in misses)
            {
                console.Write(new Text($"  near miss at Softmax '{S(m!["softmax"])}': {string.Join("; ", m["reasons"]!.AsArray().Select(x => S(x)))}"));
                console.WriteLine();
            }

            console.WriteLine();
        }

        private void Fused()
        {
            var fused = r["fusedAttention"]!;
            var nodes = fused["nodes"]!.AsArray();
            Title($"Fused attention nodes (com.superres.deploy:FusedAttention): {S(fused["count"])}");
            foreach (var n in nodes)
            {
                var attributes = n!["attributes"]!.AsObject().Select(kv => $"{kv.Key}={S(kv.Value)}");
                console.Write(new Text($"  {S(n["name"])}: {string.Join(", ", attributes)}"));
                console.WriteLine();
            }

            console.WriteLine();
        }

        private void Lints(string title, JsonArray lints)
        {
            Title($"{title}: {lints.Count}");
            if (lints.Count > 0)
            {
                var table = NewTable("Id", "Severity", "Message", "Nodes");
                foreach (var l in lints)
                {
                    var nodes = l!["nodes"]!.AsArray();
                    table.AddRow(new Text($"{S(l["id"])} {S(l["name"])}"), new Text(S(l["severity"])), new Text(S(l["message"])),
                        new Text(string.Join(", ", nodes.Take(6).Select(n => S(n))) + (nodes.Count > 6 ? $", … ({nodes.Count})" : string.Empty)));
                }

                console.Write(table);
            }

            console.WriteLine();
        }

        private void AtShape()
        {
            if (r["atShape"] is not JsonObject at)
            {
                return;
            }

            var inputs = string.Join(", ", at["inputShapes"]!.AsObject().Select(kv => $"{kv.Key} {ShapeText(kv.Value)}"));
            Title($"At input shape {inputs}");
            foreach (var (name, shape) in at["outputShapes"]!.AsObject())
            {
                console.WriteLine($"  output {name} {ShapeText(shape)}");
            }

            var flops = at["flops"]!;
            console.WriteLine($"  FLOPs: {Flops(flops["total"])}{(flops["complete"]!.GetValue<bool>() ? string.Empty : $" (incomplete: {flops["unknownNodes"]!.AsArray().Count} nodes unknown)")}");
            var byType = NewTable("Op type", "Nodes", "FLOPs", "Share");
            var total = Math.Max(flops["total"]!.GetValue<long>(), 1);
            foreach (var t in flops["byOpType"]!.AsArray())
            {
                // Shape arithmetic (a few FLOPs on int64 scalars) would only clutter the table; the JSON has every op type.
                var f = t!["flops"]!.GetValue<long>();
                if (f * 10000 < total)
                {
                    continue;
                }

                byType.AddRow(new Text(S(t["opType"])), new Text(S(t["nodes"])), new Text(Flops(t["flops"])), new Text($"{100.0 * f / total:0.0}%"));
            }

            console.Write(byType);
            var topNodes = NewTable("Node", "Op", "FLOPs");
            foreach (var n in flops["topNodes"]!.AsArray())
            {
                topNodes.AddRow(new Text(S(n!["node"])), new Text(S(n["opType"])), new Text(Flops(n["flops"])));
            }

            console.Write(topNodes);
            var memory = at["memory"]!;
            console.WriteLine($"  Peak activation memory: {Bytes(memory["peakActivationBytes"])} during '{S(memory["peakNode"])}'{(memory["complete"]!.GetValue<bool>() ? string.Empty : $" ({S(memory["unknownSizeValues"])} values of unknown size not counted)")}");
            var live = NewTable("Live value at the peak", "Bytes");
            var peak = memory["peakActivationBytes"]!.GetValue<long>();
            foreach (var l in memory["liveAtPeak"]!.AsArray().Where(l => l!["bytes"]!.GetValue<long>() * 100 >= peak))
            {
                live.AddRow(new Text(S(l!["value"])), new Text(Bytes(l["bytes"])));
            }

            console.Write(live);
            if (memory["largestTensor"] is { } largest)
            {
                console.WriteLine($"  Largest tensor: '{S(largest["value"])}' with {Count(largest["elements"])} elements");
            }

            foreach (var v in at["violations"]!.AsArray())
            {
                console.Write(new Text($"  violates: {S(v!["description"])}"));
                console.WriteLine();
            }

            console.WriteLine();
            Lints("Lints at this shape", at["lints"]!.AsArray());
        }

        private void Diagnostics()
        {
            var warnings = r["diagnostics"]!.AsArray().Where(d => S(d!["severity"]) != "info").ToList();
            if (warnings.Count == 0)
            {
                return;
            }

            Title($"Shape inference notes: {warnings.Count}");
            foreach (var d in warnings.Take(20))
            {
                console.Write(new Text($"  {S(d!["severity"])}: {S(d["node"])}: {S(d["message"])}"));
                console.WriteLine();
            }
        }

        private Table NewTable(params string[] headers)
        {
            var table = new Table().Border(border);
            foreach (var h in headers)
            {
                table.AddColumn(new TableColumn(new Text(h)));
            }

            return table;
        }

        private void Title(string text)
        {
            console.Write(new Markup($"[bold]{Markup.Escape(text)}[/]"));
            console.WriteLine();
        }

        private static void Row(Grid grid, string key, string value) => grid.AddRow(new Text(key), new Text(value));

        private static string S(JsonNode? node) => node switch
        {
            null => string.Empty,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.TryGetValue<long>(out var l) => l.ToString(C),
            JsonValue v when v.TryGetValue<int>(out var i) => i.ToString(C),
            JsonValue v when v.TryGetValue<double>(out var d) => d.ToString("0.######", C),
            _ => node.ToJsonString(),
        };

        private static string ShapeText(JsonNode? shape) =>
            shape is JsonArray a ? "[" + string.Join(", ", a.Select(d => d is null ? "?" : S(d))) + "]" : "[?]";

        private static string Count(JsonNode? n) => n is null ? "?" : n.GetValue<long>().ToString("N0", C);

        private static string Number(JsonNode? n) => n is null ? "?" : n.GetValue<double>().ToString("0.####", C);

        private static string Bytes(JsonNode? n)
        {
            if (n is null)
            {
                return "?";
            }

            var b = (double)n.GetValue<long>();
            return b >= 1 << 30 ? $"{b / (1 << 30):0.00} GiB" : b >= 1 << 20 ? $"{b / (1 << 20):0.0} MiB" : b >= 1 << 10 ? $"{b / 1024:0.0} KiB" : $"{b:0} B";
        }

        private static string Flops(JsonNode? n)
        {
            if (n is null)
            {
                return "?";
            }

            var f = (double)n.GetValue<long>();
            return f >= 1e12 ? $"{f / 1e12:0.000} T" : f >= 1e9 ? $"{f / 1e9:0.000} G" : f >= 1e6 ? $"{f / 1e6:0.000} M" : f.ToString("0", C);
        }
    }
}
