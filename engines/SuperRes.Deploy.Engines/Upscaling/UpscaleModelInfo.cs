using System.Globalization;
using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Packaging;
using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Engines.Upscaling;

/// <summary>
/// What the tiler must know about a model: its image input and output, the scale factor, what sizes each spatial axis
/// accepts, and how pixels are encoded (value range, channel order). Built from the graph analysis (ONNX), the engine's
/// optimization profiles (plans), the deploy config and the runner's declared shapes; <see cref="Sources"/> says where
/// each rule came from, for the log.
/// </summary>
public sealed record UpscaleModelInfo
{
    /// <summary>The image input's name.</summary>
    public required string InputName { get; init; }

    /// <summary>The image output's name.</summary>
    public required string OutputName { get; init; }

    /// <summary>The integer scale factor; null when unknown until the first tile has run.</summary>
    public int? Scale { get; init; }

    /// <summary>What the height axis accepts.</summary>
    public AxisLimits Height { get; init; } = AxisLimits.Any;

    /// <summary>What the width axis accepts.</summary>
    public AxisLimits Width { get; init; } = AxisLimits.Any;

    /// <summary>The value range pixel values [0, 1] are mapped to, e.g. (0, 255).</summary>
    public (double Min, double Max) ValueRange { get; init; } = (0, 1);

    /// <summary>True when the model takes and returns BGR instead of RGB.</summary>
    public bool Bgr { get; init; }

    /// <summary>Where each rule came from ("graph: W padded to a multiple of 8", "config: max_tile 512"...).</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];

    /// <summary>
    /// The image input and output of <paramref name="runner"/>: the names <paramref name="config"/> gives, else the only
    /// 4-D float input and output. Fixed spatial sizes in the runner's signature become limits (min = max = size).
    /// </summary>
    /// <exception cref="DeployException">BadInput: no unambiguous 4-D float image input/output, or 1-channel-only models.</exception>
    public static UpscaleModelInfo FromRunner(IInferenceRunner runner, DeployConfig? config = null, BundleIo? bundleIo = null)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var input = Pick(runner.Inputs, config?.Io.Input ?? bundleIo?.Input, "input");
        var output = Pick(runner.Outputs, config?.Io.Output ?? bundleIo?.Output, "output");
        if (runner.Inputs.Count != 1)
        {
            throw DeployException.BadInput(
                $"upscale feeds one image input; the model has {runner.Inputs.Count} inputs ({string.Join(", ", runner.Inputs.Select(i => i.Name))})");
        }

        if (input.Dims[1].Size is { } channels && channels != 3)
        {
            throw DeployException.BadInput($"input '{input.Name}' takes {channels} channels; upscale feeds RGB (3)");
        }

        var sources = new List<string>();
        var height = FixedLimits(input, 2, sources);
        var width = FixedLimits(input, 3, sources);
        var info = new UpscaleModelInfo
        {
            InputName = input.Name,
            OutputName = output.Name,
            Height = height,
            Width = width,
            Sources = sources,
        };
        return config is null ? info : info.WithConfig(config);
    }

    /// <summary>The config's I/O contract (value range, colour order), scale and max_tile added.</summary>
    public UpscaleModelInfo WithConfig(DeployConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!string.Equals(config.Io.Layout, "NCHW", StringComparison.OrdinalIgnoreCase))
        {
            throw DeployException.BadInput($"config {config.Name}: upscale supports NCHW models, not {config.Io.Layout}");
        }

        var sources = Sources.ToList();
        var result = this with
        {
            ValueRange = config.Io.ValueRange,
            Bgr = string.Equals(config.Io.Color, "BGR", StringComparison.OrdinalIgnoreCase),
        };
        if (config.Scale is { } scale)
        {
            if (Scale is { } known && known != scale)
            {
                throw DeployException.BadInput($"config {config.Name} says scale {scale}, the model's graph gives {known}");
            }

            result = result with { Scale = scale };
            sources.Add($"config: scale {scale}");
        }

        if (config.Targets?.MaxTile is { } maxTile)
        {
            var cap = new AxisLimits(Maximum: maxTile);
            result = result with { Height = result.Height.Intersect(cap), Width = result.Width.Intersect(cap) };
            sources.Add($"config: max_tile {maxTile}");
        }

        return result with { Sources = sources };
    }

    /// <summary>
    /// A bundle's recorded I/O contract (value range, colour order) and scale added, as <see cref="WithConfig"/> adds a
    /// config's. The bundle's contract is what its shipped model was packaged and validated with, so it replaces a --config's
    /// value range and colour order; a scale that disagrees is refused.
    /// </summary>
    public UpscaleModelInfo WithBundle(BundleManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var io = manifest.Io;
        if (!string.Equals(io.Layout, "NCHW", StringComparison.OrdinalIgnoreCase))
        {
            throw DeployException.BadInput($"bundle {manifest.Model.Name}: upscale supports NCHW models, not {io.Layout}");
        }

        if (Scale is { } known && known != manifest.Model.Scale)
        {
            throw DeployException.BadInput($"bundle {manifest.Model.Name} says scale {manifest.Model.Scale}, but scale {known} was given");
        }

        var sources = Sources.ToList();
        sources.Add(string.Create(CultureInfo.InvariantCulture,
            $"bundle: scale {manifest.Model.Scale}, value range [{io.ValueRange[0]}, {io.ValueRange[1]}], {io.Color}"));
        return this with
        {
            Scale = manifest.Model.Scale,
            ValueRange = (io.ValueRange[0], io.ValueRange[1]),
            Bgr = string.Equals(io.Color, "BGR", StringComparison.OrdinalIgnoreCase),
            Sources = sources,
        };
    }

    /// <summary>
    /// The graph analysis' scale factor and size rules added: "multiple of k" and "padded to a multiple of k inside the
    /// model" both align tiles to k; minimums and fixed sizes become limits. Rules upscale cannot honour (congruences,
    /// coupled axes, irregular sets) are refused.
    /// </summary>
    public UpscaleModelInfo WithAnalysis(ModelAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var sources = Sources.ToList();
        var result = this;
        if (analysis.Scale is { } factor)
        {
            if (!factor.IsUniform || factor.Height != Math.Round(factor.Height) || factor.Height < 1)
            {
                throw DeployException.BadInput($"upscale needs one integer scale factor; the model scales by {factor.Display}");
            }

            result = result with { Scale = (int)factor.Height };
            sources.Add($"graph: scale {factor.Display}");
        }

        var height = result.Height;
        var width = result.Width;
        foreach (var rule in analysis.Constraints.Rules)
        {
            var axes = rule.Axes.Where(a => a.InputName == InputName).Select(a => a.Axis).Distinct().ToList();
            if (axes.Count == 0 || axes.All(a => a < 2))
            {
                continue; // a batch or channel rule, or another input
            }

            AxisLimits limits = rule.Kind switch
            {
                SizeRuleKind.MultipleOf => new AxisLimits(checked((int)rule.Value), (int)Math.Max(1, rule.Minimum)),
                SizeRuleKind.PaddedToMultiple => new AxisLimits(checked((int)rule.Value)),
                SizeRuleKind.Minimum => new AxisLimits(Minimum: checked((int)rule.Minimum)),
                SizeRuleKind.FixedSize => new AxisLimits(Minimum: checked((int)rule.Value), Maximum: checked((int)rule.Value)),
                _ => throw DeployException.BadInput($"upscale cannot tile a model whose sizes follow this rule: {rule.Description}"),
            };
            foreach (var axis in axes.Where(a => a >= 2))
            {
                if (axis == 2)
                {
                    height = height.Intersect(limits);
                }
                else
                {
                    width = width.Intersect(limits);
                }
            }

            sources.Add($"graph: {rule.Description}");
        }

        return result with { Height = height, Width = width, Sources = sources };
    }

    /// <summary>The spatial min/max of the engine profiles added (the widest range of any profile: tiles are then chosen inside it).</summary>
    public UpscaleModelInfo WithProfileRange(long minHeight, long minWidth, long maxHeight, long maxWidth, string description)
    {
        var sources = Sources.ToList();
        sources.Add(description);
        return this with
        {
            Height = Height.Intersect(new AxisLimits(Minimum: (int)Math.Max(1, minHeight), Maximum: (int)Math.Min(int.MaxValue, maxHeight))),
            Width = Width.Intersect(new AxisLimits(Minimum: (int)Math.Max(1, minWidth), Maximum: (int)Math.Min(int.MaxValue, maxWidth))),
            Sources = sources,
        };
    }

    /// <summary>An explicit alignment added for both axes (e.g. --align for a plan without its ONNX).</summary>
    public UpscaleModelInfo WithAlignment(int alignment, string source)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(alignment);
        var sources = Sources.ToList();
        sources.Add(source);
        var limits = new AxisLimits(alignment);
        return this with { Height = Height.Intersect(limits), Width = Width.Intersect(limits), Sources = sources };
    }

    /// <summary>E.g. "input 'input' → output 'output', scale 4, height multiple of 8, 1..any, width …".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"input '{InputName}' → output '{OutputName}', scale {(Scale is { } s ? s.ToString(CultureInfo.InvariantCulture) : "from the first tile")}, height {Height}, width {Width}");

    private static TensorInfo Pick(IReadOnlyList<TensorInfo> tensors, string? name, string role)
    {
        if (name is not null)
        {
            return tensors.FirstOrDefault(t => t.Name == name)
                   ?? throw DeployException.BadInput($"the model has no {role} named '{name}' ({role}s: {string.Join(", ", tensors.Select(t => t.Name))})");
        }

        var images = tensors.Where(t => t.Rank == 4 && t.ElementType == TensorElementType.Float32).ToList();
        return images.Count == 1
            ? images[0]
            : throw DeployException.BadInput(
                $"upscale needs one 4-D float32 image {role} (NCHW); the model has {images.Count} ({string.Join(", ", tensors.Select(t => t.ToString()))}); name it in the config's io.{role}");
    }

    private static AxisLimits FixedLimits(TensorInfo input, int axis, List<string> sources)
    {
        if (input.Dims[axis].Size is not { } size)
        {
            return AxisLimits.Any;
        }

        sources.Add(string.Create(CultureInfo.InvariantCulture, $"model signature: axis {axis} fixed at {size}"));
        return new AxisLimits(Minimum: (int)size, Maximum: (int)size);
    }
}
