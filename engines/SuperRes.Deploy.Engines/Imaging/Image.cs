namespace SuperRes.Deploy.Engines.Imaging;

/// <summary>How <see cref="Image.Pad"/> fills the new border.</summary>
public enum PadMode
{
    /// <summary>Mirror without repeating the edge sample (numpy "reflect"): … c b | a b c d | c b …</summary>
    Reflect,

    /// <summary>Repeat the edge sample (numpy "edge"): … a a | a b c d | d d …</summary>
    Replicate,

    /// <summary>Fill with a constant value.</summary>
    Constant,
}

/// <summary>
/// A planar float32 image: samples laid out [channel, row, column], nominally in [0, 1]. Channels are 1 (grey),
/// 2 (grey + alpha), 3 (RGB) or 4 (RGBA); alpha is always the last channel. Values outside [0, 1] (a model's raw
/// output) are kept as they are and only clamped when the image is quantised (<see cref="Quantization"/>).
/// </summary>
/// <remarks>
/// Models see RGB only: <see cref="ToNchw"/> expands grey to three channels and drops alpha. To keep a source's
/// transparency across an upscale, <see cref="WithAlphaFrom"/> resizes the source's alpha plane separately with
/// MATLAB-style bicubic interpolation (<see cref="Resize.Imresize(Image, int, int)"/>), clamps it to [0, 1] and appends it
/// to the model's RGB output.
/// </remarks>
public sealed class Image
{
    /// <summary>The largest number of samples (channels × height × width) one image may hold: one .NET array.</summary>
    public static long MaxSamples => Array.MaxLength;

    private readonly float[] _data;

    /// <summary>A zero-filled image.</summary>
    public Image(int width, int height, int channels, int bitDepth = 8)
        : this(width, height, channels, CreateBuffer(width, height, channels), bitDepth)
    {
    }

    /// <summary>Wraps planar samples ([channel, row, column], length channels × height × width) without copying them.</summary>
    public Image(int width, int height, int channels, float[] planarSamples, int bitDepth = 8)
    {
        ArgumentNullException.ThrowIfNull(planarSamples);
        ValidateShape(width, height, channels);
        if (planarSamples.LongLength != (long)width * height * channels)
        {
            throw new ArgumentException(
                $"expected {(long)width * height * channels} samples for {channels}×{height}×{width}, got {planarSamples.LongLength}",
                nameof(planarSamples));
        }

        if (bitDepth is not (1 or 2 or 4 or 8 or 16))
        {
            throw new ArgumentOutOfRangeException(nameof(bitDepth), bitDepth, "bit depth must be 1, 2, 4, 8 or 16");
        }

        Width = width;
        Height = height;
        Channels = channels;
        BitDepth = bitDepth;
        _data = planarSamples;
    }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>1 grey, 2 grey + alpha, 3 RGB, 4 RGBA.</summary>
    public int Channels { get; }

    /// <summary>Bits per sample of the file the image came from (1, 2, 4, 8 or 16); 8 for images made in memory.</summary>
    public int BitDepth { get; }

    /// <summary>Whether the last channel is alpha (2 or 4 channels).</summary>
    public bool HasAlpha => Channels is 2 or 4;

    /// <summary>Colour channels without alpha: 1 or 3.</summary>
    public int ColorChannels => HasAlpha ? Channels - 1 : Channels;

    /// <summary>Samples per plane (height × width).</summary>
    public int PlaneLength => Width * Height;

    /// <summary>All samples, planar [channel, row, column].</summary>
    public Span<float> Samples => _data;

    /// <summary>One channel's plane, row-major.</summary>
    public Span<float> Plane(int channel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(channel, Channels);
        return _data.AsSpan(channel * PlaneLength, PlaneLength);
    }

    /// <summary>The sample at (channel, row, column).</summary>
    public float this[int channel, int y, int x]
    {
        get => _data[Index(channel, y, x)];
        set => _data[Index(channel, y, x)] = value;
    }

    /// <summary>A deep copy.</summary>
    public Image Clone() => new(Width, Height, Channels, (float[])_data.Clone(), BitDepth);

    /// <summary>The rectangle [x, x + width) × [y, y + height), which must lie inside the image.</summary>
    public Image Crop(int x, int y, int width, int height)
    {
        if (x < 0 || y < 0 || width <= 0 || height <= 0 || (long)x + width > Width || (long)y + height > Height)
        {
            throw new ArgumentOutOfRangeException(
                nameof(x), $"crop {width}×{height} at ({x}, {y}) does not fit inside {Width}×{Height}");
        }

        var result = new Image(width, height, Channels, BitDepth);
        for (var c = 0; c < Channels; c++)
        {
            var source = Plane(c);
            var target = result.Plane(c);
            for (var row = 0; row < height; row++)
            {
                source.Slice(((y + row) * Width) + x, width).CopyTo(target.Slice(row * width, width));
            }
        }

        return result;
    }

    /// <summary>
    /// Grows the image by the given border widths. <see cref="PadMode.Reflect"/> needs each border narrower than the
    /// image side it mirrors (as numpy's "reflect"); <paramref name="constant"/> is used by <see cref="PadMode.Constant"/> only.
    /// </summary>
    public Image Pad(int left, int top, int right, int bottom, PadMode mode, float constant = 0f)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(left);
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        ArgumentOutOfRangeException.ThrowIfNegative(right);
        ArgumentOutOfRangeException.ThrowIfNegative(bottom);
        if (mode == PadMode.Reflect && (Math.Max(left, right) >= Width || Math.Max(top, bottom) >= Height))
        {
            throw new ArgumentOutOfRangeException(
                nameof(mode), $"reflect padding ({left}, {top}, {right}, {bottom}) must be smaller than the image {Width}×{Height}");
        }

        var width = checked(Width + left + right);
        var height = checked(Height + top + bottom);
        var result = new Image(width, height, Channels, BitDepth);
        var columns = new int[width];
        for (var x = 0; x < width; x++)
        {
            columns[x] = SourceIndex(x - left, Width, mode);
        }

        for (var c = 0; c < Channels; c++)
        {
            var source = Plane(c);
            var target = result.Plane(c);
            for (var y = 0; y < height; y++)
            {
                var row = target.Slice(y * width, width);
                var sourceRow = SourceIndex(y - top, Height, mode);
                if (sourceRow < 0)
                {
                    row.Fill(constant);
                    continue;
                }

                var from = source.Slice(sourceRow * Width, Width);
                for (var x = 0; x < width; x++)
                {
                    row[x] = columns[x] < 0 ? constant : from[columns[x]];
                }
            }
        }

        return result;
    }

    /// <summary>
    /// The model input: a [1, 3, height, width] float tensor (row-major NCHW) in the image's value range. Grey is
    /// repeated into R, G and B; alpha is dropped (see <see cref="WithAlphaFrom"/> to restore it after the model).
    /// </summary>
    public float[] ToNchw()
    {
        var tensor = new float[3L * PlaneLength];
        for (var c = 0; c < 3; c++)
        {
            Plane(ColorChannels == 1 ? 0 : c).CopyTo(tensor.AsSpan(c * PlaneLength, PlaneLength));
        }

        return tensor;
    }

    /// <summary>
    /// An RGB (channels = 3) or grey (channels = 1) image from batch item <paramref name="batchIndex"/> of a row-major
    /// [N, channels, height, width] tensor. Values are copied unchanged (not clamped).
    /// </summary>
    public static Image FromNchw(ReadOnlySpan<float> tensor, int channels, int height, int width, int batchIndex = 0)
    {
        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "a model tensor has 1 or 3 channels");
        }

        ValidateShape(width, height, channels);
        var itemLength = (long)channels * height * width;
        ArgumentOutOfRangeException.ThrowIfNegative(batchIndex);
        if ((batchIndex + 1) * itemLength > tensor.Length)
        {
            throw new ArgumentException(
                $"tensor of {tensor.Length} values has no item {batchIndex} of shape {channels}×{height}×{width}", nameof(tensor));
        }

        var image = new Image(width, height, channels);
        tensor.Slice((int)(batchIndex * itemLength), (int)itemLength).CopyTo(image.Samples);
        return image;
    }

    /// <summary>
    /// This colour image with the alpha of <paramref name="source"/> appended: the source's alpha plane resized to this
    /// image's size with MATLAB bicubic <see cref="Resize.Imresize(Image, int, int)"/>, then clamped to [0, 1]. Returns this
    /// image unchanged when the source has no alpha. This image must not already have alpha.
    /// </summary>
    public Image WithAlphaFrom(Image source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (HasAlpha)
        {
            throw new InvalidOperationException("the image already has an alpha channel");
        }

        if (!source.HasAlpha)
        {
            return this;
        }

        var alpha = new Image(source.Width, source.Height, 1, source.Plane(source.Channels - 1).ToArray(), source.BitDepth);
        if (alpha.Width != Width || alpha.Height != Height)
        {
            alpha = Resize.Imresize(alpha, Height, Width);
        }

        var result = new Image(Width, Height, Channels + 1, Math.Max(8, Math.Max(BitDepth, source.BitDepth)));
        _data.CopyTo(result.Samples);
        var target = result.Plane(Channels);
        var resized = alpha.Plane(0);
        for (var i = 0; i < target.Length; i++)
        {
            target[i] = Math.Clamp(resized[i], 0f, 1f);
        }

        return result;
    }

    /// <summary>
    /// Samples quantised to <paramref name="bitDepth"/> (8 or 16) and scaled back to [0, 1] (k / (2^bitDepth − 1)), with
    /// the rounding of <see cref="Quantization.ToUInt8"/>/<see cref="Quantization.ToUInt16"/>. Papers quantise SR output to
    /// uint8 this way before measuring PSNR/SSIM.
    /// </summary>
    public Image Quantized(int bitDepth)
    {
        var max = Quantization.MaxValue(bitDepth);
        var result = new Image(Width, Height, Channels, bitDepth);
        var target = result.Samples;
        for (var i = 0; i < _data.Length; i++)
        {
            target[i] = (float)(Quantization.Quantize(_data[i], max) / (double)max);
        }

        return result;
    }

    internal static void ValidateShape(int width, int height, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (channels is < 1 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "an image has 1 to 4 channels");
        }

        if ((long)width * height * channels > MaxSamples)
        {
            throw new ArgumentOutOfRangeException(
                nameof(width), $"{channels}×{height}×{width} samples exceed the limit of {MaxSamples} per image");
        }
    }

    private static float[] CreateBuffer(int width, int height, int channels)
    {
        ValidateShape(width, height, channels);
        return new float[(long)width * height * channels];
    }

    private static int SourceIndex(int position, int length, PadMode mode)
    {
        if (position >= 0 && position < length)
        {
            return position;
        }

        return mode switch
        {
            PadMode.Constant => -1,
            PadMode.Replicate => Math.Clamp(position, 0, length - 1),
            _ => position < 0 ? -position : (2 * (length - 1)) - position,
        };
    }

    private int Index(int channel, int y, int x)
    {
        if ((uint)channel >= (uint)Channels || (uint)y >= (uint)Height || (uint)x >= (uint)Width)
        {
            throw new ArgumentOutOfRangeException(nameof(channel), $"({channel}, {y}, {x}) is outside {Channels}×{Height}×{Width}");
        }

        return (((channel * Height) + y) * Width) + x;
    }
}
