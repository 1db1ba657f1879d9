using Google.Protobuf;
using Onnx;

namespace SuperRes.Deploy.Engines.Graph;

/// <summary>Typed, read-only access to a node's attributes. Missing attributes give the caller's default.</summary>
public sealed class NodeAttributes
{
    private readonly NodeProto _proto;

    internal NodeAttributes(NodeProto proto) => _proto = proto;

    public IEnumerable<string> Names => _proto.Attribute.Select(a => a.Name);

    public bool Has(string name) => Find(name) is not null;

    public AttributeProto? Find(string name)
    {
        foreach (var a in _proto.Attribute)
        {
            if (a.Name == name)
            {
                return a;
            }
        }

        return null;
    }

    public long GetInt(string name, long defaultValue) => Find(name) is { } a ? a.I : defaultValue;

    public long? GetIntOrNull(string name) => Find(name) is { } a ? a.I : null;

    public float GetFloat(string name, float defaultValue) => Find(name) is { } a ? a.F : defaultValue;

    public string GetString(string name, string defaultValue) => Find(name) is { } a ? a.S.ToStringUtf8() : defaultValue;

    /// <summary>The ints attribute, or null when absent.</summary>
    public long[]? GetInts(string name) => Find(name) is { } a ? [.. a.Ints] : null;

    public float[]? GetFloats(string name) => Find(name) is { } a ? [.. a.Floats] : null;

    public TensorProto? GetTensor(string name) => Find(name)?.T;

    public GraphProto? GetGraph(string name) => Find(name)?.G;

    /// <summary>A short printable form of one attribute's value (for reports).</summary>
    public static string Format(AttributeProto attribute)
    {
        ArgumentNullException.ThrowIfNull(attribute);
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return attribute.Type switch
        {
            AttributeProto.Types.AttributeType.Int => attribute.I.ToString(c),
            AttributeProto.Types.AttributeType.Float => attribute.F.ToString("G9", c),
            AttributeProto.Types.AttributeType.String => attribute.S.ToStringUtf8(),
            AttributeProto.Types.AttributeType.Ints => "[" + string.Join(", ", attribute.Ints.Select(i => i.ToString(c))) + "]",
            AttributeProto.Types.AttributeType.Floats => "[" + string.Join(", ", attribute.Floats.Select(f => f.ToString("G9", c))) + "]",
            AttributeProto.Types.AttributeType.Strings => "[" + string.Join(", ", attribute.Strings.Select(s => s.ToStringUtf8())) + "]",
            AttributeProto.Types.AttributeType.Tensor => $"tensor{(attribute.T is null ? string.Empty : "[" + string.Join("x", attribute.T.Dims) + "]")}",
            AttributeProto.Types.AttributeType.Graph => "graph",
            AttributeProto.Types.AttributeType.Graphs => $"graphs({attribute.Graphs.Count})",
            _ => attribute.Type.ToString(),
        };
    }

    /// <summary>Attribute factories for passes that create nodes.</summary>
    public static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto FloatAttribute(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto StringAttribute(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto IntsAttribute(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto FloatsAttribute(string name, params float[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        a.Floats.AddRange(values);
        return a;
    }

    public static AttributeProto TensorAttribute(string name, TensorProto value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };

    public static AttributeProto GraphAttribute(string name, GraphProto value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = value };
}
