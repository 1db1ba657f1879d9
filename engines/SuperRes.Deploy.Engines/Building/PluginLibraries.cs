using System.Security.Cryptography;

namespace SuperRes.Deploy.Engines.Building;

/// <summary>A native library looked up in the usual places, with what was tried.</summary>
/// <param name="Name">The file name looked for.</param>
/// <param name="Path">Where it was found; null when not.</param>
/// <param name="Sha256">Its content hash when found.</param>
/// <param name="Bytes">Its size when found.</param>
/// <param name="Tried">Every path tried and the outcome.</param>
public sealed record LocatedLibrary(string Name, string? Path, string? Sha256, long Bytes, IReadOnlyList<string> Tried)
{
    public bool Found => Path is not null;
}

/// <summary>
/// Where the project's plugin libraries are found: the folder named by <c>SRDEPLOY_PLUGIN_DIR</c>, then the application
/// folder (scripts/setup builds them into artifacts/native/lib, which the build copies next to srdeploy).
/// </summary>
public static class PluginLibraries
{
    /// <summary>Environment variable naming an extra folder searched first.</summary>
    public const string EnvironmentVariable = "SRDEPLOY_PLUGIN_DIR";

    /// <summary>The FusedAttention TensorRT plugin (IPluginV3; built only with CUDA and TensorRT headers).</summary>
    public const string FusedAttentionTensorRt = "libsrd_fused_attention_trt.so";

    /// <summary>The FusedAttention ONNX Runtime custom-op library (built everywhere).</summary>
    public const string FusedAttentionOnnxRuntime = "libsrd_fused_attention_ort.so";

    public static IReadOnlyList<string> SearchFolders()
    {
        var folders = new List<string>();
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } dir)
        {
            folders.Add(System.IO.Path.GetFullPath(dir));
        }

        folders.Add(AppContext.BaseDirectory);
        return folders;
    }

    /// <summary>Looks for <paramref name="fileName"/> in <see cref="SearchFolders"/>.</summary>
    public static LocatedLibrary Locate(string fileName)
    {
        var tried = new List<string>();
        foreach (var folder in SearchFolders())
        {
            var path = System.IO.Path.Combine(folder, fileName);
            if (File.Exists(path))
            {
                tried.Add($"{path}: found");
                return Describe(path, tried);
            }

            tried.Add($"{path}: no such file");
        }

        return new LocatedLibrary(fileName, null, null, 0, tried);
    }

    /// <summary>A given library file (must exist) with its hash.</summary>
    public static LocatedLibrary Describe(string path, IReadOnlyList<string>? tried = null)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            return new LocatedLibrary(System.IO.Path.GetFileName(full), null, null, 0, [.. tried ?? [], $"{full}: no such file"]);
        }

        using var stream = File.OpenRead(full);
        var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        return new LocatedLibrary(System.IO.Path.GetFileName(full), full, hash, stream.Length, tried ?? [$"{full}: given"]);
    }
}
