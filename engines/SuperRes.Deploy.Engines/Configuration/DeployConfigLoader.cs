using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SuperRes.Deploy.Engines.Configuration;

/// <summary>
/// Reads configs/NAME.yaml into a <see cref="DeployConfig"/>. Every problem is reported as a one-line bad-input error
/// that names the file, line and column and what was expected: unknown keys, wrong types, impossible values, files
/// that do not exist.
/// </summary>
public static class DeployConfigLoader
{
    /// <summary>Named target resolutions (landscape width × height).</summary>
    public static IReadOnlyDictionary<string, (int Width, int Height)> NamedResolutions { get; } =
        new Dictionary<string, (int, int)>(StringComparer.OrdinalIgnoreCase)
        {
            ["360p"] = (640, 360),
            ["480p"] = (854, 480),
            ["540p"] = (960, 540),
            ["720p"] = (1280, 720),
            ["1080p"] = (1920, 1080),
            ["1440p"] = (2560, 1440),
            ["2160p"] = (3840, 2160),
            ["4k"] = (3840, 2160),
        };

    public static DeployConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw DeployException.BadInput($"config file not found: {path}");
        }

        var full = Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(full);
        }
        catch (IOException e)
        {
            throw DeployException.BadInput($"cannot read config {path}: {e.Message}");
        }

        return Parse(text, full, path);
    }

    /// <summary>Parses config text; relative paths resolve against the folder of <paramref name="sourcePath"/>.</summary>
    public static DeployConfig Parse(string yaml, string sourcePath, string? displayName = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentException.ThrowIfNullOrEmpty(sourcePath);
        var reader = new Reader(displayName ?? sourcePath, Path.GetDirectoryName(Path.GetFullPath(sourcePath))!);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw DeployException.BadInput($"{reader.File}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {FirstLine(e.InnerException?.Message ?? e.Message)}");
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw DeployException.BadInput($"{reader.File}: a config must be one YAML mapping (schema {DeployConfig.SchemaId})");
        }

        return reader.ReadConfig(root, Path.GetFullPath(sourcePath));
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    private sealed class Reader(string file, string baseDirectory)
    {
        public string File { get; } = file;

        public DeployConfig ReadConfig(YamlMappingNode root, string sourcePath)
        {
            var map = Map(root, "the config", "schema", "name", "description", "model", "scale", "io", "published", "optimize",
                "profiles", "targets", "build", "validation");
            var schema = RequiredString(map, root, "schema");
            if (schema != DeployConfig.SchemaId)
            {
                throw Error(map["schema"], $"unsupported schema '{schema}' (expected {DeployConfig.SchemaId})");
            }

            var config = new DeployConfig
            {
                SourcePath = sourcePath,
                Name = RequiredIdentifier(map, root, "name"),
                Description = OptionalString(map, "description"),
                ModelPath = ExistingFile(map, root, "model"),
                Scale = OptionalInt(map, "scale", 1, 16),
                Io = map.TryGetValue("io", out var io) ? ReadIo(io) : new IoSettings(),
                Published = map.TryGetValue("published", out var pub) ? ReadPublished(pub) : new Dictionary<string, PublishedQuality>(),
                Optimize = map.TryGetValue("optimize", out var opt) ? ReadOptimize(opt) : new OptimizeSettings(),
                Profiles = map.TryGetValue("profiles", out var profiles) ? ReadProfiles(profiles) : [],
                Targets = map.TryGetValue("targets", out var targets) ? ReadTargets(targets) : null,
                Build = map.TryGetValue("build", out var build) ? ReadBuild(build) : new BuildSettings(),
                Validation = map.TryGetValue("validation", out var validation) ? ReadValidation(validation) : new ValidationSettings(),
            };

            if (config.Profiles.Count > 0 && config.Targets is not null)
            {
                throw Error(map["targets"], "give either 'profiles' (explicit) or 'targets' (planned), not both");
            }

            return config;
        }

        private IoSettings ReadIo(YamlNode node)
        {
            var map = Map(node, "io", "input", "output", "layout", "color", "value_range");
            var layout = OptionalString(map, "layout") ?? "NCHW";
            if (layout != "NCHW")
            {
                throw Error(map["layout"], $"io.layout '{layout}' is not supported (only NCHW)");
            }

            var color = OptionalString(map, "color") ?? "RGB";
            if (color is not ("RGB" or "BGR"))
            {
                throw Error(map["color"], $"io.color must be RGB or BGR, not '{color}'");
            }

            var range = (0.0, 1.0);
            if (map.TryGetValue("value_range", out var r))
            {
                var values = Sequence(r, "io.value_range").Select(n => Double(n, "io.value_range")).ToList();
                if (values.Count != 2 || values[0] >= values[1])
                {
                    throw Error(r, "io.value_range must be [min, max] with min < max");
                }

                range = (values[0], values[1]);
            }

            return new IoSettings
            {
                Input = OptionalString(map, "input"),
                Output = OptionalString(map, "output"),
                Layout = layout,
                Color = color,
                ValueRange = range,
            };
        }

        private Dictionary<string, PublishedQuality> ReadPublished(YamlNode node)
        {
            if (node is not YamlMappingNode mapping)
            {
                throw Error(node, "published must map dataset names to {psnr_y, ssim_y}");
            }

            var result = new Dictionary<string, PublishedQuality>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in mapping.Children)
            {
                var dataset = ((YamlScalarNode)key).Value ?? string.Empty;
                var entry = Map(value, $"published.{dataset}", "psnr_y", "ssim_y", "source");
                result[dataset] = new PublishedQuality(
                    RequiredDouble(entry, value, "psnr_y"),
                    entry.TryGetValue("ssim_y", out var s) ? Double(s, "ssim_y") : null,
                    OptionalString(entry, "source"));
            }

            return result;
        }

        private OptimizeSettings ReadOptimize(YamlNode node)
        {
            var map = Map(node, "optimize", "fuse_attention", "fp16", "keep_io_types", "fold_constants", "exclude_op_types", "exclude_nodes", "fp16_attention");
            var attention = OptionalString(map, "fp16_attention") ?? "fp16";
            if (attention is not ("fp16" or "fp32"))
            {
                throw Error(map["fp16_attention"], $"optimize.fp16_attention must be fp16 or fp32, not '{attention}'");
            }

            return new OptimizeSettings
            {
                FuseAttention = OptionalBool(map, "fuse_attention") ?? true,
                Fp16 = OptionalBool(map, "fp16") ?? false,
                KeepIoTypes = OptionalBool(map, "keep_io_types") ?? true,
                FoldConstants = OptionalBool(map, "fold_constants") ?? true,
                ExcludeOpTypes = OptionalStrings(map, "exclude_op_types"),
                ExcludeNodes = OptionalStrings(map, "exclude_nodes"),
                Fp16Attention = attention,
            };
        }

        private List<ProfileSettings> ReadProfiles(YamlNode node)
        {
            var result = new List<ProfileSettings>();
            foreach (var item in Sequence(node, "profiles"))
            {
                var map = Map(item, "a profile", "min", "opt", "max");
                var min = ShapeList(map, item, "min");
                var opt = ShapeList(map, item, "opt");
                var max = ShapeList(map, item, "max");
                foreach (var o in opt)
                {
                    var lo = min.FirstOrDefault(s => s.Name == o.Name);
                    var hi = max.FirstOrDefault(s => s.Name == o.Name);
                    if (lo is null || hi is null || lo.Dims.Count != o.Dims.Count || hi.Dims.Count != o.Dims.Count)
                    {
                        throw Error(item, $"profile input '{o.Name}' needs min, opt and max of the same rank");
                    }

                    for (var i = 0; i < o.Dims.Count; i++)
                    {
                        if (lo.Dims[i] > o.Dims[i] || o.Dims[i] > hi.Dims[i])
                        {
                            throw Error(item, $"profile input '{o.Name}': axis {i} must satisfy min ≤ opt ≤ max ({lo.Dims[i]}, {o.Dims[i]}, {hi.Dims[i]})");
                        }
                    }
                }

                result.Add(new ProfileSettings(min, opt, max));
            }

            return result;
        }

        private TargetSettings ReadTargets(YamlNode node)
        {
            var map = Map(node, "targets", "sizes", "orientations", "max_tile", "batch", "max_profiles", "memory_budget");
            if (!map.TryGetValue("sizes", out var sizesNode))
            {
                throw Error(node, "targets needs 'sizes' (e.g. [540p, 720p, 1080p] or 1920x1080)");
            }

            var sizes = new List<(int, int)>();
            var sizeNames = new List<string>();
            foreach (var s in Sequence(sizesNode, "targets.sizes"))
            {
                var text = Scalar(s, "targets.sizes");
                if (NamedResolutions.TryGetValue(text, out var named))
                {
                    sizes.Add(named);
                    sizeNames.Add(text.ToLowerInvariant());
                    continue;
                }

                var parts = text.Split('x', 'X');
                if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w) &&
                    int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h) && w > 0 && h > 0)
                {
                    sizes.Add((w, h));
                    sizeNames.Add(string.Create(CultureInfo.InvariantCulture, $"{w}x{h}"));
                    continue;
                }

                throw Error(s, $"target size '{text}' is neither WIDTHxHEIGHT nor one of {string.Join(", ", NamedResolutions.Keys)}");
            }

            var orientations = OptionalStrings(map, "orientations");
            foreach (var o in orientations)
            {
                if (o is not ("landscape" or "portrait"))
                {
                    throw Error(map["orientations"], $"orientation '{o}' must be landscape or portrait");
                }
            }

            return new TargetSettings
            {
                Sizes = sizes,
                SizeNames = sizeNames,
                BothOrientations = orientations.Count == 0 || orientations.Contains("portrait"),
                MaxTile = OptionalInt(map, "max_tile", 8, 1 << 16),
                Batch = OptionalInt(map, "batch", 1, 1024) ?? 1,
                MaxProfiles = OptionalInt(map, "max_profiles", 1, 64) ?? 4,
                ActivationMemoryBudget = OptionalSize(map, "memory_budget"),
            };
        }

        private BuildSettings ReadBuild(YamlNode node)
        {
            var map = Map(node, "build", "precision", "strongly_typed", "workspace", "builder_optimization_level",
                "hardware_compatibility_level", "profiling_verbosity", "timing_cache", "plugins", "serialize_plugins", "memory_pools",
                "max_aux_streams");
            var precision = OptionalString(map, "precision") ?? "fp32";
            if (precision is not ("fp32" or "fp16"))
            {
                throw Error(map["precision"], $"build.precision must be fp32 or fp16, not '{precision}'");
            }

            var hw = OptionalString(map, "hardware_compatibility_level") ?? "none";
            if (hw is not ("none" or "ampere+" or "sameComputeCapability"))
            {
                throw Error(map["hardware_compatibility_level"], $"build.hardware_compatibility_level must be none, ampere+ or sameComputeCapability, not '{hw}'");
            }

            var verbosity = OptionalString(map, "profiling_verbosity") ?? "detailed";
            if (verbosity is not ("layer_names_only" or "detailed" or "none"))
            {
                throw Error(map["profiling_verbosity"], $"build.profiling_verbosity must be layer_names_only, detailed or none, not '{verbosity}'");
            }

            var pools = new Dictionary<string, long>(StringComparer.Ordinal);
            if (map.TryGetValue("memory_pools", out var poolsNode))
            {
                var poolMap = Map(poolsNode, "build.memory_pools", "workspace", "tacticSharedMem", "tacticDRAM", "dlaSRAM", "dlaLocalDRAM", "dlaGlobalDRAM");
                foreach (var (pool, _) in poolMap)
                {
                    pools[pool] = OptionalSize(poolMap, pool)!.Value;
                }

                if (pools.ContainsKey("workspace") && map.ContainsKey("workspace"))
                {
                    throw Error(poolsNode, "give the workspace limit once: build.workspace or build.memory_pools.workspace");
                }
            }

            return new BuildSettings
            {
                Precision = precision,
                MemoryPools = pools,
                MaxAuxStreams = OptionalInt(map, "max_aux_streams", 0, 64),
                StronglyTyped = OptionalBool(map, "strongly_typed") ?? true,
                Workspace = OptionalSize(map, "workspace"),
                BuilderOptimizationLevel = OptionalInt(map, "builder_optimization_level", 0, 5) ?? 3,
                HardwareCompatibilityLevel = hw,
                ProfilingVerbosity = verbosity,
                TimingCache = OptionalPath(map, "timing_cache"),
                Plugins = OptionalStrings(map, "plugins").Select(p => Path.GetFullPath(Path.Combine(baseDirectory, p))).ToList(),
                SerializePlugins = OptionalBool(map, "serialize_plugins") ?? false,
            };
        }

        private ValidationSettings ReadValidation(YamlNode node)
        {
            var map = Map(node, "validation", "atol", "rtol", "check", "psnr_min", "cosine_min", "inputs", "seed", "shapes");
            var check = OptionalString(map, "check") ?? "elemwise";
            if (check is not ("elemwise" or "max" or "mean" or "median" or "p99"))
            {
                throw Error(map["check"], $"validation.check must be elemwise, max, mean, median or p99, not '{check}'");
            }

            var inputs = OptionalString(map, "inputs") ?? "random";
            if (inputs != "random")
            {
                inputs = Path.GetFullPath(Path.Combine(baseDirectory, inputs));
                if (!System.IO.File.Exists(inputs) && !Directory.Exists(inputs))
                {
                    throw Error(map["inputs"], $"validation.inputs '{inputs}' does not exist (give 'random', an image or a folder)");
                }
            }

            var shapes = new List<IReadOnlyList<ShapeSpec>>();
            if (map.TryGetValue("shapes", out var shapesNode))
            {
                foreach (var s in Sequence(shapesNode, "validation.shapes"))
                {
                    shapes.Add(ParseShapes(s, Scalar(s, "validation.shapes")));
                }
            }

            return new ValidationSettings
            {
                Atol = OptionalNonNegativeDouble(map, "atol") ?? 1e-5,
                Rtol = OptionalNonNegativeDouble(map, "rtol") ?? 1e-5,
                Check = check,
                PsnrMin = map.TryGetValue("psnr_min", out var p) ? Double(p, "psnr_min") : null,
                CosineMin = map.TryGetValue("cosine_min", out var c) ? Double(c, "cosine_min") : null,
                Inputs = inputs,
                Seed = OptionalInt(map, "seed", 0, int.MaxValue) ?? 0,
                Shapes = shapes,
            };
        }

        // ---- typed access with positions in messages ----------------------------------------------------------------

        private Dictionary<string, YamlNode> Map(YamlNode node, string what, params string[] allowed)
        {
            if (node is not YamlMappingNode mapping)
            {
                throw Error(node, $"{what} must be a mapping of keys to values");
            }

            var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (keyNode, value) in mapping.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
                if (!allowed.Contains(key))
                {
                    throw Error(keyNode, $"unknown key '{key}' in {what} (expected one of: {string.Join(", ", allowed)})");
                }

                if (!result.TryAdd(key, value))
                {
                    throw Error(keyNode, $"key '{key}' appears twice in {what}");
                }
            }

            return result;
        }

        private IEnumerable<YamlNode> Sequence(YamlNode node, string what) =>
            node is YamlSequenceNode seq ? seq.Children : throw Error(node, $"{what} must be a list");

        private string Scalar(YamlNode node, string what) =>
            node is YamlScalarNode { Value: { } v } ? v : throw Error(node, $"{what} must be a single value");

        private string RequiredString(Dictionary<string, YamlNode> map, YamlNode parent, string key) =>
            map.TryGetValue(key, out var n) ? Scalar(n, key) : throw Error(parent, $"missing required key '{key}'");

        private string RequiredIdentifier(Dictionary<string, YamlNode> map, YamlNode parent, string key)
        {
            var value = RequiredString(map, parent, key);
            if (value.Length == 0 || !value.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-' or '.'))
            {
                throw Error(map[key], $"'{key}' must use letters, digits, '_', '-' or '.' only (it names files), not '{value}'");
            }

            return value;
        }

        private string? OptionalString(Dictionary<string, YamlNode> map, string key) =>
            map.TryGetValue(key, out var n) ? Scalar(n, key) : null;

        private List<string> OptionalStrings(Dictionary<string, YamlNode> map, string key) =>
            map.TryGetValue(key, out var n) ? Sequence(n, key).Select(x => Scalar(x, key)).ToList() : [];

        private bool? OptionalBool(Dictionary<string, YamlNode> map, string key)
        {
            if (!map.TryGetValue(key, out var n))
            {
                return null;
            }

            return Scalar(n, key) switch
            {
                "true" or "yes" or "on" => true,
                "false" or "no" or "off" => false,
                var other => throw Error(n, $"'{key}' must be true or false, not '{other}'"),
            };
        }

        private int? OptionalInt(Dictionary<string, YamlNode> map, string key, int min, int max)
        {
            if (!map.TryGetValue(key, out var n))
            {
                return null;
            }

            var text = Scalar(n, key);
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            {
                throw Error(n, $"'{key}' must be an integer from {min} to {max}, not '{text}'");
            }

            return value;
        }

        private double Double(YamlNode node, string key)
        {
            var text = Scalar(node, key);
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
                ? v
                : throw Error(node, $"'{key}' must be a number, not '{text}'");
        }

        private double RequiredDouble(Dictionary<string, YamlNode> map, YamlNode parent, string key) =>
            map.TryGetValue(key, out var n) ? Double(n, key) : throw Error(parent, $"missing required key '{key}'");

        private double? OptionalNonNegativeDouble(Dictionary<string, YamlNode> map, string key)
        {
            if (!map.TryGetValue(key, out var n))
            {
                return null;
            }

            var v = Double(n, key);
            return v >= 0 ? v : throw Error(n, $"'{key}' must not be negative");
        }

        private long? OptionalSize(Dictionary<string, YamlNode> map, string key)
        {
            if (!map.TryGetValue(key, out var n))
            {
                return null;
            }

            var text = Scalar(n, key);
            return ByteSize.TryParse(text, out var bytes) ? bytes : throw Error(n, $"'{key}' must be a size like 512M or 2G, not '{text}'");
        }

        private string? OptionalPath(Dictionary<string, YamlNode> map, string key)
        {
            var value = OptionalString(map, key);
            return value is null ? null : Path.GetFullPath(Path.Combine(baseDirectory, value));
        }

        private string ExistingFile(Dictionary<string, YamlNode> map, YamlNode parent, string key)
        {
            var value = RequiredString(map, parent, key);
            var full = Path.GetFullPath(Path.Combine(baseDirectory, value));
            return System.IO.File.Exists(full) ? full : throw Error(map[key], $"'{key}' file not found: {value} (resolved to {full})");
        }

        private List<ShapeSpec> ShapeList(Dictionary<string, YamlNode> map, YamlNode parent, string key) =>
            map.TryGetValue(key, out var n) ? ParseShapes(n, Scalar(n, key)).ToList() : throw Error(parent, $"a profile needs '{key}'");

        private IReadOnlyList<ShapeSpec> ParseShapes(YamlNode node, string text)
        {
            try
            {
                return ShapeSpec.ParseList(text);
            }
            catch (DeployException e)
            {
                throw Error(node, e.Message);
            }
        }

        private DeployException Error(YamlNode node, string message) =>
            DeployException.BadInput($"{File}:{node.Start.Line}:{node.Start.Column}: {message}");
    }
}
