using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace SuperRes.Deploy.Tests;

/// <summary>
/// Small ONNX models built in code (IR version 8, default-domain opset 17) for tests that run the real ONNX Runtime.
/// Dimensions are given as <c>long</c> (fixed), <c>string</c> (symbolic) or <c>null</c> (unknown, no name).
/// </summary>
internal static class TestOnnxModels
{
    public const long IrVersion = 8;
    public const long Opset = 17;
    public const string Producer = "srdeploy-tests";

    /// <summary>A tensor-typed graph input or output.</summary>
    public static ValueInfoProto TensorValue(string name, DataType type, params object?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim switch
            {
                null => new TensorShapeProto.Types.Dimension(),
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                int size => new TensorShapeProto.Types.Dimension { DimValue = size },
                long size => new TensorShapeProto.Types.Dimension { DimValue = size },
                _ => throw new ArgumentException($"dimension {dim} is not a size, a name or null", nameof(dims)),
            });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    /// <summary>A float initializer stored as raw little-endian bytes.</summary>
    public static TensorProto FloatInitializer(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        return tensor;
    }

    /// <summary>An int64 initializer.</summary>
    public static TensorProto Int64Initializer(string name, long[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)DataType.Int64 };
        tensor.Dims.AddRange(dims);
        tensor.Int64Data.AddRange(values);
        return tensor;
    }

    public static NodeProto Node(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{string.Join("_", outputs)}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    public static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static ModelProto Model(
        string graphName,
        IEnumerable<NodeProto> nodes,
        IEnumerable<ValueInfoProto> inputs,
        IEnumerable<ValueInfoProto> outputs,
        IEnumerable<TensorProto>? initializers = null)
    {
        var graph = new GraphProto { Name = graphName };
        graph.Node.AddRange(nodes);
        graph.Input.AddRange(inputs);
        graph.Output.AddRange(outputs);
        graph.Initializer.AddRange(initializers ?? []);
        var model = new ModelProto { IrVersion = IrVersion, ProducerName = Producer, ProducerVersion = "1", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        return model;
    }

    public static byte[] Bytes(ModelProto model) => model.ToByteArray();

    /// <summary>Writes the model to <paramref name="directory"/>/<paramref name="fileName"/> and returns the path.</summary>
    public static string Save(ModelProto model, string directory, string fileName)
    {
        var path = Path.Combine(directory, fileName);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    /// <summary>The 4×3 weights of <see cref="MatMulSoftmax"/>, row-major.</summary>
    public static readonly float[] MatMulWeights =
    [
        0.5f, -1.0f, 0.25f,
        1.5f, 0.0f, -0.75f,
        -0.5f, 2.0f, 1.0f,
        0.125f, -0.25f, 0.5f,
    ];

    /// <summary>Y[batch,3] = Softmax(X[batch,4] · W[4,3], axis -1) with W = <see cref="MatMulWeights"/>.</summary>
    public static ModelProto MatMulSoftmax()
    {
        var model = Model(
            "matmul_softmax",
            [Node("MatMul", ["X", "W"], ["Z"]), Node("Softmax", ["Z"], ["Y"], IntAttribute("axis", -1))],
            [TensorValue("X", DataType.Float, "batch", 4L)],
            [TensorValue("Y", DataType.Float, "batch", 3L)],
            [FloatInitializer("W", MatMulWeights, 4, 3)]);
        model.DocString = "matmul then softmax";
        model.Domain = "tests.srdeploy";
        model.ModelVersion = 7;
        model.MetadataProps.Add(new StringStringEntryProto { Key = "scale", Value = "4" });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "author", Value = "tests" });
        return model;
    }

    /// <summary>The reference for <see cref="MatMulSoftmax"/>, computed in C# (double accumulation).</summary>
    public static float[] MatMulSoftmaxReference(float[] x, int batch)
    {
        var y = new float[batch * 3];
        for (var b = 0; b < batch; b++)
        {
            var z = new double[3];
            for (var j = 0; j < 3; j++)
            {
                for (var k = 0; k < 4; k++)
                {
                    z[j] += (double)x[(b * 4) + k] * MatMulWeights[(k * 3) + j];
                }
            }

            var max = z.Max();
            var sum = z.Sum(v => Math.Exp(v - max));
            for (var j = 0; j < 3; j++)
            {
                y[(b * 3) + j] = (float)(Math.Exp(z[j] - max) / sum);
            }
        }

        return y;
    }

    /// <summary>C[2,3] = A[2,3] + B[2,3].</summary>
    public static ModelProto Add() => Model(
        "add",
        [Node("Add", ["A", "B"], ["C"])],
        [TensorValue("A", DataType.Float, 2L, 3L), TensorValue("B", DataType.Float, 2L, 3L)],
        [TensorValue("C", DataType.Float, 2L, 3L)]);

    /// <summary>Y = Identity(X) of the given element type and dimensions.</summary>
    public static ModelProto Identity(DataType type, params object?[] dims) => Model(
        "identity",
        [Node("Identity", ["X"], ["Y"])],
        [TensorValue("X", type, dims)],
        [TensorValue("Y", type, dims)]);

    /// <summary>Y = Relu(X) with X[batch,3,height,?]: a symbolic, a fixed, a symbolic and an unknown axis.</summary>
    public static ModelProto SymbolicDims() => Model(
        "symbolic",
        [Node("Relu", ["X"], ["Y"])],
        [TensorValue("X", DataType.Float, "batch", 3L, "height", null)],
        [TensorValue("Y", DataType.Float, "batch", 3L, "height", null)]);

    /// <summary>Y[n] = X[n] + X[n] in float16.</summary>
    public static ModelProto Float16Add() => Model(
        "float16_add",
        [Node("Add", ["X", "X"], ["Y"])],
        [TensorValue("X", DataType.Float16, "n")],
        [TensorValue("Y", DataType.Float16, "n")]);

    /// <summary>Y[n] = X[n] × 3 in int64.</summary>
    public static ModelProto Int64Scale() => Model(
        "int64_scale",
        [Node("Mul", ["X", "Three"], ["Y"])],
        [TensorValue("X", DataType.Int64, "n")],
        [TensorValue("Y", DataType.Int64, "n")],
        [Int64Initializer("Three", [3])]);

    /// <summary>C = A[n] + B[m]: valid only when n and m broadcast, so mismatched sizes fail inside ORT's Run.</summary>
    public static ModelProto AddOfIndependentLengths() => Model(
        "add_independent",
        [Node("Add", ["A", "B"], ["C"])],
        [TensorValue("A", DataType.Float, "n"), TensorValue("B", DataType.Float, "m")],
        [TensorValue("C", DataType.Float, [null])]);

    /// <summary>
    /// Y[size,size] = Tanh(…Tanh(X·W)·W…) with <paramref name="layers"/> MatMul+Tanh pairs sharing one weight: slow
    /// enough to be cancelled part way, small on disk.
    /// </summary>
    public static ModelProto SlowChain(int layers, int size)
    {
        var nodes = new List<NodeProto>();
        var current = "X";
        for (var i = 0; i < layers; i++)
        {
            nodes.Add(Node("MatMul", [current, "W"], [$"m{i}"]));
            var next = i == layers - 1 ? "Y" : $"t{i}";
            nodes.Add(Node("Tanh", [$"m{i}"], [next]));
            current = next;
        }

        var weights = new float[size * size];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = ((i * 7919) % 13 - 6) / (6f * size);
        }

        return Model(
            "slow_chain",
            nodes,
            [TensorValue("X", DataType.Float, (long)size, (long)size)],
            [TensorValue("Y", DataType.Float, (long)size, (long)size)],
            [FloatInitializer("W", weights, size, size)]);
    }
}
