using System.Buffers.Binary;
using Google.Protobuf;
using Onnx;

namespace SuperRes.Deploy.Tests;

/// <summary>
/// Builds small ONNX models in code for tests (only the protobuf classes: usable from every test project). Dims are
/// longs (fixed), strings (dim_param) or null (unnamed dynamic).
/// </summary>
internal sealed class TestModelBuilder
{
    private readonly ModelProto _model;
    private int _nodeCount;

    public TestModelBuilder(long opset = 17, string name = "test")
    {
        _model = new ModelProto { IrVersion = 8, ProducerName = "tests", ProducerVersion = "1", Graph = new GraphProto { Name = name } };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = opset });
    }

    public GraphProto Graph => _model.Graph;

    public TestModelBuilder Opset(string domain, long version)
    {
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        return this;
    }

    public TestModelBuilder Input(string name, params object?[] dims) => Input(name, TensorProto.Types.DataType.Float, dims);

    public TestModelBuilder Input(string name, TensorProto.Types.DataType type, params object?[] dims)
    {
        _model.Graph.Input.Add(ValueInfo(name, type, dims));
        return this;
    }

    /// <summary>An output; with no dims given, only the name (and element type) is declared.</summary>
    public TestModelBuilder Output(string name, params object?[] dims)
    {
        _model.Graph.Output.Add(dims.Length == 0
            ? new ValueInfoProto { Name = name }
            : ValueInfo(name, TensorProto.Types.DataType.Float, dims));
        return this;
    }

    public TestModelBuilder ValueInfo(string name, params object?[] dims)
    {
        _model.Graph.ValueInfo.Add(ValueInfo(name, TensorProto.Types.DataType.Float, dims));
        return this;
    }

    public TestModelBuilder Int64s(string name, long[] dims, params long[] values)
    {
        _model.Graph.Initializer.Add(Int64Tensor(name, dims, values));
        return this;
    }

    public TestModelBuilder Floats(string name, long[] dims, params float[] values)
    {
        _model.Graph.Initializer.Add(FloatTensor(name, dims, values));
        return this;
    }

    /// <summary>A float initializer of the given shape filled with a small deterministic pattern.</summary>
    public TestModelBuilder Weight(string name, params long[] dims)
    {
        var count = dims.Aggregate(1L, (a, b) => a * b);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = ((i % 7) - 3) * 0.01f;
        }

        _model.Graph.Initializer.Add(FloatTensor(name, dims, values));
        return this;
    }

    public TestModelBuilder Node(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes) =>
        NamedNode($"{opType}_{_nodeCount}", opType, inputs, outputs, attributes);

    public TestModelBuilder NamedNode(string name, string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        _model.Graph.Node.Add(MakeNode(name, opType, inputs, outputs, attributes));
        _nodeCount++;
        return this;
    }

    public TestModelBuilder DomainNode(string domain, string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = MakeNode($"{opType}_{_nodeCount++}", opType, inputs, outputs, attributes);
        node.Domain = domain;
        _model.Graph.Node.Add(node);
        return this;
    }

    /// <summary>A Constant node holding int64 values (1-D, or a scalar when <paramref name="scalar"/>).</summary>
    public TestModelBuilder ConstInts(string output, long[] values, bool scalar = false) =>
        Node("Constant", [], [output], TensorAttr("value", Int64Tensor(string.Empty, scalar ? [] : [values.Length], values)));

    public TestModelBuilder ConstFloat(string output, float value) =>
        Node("Constant", [], [output], TensorAttr("value", FloatTensor(string.Empty, [], [value])));

    public ModelProto Build() => _model.Clone();

    /// <summary>Writes the model to a file in <paramref name="directory"/> and returns its path.</summary>
    public string Save(string directory, string fileName)
    {
        var path = Path.Combine(directory, fileName);
        File.WriteAllBytes(path, _model.ToByteArray());
        return path;
    }

    public static NodeProto MakeNode(string name, string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { Name = name, OpType = opType };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    public static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                long v => new TensorShapeProto.Types.Dimension { DimValue = v },
                int v => new TensorShapeProto.Types.Dimension { DimValue = v },
                string p => new TensorShapeProto.Types.Dimension { DimParam = p },
                _ => new TensorShapeProto.Types.Dimension(),
            });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    public static TensorProto Int64Tensor(string name, long[] dims, long[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        }

        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(bytes) };
        t.Dims.AddRange(dims);
        return t;
    }

    public static TensorProto FloatTensor(string name, long[] dims, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(bytes) };
        t.Dims.AddRange(dims);
        return t;
    }

    public static AttributeProto IntAttr(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto FloatAttr(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto StringAttr(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto IntsAttr(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto TensorAttr(string name, TensorProto value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };

    public static AttributeProto GraphAttr(string name, GraphProto value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = value };
}
