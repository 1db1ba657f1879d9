using System.Text.Json.Nodes;
using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Graph.Symbolic;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Cli.Inspect;

/// <summary>
/// Builds the inspect report as a JSON document (schema <see cref="Schema"/>, documented in docs/cli.md). The human
/// output is rendered from the same document, so both always say the same thing. Dims are numbers when constant,
/// strings when symbolic ("4*H", "ceil(H/8)"), null when unknown.
/// </summary>
public static class InspectReport
{
    public const string Schema = "srdeploy.inspect/1";

    public static JsonObject Build(string modelPath, OnnxModel model, ModelAnalysis analysis, AnalysisAtShape? at, int top)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(analysis);
        var proto = model.Proto;
        var graph = analysis.Graph;
        var shapes = analysis.Shapes;
        var stats = analysis.Statistics;
        return new JsonObject
        {
            ["schema"] = Schema,
            ["model"] = new JsonObject
            {
                ["path"] = modelPath,
                ["irVersion"] = proto.IrVersion,
                ["producer"] = new JsonObject { ["name"] = proto.ProducerName, ["version"] = proto.ProducerVersion },
                ["graphName"] = proto.Graph.Name,
                ["opsets"] = Array(graph.Opsets.Versions.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                    .Select(kv => new JsonObject { ["domain"] = DomainName(kv.Key), ["version"] = kv.Value })),
            },
            ["inputs"] = Array(graph.Inputs.Select(v => Tensor(v, shapes))),
            ["outputs"] = Array(graph.Outputs.Select(v => Tensor(v, shapes))),
            ["nodeCount"] = stats.NodeCount,
            ["opHistogram"] = Array(stats.Histogram.Select(h => new JsonObject
            {
                ["opType"] = h.OpType,
                ["domain"] = DomainName(h.Domain),
                ["count"] = h.Count,
            })),
            ["parameters"] = new JsonObject
            {
                ["count"] = stats.ParameterCount,
                ["bytes"] = stats.ParameterBytes,
                ["initializers"] = stats.InitializerCount,
                ["byElementType"] = Array(stats.ParametersByType.Select(p => new JsonObject
                {
                    ["elementType"] = p.ElementTypeName,
                    ["tensors"] = p.Tensors,
                    ["elements"] = p.Elements,
                    ["bytes"] = p.Bytes,
                })),
            },
            ["reshapeTranspose"] = new JsonObject
            {
                ["reshape"] = stats.ReshapeCount,
                ["transpose"] = stats.TransposeCount,
                ["total"] = stats.ReshapeTransposeCount,
            },
            ["scaleFactor"] = analysis.Scale is { } s ? new JsonObject
            {
                ["input"] = s.InputName,
                ["output"] = s.OutputName,
                ["height"] = s.Height,
                ["width"] = s.Width,
                ["uniform"] = s.IsUniform,
                ["outputHeight"] = s.HeightExpression,
                ["outputWidth"] = s.WidthExpression,
            } : null,
            ["sizeConstraints"] = new JsonObject
            {
                ["reference"] = new JsonObject(analysis.Constraints.Reference.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                    .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                ["referenceValid"] = analysis.Constraints.HasValidReference,
                ["rules"] = Array(analysis.Constraints.Rules.Select(Rule)),
            },
            ["attention"] = new JsonObject
            {
                ["blocks"] = Array(analysis.Attention.Blocks.Select((b, i) => Block(b, i, at))),
                ["nearMisses"] = Array(analysis.Attention.NearMisses.Select(m => new JsonObject
                {
                    ["softmax"] = m.Softmax.DisplayName,
                    ["reasons"] = Array(m.Reasons.Select(r => (JsonNode?)r)),
                    ["nodes"] = Names(m.Nodes),
                })),
            },
            ["fusedAttention"] = new JsonObject
            {
                ["count"] = analysis.FusedAttention.Count,
                ["nodes"] = Array(analysis.FusedAttention.Select(f => new JsonObject
                {
                    ["name"] = f.Node.DisplayName,
                    ["inputs"] = Array(f.Node.Inputs.Select(v => (JsonNode?)v?.Name)),
                    ["outputs"] = Array(f.Node.Outputs.Select(v => (JsonNode?)v?.Name)),
                    ["attributes"] = new JsonObject(f.Attributes.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                        .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                })),
            },
            ["lints"] = Array(analysis.Lints.Select(Lint)),
            ["diagnostics"] = Array(shapes.Diagnostics.Where(d => d.Severity != DiagnosticSeverity.Info || d.Node?.Graph == graph).Select(d => new JsonObject
            {
                ["severity"] = d.Severity.ToString().ToLowerInvariant(),
                ["node"] = d.Node?.DisplayName,
                ["message"] = d.Message,
            })),
            ["atShape"] = at is null ? null : AtShape(analysis, at, top),
        };
    }

    private static JsonObject Tensor(GraphValue v, ShapeInferenceResult shapes)
    {
        var facts = shapes[v];
        return new JsonObject
        {
            ["name"] = v.Name,
            ["elementType"] = ElementTypes.Name(facts.ElementType != 0 ? facts.ElementType : v.DeclaredElementType),
            ["shape"] = Shape(facts.Shape),
        };
    }

    private static JsonObject Rule(SizeRule r) => new()
    {
        ["kind"] = Kebab(r.Kind.ToString()),
        ["symbol"] = r.Symbol,
        ["axes"] = Array(r.Axes.Select(a => new JsonObject { ["input"] = a.InputName, ["axis"] = a.Axis })),
        ["value"] = r.Value,
        ["remainder"] = r.Remainder,
        ["minimum"] = r.Minimum,
        ["constrainsInput"] = r.ConstrainsInput,
        ["description"] = r.Description,
        ["nodes"] = Array(r.NodeNames.Select(n => (JsonNode?)n)),
    };

    private static JsonObject Block(AttentionBlock b, int index, AnalysisAtShape? at) => new()
    {
        ["index"] = index,
        ["softmax"] = b.Softmax.DisplayName,
        ["form"] = b.Form == AttentionForm.ProbabilitiesTimesValue ? "softmax(QK^T)V" : "V softmax(QK^T)^T",
        ["heads"] = Dim(b.Heads),
        ["queryTokens"] = Dim(b.QueryTokens),
        ["keyTokens"] = Dim(b.KeyTokens),
        ["headDim"] = Dim(b.HeadDim),
        ["valueDim"] = Dim(b.ValueDim),
        ["batchDims"] = Array(b.BatchDims.Select(Dim)),
        ["shapes"] = new JsonObject
        {
            ["query"] = Shape(b.QueryShape),
            ["key"] = Shape(b.KeyShape),
            ["value"] = Shape(b.ValueShape),
            ["scores"] = Shape(b.ScoresShape),
            ["output"] = Shape(b.OutputShape),
        },
        ["boundShapes"] = at is null ? null : new JsonObject
        {
            ["query"] = Numbers(at.Binding.ShapeOf(b.Query)),
            ["key"] = Numbers(at.Binding.ShapeOf(b.Key)),
            ["value"] = Numbers(at.Binding.ShapeOf(b.Value)),
            ["scores"] = Numbers(at.Binding.ShapeOf(b.Scores)),
            ["output"] = Numbers(at.Binding.ShapeOf(b.Output)),
        },
        ["scale"] = Array(b.Scales.Select(s => new JsonObject
        {
            ["kind"] = Kebab(s.Kind.ToString()),
            ["location"] = Kebab(s.Location.ToString()),
            ["operation"] = s.IsDivision ? "div" : "mul",
            ["value"] = s.Effective,
            ["source"] = s.Value?.Name,
            ["node"] = s.Node?.DisplayName,
            ["description"] = s.Describe(),
        })),
        ["bias"] = Array(b.Biases.Select(x => new JsonObject
        {
            ["node"] = x.AddNode.DisplayName,
            ["value"] = x.Value.Name,
            ["constant"] = x.IsConstant,
        })),
        ["queryNormalization"] = b.QueryNormalization?.Kind.ToLowerInvariant(),
        ["keyNormalization"] = b.KeyNormalization?.Kind.ToLowerInvariant(),
        ["values"] = new JsonObject
        {
            ["query"] = b.Query.Name,
            ["key"] = b.Key.Name,
            ["value"] = b.Value.Name,
            ["scores"] = b.Scores.Name,
            ["probabilities"] = b.Probabilities.Name,
            ["output"] = b.Output.Name,
        },
        ["nodes"] = new JsonObject
        {
            ["scoresMatMul"] = b.ScoresMatMul.DisplayName,
            ["softmax"] = b.Softmax.DisplayName,
            ["outputMatMul"] = b.OutputMatMul.DisplayName,
            ["keyTranspose"] = b.KeyTranspose?.DisplayName,
            ["probabilitiesTranspose"] = b.ProbabilitiesTranspose?.DisplayName,
            ["scoreChain"] = Names(b.ScoreChain),
            ["all"] = Names(b.Nodes),
        },
    };

    private static JsonObject Lint(LintFinding l) => new()
    {
        ["id"] = l.Id,
        ["name"] = l.Name,
        ["severity"] = l.Severity.ToString().ToLowerInvariant(),
        ["message"] = l.Message,
        ["nodes"] = Array(l.NodeNames.Select(n => (JsonNode?)n)),
    };

    private static JsonObject AtShape(ModelAnalysis analysis, AnalysisAtShape at, int top)
    {
        var cost = at.Cost;
        return new JsonObject
        {
            ["inputShapes"] = new JsonObject(at.InputShapes.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Numbers(kv.Value)))),
            ["symbols"] = new JsonObject(at.Binding.Symbols.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["outputShapes"] = new JsonObject(analysis.Graph.Outputs
                .Select(o => KeyValuePair.Create(o.Name, (JsonNode?)Numbers(at.Binding.ShapeOf(o))))),
            ["flops"] = new JsonObject
            {
                ["total"] = cost.TotalFlops,
                ["complete"] = cost.UnknownFlopNodes.Count == 0,
                ["unknownNodes"] = Names(cost.UnknownFlopNodes),
                ["byOpType"] = Array(cost.FlopsByOpType.Where(t => t.Flops > 0).Select(t => new JsonObject
                {
                    ["opType"] = t.OpType,
                    ["flops"] = t.Flops,
                    ["nodes"] = t.Nodes,
                })),
                ["topNodes"] = Array(cost.TopNodes(top).Select(n => new JsonObject
                {
                    ["node"] = n.Node.DisplayName,
                    ["opType"] = n.Node.OpType,
                    ["flops"] = n.Flops,
                })),
            },
            ["memory"] = new JsonObject
            {
                ["peakActivationBytes"] = cost.PeakActivationBytes,
                ["peakNode"] = cost.PeakNode?.DisplayName,
                ["complete"] = cost.UnknownSizeValues == 0,
                ["unknownSizeValues"] = cost.UnknownSizeValues,
                ["liveAtPeak"] = Array(cost.LiveAtPeak.Take(top).Select(l => new JsonObject
                {
                    ["value"] = l.Value.Name,
                    ["bytes"] = l.Bytes,
                })),
                ["largestTensor"] = cost.LargestTensor is null ? null : new JsonObject
                {
                    ["value"] = cost.LargestTensor.Name,
                    ["elements"] = cost.LargestTensorElements,
                },
            },
            ["violations"] = Array(at.Violations.Select(v => new JsonObject
            {
                ["node"] = v.Node.DisplayName,
                ["description"] = v.Describe(),
            })),
            ["lints"] = Array(at.Lints.Select(Lint)),
        };
    }

    private static JsonArray Array(IEnumerable<JsonNode?> items) => new([.. items]);

    private static JsonArray Names(IEnumerable<GraphNode> nodes) => Array(nodes.Select(n => (JsonNode?)n.DisplayName));

    private static JsonNode? Dim(DimExpr? d) => d is null ? null : d.IsConstant ? JsonValue.Create(d.ConstantTerm) : JsonValue.Create(d.ToString());

    private static JsonArray? Shape(SymbolicShape? s) => s is null ? null : Array(s.Dims.Select(Dim));

    private static JsonArray? Numbers(IReadOnlyList<long>? dims) => dims is null ? null : Array(dims.Select(d => (JsonNode?)d));

    private static string DomainName(string domain) => domain.Length == 0 ? "ai.onnx" : domain;

    /// <summary>"LearnedParameter" → "learned-parameter".</summary>
    private static string Kebab(string pascal)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var c in pascal)
        {
            if (char.IsUpper(c) && sb.Length > 0)
            {
                sb.Append('-');
            }

            sb.Append(char.ToLowerInvariant(c));
        }

        return sb.ToString();
    }
}
