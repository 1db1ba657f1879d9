using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Tests.TestSupport;

namespace SuperRes.Deploy.Engines.Tests.Imaging;

public sealed class ImageTests
{
    private static Image Row(params float[] values) => new(values.Length, 1, 1, values);

    [Fact]
    public void Quantisation_rounds_half_away_from_zero_and_clamps()
    {
        Assert.Equal(1, Quantization.Quantize(0.5f, 1)); // banker's rounding would give 0
        Assert.Equal(3, Quantization.Quantize(0.625f, 4)); // 2.5 → 3 (banker's: 2)
        Assert.Equal(0, Quantization.Quantize(-0.25f, 255));
        Assert.Equal(255, Quantization.ToUInt8(1.7f));
        Assert.Equal(0, Quantization.ToUInt8(float.NaN));
        Assert.Equal(255, Quantization.ToUInt8(float.PositiveInfinity));
        Assert.Equal(0, Quantization.ToUInt8(float.NegativeInfinity));
        Assert.Equal(65535, Quantization.ToUInt16(1f));
        Assert.Equal(257 * 200, Quantization.ToUInt16(200 / 255f));
    }

    [Fact]
    public void Every_8_and_16_bit_level_survives_the_trip_through_float()
    {
        for (var q = 0; q <= 255; q++)
        {
            Assert.Equal(q, Quantization.ToUInt8(q / 255f));
        }

        for (var q = 0; q <= 65535; q++)
        {
            Assert.Equal(q, Quantization.ToUInt16(q / 65535f));
        }
    }

    [Fact]
    public void Crop_takes_the_rectangle_from_every_channel()
    {
        var image = new Image(4, 3, 2, Enumerable.Range(0, 24).Select(i => (float)i).ToArray());

        var crop = image.Crop(1, 1, 2, 2);

        Assert.Equal([5f, 6f, 9f, 10f, 17f, 18f, 21f, 22f], crop.Samples.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => image.Crop(3, 0, 2, 1));
    }

    [Theory]
    [InlineData(PadMode.Reflect, new float[] { 3, 2, 1, 2, 3, 4, 3, 2 })]
    [InlineData(PadMode.Replicate, new float[] { 1, 1, 1, 2, 3, 4, 4, 4 })]
    [InlineData(PadMode.Constant, new float[] { 9, 9, 1, 2, 3, 4, 9, 9 })]
    public void Padding_follows_the_numpy_modes(PadMode mode, float[] expected)
    {
        var padded = Row(1, 2, 3, 4).Pad(2, 0, 2, 0, mode, constant: 9);

        Assert.Equal(expected, padded.Samples.ToArray());
    }

    [Fact]
    public void Vertical_padding_mirrors_rows()
    {
        var column = new Image(1, 3, 1, [1f, 2f, 3f]);

        Assert.Equal([2f, 1f, 2f, 3f, 2f], column.Pad(0, 1, 0, 1, PadMode.Reflect).Samples.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => column.Pad(0, 3, 0, 0, PadMode.Reflect));
    }

    [Fact]
    public void The_model_tensor_repeats_grey_and_drops_alpha()
    {
        var greyAlpha = new Image(2, 1, 2, [0.1f, 0.2f, 0.9f, 1f]);

        var tensor = greyAlpha.ToNchw();

        Assert.Equal([0.1f, 0.2f, 0.1f, 0.2f, 0.1f, 0.2f], tensor);
    }

    [Fact]
    public void An_image_is_taken_from_any_batch_item_of_a_tensor()
    {
        var tensor = Enumerable.Range(0, 2 * 3 * 2 * 2).Select(i => (float)i).ToArray();

        var second = Image.FromNchw(tensor, channels: 3, height: 2, width: 2, batchIndex: 1);

        Assert.Equal(Enumerable.Range(12, 12).Select(i => (float)i), second.Samples.ToArray());
        Assert.Throws<ArgumentException>(() => Image.FromNchw(tensor, 3, 2, 2, batchIndex: 2));
    }

    [Fact]
    public void Alpha_is_upscaled_separately_and_clamped_when_restored()
    {
        var source = new Image(4, 4, 4);
        var alpha = source.Plane(3);
        for (var i = 0; i < alpha.Length; i++)
        {
            alpha[i] = i % 4 < 2 ? 0f : 1f; // a hard edge: bicubic overshoots it
        }

        var upscaled = new Image(16, 16, 3).WithAlphaFrom(source);

        var expected = Resize.Imresize(new Image(4, 4, 1, alpha.ToArray()), 16, 16).Samples.ToArray().Select(v => Math.Clamp(v, 0f, 1f));
        Assert.Equal(4, upscaled.Channels);
        Assert.Equal(expected, upscaled.Plane(3).ToArray());
        Assert.Contains(0f, upscaled.Plane(3).ToArray());
        Assert.Contains(1f, upscaled.Plane(3).ToArray());
    }

    [Fact]
    public void Restoring_alpha_from_an_opaque_source_changes_nothing()
    {
        var output = TestImages.Random(4, 4, 3, 8, seed: 1);

        Assert.Same(output, output.WithAlphaFrom(TestImages.Random(2, 2, 3, 8, seed: 2)));
    }

    [Fact]
    public void Samples_are_checked_against_the_shape()
    {
        Assert.Throws<ArgumentException>(() => new Image(2, 2, 3, new float[11]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Image(2, 2, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Image(65536, 65536, 1));
    }
}
