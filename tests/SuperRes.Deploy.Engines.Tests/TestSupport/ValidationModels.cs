using Onnx;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Tests;
using DataType = Onnx.TensorProto.Types.DataType;

namespace SuperRes.Deploy.Engines.Tests.TestSupport;

/// <summary>Small image-shaped ONNX models built in code for validation tests, input `input` [N,3,H,W] → output `output`.</summary>
internal static class ValidationModels
{
    /// <summary>output = input + 1: what the TensorRT test double's engines compute.</summary>
    public static ModelProto AddOne(string input = "input") => Elementwise("add_one", "Add", input, 1f);

    /// <summary>output = input.</summary>
    public static ModelProto Identity(string input = "input") => TestOnnxModels.Model(
        "identity",
        [TestOnnxModels.Node("Identity", [input], ["output"])],
        [Image(input)],
        [Image("output")]);

    /// <summary>output = sqrt(input − 2): NaN for every input in [0, 1).</summary>
    public static ModelProto SqrtBelowZero() => TestOnnxModels.Model(
        "sqrt_below_zero",
        [TestOnnxModels.Node("Sub", ["input", "two"], ["shifted"]), TestOnnxModels.Node("Sqrt", ["shifted"], ["output"])],
        [Image("input")],
        [Image("output")],
        [TestOnnxModels.FloatInitializer("two", [2f])]);

    /// <summary>output = sqrt(input): finite for inputs in [0, 1).</summary>
    public static ModelProto Sqrt() => TestOnnxModels.Model(
        "sqrt",
        [TestOnnxModels.Node("Sqrt", ["input"], ["output"])],
        [Image("input")],
        [Image("output")]);

    /// <summary>output = input + 1 with float16 input and output (as an engine with fp16 I/O would have).</summary>
    public static ModelProto AddOneFloat16() => TestOnnxModels.Model(
        "add_one_fp16",
        [
            TestOnnxModels.Node("Cast", ["input"], ["wide"], TestOnnxModels.IntAttribute("to", (long)DataType.Float)),
            TestOnnxModels.Node("Add", ["wide", "constant"], ["sum"]),
            TestOnnxModels.Node("Cast", ["sum"], ["output"], TestOnnxModels.IntAttribute("to", (long)DataType.Float16)),
        ],
        [TestOnnxModels.TensorValue("input", DataType.Float16, "N", 3L, "H", "W")],
        [TestOnnxModels.TensorValue("output", DataType.Float16, "N", 3L, "H", "W")],
        [TestOnnxModels.FloatInitializer("constant", [1f])]);

    /// <summary>output = DepthToSpace(concat of 4 copies of input, 2): the input upscaled ×2 by pixel repetition.</summary>
    public static ModelProto Upscale2()
    {
        var model = TestOnnxModels.Model(
            "upscale2",
            [
                TestOnnxModels.Node("Concat", ["input", "input", "input", "input"], ["stacked"], TestOnnxModels.IntAttribute("axis", 1)),
                TestOnnxModels.Node("DepthToSpace", ["stacked"], ["output"], TestOnnxModels.IntAttribute("blocksize", 2)),
            ],
            [Image("input")],
            [TestOnnxModels.TensorValue("output", DataType.Float, "N", 3L, "H2", "W2")]);
        return model;
    }

    /// <summary>A rank-3 input [N, 3, L] → output = input + 1.</summary>
    public static ModelProto Rank3() => TestOnnxModels.Model(
        "rank3",
        [TestOnnxModels.Node("Add", ["input", "one"], ["output"])],
        [TestOnnxModels.TensorValue("input", DataType.Float, "N", 3L, "L")],
        [TestOnnxModels.TensorValue("output", DataType.Float, "N", 3L, "L")],
        [TestOnnxModels.FloatInitializer("one", [1f])]);

    /// <summary>
    /// A copy of <paramref name="sourcePath"/> with one element of initializer <paramref name="initializer"/> changed by
    /// <paramref name="delta"/>, saved to <paramref name="destination"/> through <see cref="OnnxModel"/>.
    /// </summary>
    public static void SavePerturbed(string sourcePath, string destination, string initializer, int element, float delta)
    {
        using var model = OnnxModel.Load(sourcePath);
        var tensor = model.Proto.Graph.Initializer.Single(t => t.Name == initializer);
        var bytes = model.ReadTensorBytes(tensor);
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan());
        values[element] += delta;
        TensorData.MakeInline(tensor, bytes);
        model.Save(destination);
    }

    private static ModelProto Elementwise(string name, string op, string input, float constant) => TestOnnxModels.Model(
        name,
        [TestOnnxModels.Node(op, [input, "constant"], ["output"])],
        [Image(input)],
        [Image("output")],
        [TestOnnxModels.FloatInitializer("constant", [constant])]);

    private static ValueInfoProto Image(string name) => TestOnnxModels.TensorValue(name, DataType.Float, "N", 3L, "H", "W");
}
