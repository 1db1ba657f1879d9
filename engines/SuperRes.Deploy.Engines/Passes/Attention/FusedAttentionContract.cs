using Onnx;
using SuperRes.Deploy.Engines.Graph;

namespace SuperRes.Deploy.Engines.Passes.Attention;

/// <summary>
/// The FusedAttention op as the plugin defines it (plugins/fused_attention/README.md): domain, op type, opset, attribute
/// names, layouts. What TensorRT's ONNX parser needs (op type = plugin name, <c>plugin_version</c>,
/// <c>plugin_namespace</c>) and what ONNX Runtime needs (the domain imported at version 1) are written from here.
/// </summary>
public static class FusedAttentionContract
{
    public const string Domain = OpCatalog.SuperResDomain;
    public const string OpType = OpCatalog.FusedAttentionOp;
    public const long OpsetVersion = 1;
    public const string PluginVersion = "1";
    public const string PluginNamespace = "";

    /// <summary>The plugin's L2-normalisation epsilon: x / max(‖x‖, 1e-12), as F.normalize.</summary>
    public const double NormalizeEpsilon = 1e-12;

    /// <summary>Q/K/V layouts: [batch…, N, d] (rank 3–6), [B, N, H, d], [B, N, H·d].</summary>
    public const string Bhnd = "BHND";
    public const string Bnhd = "BNHD";
    public const string Bnc = "BNC";

    /// <summary>True for a node of our FusedAttention op.</summary>
    public static bool IsFusedAttention(GraphNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Domain == Domain && node.OpType == OpType;
    }

    /// <summary>Adds <c>com.superres.deploy</c> version 1 to the model's opset imports when it is missing.</summary>
    public static void EnsureOpsetImport(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.OpsetImport.Any(o => o.Domain == Domain))
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = Domain, Version = OpsetVersion });
        }
    }

    /// <summary>The attributes of one node, every one INT, FLOAT or STRING (TensorRT's parser forwards only those).</summary>
    public static IReadOnlyList<AttributeProto> Attributes(float scale, bool normalizeQk, long numHeads, string inputLayout, string outputLayout,
        bool hasBias, bool hasScaleInput) =>
    [
        NodeAttributes.FloatAttribute("scale", scale),
        NodeAttributes.IntAttribute("normalize_qk", normalizeQk ? 1 : 0),
        NodeAttributes.IntAttribute("num_heads", numHeads),
        NodeAttributes.StringAttribute("input_layout", inputLayout),
        NodeAttributes.StringAttribute("output_layout", outputLayout),
        NodeAttributes.IntAttribute("has_bias", hasBias ? 1 : 0),
        NodeAttributes.IntAttribute("has_scale_input", hasScaleInput ? 1 : 0),
        NodeAttributes.StringAttribute("plugin_version", PluginVersion),
        NodeAttributes.StringAttribute("plugin_namespace", PluginNamespace),
    ];
}
