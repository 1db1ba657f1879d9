using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Graph.Shapes;

public static partial class ShapeRules
{
    /// <summary>
    /// com.superres.deploy:FusedAttention (plugins/fused_attention/README.md): the output type is Q's; the shape follows
    /// the input and output layouts. Records that Q and K share d and that K and V share the token count.
    /// </summary>
    private static void FusedAttention(ShapeRuleContext c)
    {
        var q = c.InputShape(0);
        var k = c.InputShape(1);
        var v = c.InputShape(2);
        var type = c.InputType(0);
        var inputLayout = c.Attributes.GetString("input_layout", "BHND");
        var outputLayout = c.Attributes.GetString("output_layout", inputLayout);
        var heads = c.Attributes.GetInt("num_heads", 0);
        if (q is null || v is null)
        {
            c.SetOutput(0, type, null);
            return;
        }

        if (q.Rank != v.Rank || (k is not null && k.Rank != q.Rank))
        {
            ShapeRuleContext.Fail($"Q, K and V ranks differ ({q.Rank}, {k?.Rank}, {v.Rank})");
        }

        // Normalise the inputs to batch dims, Nq, H (null for BHND), per-head d of V.
        IReadOnlyList<DimExpr?> batch;
        DimExpr? nq;
        DimExpr? h;
        DimExpr? dv;
        switch (inputLayout)
        {
            case "BHND":
                if (q.Rank is < 3 or > 6)
                {
                    ShapeRuleContext.Fail($"BHND needs rank 3 to 6, got {q.Rank}");
                }

                batch = [.. q.Dims.Take(q.Rank - 2)];
                nq = q[q.Rank - 2];
                h = q.Rank == 4 ? q[1] : q.Rank == 3 ? DimExpr.One : null;
                dv = v[v.Rank - 1];
                Require(c, q[q.Rank - 1], k?[k.Rank - 1], "FusedAttention: K's d must equal Q's");
                Require(c, k?[k.Rank - 2], v[v.Rank - 2], "FusedAttention: V's tokens must equal K's");
                break;
            case "BNHD":
                if (q.Rank != 4)
                {
                    ShapeRuleContext.Fail($"BNHD needs rank 4, got {q.Rank}");
                }

                batch = [q[0], q[2]];
                nq = q[1];
                h = q[2];
                dv = v[3];
                Require(c, q[3], k?[3], "FusedAttention: K's d must equal Q's");
                Require(c, k?[1], v[1], "FusedAttention: V's tokens must equal K's");
                break;
            case "BNC":
                if (q.Rank != 3 || heads < 1)
                {
                    ShapeRuleContext.Fail($"BNC needs rank 3 and num_heads >= 1, got rank {q.Rank}, num_heads {heads}");
                }

                batch = [q[0], DimExpr.Constant(heads)];
                nq = q[1];
                h = DimExpr.Constant(heads);
                dv = v[2] is { } c3 ? DimExpr.FloorDiv(c3, DimExpr.Constant(heads)) : null;
                Require(c, k?[1], v[1], "FusedAttention: V's tokens must equal K's");
                break;
            default:
                ShapeRuleContext.Fail($"unknown input_layout '{inputLayout}'");
                return;
        }

        SymbolicShape output;
        switch (outputLayout)
        {
            case "BHND" when inputLayout == "BHND":
                output = new SymbolicShape([.. batch, nq, dv]);
                break;
            case "BHND":
                output = SymbolicShape.Of(batch[0], h, nq, dv);
                break;
            case "BNHD" when inputLayout != "BHND" || batch.Count <= 2:
                output = SymbolicShape.Of(batch[0], nq, h, dv);
                break;
            case "BNC" when inputLayout != "BHND" || batch.Count <= 2:
                output = SymbolicShape.Of(batch[0], nq, h is null || dv is null ? null : h * dv);
                break;
            default:
                ShapeRuleContext.Fail($"output_layout '{outputLayout}' is not available for input_layout '{inputLayout}' at rank {q.Rank}");
                return;
        }

        c.SetOutput(0, type, output);
    }

    private static void Require(ShapeRuleContext c, DimExpr? a, DimExpr? b, string reason)
    {
        if (a is not null && b is not null)
        {
            c.RequireEqual(a, b, reason);
        }
    }
}
