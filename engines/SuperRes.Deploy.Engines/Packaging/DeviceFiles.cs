using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>
/// The on-device files of a bundle (Packaging/DeviceFiles, embedded): build_and_validate.sh and README.md rendered
/// from templates with the bundle's values, validate_plan.py and srd_compare.py as they are, and the trtexec arguments
/// (tensorrt.md §2.1) derived from the profiles and build settings.
/// </summary>
public static partial class DeviceFiles
{
    private const string ResourcePrefix = "srdeploy.device/";

    /// <summary>An embedded device file's bytes, e.g. "validate_plan.py".</summary>
    public static byte[] ReadBytes(string name)
    {
        var assembly = typeof(DeviceFiles).Assembly;
        using var stream = assembly.GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new InvalidOperationException($"device file {name} is not embedded in {assembly.GetName().Name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public static string ReadText(string name) => Encoding.UTF8.GetString(ReadBytes(name));

    /// <summary>
    /// trtexec's arguments for the bundle's build, with <c>{bundle}</c>, <c>{out}</c> standing for the bundle and
    /// output folders. The plugin's <c>--dynamicPlugins</c> (and <c>--setPluginsToSerialize</c>) are added by the script
    /// once the library exists.
    /// </summary>
    public static IReadOnlyList<string> TrtexecArguments(
        string name, string modelPath, IReadOnlyList<BundleProfile> profiles, BundlePrecision precision, BundleBuild build)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(precision);
        ArgumentNullException.ThrowIfNull(build);
        var args = new List<string>
        {
            $"--onnx={{bundle}}/{modelPath}",
            $"--saveEngine={{out}}/{name}.plan",
            $"--timingCacheFile={{out}}/{name}.timing",
        };
        foreach (var profile in profiles)
        {
            args.Add(Invariant($"--profile={profile.Index}"));
            args.Add("--minShapes=" + Shapes(profile, p => p.Min));
            args.Add("--optShapes=" + Shapes(profile, p => p.Opt));
            args.Add("--maxShapes=" + Shapes(profile, p => p.Max));
        }

        switch (precision.Typing)
        {
            case BundlePrecision.StronglyTypedFp32:
            case BundlePrecision.StronglyTypedFp16Onnx:
                args.Add("--stronglyTyped");
                break;
            case BundlePrecision.LegacyFp16Flag:
                args.Add("--fp16");
                break;
        }

        if (build.WorkspaceBytes is { } workspace)
        {
            // trtexec's default unit is MiB; a plain number is understood by every version from 10.0 on.
            args.Add(Invariant($"--memPoolSize=workspace:{Math.Max(1, (workspace + (1 << 20) - 1) >> 20)}"));
        }

        args.Add(Invariant($"--builderOptimizationLevel={build.BuilderOptimizationLevel}"));
        if (build.HardwareCompatibilityLevel != "none")
        {
            args.Add($"--hardwareCompatibilityLevel={build.HardwareCompatibilityLevel}");
        }

        args.Add($"--profilingVerbosity={build.ProfilingVerbosity}");
        args.Add($"--exportLayerInfo={{out}}/{name}.layers.json");
        args.Add("--skipInference");
        return args;
    }

    /// <summary>build_and_validate.sh for the bundle.</summary>
    public static string RenderScript(string name, bool usesPlugin, IReadOnlyList<string> trtexecArguments, bool serializePlugins)
    {
        ArgumentNullException.ThrowIfNull(trtexecArguments);
        var lines = string.Join('\n', trtexecArguments.Select(a => "    " + BashWord(a)));
        return ReadText("build_and_validate.sh")
            .Replace("@@TRTEXEC_ARGS@@", lines, StringComparison.Ordinal)
            .Replace("@@SERIALIZE_PLUGIN@@", serializePlugins ? "    trtexec_args+=(\"--setPluginsToSerialize=$plugin_lib\")" : "    : # plugins are not serialized into the plan (build.serialize_plugins: false)", StringComparison.Ordinal)
            .Replace("@@USES_PLUGIN@@", usesPlugin ? "1" : "0", StringComparison.Ordinal)
            .Replace("@@PLUGIN_LIBRARY_NAME@@", PluginSourceTree.LibraryName, StringComparison.Ordinal)
            .Replace("@@NAME@@", name, StringComparison.Ordinal);
    }

    /// <summary>The bundle's README.md (manifest values filled in).</summary>
    public static string RenderReadme(BundleManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var profiles = new StringBuilder("| profile | input | min | opt | max | source |\n|---|---|---|---|---|---|\n");
        foreach (var p in manifest.Profiles)
        {
            foreach (var i in p.Inputs)
            {
                profiles.Append(Invariant($"| {p.Index} | `{i.Name}` | {Dims(i.Min)} | {Dims(i.Opt)} | {Dims(i.Max)} | {p.Source} |\n"));
            }
        }

        var references = new StringBuilder("| case | profile | inputs | outputs |\n|---|---|---|---|\n");
        foreach (var c in manifest.References.Cases)
        {
            references.Append(Invariant($"| {c.Name} | {c.Profile} | {string.Join(", ", c.Inputs.Select(t => $"`{t.File}` {Dims(t.Shape)}"))} | {string.Join(", ", c.Outputs.Select(t => $"`{t.File}` {Dims(t.Shape)}"))} |\n"));
        }

        var command = "trtexec " + string.Join(' ', manifest.Build.TrtexecArguments.Select(a => BashWord(a)))
            + (manifest.Plugin is not null ? " \"--dynamicPlugins=$out/" + PluginSourceTree.LibraryName + "\"" : string.Empty);
        var engine = manifest.Plans.Count == 0
            ? BundleManifest.BuildOnDevice
            : $"{manifest.Plans.Count} plan(s) shipped in plans/ ("
              + string.Join("; ", manifest.Plans.Select(p => $"{p.File}: TensorRT {p.TensorRtVersion}{(p.BuiltFor?.ComputeCapability is { } cc ? $", compute capability {cc}" : string.Empty)}"))
              + "); a plan runs only with the TensorRT version and GPU it was built for, so the device may still rebuild";
        return ReadText("README.md")
            .Replace("@@DESCRIPTION@@", manifest.Model.Description ?? string.Empty, StringComparison.Ordinal)
            .Replace("@@TOOL_VERSION@@", manifest.Tool.Version, StringComparison.Ordinal)
            .Replace("@@CREATED@@", manifest.CreatedUtc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@@SCALE@@", manifest.Model.Scale.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@@INPUT@@", manifest.Io.Input, StringComparison.Ordinal)
            .Replace("@@OUTPUT@@", manifest.Io.Output, StringComparison.Ordinal)
            .Replace("@@LAYOUT@@", manifest.Io.Layout, StringComparison.Ordinal)
            .Replace("@@COLOR@@", manifest.Io.Color, StringComparison.Ordinal)
            .Replace("@@VALUE_RANGE@@", Invariant($"[{manifest.Io.ValueRange[0]}, {manifest.Io.ValueRange[1]}]"), StringComparison.Ordinal)
            .Replace("@@PRECISION@@", $"{manifest.Precision.Precision}, {manifest.Precision.Typing.Replace('_', ' ')}", StringComparison.Ordinal)
            .Replace("@@ENGINE@@", engine, StringComparison.Ordinal)
            .Replace("@@ATOL@@", Invariant($"{manifest.References.Tolerance.Atol:g}"), StringComparison.Ordinal)
            .Replace("@@RTOL@@", Invariant($"{manifest.References.Tolerance.Rtol:g}"), StringComparison.Ordinal)
            .Replace("@@CHECK@@", manifest.References.Tolerance.Check, StringComparison.Ordinal)
            .Replace("@@TRTEXEC_COMMAND@@", command, StringComparison.Ordinal)
            .Replace("@@PROFILES@@", profiles.ToString().TrimEnd(), StringComparison.Ordinal)
            .Replace("@@REFERENCES@@", references.ToString().TrimEnd(), StringComparison.Ordinal)
            .Replace("@@NAME@@", manifest.Model.Name, StringComparison.Ordinal);
    }

    /// <summary>
    /// One bash word for an argument: plain when it has only safe characters, else double-quoted, with the
    /// <c>{bundle}</c>/<c>{out}</c>/<c>{plugin}</c> placeholders becoming the script's variables.
    /// </summary>
    public static string BashWord(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        if (SafeWord().IsMatch(argument))
        {
            return argument;
        }

        var escaped = new StringBuilder("\"");
        foreach (var c in argument)
        {
            if (c is '"' or '\\' or '$' or '`')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.Append('"').ToString()
            .Replace("{bundle}", "$bundle", StringComparison.Ordinal)
            .Replace("{out}", "$out", StringComparison.Ordinal)
            .Replace("{plugin}", "$plugin_lib", StringComparison.Ordinal);
    }

    /// <summary>trtexec's shape list for one profile corner: <c>name:1x3x64x64,other:…</c>; odd names single-quoted as trtexec wants.</summary>
    private static string Shapes(BundleProfile profile, Func<BundleProfileInput, IReadOnlyList<long>> corner) =>
        string.Join(',', profile.Inputs.Select(i => $"{(SafeName().IsMatch(i.Name) ? i.Name : $"'{i.Name}'")}:{Dims(corner(i))}"));

    private static string Dims(IReadOnlyList<long> dims) => string.Join('x', dims.Select(d => d.ToString(CultureInfo.InvariantCulture)));

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    [GeneratedRegex(@"^[A-Za-z0-9_.,:=+/@%-]+$")]
    private static partial Regex SafeWord();

    [GeneratedRegex(@"^[A-Za-z0-9_./-]+$")]
    private static partial Regex SafeName();
}
