using System.Buffers.Binary;
using Google.Protobuf;
using Onnx;

namespace SuperRes.Deploy.Tests;

/// <summary>
/// ONNX models built in code with the generated protobuf classes: every tensor storage form, subgraphs, functions,
/// sparse initializers, and conv nets with random weights of chosen sizes. Used beside the committed fixtures, and
/// for shapes no exporter writes (typed fields of every element type, unknown fields, external data).
/// </summary>
internal static class OnnxTestModels
{
    /// <summary>A model exercising every storage form and container the I/O code walks.</summary>
    public static ModelProto Varied()
    {
        var graph = new GraphProto { Name = "varied", DocString = "every storage form" };
        graph.Input.Add(ValueInfo("x", TensorProto.Types.DataType.Float, 1, 4));
        graph.Output.Add(ValueInfo("y", TensorProto.Types.DataType.Float, 1, 4));

        graph.Initializer.Add(Raw("w_raw", TensorProto.Types.DataType.Float, [4, 4], RandomBytes(64, seed: 1)));
        graph.Initializer.Add(Raw("w_big_raw", TensorProto.Types.DataType.Float, [64, 64], RandomBytes(64 * 64 * 4, seed: 2)));
        var typedBig = Typed("w_big_typed", TensorProto.Types.DataType.Float, [32, 32]);
        typedBig.FloatData.AddRange(Enumerable.Range(0, 1024).Select(i => i * 0.25f - 7f));
        graph.Initializer.Add(typedBig);
        foreach (var tensor in TypedTensorsOfEveryType())
        {
            graph.Initializer.Add(tensor);
        }

        var strings = Typed("labels", TensorProto.Types.DataType.String, [3]);
        strings.StringData.Add(ByteString.CopyFromUtf8("cat"));
        strings.StringData.Add(ByteString.CopyFromUtf8(new string('x', 3000)));
        strings.StringData.Add(ByteString.Empty);
        graph.Initializer.Add(strings);
        graph.Initializer.Add(Raw("scalar", TensorProto.Types.DataType.Float, [], BitConverter.GetBytes(2.5f)));
        graph.Initializer.Add(Raw("empty", TensorProto.Types.DataType.Float, [0, 3], []));

        graph.SparseInitializer.Add(new SparseTensorProto
        {
            Values = Raw("sparse_values", TensorProto.Types.DataType.Float, [2], RandomBytes(8, seed: 3)),
            Indices = Int64("sparse_indices", [2], 1, 7),
            Dims = { 4, 4 },
        });

        graph.Node.Add(Node("Constant", [], ["c"], "const", new AttributeProto
        {
            Name = "value",
            Type = AttributeProto.Types.AttributeType.Tensor,
            T = Raw("c_value", TensorProto.Types.DataType.Float, [4, 4], RandomBytes(64, seed: 4)),
        }));
        graph.Node.Add(Node("MatMul", ["x", "w_raw"], ["xw"], "matmul"));
        graph.Node.Add(Node("Add", ["xw", "c"], ["sum"], "add"));

        var thenBranch = new GraphProto { Name = "then" };
        thenBranch.Initializer.Add(Raw("then_w", TensorProto.Types.DataType.Float, [1, 4], RandomBytes(16, seed: 5)));
        thenBranch.Initializer.Add(Raw("then_big", TensorProto.Types.DataType.Float, [16, 16], RandomBytes(1024, seed: 6)));
        thenBranch.Node.Add(Node("Add", ["sum", "then_w"], ["then_out"], "then_add"));
        thenBranch.Output.Add(ValueInfo("then_out", TensorProto.Types.DataType.Float, 1, 4));
        var elseBranch = new GraphProto { Name = "else" };
        elseBranch.Node.Add(Node("Identity", ["sum"], ["else_out"], "else_id"));
        elseBranch.Output.Add(ValueInfo("else_out", TensorProto.Types.DataType.Float, 1, 4));
        graph.Initializer.Add(new TensorProto { Name = "cond", DataType = (int)TensorProto.Types.DataType.Bool, Int32Data = { 1 } });
        graph.Node.Add(Node("If", ["cond"], ["y"], "branch",
            new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = thenBranch },
            new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = elseBranch }));
        graph.ValueInfo.Add(ValueInfo("sum", TensorProto.Types.DataType.Float, 1, 4));

        var model = Model(graph);
        model.MetadataProps.Add(new StringStringEntryProto { Key = "author", Value = "tests" });
        model.DocString = "built by OnnxTestModels.Varied";
        var function = new FunctionProto { Name = "AddOne", Domain = "test.functions", Input = { "a" }, Output = { "b" } };
        function.Node.Add(Node("Constant", [], ["one"], "one", new AttributeProto
        {
            Name = "value",
            Type = AttributeProto.Types.AttributeType.Tensor,
            T = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float, FloatData = { 1f } },
        }));
        function.Node.Add(Node("Add", ["a", "one"], ["b"], "add_one"));
        function.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 17 });
        model.Functions.Add(function);
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "test.functions", Version = 1 });
        return model;
    }

    /// <summary>
    /// One small tensor per element type, stored in the typed field the ONNX schema assigns to it, with the little-endian
    /// bytes each must read as.
    /// </summary>
    public static IEnumerable<TensorProto> TypedTensorsOfEveryType() => TypedCases().Select(c => c.Tensor);

    public static IEnumerable<(TensorProto Tensor, byte[] Expected)> TypedCases()
    {
        var f = Typed("t_float", TensorProto.Types.DataType.Float, [3]);
        f.FloatData.Add([1.5f, -2f, float.NaN]);
        yield return (f, Le(w => { w.Single(1.5f); w.Single(-2f); w.Single(float.NaN); }));

        var d = Typed("t_double", TensorProto.Types.DataType.Double, [2]);
        d.DoubleData.Add([Math.PI, -0.0]);
        yield return (d, Le(w => { w.Double(Math.PI); w.Double(-0.0); }));

        var i64 = Typed("t_int64", TensorProto.Types.DataType.Int64, [3]);
        i64.Int64Data.Add([long.MinValue, -1, 1L << 40]);
        yield return (i64, Le(w => { w.Int64(long.MinValue); w.Int64(-1); w.Int64(1L << 40); }));

        var i32 = Typed("t_int32", TensorProto.Types.DataType.Int32, [2]);
        i32.Int32Data.Add([int.MinValue, 123456]);
        yield return (i32, Le(w => { w.Int32(int.MinValue); w.Int32(123456); }));

        var i16 = Typed("t_int16", TensorProto.Types.DataType.Int16, [2]);
        i16.Int32Data.Add([-2, 300]);
        yield return (i16, [0xFE, 0xFF, 0x2C, 0x01]);

        var u16 = Typed("t_uint16", TensorProto.Types.DataType.Uint16, [2]);
        u16.Int32Data.Add([65535, 1]);
        yield return (u16, [0xFF, 0xFF, 0x01, 0x00]);

        var i8 = Typed("t_int8", TensorProto.Types.DataType.Int8, [3]);
        i8.Int32Data.Add([-128, -1, 127]);
        yield return (i8, [0x80, 0xFF, 0x7F]);

        var u8 = Typed("t_uint8", TensorProto.Types.DataType.Uint8, [2]);
        u8.Int32Data.Add([0, 255]);
        yield return (u8, [0x00, 0xFF]);

        var b = Typed("t_bool", TensorProto.Types.DataType.Bool, [3]);
        b.Int32Data.Add([1, 0, 1]);
        yield return (b, [1, 0, 1]);

        // FLOAT16 and BFLOAT16 keep their bit patterns in the low 16 bits of int32_data.
        var h = Typed("t_float16", TensorProto.Types.DataType.Float16, [2]);
        h.Int32Data.Add([0x3C00, 0xC000]);
        yield return (h, [0x00, 0x3C, 0x00, 0xC0]);

        var bf = Typed("t_bfloat16", TensorProto.Types.DataType.Bfloat16, [2]);
        bf.Int32Data.Add([0x3F80, 0x7FC0]);
        yield return (bf, [0x80, 0x3F, 0xC0, 0x7F]);

        // UINT32 and UINT64 share uint64_data.
        var u32 = Typed("t_uint32", TensorProto.Types.DataType.Uint32, [2]);
        u32.Uint64Data.Add([uint.MaxValue, 7]);
        yield return (u32, [0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x00, 0x00]);

        var u64 = Typed("t_uint64", TensorProto.Types.DataType.Uint64, [1]);
        u64.Uint64Data.Add(ulong.MaxValue - 1);
        yield return (u64, [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);

        // COMPLEX64 keeps (real, imaginary) float pairs in float_data.
        var c64 = Typed("t_complex64", TensorProto.Types.DataType.Complex64, [1]);
        c64.FloatData.Add([1f, -1f]);
        yield return (c64, Le(w => { w.Single(1f); w.Single(-1f); }));

        var c128 = Typed("t_complex128", TensorProto.Types.DataType.Complex128, [1]);
        c128.DoubleData.Add([0.5, 2.0]);
        yield return (c128, Le(w => { w.Double(0.5); w.Double(2.0); }));

        // A 2-D int64 tensor as torch.onnx.export writes shape constants.
        yield return (Int64("t_shape", [2, 2], 1, -1, 3, 4), Le(w => { w.Int64(1); w.Int64(-1); w.Int64(3); w.Int64(4); }));
    }

    /// <summary>A conv net: <paramref name="blocks"/> 3x3 convs of <paramref name="channels"/> channels and a 1x1 head, random float weights.</summary>
    public static ModelProto ConvNet(int blocks, int channels, int seed = 0)
    {
        var graph = new GraphProto { Name = "convnet" };
        graph.Input.Add(ValueInfo("input", TensorProto.Types.DataType.Float, 1, 3, 32, 32));
        var x = "input";
        var cin = 3;
        for (var i = 0; i < blocks; i++)
        {
            var w = $"blocks.{i}.conv.weight";
            var bias = $"blocks.{i}.conv.bias";
            graph.Initializer.Add(Raw(w, TensorProto.Types.DataType.Float, [channels, cin, 3, 3], RandomBytes(channels * cin * 9 * 4, seed + i)));
            graph.Initializer.Add(Raw(bias, TensorProto.Types.DataType.Float, [channels], RandomBytes(channels * 4, seed + 1000 + i)));
            graph.Node.Add(Node("Conv", [x, w, bias], [$"blocks.{i}.out"], $"blocks.{i}.conv",
                Ints("pads", 1, 1, 1, 1), Ints("kernel_shape", 3, 3)));
            x = $"blocks.{i}.out";
            cin = channels;
        }

        graph.Initializer.Add(Raw("head.weight", TensorProto.Types.DataType.Float, [3, cin, 1, 1], RandomBytes(3 * cin * 4, seed + 5000)));
        graph.Node.Add(Node("Conv", [x, "head.weight"], ["output"], "head"));
        graph.Output.Add(ValueInfo("output", TensorProto.Types.DataType.Float, 1, 3, 32, 32));
        return Model(graph);
    }

    public static ModelProto Model(GraphProto graph)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "superres-deploy-tests", ProducerVersion = "1", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 17 });
        return model;
    }

    public static TensorProto Raw(string name, TensorProto.Types.DataType type, long[] dims, byte[] bytes) => new()
    {
        Name = name,
        DataType = (int)type,
        Dims = { dims },
        RawData = ByteString.CopyFrom(bytes),
    };

    /// <summary>A tensor whose payload lives in an external file (no data written here).</summary>
    public static TensorProto External(string name, TensorProto.Types.DataType type, long[] dims, string location, long offset, long? length)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, Dims = { dims }, DataLocation = TensorProto.Types.DataLocation.External };
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (length is not null)
        {
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        return tensor;
    }

    public static TensorProto Int64(string name, long[] dims, params long[] values) => new()
    {
        Name = name,
        DataType = (int)TensorProto.Types.DataType.Int64,
        Dims = { dims },
        Int64Data = { values },
    };

    public static NodeProto Node(string op, string[] inputs, string[] outputs, string name, params AttributeProto[] attributes) => new()
    {
        OpType = op,
        Name = name,
        Input = { inputs },
        Output = { outputs },
        Attribute = { attributes },
    };

    public static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Writes a model file as protobuf bytes, without going through the code under test.</summary>
    public static string WriteFile(ModelProto model, string directory, string fileName = "model.onnx")
    {
        var path = Path.Combine(directory, fileName);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    private static TensorProto Typed(string name, TensorProto.Types.DataType type, long[] dims) => new()
    {
        Name = name,
        DataType = (int)type,
        Dims = { dims },
    };

    private static AttributeProto Ints(string name, params long[] values) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static byte[] Le(Action<LittleEndianWriter> write)
    {
        var writer = new LittleEndianWriter();
        write(writer);
        return writer.ToArray();
    }

    private sealed class LittleEndianWriter
    {
        private readonly List<byte> _bytes = [];

        public void Single(float v) => Add(4, s => BinaryPrimitives.WriteSingleLittleEndian(s, v));

        public void Double(double v) => Add(8, s => BinaryPrimitives.WriteDoubleLittleEndian(s, v));

        public void Int64(long v) => Add(8, s => BinaryPrimitives.WriteInt64LittleEndian(s, v));

        public void Int32(int v) => Add(4, s => BinaryPrimitives.WriteInt32LittleEndian(s, v));

        public byte[] ToArray() => [.. _bytes];

        private void Add(int size, SpanAction write)
        {
            var buffer = new byte[size];
            write(buffer);
            _bytes.AddRange(buffer);
        }

        private delegate void SpanAction(Span<byte> span);
    }
}
