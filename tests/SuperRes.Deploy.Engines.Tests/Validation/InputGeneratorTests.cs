using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Validation;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Validation;

public sealed class InputGeneratorTests
{
    private static readonly TensorInfo[] Inputs =
    [
        new("input", TensorElementType.Float32, [TensorDim.Symbolic("N"), TensorDim.Fixed(3), TensorDim.Symbolic("H"), TensorDim.Symbolic("W")]),
        new("strength", TensorElementType.Int64, [TensorDim.Fixed(1)]),
    ];

    private static readonly Dictionary<string, IReadOnlyList<long>> Shapes = new()
    {
        ["input"] = new long[] { 2, 3, 20, 30 },
        ["strength"] = new long[] { 1 },
    };

    [Fact]
    public void Random_inputs_are_the_same_for_the_same_seed_and_case_and_differ_otherwise()
    {
        var a = new InputGenerator(Inputs, ValidationInputs.Random(7)).Create(Shapes, 0).Tensors;
        var b = new InputGenerator(Inputs, ValidationInputs.Random(7)).Create(Shapes, 0).Tensors;
        var otherCase = new InputGenerator(Inputs, ValidationInputs.Random(7)).Create(Shapes, 1).Tensors;
        var otherSeed = new InputGenerator(Inputs, ValidationInputs.Random(8)).Create(Shapes, 0).Tensors;

        Assert.Equal(a["input"].AsSpan<float>().ToArray(), b["input"].AsSpan<float>().ToArray());
        Assert.NotEqual(a["input"].AsSpan<float>().ToArray(), otherCase["input"].AsSpan<float>().ToArray());
        Assert.NotEqual(a["input"].AsSpan<float>().ToArray(), otherSeed["input"].AsSpan<float>().ToArray());
    }

    [Fact]
    public void Random_floats_are_uniform_in_the_value_range_and_integers_are_integers_in_it()
    {
        var (tensors, descriptions) = new InputGenerator(Inputs, ValidationInputs.Random(3, (-1, 2))).Create(
            new Dictionary<string, IReadOnlyList<long>> { ["input"] = new long[] { 1, 3, 100, 100 }, ["strength"] = new long[] { 1 } }, 0);

        var values = tensors["input"].AsSpan<float>().ToArray();
        Assert.All(values, v => Assert.InRange(v, -1f, 2f));
        Assert.InRange(values.Average(), 0.45, 0.55);
        Assert.InRange(values.Count(v => v < 0) / (double)values.Length, 0.31, 0.36);
        Assert.InRange(tensors["strength"].AsSpan<long>()[0], -1, 2);
        Assert.Equal("random", descriptions[0].Source);
        Assert.Contains("seed 3 stream 0:0", descriptions[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Images_are_scaled_to_cover_the_shape_and_centre_cropped_one_file_per_batch_element()
    {
        var folder = RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "LRbicx4");
        var generator = new InputGenerator(Inputs, ValidationInputs.Images(folder));

        var (tensors, descriptions) = generator.Create(Shapes, 0);

        Assert.Equal(["baby.png", "bird.png", "butterfly.png", "head.png", "woman.png"], generator.Files.Select(Path.GetFileName));
        var image = descriptions[0];
        Assert.Equal("image", image.Source);
        Assert.Equal(["baby.png", "bird.png"], image.Files.Select(Path.GetFileName));
        // baby is 126x126: x0.2381 (30/126) covers 30 wide, giving 30x30, then the centre 30x20.
        Assert.StartsWith("baby.png 126x126, bicubic x0.2381 (antialiased) to 30x30, centre crop 30x20 at (0,5)", image.Detail, StringComparison.Ordinal);
        Assert.Equal("random", descriptions[1].Source);

        var baby = ImageFile.Read(Path.Combine(folder, "baby.png"));
        var (expected, _) = InputGenerator.Fit(baby, 20, 30);
        Assert.Equal(expected.ToNchw(), tensors["input"].AsSpan<float>()[..(3 * 20 * 30)].ToArray());
        Assert.All(tensors["input"].AsSpan<float>().ToArray(), v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void The_next_case_continues_with_the_next_images()
    {
        var generator = new InputGenerator(Inputs, ValidationInputs.Images(RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "LRbicx4")));

        var descriptions = generator.Create(Shapes, 2).Descriptions;

        Assert.Equal(["woman.png", "baby.png"], descriptions[0].Files.Select(Path.GetFileName));
    }

    [Fact]
    public void An_image_of_the_exact_shape_is_used_as_it_is()
    {
        var image = ImageFile.Read(RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "LRbicx4", "bird.png"));

        var (fitted, detail) = InputGenerator.Fit(image, image.Height, image.Width);

        Assert.Equal("72x72", detail);
        Assert.Equal(image.Samples.ToArray(), fitted.Samples.ToArray());
    }

    [Fact]
    public void A_corrupt_png_is_a_bad_input_naming_the_file()
    {
        using var folder = new TempFolder("srd-inputs");
        var png = folder.File("broken.png");
        var bytes = File.ReadAllBytes(RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "LRbicx4", "bird.png"));
        File.WriteAllBytes(png, bytes[..(bytes.Length / 2)]);
        var generator = new InputGenerator(Inputs, ValidationInputs.Images(png));

        var error = Assert.Throws<DeployException>(() => generator.Create(Shapes, 0));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("broken.png", error.Message, StringComparison.Ordinal);
    }
}
