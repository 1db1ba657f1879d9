using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Passes.Cleanup;

namespace SuperRes.Deploy.Engines.Passes;

/// <summary>Where the FusedAttention nodes of an fp16 model compute.</summary>
public enum AttentionPrecision
{
    /// <summary>fp16 Q/K/V/output: for TensorRT (the plugin's CUDA kernel supports fp16). The default for engine builds.</summary>
    Fp16,

    /// <summary>fp32 Q/K/V/output with Casts around the op: what ONNX Runtime on the CPU can run (its kernel is fp32 only).</summary>
    Fp32,
}

/// <summary>What <see cref="OptimizePipeline.Run"/> does. Build one from a config with <see cref="FromSettings"/>.</summary>
public sealed record OptimizeOptions
{
    /// <summary>Replace attention subgraphs by FusedAttention nodes, and fold the layouts around them.</summary>
    public bool FuseAttention { get; init; }

    /// <summary>Constant folding and cleanup: reshape targets, identities, LayerNorm decompositions, duplicate initializers.</summary>
    public bool FoldConstants { get; init; }

    /// <summary>Convert to fp16 for a strongly typed TensorRT build (fp32 kept where fp16 overflows or loses accuracy).</summary>
    public bool Fp16 { get; init; }

    /// <summary>With <see cref="Fp16"/>: inputs and outputs stay float32 (Casts after the inputs, before the outputs).</summary>
    public bool KeepIoTypes { get; init; } = true;

    /// <summary>With <see cref="Fp16"/>: op types kept in fp32 in addition to the default policy.</summary>
    public IReadOnlyList<string> ExcludeOpTypes { get; init; } = [];

    /// <summary>With <see cref="Fp16"/>: node names kept in fp32.</summary>
    public IReadOnlyList<string> ExcludeNodes { get; init; } = [];

    /// <summary>With <see cref="Fp16"/>: the precision of FusedAttention nodes (fp16 for TensorRT, fp32 for ONNX Runtime on the CPU).</summary>
    public AttentionPrecision Fp16Attention { get; init; } = AttentionPrecision.Fp16;

    /// <summary>
    /// Fixed input shapes (name → dims). Folding then also folds shape-derived values, and the model's inputs are declared
    /// with these dims: the result runs at these shapes only.
    /// </summary>
    public IReadOnlyDictionary<string, long[]>? InputShapes { get; init; }

    /// <summary>The largest tensor constant folding may create, in bytes.</summary>
    public long FoldMaxBytes { get; init; } = ConstantFolding.DefaultMaxBytes;

    /// <summary>True when at least one pass is selected.</summary>
    public bool AnyPass => FuseAttention || FoldConstants || Fp16;

    /// <summary>The options a config's <c>optimize</c> section asks for.</summary>
    public static OptimizeOptions FromSettings(OptimizeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new OptimizeOptions
        {
            FuseAttention = settings.FuseAttention,
            FoldConstants = settings.FoldConstants,
            Fp16 = settings.Fp16,
            KeepIoTypes = settings.KeepIoTypes,
            ExcludeOpTypes = settings.ExcludeOpTypes,
            ExcludeNodes = settings.ExcludeNodes,
            Fp16Attention = settings.Fp16Attention == "fp32" ? AttentionPrecision.Fp32 : AttentionPrecision.Fp16,
        };
    }
}
