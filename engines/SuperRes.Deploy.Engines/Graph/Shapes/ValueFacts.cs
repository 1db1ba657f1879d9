using Onnx;
using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Graph.Shapes;

/// <summary>What inference knows about one value: element type, symbolic shape, and (for small tensors) contents.</summary>
public sealed class ValueFacts
{
    public ValueFacts(int elementType, SymbolicShape? shape, SymbolicValue? value = null, bool dependsOnData = false)
    {
        ElementType = elementType;
        Shape = shape;
        Value = value;
        DependsOnData = dependsOnData;
    }

    /// <summary>Nothing known.</summary>
    public static ValueFacts Unknown { get; } = new(0, null);

    /// <summary>ONNX element type (TensorProto.DataType value); 0 when unknown.</summary>
    public int ElementType { get; }

    /// <summary>The shape; null when even the rank is unknown.</summary>
    public SymbolicShape? Shape { get; }

    /// <summary>The contents when known (shape tensors, small constants).</summary>
    public SymbolicValue? Value { get; }

    /// <summary>
    /// True when the value's contents are computed from tensor data (not only from shapes and constants). A shape
    /// argument with this flag makes the consuming op's output shape data-dependent.
    /// </summary>
    public bool DependsOnData { get; }

    public int? Rank => Shape?.Rank;

    public ValueFacts WithValue(SymbolicValue? value) => new(ElementType, Shape, value, DependsOnData);

    public override string ToString() =>
        $"{ElementTypes.Name(ElementType)}{Shape?.ToString() ?? "[?]"}{(Value is null ? string.Empty : " = " + Value)}";
}

/// <summary>Names and sizes of ONNX element types.</summary>
public static class ElementTypes
{
    public const int Float32Type = (int)TensorProto.Types.DataType.Float;
    public const int Float16Type = (int)TensorProto.Types.DataType.Float16;
    public const int Float64Type = (int)TensorProto.Types.DataType.Double;
    public const int Int64Type = (int)TensorProto.Types.DataType.Int64;
    public const int Int32Type = (int)TensorProto.Types.DataType.Int32;
    public const int BoolType = (int)TensorProto.Types.DataType.Bool;

    /// <summary>"float32", "int64", "bool"…; "?" for 0.</summary>
    public static string Name(int elementType) => (TensorProto.Types.DataType)elementType switch
    {
        TensorProto.Types.DataType.Undefined => "?",
        TensorProto.Types.DataType.Float => "float32",
        TensorProto.Types.DataType.Float16 => "float16",
        TensorProto.Types.DataType.Bfloat16 => "bfloat16",
        TensorProto.Types.DataType.Double => "float64",
        TensorProto.Types.DataType.Int8 => "int8",
        TensorProto.Types.DataType.Int16 => "int16",
        TensorProto.Types.DataType.Int32 => "int32",
        TensorProto.Types.DataType.Int64 => "int64",
        TensorProto.Types.DataType.Uint8 => "uint8",
        TensorProto.Types.DataType.Uint16 => "uint16",
        TensorProto.Types.DataType.Uint32 => "uint32",
        TensorProto.Types.DataType.Uint64 => "uint64",
        TensorProto.Types.DataType.Bool => "bool",
        TensorProto.Types.DataType.String => "string",
        var t => t.ToString().ToLowerInvariant(),
    };

    /// <summary>Bytes per element (0 when unknown or variable, e.g. strings).</summary>
    public static int Size(int elementType) => Onnx.TensorData.ElementSize(elementType);

    public static bool IsFloatingPoint(int elementType) => elementType is Float32Type or Float16Type or Float64Type or (int)TensorProto.Types.DataType.Bfloat16;

    /// <summary>Integer element types (signed and unsigned, 8 to 64 bits); bool is not one.</summary>
    public static bool IsInteger(int elementType) => elementType is 2 or 3 or 4 or 5 or 6 or 7 or 12 or 13;
}

/// <summary>A condition the input sizes must meet for the graph to run.</summary>
public enum ConstraintKind
{
    /// <summary>Left == Right (a Reshape's element count, a MatMul's inner dimensions, Concat's other axes…).</summary>
    Equal,

    /// <summary>Left and Right broadcast together: equal, or either is 1.</summary>
    Broadcastable,

    /// <summary>Left ≥ Right (a convolution's output has at least one element, a reflect pad is smaller than the dim…).</summary>
    AtLeast,
}

/// <summary>One size condition derived from one node.</summary>
public sealed record ShapeConstraint(ConstraintKind Kind, DimExpr Left, DimExpr Right, GraphNode Node, string Reason)
{
    /// <summary>Whether the condition holds with the symbols bound; null when it cannot be evaluated.</summary>
    public bool? IsSatisfied(Func<SymbolAtom, long?> lookup)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        if (Left.Evaluate(lookup) is not { } l || Right.Evaluate(lookup) is not { } r)
        {
            return null;
        }

        return Kind switch
        {
            ConstraintKind.Equal => l == r,
            ConstraintKind.Broadcastable => l == r || l == 1 || r == 1,
            _ => l >= r,
        };
    }

    /// <summary>The symbols the condition depends on.</summary>
    public IEnumerable<SymbolAtom> Symbols => Left.Symbols.Concat(Right.Symbols).Distinct();

    /// <summary>"height*width == 4096 (Reshape 'r1': element count must be preserved)".</summary>
    public string Describe() => Kind switch
    {
        ConstraintKind.Equal => $"{Left} == {Right}",
        ConstraintKind.Broadcastable => $"{Left} and {Right} must broadcast",
        _ => $"{Left} >= {Right}",
    } + $" ({Node.OpType} '{Node.DisplayName}': {Reason})";
}

/// <summary>How serious a shape-inference diagnostic is.</summary>
public enum DiagnosticSeverity
{
    Info,
    Warning,
    Error,
}

/// <summary>A note from shape inference about one node (no rule for its op, a failed rule, a contradiction).</summary>
public sealed record ShapeDiagnostic(GraphNode? Node, DiagnosticSeverity Severity, string Message);
