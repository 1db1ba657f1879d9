using SuperRes.Deploy.Interop.OnnxRuntime;

namespace SuperRes.Deploy.Engines.Runtime;

/// <summary>What an <see cref="OrtRunner"/> loads and how ONNX Runtime runs it. Set exactly one of <see cref="ModelPath"/> and <see cref="ModelBytes"/>.</summary>
public sealed record OrtRunnerOptions
{
    /// <summary>The ONNX file to load (external data files are found next to it).</summary>
    public string? ModelPath { get; init; }

    /// <summary>The serialized model, when it is not in a file.</summary>
    public ReadOnlyMemory<byte>? ModelBytes { get; init; }

    /// <summary>The name used in messages; defaults to the file name of <see cref="ModelPath"/>, or "in-memory model".</summary>
    public string? ModelName { get; init; }

    /// <summary>How far ONNX Runtime rewrites the graph (default: everything). Use DisableAll for a reference run of the graph as written.</summary>
    public OrtGraphOptimizationLevel OptimizationLevel { get; init; } = OrtGraphOptimizationLevel.All;

    /// <summary>Threads inside one operator; 0 = ONNX Runtime's default (one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads across independent nodes (parallel execution is used when this is above 1); 0 = default.</summary>
    public int InterOpThreads { get; init; }

    /// <summary>Custom-operator libraries (exporting <c>RegisterCustomOps</c>) to register before loading, e.g. the fused-attention op.</summary>
    public IReadOnlyList<string> CustomOpLibraries { get; init; } = [];

    /// <summary>When set, ONNX Runtime writes the graph it actually runs (after its optimizations) to this file; for debugging.</summary>
    public string? OptimizedModelPath { get; init; }

    /// <summary>Options for a model file with default settings.</summary>
    public static OrtRunnerOptions ForFile(string modelPath) => new() { ModelPath = modelPath };

    /// <summary>Options for a serialized model with default settings.</summary>
    public static OrtRunnerOptions ForBytes(ReadOnlyMemory<byte> model, string? modelName = null) =>
        new() { ModelBytes = model, ModelName = modelName };
}
