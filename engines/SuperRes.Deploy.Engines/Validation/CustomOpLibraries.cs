namespace SuperRes.Deploy.Engines.Validation;

/// <summary>Where the project's ONNX Runtime custom-op library is found when a model needs it and none is given.</summary>
public static class CustomOpLibraries
{
    /// <summary>The ONNX operator domain of the project's custom operators (FusedAttention).</summary>
    public const string Domain = "com.superres.deploy";

    /// <summary>File name of the fused-attention custom-op library for ONNX Runtime (built into artifacts/native/lib, copied next to the CLI).</summary>
    public const string FusedAttentionLibrary = "libsrd_fused_attention_ort.so";

    /// <summary>
    /// The custom-op libraries to register for <paramref name="modelPath"/>: <paramref name="given"/> when not empty;
    /// otherwise, when the model imports <see cref="Domain"/>, <see cref="FusedAttentionLibrary"/> from
    /// <paramref name="searchFolder"/> (default: the application folder); otherwise none.
    /// </summary>
    /// <exception cref="DeployException">MissingComponent: the model needs the library and it is not there.</exception>
    public static IReadOnlyList<string> Resolve(string modelPath, IReadOnlyList<string> given, IReadOnlyCollection<string> importedDomains, string? searchFolder = null)
    {
        ArgumentNullException.ThrowIfNull(given);
        ArgumentNullException.ThrowIfNull(importedDomains);
        if (given.Count > 0 || !importedDomains.Contains(Domain))
        {
            return given;
        }

        var folder = searchFolder ?? AppContext.BaseDirectory;
        var library = Path.Combine(folder, FusedAttentionLibrary);
        if (!File.Exists(library))
        {
            throw DeployException.MissingComponent(
                $"model '{Path.GetFileName(modelPath)}' uses custom operators of domain {Domain}, but their ONNX Runtime library {FusedAttentionLibrary} is not next to srdeploy ({Path.GetFullPath(folder)}); build it (scripts/setup) or pass --custom-ops LIB");
        }

        return [library];
    }
}
