using System.Text.Json.Nodes;
using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Passes.Attention;
using SuperRes.Deploy.Engines.Passes.Precision;

namespace SuperRes.Deploy.Engines.Passes;

/// <summary>Node and data-movement counts of a graph at one point of the pipeline.</summary>
public sealed record GraphCounts(int Nodes, int Initializers, int Reshapes, int Transposes, int FusedAttentionNodes, IReadOnlyDictionary<string, int> OpHistogram)
{
    public int ReshapeTransposeCount => Reshapes + Transposes;

    public static GraphCounts Of(OnnxGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var stats = OpStatistics.Compute(graph);
        var histogram = stats.Histogram.ToDictionary(h => h.Domain.Length == 0 ? h.OpType : $"{h.Domain}:{h.OpType}", h => h.Count, StringComparer.Ordinal);
        return new GraphCounts(stats.NodeCount, stats.InitializerCount, stats.ReshapeCount, stats.TransposeCount,
            graph.Nodes.Count(FusedAttentionContract.IsFusedAttention), histogram);
    }
}

/// <summary>One pass as it ran: time, nodes added and removed (by op type), and what it did in words.</summary>
public sealed class PassRecord
{
    public required string Name { get; init; }

    public double Milliseconds { get; set; }

    public int NodesAdded { get; set; }

    public int NodesRemoved { get; set; }

    public Dictionary<string, int> AddedByOp { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, int> RemovedByOp { get; } = new(StringComparer.Ordinal);

    /// <summary>One line per change (capped in JSON at 200 lines; the count is kept).</summary>
    public List<string> Details { get; } = [];
}

/// <summary>What the fp16 pass reports.</summary>
public sealed record PrecisionSummary(bool KeepIoTypes, AttentionPrecision Attention, Fp16Result Result);

/// <summary>
/// The report of one <see cref="OptimizePipeline.Run"/> (schema <see cref="SchemaId"/>, documented in docs/cli.md): counts
/// before and after, each pass with nodes added/removed, every attention candidate fused or not with the reason, the
/// nodes kept in fp32 and why, and constants the fp16 conversion clamped or flushed.
/// </summary>
public sealed class OptimizeReport
{
    public const string SchemaId = "srdeploy.optimize/1";

    public string? ModelPath { get; set; }

    public string? OutputPath { get; set; }

    public required OptimizeOptions Options { get; init; }

    public required GraphCounts Before { get; init; }

    public GraphCounts? After { get; set; }

    public List<PassRecord> Passes { get; } = [];

    public List<AttentionCandidate> Attention { get; } = [];

    public PrecisionSummary? Precision { get; set; }

    public List<string> Warnings { get; } = [];

    public double TotalMilliseconds { get; set; }

    public JsonObject ToJson()
    {
        var o = Options;
        var json = new JsonObject
        {
            ["schema"] = SchemaId,
            ["model"] = ModelPath,
            ["output"] = OutputPath,
            ["options"] = new JsonObject
            {
                ["fuseAttention"] = o.FuseAttention,
                ["foldConstants"] = o.FoldConstants,
                ["fp16"] = o.Fp16,
                ["keepIoTypes"] = o.KeepIoTypes,
                ["fp16Attention"] = o.Fp16Attention == AttentionPrecision.Fp32 ? "fp32" : "fp16",
                ["excludeOpTypes"] = new JsonArray([.. o.ExcludeOpTypes.Select(s => (JsonNode?)s)]),
                ["excludeNodes"] = new JsonArray([.. o.ExcludeNodes.Select(s => (JsonNode?)s)]),
                ["inputShapes"] = o.InputShapes is null ? null : new JsonObject(o.InputShapes.Select(kv =>
                    KeyValuePair.Create(kv.Key, (JsonNode?)new JsonArray([.. kv.Value.Select(d => (JsonNode?)d)])))),
                ["foldMaxBytes"] = o.FoldMaxBytes,
            },
            ["before"] = Counts(Before),
            ["after"] = After is null ? null : Counts(After),
            ["reshapeTransposeBefore"] = Before.ReshapeTransposeCount,
            ["reshapeTransposeAfter"] = After?.ReshapeTransposeCount,
            ["totalMs"] = Math.Round(TotalMilliseconds, 1),
            ["passes"] = new JsonArray([.. Passes.Select(p => (JsonNode?)new JsonObject
            {
                ["name"] = p.Name,
                ["ms"] = Math.Round(p.Milliseconds, 1),
                ["nodesAdded"] = p.NodesAdded,
                ["nodesRemoved"] = p.NodesRemoved,
                ["addedByOp"] = Map(p.AddedByOp),
                ["removedByOp"] = Map(p.RemovedByOp),
                ["detailCount"] = p.Details.Count,
                ["details"] = new JsonArray([.. p.Details.Take(200).Select(d => (JsonNode?)d)]),
            })]),
            ["attention"] = new JsonObject
            {
                ["candidates"] = Attention.Count,
                ["fused"] = Attention.Count(a => a.Fused),
                ["blocks"] = new JsonArray([.. Attention.Select(a => (JsonNode?)new JsonObject
                {
                    ["softmax"] = a.Softmax,
                    ["fused"] = a.Fused,
                    ["fusedNode"] = a.FusedNode,
                    ["form"] = a.Form,
                    ["reasons"] = new JsonArray([.. a.Reasons.Select(r => (JsonNode?)r)]),
                    ["inputLayout"] = a.InputLayout,
                    ["outputLayout"] = a.OutputLayout,
                    ["rank"] = a.Rank,
                    ["normalizeQk"] = a.NormalizeQk,
                    ["scale"] = a.Scale,
                    ["bias"] = a.Bias,
                    ["nodesReplaced"] = a.NodesReplaced,
                    ["notes"] = new JsonArray([.. a.Notes.Select(r => (JsonNode?)r)]),
                })]),
            },
            ["precision"] = Precision is not { } p ? null : new JsonObject
            {
                ["keepIoTypes"] = p.KeepIoTypes,
                ["attention"] = p.Attention == AttentionPrecision.Fp32 ? "fp32" : "fp16",
                ["fp16Nodes"] = p.Result.Fp16Nodes,
                ["castsAdded"] = p.Result.CastsAdded,
                ["convertedConstants"] = p.Result.ConvertedConstants,
                ["fp32Nodes"] = new JsonArray([.. p.Result.Fp32Nodes.Select(n => (JsonNode?)new JsonObject
                {
                    ["node"] = n.Node,
                    ["opType"] = n.OpType,
                    ["reason"] = n.Reason,
                })]),
                ["changedConstants"] = new JsonArray([.. p.Result.ChangedConstants.Select(c => (JsonNode?)new JsonObject
                {
                    ["name"] = c.Name,
                    ["clamped"] = c.Clamped,
                    ["flushedToZero"] = c.Flushed,
                    ["largestMagnitude"] = c.LargestMagnitude,
                })]),
            },
            ["warnings"] = new JsonArray([.. Warnings.Select(w => (JsonNode?)w)]),
        };
        return json;
    }

    private static JsonObject Counts(GraphCounts c) => new()
    {
        ["nodes"] = c.Nodes,
        ["initializers"] = c.Initializers,
        ["reshapes"] = c.Reshapes,
        ["transposes"] = c.Transposes,
        ["fusedAttention"] = c.FusedAttentionNodes,
        ["ops"] = Map(c.OpHistogram),
    };

    private static JsonObject Map(IReadOnlyDictionary<string, int> map) =>
        new(map.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
}
