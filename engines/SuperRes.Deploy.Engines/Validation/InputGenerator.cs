using System.Globalization;
using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Engines.Validation;

/// <summary>How one input tensor of a validation case was made, for the reports.</summary>
/// <param name="Name">The input name.</param>
/// <param name="Shape">Its shape.</param>
/// <param name="ElementType">Its element type name ("float32"...).</param>
/// <param name="Source">"random" or "image".</param>
/// <param name="Detail">How, in words: the generator and seed, or per batch element the file and how it was fitted.</param>
/// <param name="Files">The image files used (batch order); empty for random inputs.</param>
public sealed record InputDescription(string Name, IReadOnlyList<long> Shape, string ElementType, string Source, string Detail, IReadOnlyList<string> Files);

/// <summary>
/// Makes the input tensors of each validation case, deterministically.
/// </summary>
/// <remarks>
/// <para><b>Random</b>: every input of case k (0-based), input i (model order) gets its own SplitMix64 stream seeded with
/// <c>seed + 0x9E3779B97F4A7C15 × (k × 65536 + i + 1)</c> (mod 2^64). Floating-point elements are
/// <c>min + (max − min) × u</c> with u = the top 24 bits of the next 64-bit output × 2^-24 (uniform in [0, 1)), rounded to
/// the element type; integer elements are uniform in [⌈min⌉, ⌊max⌋]; bools are the lowest bit.</para>
/// <para><b>Images</b>: the image input must be [N, C, H, W] with C = 1 or 3. Batch element b of case k takes image
/// (k × N + b) mod count from the file list (a folder's supported images sorted by ordinal file name). Each image is
/// scaled by s = max(H / h, W / w) with MATLAB-style bicubic <c>imresize</c> (antialiased when shrinking; skipped when
/// s = 1) to round(h·s) × round(w·s) (at least H × W), clamped to [0, 1], centre-cropped to H × W (offset ⌊excess / 2⌋),
/// converted to RGB (grey repeated) or to BT.601 luma for C = 1 (alpha dropped), and mapped linearly from [0, 1] to the
/// value range. Other inputs of the model get random values as above.</para>
/// </remarks>
public sealed class InputGenerator
{
    private readonly ValidationInputs _spec;
    private readonly IReadOnlyList<TensorInfo> _inputs;
    private readonly string[] _files;
    private readonly Dictionary<string, Image> _decoded = new(StringComparer.Ordinal);
    private readonly string? _imageInput;

    /// <summary>Prepares inputs for a model with <paramref name="inputs"/>; checks the image input and lists the files.</summary>
    public InputGenerator(IReadOnlyList<TensorInfo> inputs, ValidationInputs spec)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(spec);
        _inputs = inputs;
        _spec = spec;
        if (!(spec.ValueRange.Max > spec.ValueRange.Min))
        {
            throw DeployException.Usage($"value range [{spec.ValueRange.Min}, {spec.ValueRange.Max}] is empty");
        }

        if (spec.ImagePath is null)
        {
            _files = [];
            return;
        }

        _files = ListImages(spec.ImagePath);
        _imageInput = spec.ImageInput ?? inputs.FirstOrDefault(IsImageInput)?.Name
            ?? throw DeployException.BadInput(
                $"image inputs need a model input of shape [N, 1|3, H, W]; the model's inputs are {string.Join(", ", inputs)}");
        var info = inputs.FirstOrDefault(i => i.Name == _imageInput)
                   ?? throw DeployException.BadInput($"the model has no input named '{_imageInput}' to feed images to");
        if (info.Rank != 4 || !IsFloat(info.ElementType))
        {
            throw DeployException.BadInput($"input '{info.Name}' ({info.Signature}) cannot take images: it must be a floating-point [N, C, H, W] tensor");
        }
    }

    /// <summary>The image files fed, in order (empty for random inputs).</summary>
    public IReadOnlyList<string> Files => _files;

    /// <summary>Makes every input of case <paramref name="caseIndex"/> at <paramref name="shapes"/> (one per model input).</summary>
    public (Dictionary<string, Tensor> Tensors, IReadOnlyList<InputDescription> Descriptions) Create(
        IReadOnlyDictionary<string, IReadOnlyList<long>> shapes, int caseIndex)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var descriptions = new List<InputDescription>(_inputs.Count);
        for (var i = 0; i < _inputs.Count; i++)
        {
            var info = _inputs[i];
            if (!shapes.TryGetValue(info.Name, out var shape))
            {
                throw DeployException.BadInput($"no shape given for input '{info.Name}' ({info.Signature})");
            }

            if (info.Name == _imageInput)
            {
                var (tensor, detail, files) = FromImages(info, shape, caseIndex);
                tensors[info.Name] = tensor;
                descriptions.Add(new InputDescription(info.Name, shape, info.ElementType.Name(), "image", detail, files));
            }
            else
            {
                var seed = StreamSeed(_spec.Seed, caseIndex, i);
                tensors[info.Name] = Random(info.ElementType, shape, seed, _spec.ValueRange);
                var detail = string.Create(CultureInfo.InvariantCulture,
                    $"uniform [{_spec.ValueRange.Min:g6}, {_spec.ValueRange.Max:g6}), SplitMix64 seed {_spec.Seed} stream {caseIndex}:{i}");
                descriptions.Add(new InputDescription(info.Name, shape, info.ElementType.Name(), "random", detail, []));
            }
        }

        return (tensors, descriptions);
    }

    /// <summary>The seed of the stream of case <paramref name="caseIndex"/>, input <paramref name="inputIndex"/>.</summary>
    public static ulong StreamSeed(int seed, int caseIndex, int inputIndex) =>
        unchecked((ulong)seed + (0x9E3779B97F4A7C15UL * (((ulong)caseIndex * 65536) + (ulong)inputIndex + 1)));

    /// <summary>A tensor of seeded uniform values (see the remarks of <see cref="InputGenerator"/>).</summary>
    public static Tensor Random(TensorElementType type, IReadOnlyList<long> shape, ulong seed, (double Min, double Max) range)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var tensor = Tensor.Zeros(type, [.. shape]);
        var rng = new SplitMix64(seed);
        var width = range.Max - range.Min;
        switch (type)
        {
            case TensorElementType.Float32:
                Fill(tensor.AsSpan<float>(), ref rng, u => (float)(range.Min + (width * u)));
                break;
            case TensorElementType.Float16:
                Fill(tensor.AsSpan<Half>(), ref rng, u => (Half)(range.Min + (width * u)));
                break;
            case TensorElementType.Float64:
                Fill(tensor.AsSpan<double>(), ref rng, u => range.Min + (width * u));
                break;
            case TensorElementType.Bool:
                var flags = tensor.AsSpan<bool>();
                for (var i = 0; i < flags.Length; i++)
                {
                    flags[i] = (rng.Next() & 1) == 1;
                }

                break;
            default:
                var lo = (long)Math.Ceiling(range.Min);
                var hi = (long)Math.Floor(range.Max);
                if (hi < lo)
                {
                    throw DeployException.Usage($"value range [{range.Min}, {range.Max}] holds no integer for a {type.Name()} input");
                }

                var span = (ulong)(hi - lo) + 1;
                var values = new long[tensor.ElementCount];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = lo + (long)(rng.Next() % span);
                }

                CopyIntegers(values, tensor);
                break;
        }

        return tensor;
    }

    /// <summary>Fits an image to H × W as described in the remarks; returns the fitted image and what was done.</summary>
    public static (Image Image, string Detail) Fit(Image image, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(image);
        var scale = Math.Max(height / (double)image.Height, width / (double)image.Width);
        var detail = new System.Text.StringBuilder(string.Create(CultureInfo.InvariantCulture, $"{image.Width}x{image.Height}"));
        var fitted = image;
        if (scale != 1)
        {
            // Rounded, not ceiled: the side that sets the scale must land exactly on its target despite rounding error.
            var h = Math.Max(height, (int)Math.Round(image.Height * scale));
            var w = Math.Max(width, (int)Math.Round(image.Width * scale));
            fitted = Resize.Imresize(image, h, w);
            foreach (var plane in Enumerable.Range(0, fitted.Channels))
            {
                var samples = fitted.Plane(plane);
                for (var i = 0; i < samples.Length; i++)
                {
                    samples[i] = Math.Clamp(samples[i], 0f, 1f);
                }
            }

            detail.Append(CultureInfo.InvariantCulture, $", bicubic x{scale:0.####}{(scale < 1 ? " (antialiased)" : string.Empty)} to {w}x{h}");
        }

        if (fitted.Width != width || fitted.Height != height)
        {
            var x = (fitted.Width - width) / 2;
            var y = (fitted.Height - height) / 2;
            fitted = fitted.Crop(x, y, width, height);
            detail.Append(CultureInfo.InvariantCulture, $", centre crop {width}x{height} at ({x},{y})");
        }

        return (fitted, detail.ToString());
    }

    private (Tensor Tensor, string Detail, IReadOnlyList<string> Files) FromImages(TensorInfo info, IReadOnlyList<long> shape, int caseIndex)
    {
        var (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3]);
        if (c is not (1 or 3))
        {
            throw DeployException.BadInput($"input '{info.Name}' has {c} channels at shape {Tensor.Format(shape)}; images need 1 or 3");
        }

        var plane = checked((int)(h * w));
        var data = new float[checked((int)(n * c * h * w))];
        var details = new List<string>();
        var used = new List<string>();
        var (min, max) = _spec.ValueRange;
        for (var b = 0; b < n; b++)
        {
            var file = _files[(int)(((caseIndex * n) + b) % _files.Length)];
            var (fitted, detail) = Fit(Decode(file), (int)h, (int)w);
            details.Add($"{Path.GetFileName(file)} {detail}");
            used.Add(file);
            var nchw = fitted.ToNchw();
            var target = data.AsSpan((int)(b * c * plane), (int)(c * plane));
            if (c == 3)
            {
                nchw.AsSpan(0, 3 * plane).CopyTo(target);
            }
            else
            {
                for (var i = 0; i < plane; i++)
                {
                    // BT.601 luma of the RGB samples, back on [0, 1].
                    target[i] = (float)((ColorSpace.Luma(nchw[i], nchw[plane + i], nchw[(2 * plane) + i]) - 16) / 219);
                }
            }

            if (min != 0 || max != 1)
            {
                for (var i = 0; i < target.Length; i++)
                {
                    target[i] = (float)(min + ((max - min) * target[i]));
                }
            }
        }

        var tensor = Tensor.FromArray(data, [.. shape]);
        return (Convert(tensor, info.ElementType), string.Join("; ", details), used);
    }

    private Image Decode(string file)
    {
        if (!_decoded.TryGetValue(file, out var image))
        {
            image = ImageFile.Read(file);
            _decoded[file] = image;
        }

        return image;
    }

    private static string[] ListImages(string path)
    {
        if (File.Exists(path))
        {
            return [Path.GetFullPath(path)];
        }

        if (!Directory.Exists(path))
        {
            throw DeployException.BadInput($"input images not found: {path}");
        }

        var files = Directory.EnumerateFiles(path).Where(ImageFile.IsSupported).Select(Path.GetFullPath)
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToArray();
        return files.Length > 0
            ? files
            : throw DeployException.BadInput($"input folder '{path}' holds no images ({string.Join(", ", ImageFile.SupportedExtensions)})");
    }

    private static bool IsImageInput(TensorInfo info) =>
        info.Rank == 4 && IsFloat(info.ElementType) && info.Dims[1].Size is null or 1 or 3;

    private static bool IsFloat(TensorElementType type) =>
        type is TensorElementType.Float32 or TensorElementType.Float16 or TensorElementType.Float64;

    /// <summary>A float32 tensor converted to <paramref name="type"/> (the same tensor when it already is).</summary>
    internal static Tensor Convert(Tensor source, TensorElementType type)
    {
        if (source.ElementType == type)
        {
            return source;
        }

        var values = TensorValues.ToDouble(source);
        var shape = source.Shape.ToArray();
        return type switch
        {
            TensorElementType.Float32 => Tensor.FromArray(values.Select(v => (float)v).ToArray(), shape),
            TensorElementType.Float16 => Tensor.FromArray(values.Select(v => (Half)v).ToArray(), shape),
            TensorElementType.Float64 => Tensor.FromArray(values, shape),
            TensorElementType.Int8 => Tensor.FromArray(values.Select(v => (sbyte)Math.Round(v)).ToArray(), shape),
            TensorElementType.UInt8 => Tensor.FromArray(values.Select(v => (byte)Math.Round(v)).ToArray(), shape),
            TensorElementType.Int32 => Tensor.FromArray(values.Select(v => (int)Math.Round(v)).ToArray(), shape),
            TensorElementType.Int64 => Tensor.FromArray(values.Select(v => (long)Math.Round(v)).ToArray(), shape),
            TensorElementType.Bool => Tensor.FromArray(values.Select(v => v != 0).ToArray(), shape),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown element type"),
        };
    }

    private static void Fill<T>(Span<T> span, ref SplitMix64 rng, Func<double, T> map)
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = map((rng.Next() >> 40) * (1.0 / (1 << 24)));
        }
    }

    private static void CopyIntegers(long[] values, Tensor tensor)
    {
        switch (tensor.ElementType)
        {
            case TensorElementType.Int8:
                Copy(values, tensor.AsSpan<sbyte>(), v => (sbyte)Math.Clamp(v, sbyte.MinValue, sbyte.MaxValue));
                break;
            case TensorElementType.UInt8:
                Copy(values, tensor.AsSpan<byte>(), v => (byte)Math.Clamp(v, byte.MinValue, byte.MaxValue));
                break;
            case TensorElementType.Int32:
                Copy(values, tensor.AsSpan<int>(), v => (int)Math.Clamp(v, int.MinValue, int.MaxValue));
                break;
            case TensorElementType.Int64:
                values.CopyTo(tensor.AsSpan<long>());
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(tensor), tensor.ElementType, "not an integer element type");
        }
    }

    private static void Copy<T>(long[] values, Span<T> target, Func<long, T> convert)
    {
        for (var i = 0; i < values.Length; i++)
        {
            target[i] = convert(values[i]);
        }
    }

    /// <summary>SplitMix64 (Steele, Lea, Flood 2014): small, fast, and the same numbers on every platform.</summary>
    private struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
