namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>Where things are inside a bundle (docs/bundle.md, "Layout").</summary>
public static class BundleLayout
{
    public const string Manifest = "manifest.json";
    public const string Readme = "README.md";
    public const string ModelDirectory = "model";
    public const string ConfigDirectory = "config";
    public const string PluginSourceDirectory = "plugin/source";
    public const string PluginLibraryDirectory = "plugin/lib";
    public const string ReferenceDirectory = "reference";
    public const string PlanDirectory = "plans";
    public const string Script = "scripts/build_and_validate.sh";
    public const string Validator = "scripts/validate_plan.py";
    public const string CompareModule = "scripts/srd_compare.py";

    /// <summary>The oldest TensorRT the on-device build targets: JetPack 6.x ships 10.3 (tensorrt.md §0 #6).</summary>
    public const string MinimumTensorRt = "10.3";

    /// <summary>Path of the shipped ONNX model for config <paramref name="name"/>.</summary>
    public static string ModelPath(string name) => $"{ModelDirectory}/{name}.optimized.onnx";

    /// <summary>Path of the config as given.</summary>
    public static string ConfigPath(string name) => $"{ConfigDirectory}/{name}.yaml";

    /// <summary>Files that are executable in the archive (mode 0755).</summary>
    public static bool IsExecutable(string path) => path.EndsWith(".sh", StringComparison.Ordinal) || path.EndsWith(".py", StringComparison.Ordinal);
}
