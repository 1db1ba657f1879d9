using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Graph.Shapes;

public static partial class ShapeRules
{
    /// <summary>Kernel geometry shared by Conv, ConvTranspose and the pools.</summary>
    internal sealed record KernelGeometry(long[] Kernel, long[] Strides, long[] Dilations, long[] PadsBegin, long[] PadsEnd, string AutoPad);

    /// <summary>Reads kernel_shape (or the weight's spatial dims), strides, dilations, pads and auto_pad of a conv-like node.</summary>
    internal static KernelGeometry? ReadGeometry(GraphNode node, int spatialRank, SymbolicShape? weight)
    {
        var a = node.Attributes;
        var kernel = a.GetInts("kernel_shape");
        if (kernel is null && weight is { } w && w.Rank == spatialRank + 2)
        {
            var dims = new long[spatialRank];
            for (var i = 0; i < spatialRank; i++)
            {
                if (w[i + 2]?.AsConstant is not { } k)
                {
                    return null;
                }

                dims[i] = k;
            }

            kernel = dims;
        }

        if (kernel is null || kernel.Length != spatialRank)
        {
            return null;
        }

        var strides = a.GetInts("strides") ?? Enumerable.Repeat(1L, spatialRank).ToArray();
        var dilations = a.GetInts("dilations") ?? Enumerable.Repeat(1L, spatialRank).ToArray();
        var pads = a.GetInts("pads") ?? new long[2 * spatialRank];
        if (strides.Length != spatialRank || dilations.Length != spatialRank || pads.Length != 2 * spatialRank)
        {
            return null;
        }

        return new KernelGeometry(kernel, strides, dilations, pads[..spatialRank], pads[spatialRank..], a.GetString("auto_pad", "NOTSET"));
    }

    private static void Conv(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var w = c.InputShape(1);
        var type = c.Node.OpType is "ConvInteger" ? ElementTypes.Int32Type : c.Node.OpType is "QLinearConv" ? c.InputType(7) : c.InputType(0);
        var weightIndex = c.Node.OpType == "QLinearConv" ? 3 : 1;
        w = c.InputShape(weightIndex);
        if (x is null)
        {
            c.SetOutput(0, type, null);
            return;
        }

        var spatial = x.Rank - 2;
        var g = ReadGeometry(c.Node, spatial, w);
        var dims = new DimExpr?[x.Rank];
        dims[0] = x[0];
        dims[1] = w?[0];
        var group = c.Attributes.GetInt("group", 1);
        if (x[1] is { } cin && w?[1] is { } perGroup)
        {
            c.RequireEqual(cin, perGroup * DimExpr.Constant(group), "input channels must equal weight channels × group");
        }

        for (var i = 0; i < spatial; i++)
        {
            dims[i + 2] = g is null || x[i + 2] is not { } input ? null : ConvOutputDim(c, input, g, i, ceilMode: false);
        }

        c.SetOutput(0, type, new SymbolicShape(dims));
    }

    /// <summary>The output size of one spatial axis of a convolution or pool, recording that the kernel must fit.</summary>
    private static DimExpr ConvOutputDim(ShapeRuleContext c, DimExpr input, KernelGeometry g, int i, bool ceilMode)
    {
        var stride = DimExpr.Constant(g.Strides[i]);
        var span = (g.Dilations[i] * (g.Kernel[i] - 1)) + 1;
        switch (g.AutoPad)
        {
            case "SAME_UPPER":
            case "SAME_LOWER":
                return DimExpr.CeilDiv(input, stride);
            case "VALID":
                c.RequireAtLeast(input, span, $"the kernel (extent {span}) must fit in the input");
                return DimExpr.CeilDiv(input - DimExpr.Constant(span - 1), stride);
            default:
                var padded = input + DimExpr.Constant(g.PadsBegin[i] + g.PadsEnd[i]);
                c.RequireAtLeast(padded, span, $"the kernel (extent {span}) must fit in the padded input");
                var reach = padded - DimExpr.Constant(span);
                return (ceilMode ? DimExpr.CeilDiv(reach, stride) : DimExpr.FloorDiv(reach, stride)) + DimExpr.One;
        }
    }

    private static void ConvTranspose(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var w = c.InputShape(1);
        if (x is null)
        {
            c.SetOutput(0, c.InputType(0), null);
            return;
        }

        var spatial = x.Rank - 2;
        var g = ReadGeometry(c.Node, spatial, w);
        var group = c.Attributes.GetInt("group", 1);
        var dims = new DimExpr?[x.Rank];
        dims[0] = x[0];
        dims[1] = w?[1] is { } m ? m * DimExpr.Constant(group) : null;
        if (x[1] is { } cin && w?[0] is { } wc)
        {
            c.RequireEqual(cin, wc, "input channels must equal the weight's first dim");
        }

        var outputShape = c.Attributes.GetInts("output_shape");
        var outputPadding = c.Attributes.GetInts("output_padding") ?? new long[spatial];
        for (var i = 0; i < spatial; i++)
        {
            if (outputShape is not null && outputShape.Length == spatial)
            {
                dims[i + 2] = outputShape[i];
            }
            else if (g is not null && x[i + 2] is { } input)
            {
                var stride = g.Strides[i];
                dims[i + 2] = g.AutoPad is "SAME_UPPER" or "SAME_LOWER"
                    ? input * DimExpr.Constant(stride)
                    : (DimExpr.Constant(stride) * (input - DimExpr.One)) +
                      DimExpr.Constant(outputPadding[i] + (g.Dilations[i] * (g.Kernel[i] - 1)) + 1 - g.PadsBegin[i] - g.PadsEnd[i]);
            }
        }

        c.SetOutput(0, c.InputType(0), new SymbolicShape(dims));
    }

    private static void Pool(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        if (x is null)
        {
            c.SetOutput(0, c.InputType(0), null);
            return;
        }

        var spatial = x.Rank - 2;
        var g = ReadGeometry(c.Node, spatial, null);
        var ceil = c.Attributes.GetInt("ceil_mode", 0) != 0;
        var dims = new DimExpr?[x.Rank];
        dims[0] = x[0];
        dims[1] = x[1];
        for (var i = 0; i < spatial; i++)
        {
            dims[i + 2] = g is null || x[i + 2] is not { } input ? null : ConvOutputDim(c, input, g, i, ceil);
        }

        var shape = new SymbolicShape(dims);
        c.SetOutput(0, c.InputType(0), shape);
        c.SetOutput(1, ElementTypes.Int64Type, shape);
    }

    private static void GlobalPool(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        c.SetOutput(0, c.InputType(0), x is null ? null : new SymbolicShape(x.Dims.Select((d, i) => i < 2 ? d : DimExpr.One)));
    }

    private static void Resize(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var type = c.InputType(0);
        if (x is null)
        {
            c.SetOutput(0, type, null);
            return;
        }

        var rank = x.Rank;
        var axes = c.Attributes.GetInts("axes")?.Select(a => ShapeRuleContext.NormalizeAxis(a, rank)).ToArray() ?? [.. Enumerable.Range(0, rank)];
        var dims = x.Dims.ToArray();

        // Upsample (opset 7-9) and Resize-10 take scales; Resize-11+ takes roi, scales, sizes.
        var isUpsample = c.Node.OpType == "Upsample";
        var scalesIndex = isUpsample || c.Opset < 11 ? 1 : 2;
        var sizesIndex = isUpsample || c.Opset < 11 ? -1 : 3;
        // Exporters pass an empty tensor for an unused scales/sizes input as often as they omit it.
        bool Given(int index) => index > 0 && c.HasInput(index) && !(c.InputShape(index) is { Rank: 1 } s && s[0]?.AsConstant == 0);
        if (Given(sizesIndex))
        {
            var sizes = IntsInput(c, sizesIndex);
            var policy = c.Attributes.GetString("keep_aspect_ratio_policy", "stretch");
            for (var i = 0; i < axes.Length; i++)
            {
                dims[axes[i]] = sizes is not null && sizes.Length == axes.Length && policy == "stretch" ? sizes[i] : null;
            }

            c.SetOutput(0, type, new SymbolicShape(dims));
            return;
        }

        double[]? scales = null;
        if (isUpsample && c.Opset < 9)
        {
            scales = c.Attributes.GetFloats("scales")?.Select(f => (double)f).ToArray();
        }
        else if (Given(scalesIndex) && c.InputValue(scalesIndex) is { } sv && sv.TryGetNumbers(out var numbers))
        {
            scales = numbers;
        }

        for (var i = 0; i < axes.Length; i++)
        {
            var axis = axes[i];
            if (scales is null || scales.Length != axes.Length || x[axis] is not { } input || ValueMath.AsFraction(scales[i]) is not { } f)
            {
                dims[axis] = null;
                continue;
            }

            // ONNX: output = floor(input * scale).
            dims[axis] = DimExpr.FloorDiv(input * DimExpr.Constant(f.P), f.Q);
        }

        c.SetOutput(0, type, new SymbolicShape(dims));
    }

    private static void Pad(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var type = c.InputType(0);
        if (x is null)
        {
            c.SetOutput(0, type, null);
            return;
        }

        var rank = x.Rank;
        DimExpr?[]? pads;
        int[] axes;
        if (c.Opset < 11)
        {
            pads = (c.Attributes.GetInts("pads") ?? c.Attributes.GetInts("paddings"))?.Select(p => (DimExpr?)p).ToArray();
            axes = [.. Enumerable.Range(0, rank)];
        }
        else
        {
            pads = IntsInput(c, 1);
            axes = c.HasInput(3) && ConstantInts(c, "axes", 3, 18) is { } a
                ? [.. a.Select(ax => ShapeRuleContext.NormalizeAxis(ax, rank))]
                : [.. Enumerable.Range(0, rank)];
        }

        var mode = c.Attributes.GetString("mode", "constant");
        var dims = x.Dims.ToArray();
        if (pads is null || pads.Length != 2 * axes.Length)
        {
            // Unknown pads: the rank is kept but padded axes are unknown.
            foreach (var axis in axes)
            {
                dims[axis] = null;
            }

            c.SetOutput(0, type, new SymbolicShape(dims));
            return;
        }

        for (var i = 0; i < axes.Length; i++)
        {
            var axis = axes[i];
            var begin = pads[i];
            var end = pads[i + axes.Length];
            if (dims[axis] is not { } d || begin is null || end is null)
            {
                dims[axis] = null;
                continue;
            }

            if (mode == "reflect")
            {
                // Reflection cannot reach further than the opposite edge: pad ≤ dim - 1 on each side.
                c.RequireAtLeast(d - DimExpr.One, begin, "a reflect pad must be smaller than the dimension");
                c.RequireAtLeast(d - DimExpr.One, end, "a reflect pad must be smaller than the dimension");
            }

            dims[axis] = d + begin + end;
        }

        c.SetOutput(0, type, new SymbolicShape(dims));
    }

    private static void DepthToSpace(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var b = c.Attributes.GetInt("blocksize", 1);
        if (x is null || x.Rank != 4)
        {
            c.SetOutput(0, c.InputType(0), null);
            return;
        }

        DimExpr? channels = null;
        if (x[1] is { } ch)
        {
            channels = DimExpr.FloorDiv(ch, b * b);
            c.RequireEqual(channels * DimExpr.Constant(b * b), ch, $"channels must be a multiple of blocksize² = {b * b}");
        }

        c.SetOutput(0, c.InputType(0), SymbolicShape.Of(x[0], channels, x[2] is { } h ? h * DimExpr.Constant(b) : null, x[3] is { } w ? w * DimExpr.Constant(b) : null));
    }

    private static void SpaceToDepth(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var b = c.Attributes.GetInt("blocksize", 1);
        if (x is null || x.Rank != 4)
        {
            c.SetOutput(0, c.InputType(0), null);
            return;
        }

        DimExpr? Down(DimExpr? d)
        {
            if (d is null)
            {
                return null;
            }

            var q = DimExpr.FloorDiv(d, b);
            c.RequireEqual(q * DimExpr.Constant(b), d, $"spatial dims must be multiples of blocksize {b}");
            return q;
        }

        c.SetOutput(0, c.InputType(0), SymbolicShape.Of(x[0], x[1] is { } ch ? ch * DimExpr.Constant(b * b) : null, Down(x[2]), Down(x[3])));
    }

    private static void GridSample(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var grid = c.InputShape(1);
        if (x is null || grid is null || grid.Rank != x.Rank)
        {
            c.SetOutput(0, c.InputType(0), x is null ? null : new SymbolicShape(x.Dims.Select((d, i) => i < 2 ? d : null)));
            return;
        }

        if (x[0] is { } n && grid[0] is { } gn)
        {
            c.RequireEqual(n, gn, "the grid's batch must match the input's");
        }

        var dims = new DimExpr?[x.Rank];
        dims[0] = x[0];
        dims[1] = x[1];
        for (var i = 2; i < x.Rank; i++)
        {
            dims[i] = grid[i - 1];
        }

        c.SetOutput(0, c.InputType(0), new SymbolicShape(dims));
    }

    private static void Col2Im(ShapeRuleContext c)
    {
        var x = c.InputShape(0);
        var image = IntsInput(c, 1);
        var block = IntsInput(c, 2);
        if (x is null || image is null || block is null || x.Rank != 3)
        {
            c.SetOutput(0, c.InputType(0), null);
            return;
        }

        DimExpr blockSize = DimExpr.One;
        foreach (var b in block)
        {
            blockSize = b is null ? blockSize : blockSize * b;
        }

        var channels = x[1] is { } ch && block.All(b => b is not null) ? DimExpr.FloorDiv(ch, blockSize) : null;
        c.SetOutput(0, c.InputType(0), new SymbolicShape(new[] { x[0], channels }.Concat(image)));
    }
}
