namespace SuperRes.Deploy.Engines.Passes.Attention;

/// <summary>
/// What the fusion pass decided for one attention candidate (a Softmax the analysis found between MatMuls): fused into
/// which node with which layout, scale and bias, or left alone and why.
/// </summary>
public sealed record AttentionCandidate
{
    /// <summary>The candidate's Softmax node (its name, or "Softmax(output)" when unnamed).</summary>
    public required string Softmax { get; init; }

    public required bool Fused { get; init; }

    /// <summary>The FusedAttention node that replaced it.</summary>
    public string? FusedNode { get; init; }

    /// <summary>"softmax(QK^T)V" or "V softmax(QK^T)^T", when the analysis recognised the block.</summary>
    public string? Form { get; init; }

    /// <summary>Why the candidate was not fused (empty when fused).</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];

    /// <summary>What was folded or kept outside (layouts, normalisation, transposes): informational.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    public string? InputLayout { get; init; }

    public string? OutputLayout { get; init; }

    /// <summary>Rank of Q/K/V as the op receives them.</summary>
    public int? Rank { get; init; }

    public bool NormalizeQk { get; init; }

    /// <summary>The scale as fused: "attribute 0.25", "input 'temperature'"…</summary>
    public string? Scale { get; init; }

    /// <summary>The bias as fused: the value names added into it, or null.</summary>
    public string? Bias { get; init; }

    /// <summary>Nodes of the original graph the fused node replaced.</summary>
    public int NodesReplaced { get; init; }
}
