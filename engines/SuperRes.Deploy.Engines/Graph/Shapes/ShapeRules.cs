using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Graph.Shapes;

/// <summary>
/// The shape rules per op. Built-in rules cover the ops SR exports use (see docs); custom ops can register their own
/// (for instance the fusion pass registers FusedAttention's).
/// </summary>
public static partial class ShapeRules
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<(string Domain, string OpType), ShapeRule> Rules = BuiltIns();

    /// <summary>Registers (or replaces) the rule for an op. Thread-safe.</summary>
    public static void Register(string domain, string opType, ShapeRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentException.ThrowIfNullOrEmpty(opType);
        lock (Gate)
        {
            Rules[(GraphNode.NormalizeDomain(domain), opType)] = rule;
        }
    }

    /// <summary>The rule for an op; null when there is none.</summary>
    public static ShapeRule? Find(string domain, string opType)
    {
        lock (Gate)
        {
            return Rules.TryGetValue((GraphNode.NormalizeDomain(domain), opType), out var r) ? r : null;
        }
    }

    public static bool HasRule(string domain, string opType) => Find(domain, opType) is not null;

    private static Dictionary<(string, string), ShapeRule> BuiltIns()
    {
        var rules = new Dictionary<(string, string), ShapeRule>();
        void Add(ShapeRule rule, params string[] ops)
        {
            foreach (var op in ops)
            {
                rules[(string.Empty, op)] = rule;
            }
        }

        Add(SameAsInput,
            "Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Exp", "Log", "Neg", "Abs", "Sqrt", "Reciprocal",
            "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh",
            "Softplus", "Softsign", "Elu", "Selu", "Celu", "Gelu", "Mish", "Identity", "ThresholdedRelu", "Shrink", "BitwiseNot",
            "Softmax", "LogSoftmax", "Hardmax", "LRN", "InstanceNormalization", "MeanVarianceNormalization", "LpNormalization",
            "CumSum", "Trilu", "Clip", "GroupNormalization", "RMSNormalization", "Dropout", "BatchNormalization", "LayerNormalization",
            "Not", "IsNaN", "IsInf", "Cast", "CastLike", "EyeLike", "RandomNormalLike", "RandomUniformLike", "Bernoulli");
        Add(ElementwiseBinary,
            "Add", "Sub", "Mul", "Div", "Pow", "Mod", "And", "Or", "Xor", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
            "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "PRelu", "Max", "Min", "Sum", "Mean");
        Add(Where, "Where");
        Add(Conv, "Conv", "ConvInteger", "QLinearConv", "DeformConv");
        Add(ConvTranspose, "ConvTranspose");
        Add(Pool, "AveragePool", "MaxPool", "LpPool");
        Add(GlobalPool, "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool");
        Add(Resize, "Resize", "Upsample");
        Add(Pad, "Pad");
        Add(DepthToSpace, "DepthToSpace");
        Add(SpaceToDepth, "SpaceToDepth");
        Add(Reshape, "Reshape");
        Add(Flatten, "Flatten");
        Add(Squeeze, "Squeeze");
        Add(Unsqueeze, "Unsqueeze");
        Add(Transpose, "Transpose");
        Add(Concat, "Concat");
        Add(Split, "Split");
        Add(Slice, "Slice");
        Add(Gather, "Gather");
        Add(GatherElements, "GatherElements");
        Add(GatherND, "GatherND");
        Add(SameAsInput, "ScatterND", "ScatterElements", "Scatter");
        Add(Expand, "Expand");
        Add(Tile, "Tile");
        Add(Shape, "Shape");
        Add(Size, "Size");
        Add(Constant, "Constant");
        Add(ConstantOfShape, "ConstantOfShape");
        Add(Range, "Range");
        Add(NonZero, "NonZero");
        Add(TopK, "TopK");
        Add(Unique, "Unique");
        Add(Compress, "Compress");
        Add(ArgReduce, "ArgMax", "ArgMin");
        Add(Reduce,
            "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
            "ReduceSumSquare");
        Add(MatMul, "MatMul", "MatMulInteger", "QLinearMatMul");
        Add(Gemm, "Gemm");
        Add(Einsum, "Einsum");
        Add(GridSample, "GridSample");
        Add(OneHot, "OneHot");
        Add(Col2Im, "Col2Im");
        Add(If, "If");
        Add(Loop, "Loop");
        Add(RandomWithShape, "RandomNormal", "RandomUniform");
        rules[(OpCatalog.SuperResDomain, OpCatalog.FusedAttentionOp)] = FusedAttention;
        return rules;
    }

    // ---------------------------------------------------------------- element-wise

    private static void SameAsInput(ShapeRuleContext c)
    {
        var input = c.Input(0);
        var op = c.Node.OpType;
        var type = op switch
        {
            "Not" or "IsNaN" or "IsInf" => ElementTypes.BoolType,
            "Cast" => (int)c.Attributes.GetInt("to", 0),
            "CastLike" => c.InputType(1),
            "EyeLike" or "RandomNormalLike" or "RandomUniformLike" or "Bernoulli" => (int)c.Attributes.GetInt("dtype", input.ElementType),
            _ => input.ElementType,
        };

        var value = c.InputValue(0) is { } v ? UnaryValue(c, op, v, type) : null;
        c.SetOutput(0, type, input.Shape, value);

        switch (op)
        {
            case "Dropout" when c.OutputCount > 1:
                c.SetOutput(1, ElementTypes.BoolType, input.Shape);
                break;
            case "BatchNormalization":
                for (var i = 1; i < c.OutputCount; i++)
                {
                    c.SetOutput(i, input.ElementType, c.InputShape(1));
                }

                break;
            case "LayerNormalization" when c.OutputCount > 1 && input.Shape is { } s:
                {
                    var axis = ShapeRuleContext.NormalizeAxis(c.Attributes.GetInt("axis", -1), s.Rank);
                    var reduced = new SymbolicShape(s.Dims.Select((d, i) => i >= axis ? DimExpr.One : d));
                    var stash = (int)c.Attributes.GetInt("stash_type", ElementTypes.Float32Type);
                    for (var i = 1; i < c.OutputCount; i++)
                    {
                        c.SetOutput(i, stash, reduced);
                    }

                    break;
                }
        }
    }

    private static SymbolicValue? UnaryValue(ShapeRuleContext c, string op, SymbolicValue v, int outType)
    {
        switch (op)
        {
            case "Identity":
                return v;
            case "Cast":
            case "CastLike":
                return ValueMath.Cast(v, outType);
            case "Neg":
                return ValueMath.Unary(v, x => -x, x => -x);
            case "Abs":
                return ValueMath.Unary(v, ValueMath.Abs, Math.Abs);
            case "Sign":
                return ValueMath.Unary(v, ValueMath.Sign, x => Math.Sign(x));
            case "Floor":
                return ValueMath.Unary(v, x => x, Math.Floor);
            case "Ceil":
                return ValueMath.Unary(v, x => x, Math.Ceiling);
            case "Round":
                return ValueMath.Unary(v, x => x, x => Math.Round(x, MidpointRounding.ToEven));
            case "Not":
                return ValueMath.Unary(v, x => x.TryGetConstant(out var k) ? (k == 0 ? 1 : 0) : null, null);
            case "Sqrt":
                return v.TryGetNumbers(out var n) ? SymbolicValue.FromFloats(v.Shape, n.Select(Math.Sqrt)) : null;
            case "Reciprocal":
                return v.TryGetNumbers(out var r) ? SymbolicValue.FromFloats(v.Shape, r.Select(x => 1 / x)) : null;
            case "Clip" when v.IsInteger:
                {
                    var low = ClipBound(c, 1, "min");
                    var high = ClipBound(c, 2, "max");
                    return ValueMath.Unary(v, x =>
                    {
                        var y = low is null ? x : DimExpr.Max(x, low);
                        return high is null ? y : DimExpr.Min(y, high);
                    }, null);
                }

            default:
                return null;
        }
    }

    private static DimExpr? ClipBound(ShapeRuleContext c, int input, string attribute)
    {
        if (c.Opset < 11)
        {
            return c.Attributes.Has(attribute) ? DimExpr.Constant((long)c.Attributes.GetFloat(attribute, 0)) : null;
        }

        return c.HasInput(input) && c.InputValue(input) is { Count: 1 } v ? v.Element(0) : null;
    }

    private static void ElementwiseBinary(ShapeRuleContext c)
    {
        var op = c.Node.OpType;
        var shapes = Enumerable.Range(0, c.InputCount).Where(c.HasInput).Select(c.InputShape).ToArray();
        SymbolicShape? shape;
        if (op == "PRelu")
        {
            // The slope broadcasts to X; the output has X's shape.
            shape = c.InputShape(0);
            if (shape is not null && c.InputShape(1) is { } slope)
            {
                c.Broadcast(shape, slope);
            }
        }
        else
        {
            shape = c.Broadcast(shapes);
        }

        var type = op is "And" or "Or" or "Xor" or "Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual"
            ? ElementTypes.BoolType
            : Enumerable.Range(0, c.InputCount).Select(c.InputType).FirstOrDefault(t => t != 0);

        SymbolicValue? value = null;
        var values = Enumerable.Range(0, c.InputCount).Where(c.HasInput).Select(c.InputValue).ToArray();
        if (values.Length > 0 && values.All(v => v is not null))
        {
            var isFloat = ElementTypes.IsFloatingPoint(c.InputType(0));
            value = values[0];
            for (var i = 1; i < values.Length && value is not null; i++)
            {
                value = BinaryValue(c, op, value, values[i]!, isFloat);
            }

            if (op == "Mean" && value is not null)
            {
                value = values.Length == 1 ? value : null;
            }
        }

        c.SetOutput(0, type, shape, value);
    }

    private static SymbolicValue? BinaryValue(ShapeRuleContext c, string op, SymbolicValue a, SymbolicValue b, bool isFloat) => op switch
    {
        "Add" or "Sum" => ValueMath.Binary(a, b, (x, y) => x + y, (x, y) => x + y),
        "Sub" => ValueMath.Binary(a, b, (x, y) => x - y, (x, y) => x - y),
        "Mul" => ValueMath.Binary(a, b, (x, y) => x * y, (x, y) => x * y),
        "Div" => ValueMath.Binary(a, b, isFloat ? ValueMath.ExactDiv : ValueMath.TruncDiv, (x, y) => isFloat ? x / y : Math.Truncate(x / y)),
        "Mod" => ValueMath.Binary(a, b, (x, y) => ValueMath.Modulo(x, y, c.Attributes.GetInt("fmod", 0) != 0), null),
        "Pow" => ValueMath.Binary(a, b, (x, y) => y.TryGetConstant(out var e) && e is >= 0 and <= 8 ? Power(x, (int)e) : null, Math.Pow),
        "Max" => ValueMath.Binary(a, b, DimExpr.Max, Math.Max),
        "Min" => ValueMath.Binary(a, b, DimExpr.Min, Math.Min),
        "Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual" =>
            ValueMath.Binary(a, b, (x, y) => ValueMath.Compare(x, y, op), null) ??
            (a.TryGetNumbers(out var fa) && b.TryGetNumbers(out var fb) ? CompareFloats(a, b, op) : null),
        "And" or "Or" or "Xor" => ValueMath.Binary(a, b, (x, y) => ValueMath.Logical(x, y, op), null),
        _ => null,
    };

    private static SymbolicValue? CompareFloats(SymbolicValue a, SymbolicValue b, string op)
    {
        var result = ValueMath.Binary(a, b, (_, _) => null, (x, y) => op switch
        {
            "Equal" => x == y ? 1 : 0,
            "Less" => x < y ? 1 : 0,
            "Greater" => x > y ? 1 : 0,
            "LessOrEqual" => x <= y ? 1 : 0,
            _ => x >= y ? 1 : 0,
        });
        return result is null ? null : ValueMath.Cast(result, ElementTypes.Int64Type);
    }

    private static DimExpr Power(DimExpr x, int exponent)
    {
        DimExpr result = DimExpr.One;
        for (var i = 0; i < exponent; i++)
        {
            result *= x;
        }

        return result;
    }

    private static void Where(ShapeRuleContext c)
    {
        var shape = c.Broadcast(c.InputShape(0), c.InputShape(1), c.InputShape(2));
        var type = c.InputType(1) != 0 ? c.InputType(1) : c.InputType(2);
        SymbolicValue? value = null;
        if (c.InputValue(0) is { } cond && c.InputValue(1) is { } x && c.InputValue(2) is { } y && x.IsInteger && y.IsInteger && cond.IsInteger)
        {
            var xy = ValueMath.BroadcastShapes(x.Shape, y.Shape);
            var outShape = xy is null ? null : ValueMath.BroadcastShapes(cond.Shape, xy);
            if (outShape is not null && SymbolicValue.Fits(outShape))
            {
                var count = (int)outShape.Aggregate(1L, (p, q) => p * q);
                var elements = new DimExpr?[count];
                for (var i = 0; i < count; i++)
                {
                    var ce = cond.Ints![ValueMath.BroadcastIndex(i, outShape, cond.Shape)];
                    var xe = x.Ints![ValueMath.BroadcastIndex(i, outShape, x.Shape)];
                    var ye = y.Ints![ValueMath.BroadcastIndex(i, outShape, y.Shape)];
                    elements[i] = ce?.AsConstant is { } k ? (k != 0 ? xe : ye) : xe is not null && xe.Equals(ye) ? xe : null;
                }

                value = SymbolicValue.FromInts(outShape, elements);
            }
        }

        c.SetOutput(0, type, shape, value);
    }

    private static void RandomWithShape(ShapeRuleContext c)
    {
        var shape = c.Attributes.GetInts("shape");
        c.SetOutput(0, (int)c.Attributes.GetInt("dtype", ElementTypes.Float32Type), shape is null ? null : SymbolicShape.Of(shape));
    }

    /// <summary>Reads a 1-D int input (axes, pads, shape…) as expressions; null when not known.</summary>
    private static DimExpr?[]? IntsInput(ShapeRuleContext c, int index)
    {
        if (!c.HasInput(index) || c.InputValue(index) is not { IsInteger: true } v)
        {
            return null;
        }

        return [.. v.Ints!];
    }

    /// <summary>Reads constant ints from an attribute (older opsets) or an input (newer opsets).</summary>
    private static long[]? ConstantInts(ShapeRuleContext c, string attribute, int input, int inputSinceOpset)
    {
        if (c.Opset < inputSinceOpset)
        {
            return c.Attributes.GetInts(attribute);
        }

        if (!c.HasInput(input))
        {
            return null;
        }

        if (c.InputValue(input) is { } v && v.TryGetConstantInts(out var values))
        {
            return values;
        }

        ShapeRuleContext.Fail($"input {input} ({attribute}) is not a constant");
        return null;
    }
}
