using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>
/// The FusedAttention TensorRT plugin as a bundle ships it: the plugin, its CUDA kernel and the shared op contract
/// from plugins/fused_attention (embedded in this assembly at build time), the linker version script, the plugin's
/// README and YAML contract, and a standalone CMakeLists.txt for the device (DeviceFiles/plugin-CMakeLists.txt).
/// </summary>
public static class PluginSourceTree
{
    /// <summary>The plugin's TensorRT name (= the ONNX op type), version and namespace (plugins/fused_attention/README.md).</summary>
    public const string PluginName = "FusedAttention";
    public const string PluginVersion = "1";
    public const string PluginNamespace = "";

    /// <summary>The ONNX domain of the project's custom ops.</summary>
    public const string OnnxDomain = "com.superres.deploy";

    /// <summary>File name of the TensorRT plugin library.</summary>
    public const string LibraryName = "libsrd_fused_attention_trt.so";

    private const string ResourcePrefix = "srdeploy.plugin/";

    /// <summary>The files, by path relative to the plugin source folder, sorted by path.</summary>
    public static IReadOnlyList<(string Path, byte[] Content)> Files()
    {
        var assembly = typeof(PluginSourceTree).Assembly;
        var files = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .Select(n => (Path: n[ResourcePrefix.Length..], Content: Read(assembly, n)))
            .Append((Path: "CMakeLists.txt", Content: DeviceFiles.ReadBytes("plugin-CMakeLists.txt")))
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        if (files.Count < 9)
        {
            throw new InvalidOperationException($"the plugin sources embedded in {assembly.GetName().Name} are incomplete ({files.Count} files)");
        }

        return files;
    }

    /// <summary>
    /// The source hash: sha256 of the UTF-8 text made of one line "SHA256␣␣PATH\n" per file (lowercase hex, path relative
    /// to the source folder), sorted by path in byte order; what <c>find . -type f -printf '%P\n' | LC_ALL=C sort |
    /// xargs sha256sum | sha256sum</c> prints in the source folder.
    /// </summary>
    public static string Hash(IEnumerable<(string RelativePath, string Sha256)> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var text = new StringBuilder();
        foreach (var (path, sha) in files.OrderBy(f => f.RelativePath, StringComparer.Ordinal))
        {
            text.Append(sha).Append("  ").Append(path).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"resource {name} is missing");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
