namespace SuperRes.Deploy.Engines.Runtime;

/// <summary>What a <see cref="TrtRunner"/> loads. Set exactly one of <see cref="PlanPath"/> and <see cref="PlanBytes"/>.</summary>
public sealed record TrtRunnerOptions
{
    /// <summary>The serialized engine (plan) file.</summary>
    public string? PlanPath { get; init; }

    /// <summary>The serialized engine, when it is not in a file (e.g. straight from the builder).</summary>
    public ReadOnlyMemory<byte>? PlanBytes { get; init; }

    /// <summary>The name used in messages; defaults to the file name of <see cref="PlanPath"/>, or "in-memory plan".</summary>
    public string? PlanName { get; init; }

    /// <summary>
    /// TensorRT plugin libraries (exporting <c>getCreators</c>) registered before the plan is deserialized, e.g. the
    /// fused-attention plugin. Plans that embed their plugins (serialize_plugins) need none.
    /// </summary>
    public IReadOnlyList<string> PluginLibraries { get; init; } = [];

    /// <summary>Options for a plan file with default settings.</summary>
    public static TrtRunnerOptions ForFile(string planPath) => new() { PlanPath = planPath };

    /// <summary>Options for plan bytes with default settings.</summary>
    public static TrtRunnerOptions ForBytes(ReadOnlyMemory<byte> plan, string? planName = null) =>
        new() { PlanBytes = plan, PlanName = planName };
}
