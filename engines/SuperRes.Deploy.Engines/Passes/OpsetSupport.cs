using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Passes.Attention;

namespace SuperRes.Deploy.Engines.Passes;

/// <summary>
/// Which models the passes accept: the default ONNX domain at opsets <see cref="MinimumOnnxOpset"/> to
/// <see cref="MaximumOnnxOpset"/> (the rules read attributes and inputs as those opsets define them: Split/Squeeze/
/// Unsqueeze/Reduce* axes as inputs from 13 and 18, Clip bounds as inputs, Softmax over one axis from 13), and our own
/// com.superres.deploy domain at version 1. A node of any other domain is refused: the passes would have to touch or
/// type it without knowing what it does. The check throws a bad-input <see cref="DeployException"/> (exit code 3).
/// </summary>
public static class OpsetSupport
{
    public const int MinimumOnnxOpset = 13;
    public const int MaximumOnnxOpset = 21;

    public static void EnsureSupported(OnnxGraph graph, string modelName)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var onnx = graph.Opsets.Default;
        if (onnx == 0)
        {
            throw DeployException.BadInput($"{modelName} does not import the default ONNX domain (ai.onnx); optimize supports opsets {MinimumOnnxOpset} to {MaximumOnnxOpset}");
        }

        if (onnx is < MinimumOnnxOpset or > MaximumOnnxOpset)
        {
            throw DeployException.BadInput(
                $"{modelName} uses ai.onnx opset {onnx}; optimize supports opsets {MinimumOnnxOpset} to {MaximumOnnxOpset} (re-export the model with a supported opset, e.g. torch.onnx.export(..., opset_version=17))");
        }

        if (graph.Opsets.VersionOf(FusedAttentionContract.Domain) is var own and not 0 and not (int)FusedAttentionContract.OpsetVersion)
        {
            throw DeployException.BadInput($"{modelName} imports {FusedAttentionContract.Domain} version {own}; optimize knows version {FusedAttentionContract.OpsetVersion}");
        }

        foreach (var node in AllNodes(graph))
        {
            if (node.Domain.Length != 0 && node.Domain != FusedAttentionContract.Domain)
            {
                throw DeployException.BadInput(
                    $"{modelName}: node '{node.DisplayName}' uses op '{node.OpType}' of domain '{node.Domain}', which optimize does not know (supported: ai.onnx opsets {MinimumOnnxOpset}-{MaximumOnnxOpset}, {FusedAttentionContract.Domain} 1)");
            }
        }
    }

    private static IEnumerable<GraphNode> AllNodes(OnnxGraph graph) =>
        graph.Nodes.Concat(graph.DescendantGraphs().SelectMany(g => g.Nodes));
}
