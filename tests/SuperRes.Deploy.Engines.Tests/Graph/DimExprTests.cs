using FsCheck;
using FsCheck.Fluent;
using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Tests.Graph;

public class DimExprTests
{
    private static readonly DimExpr H = DimExpr.Symbol("H");
    private static readonly DimExpr W = DimExpr.Symbol("W");

    private static long? Eval(DimExpr e, long h, long w = 1) => e.Evaluate(new Dictionary<string, long> { ["H"] = h, ["W"] = w });

    [Fact]
    public void Terms_are_collected_so_equal_polynomials_compare_equal()
    {
        Assert.Equal((H + W) * (H + W), (H * H) + (W * W) + (DimExpr.Constant(2) * H * W));
        Assert.Equal(H * 3 - H * 3, DimExpr.Zero);
        Assert.NotEqual(H, W);
        Assert.Equal("4*H", (H * 4).ToString());
    }

    [Fact]
    public void Padding_to_a_multiple_of_eight_simplifies_to_eight_times_ceil()
    {
        // DITN's check_image_size: H + (8 - H % 8) % 8, as exported (Mod with fmod=0).
        var padded = H + DimExpr.Mod(DimExpr.Constant(8) - DimExpr.Mod(H, 8), 8);
        Assert.Equal(DimExpr.Constant(8) * DimExpr.CeilDiv(H, 8), padded);
        Assert.Equal("8*ceil(H/8)", padded.ToString());
        Assert.Equal(DimExpr.CeilDiv(H, 8), DimExpr.FloorDiv(padded, 8));
    }

    [Fact]
    public void Floor_division_pulls_out_multiples_and_reduces_common_factors()
    {
        Assert.Equal(H + DimExpr.FloorDiv(H, 4), DimExpr.FloorDiv(H * 5, 4));
        Assert.Equal(DimExpr.FloorDiv(H, 2), DimExpr.FloorDiv(H * 2, 4));
        Assert.Equal(H * 2, DimExpr.FloorDiv(H * 16, 8));
        Assert.Equal(DimExpr.FloorDiv(H, 32), DimExpr.FloorDiv(DimExpr.FloorDiv(H, 4), 8));
        Assert.Equal(DimExpr.Constant(-3), DimExpr.FloorDiv(DimExpr.Constant(-7), 3));
    }

    [Fact]
    public void Floor_of_seven_eighths_and_h_minus_ceil_of_an_eighth_share_one_form()
    {
        Assert.Equal(H - DimExpr.CeilDiv(H, 8), DimExpr.FloorDiv(H * 7, 8));
        Assert.Equal(H - DimExpr.FloorDiv(H, 2), DimExpr.CeilDiv(H, 2));
        Assert.Equal("ceil(H/2)", DimExpr.CeilDiv(H, 2).ToString());
    }

    [Fact]
    public void Division_by_a_monomial_or_an_exact_polynomial_factor_cancels()
    {
        var n = DimExpr.Symbol("N");
        Assert.Equal(DimExpr.FloorDiv(n * H * W, 4), DimExpr.FloorDiv(n * DimExpr.Constant(60) * H * W, DimExpr.Constant(240)));
        Assert.Equal(n * H, DimExpr.FloorDiv(n * DimExpr.Constant(60) * H * W, DimExpr.Constant(60) * W));
        Assert.Equal(n * W, DimExpr.FloorDiv(n * H * W, H));
        var factor = (H - DimExpr.FloorDiv(H, 2)) * (W - DimExpr.FloorDiv(W, 2));
        Assert.Equal(DimExpr.Constant(144), DimExpr.FloorDiv(factor * 576, factor * 4));
    }

    [Fact]
    public void Max_and_min_drop_arguments_the_prover_orders()
    {
        Assert.Equal(H * 4, DimExpr.Min(H * 4, DimExpr.Constant(32) * DimExpr.CeilDiv(H, 8)));
        Assert.Equal(H, DimExpr.Max(H, DimExpr.Zero));
        Assert.Equal(DimExpr.Constant(8) * DimExpr.CeilDiv(H, 8), DimExpr.Max(DimExpr.Constant(4), DimExpr.Constant(8) * DimExpr.CeilDiv(H, 8)));
        var unordered = DimExpr.Max(H, W);
        Assert.Equal("max(H, W)", unordered.ToString());
        Assert.Equal(7, Eval(unordered, 7, 3));
        Assert.Equal(unordered, DimExpr.Max(W, H));
    }

    [Fact]
    public void Binding_symbols_gives_exact_numbers_and_unbound_symbols_give_null()
    {
        var e = (DimExpr.Constant(8) * DimExpr.CeilDiv(H, 8)) - H;
        Assert.Equal(6, Eval(e, 250));
        Assert.Equal(0, Eval(e, 256));
        Assert.Null(e.Evaluate(new Dictionary<string, long>()));
        Assert.Null(DimExpr.FloorDiv(H, W).Evaluate(new Dictionary<string, long> { ["H"] = 3, ["W"] = 0 }));
    }

    [Fact]
    public void Substitution_replaces_symbols_and_resimplifies()
    {
        var e = DimExpr.FloorDiv(H + W, 2);
        var s = e.Substitute(a => a.Name == "W" ? H : null);
        Assert.Equal(H, s);
    }

    [Fact]
    public void Products_of_per_axis_sizes_print_factored()
    {
        var n = DimExpr.Symbol("N");
        var tokens = n * DimExpr.CeilDiv(H, 2) * DimExpr.CeilDiv(W, 2);
        Assert.Equal("N*ceil(H/2)*ceil(W/2)", tokens.ToString());
        Assert.Equal("N*ceil(H/8)*ceil(W/8)", (n * DimExpr.CeilDiv(H, 8) * DimExpr.CeilDiv(W, 8)).ToString());
    }

    [Fact]
    public void Compiled_expressions_evaluate_like_the_tree()
    {
        var e = DimExpr.Max(H * 3 - DimExpr.Mod(W, 5), DimExpr.FloorDiv(H * W, 7));
        var compiled = CompiledDimExpr.Compile(e, ["H", "W"]);
        for (long h = 1; h < 30; h += 3)
        {
            for (long w = 1; w < 30; w += 4)
            {
                Assert.True(compiled.TryEvaluate([h, w], out var v));
                Assert.Equal(Eval(e, h, w), v);
            }
        }

        Assert.False(CompiledDimExpr.Compile(e, ["H"]).IsComplete);
    }

    // ---- property-style checks with random expressions and bindings ----

    private abstract record Ast;

    private sealed record Sym(int Index) : Ast;

    private sealed record Num(long Value) : Ast;

    private sealed record Bin(char Op, Ast Left, Ast Right) : Ast;

    private sealed record ByConst(char Op, Ast Left, long K) : Ast;

    private static Gen<Ast> AstGen(int size)
    {
        var leaf = Gen.OneOf(Gen.Choose(0, 1).Select(i => (Ast)new Sym(i)), Gen.Choose(-9, 20).Select(v => (Ast)new Num(v)));
        if (size <= 0)
        {
            return leaf;
        }

        var sub = AstGen(size / 2);
        var binary = from op in Gen.Elements('+', '-', '*', 'M', 'm')
                     from l in sub
                     from r in sub
                     select (Ast)new Bin(op, l, r);
        var byConstant = from op in Gen.Elements('/', '%', 'c')
                         from l in sub
                         from k in Gen.Choose(1, 12)
                         select (Ast)new ByConst(op, l, k);
        return Gen.Frequency((2, leaf), (3, binary), (3, byConstant));
    }

    private static DimExpr Build(Ast a) => a switch
    {
        Sym s => s.Index == 0 ? H : W,
        Num n => DimExpr.Constant(n.Value),
        Bin { Op: '+' } b => Build(b.Left) + Build(b.Right),
        Bin { Op: '-' } b => Build(b.Left) - Build(b.Right),
        Bin { Op: '*' } b => Build(b.Left) * Build(b.Right),
        Bin { Op: 'M' } b => DimExpr.Max(Build(b.Left), Build(b.Right)),
        Bin b => DimExpr.Min(Build(b.Left), Build(b.Right)),
        ByConst { Op: '/' } d => DimExpr.FloorDiv(Build(d.Left), d.K),
        ByConst { Op: '%' } d => DimExpr.Mod(Build(d.Left), d.K),
        ByConst d => DimExpr.CeilDiv(Build(d.Left), d.K),
        _ => throw new InvalidOperationException(),
    };

    private static long Direct(Ast a, long h, long w) => a switch
    {
        Sym s => s.Index == 0 ? h : w,
        Num n => n.Value,
        Bin { Op: '+' } b => checked(Direct(b.Left, h, w) + Direct(b.Right, h, w)),
        Bin { Op: '-' } b => checked(Direct(b.Left, h, w) - Direct(b.Right, h, w)),
        Bin { Op: '*' } b => checked(Direct(b.Left, h, w) * Direct(b.Right, h, w)),
        Bin { Op: 'M' } b => Math.Max(Direct(b.Left, h, w), Direct(b.Right, h, w)),
        Bin b => Math.Min(Direct(b.Left, h, w), Direct(b.Right, h, w)),
        ByConst { Op: '/' } d => DimExpr.FloorDivide(Direct(d.Left, h, w), d.K),
        ByConst { Op: '%' } d => DimExpr.FloorModulo(Direct(d.Left, h, w), d.K),
        ByConst d => -DimExpr.FloorDivide(-Direct(d.Left, h, w), d.K),
        _ => throw new InvalidOperationException(),
    };

    private static readonly Gen<(Ast Expr, long H, long W)> Cases =
        from e in Gen.Sized(s => AstGen(Math.Min(s, 12)))
        from h in Gen.Choose(1, 300)
        from w in Gen.Choose(1, 300)
        select (e, (long)h, (long)w);

    [Fact]
    public void Simplified_expressions_evaluate_like_the_expressions_they_came_from()
    {
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            long expected;
            DimExpr built;
            try
            {
                expected = Direct(c.Expr, c.H, c.W);
                built = Build(c.Expr);
            }
            catch (OverflowException)
            {
                return true;
            }

            return Eval(built, c.H, c.W) is not { } v || v == expected;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_prover_never_proves_a_negative_value_non_negative()
    {
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            try
            {
                var e = Build(c.Expr);
                return !DimProver.IsNonNegative(e) || Eval(e, c.H, c.W) is not { } v || v >= 0;
            }
            catch (OverflowException)
            {
                return true;
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Canonical_forms_make_commuted_and_distributed_expressions_equal()
    {
        var triples = from a in Gen.Sized(s => AstGen(Math.Min(s, 6)))
                      from b in Gen.Sized(s => AstGen(Math.Min(s, 6)))
                      from c in Gen.Sized(s => AstGen(Math.Min(s, 6)))
                      select (a, b, c);
        Prop.ForAll(triples.ToArbitrary(), t =>
        {
            try
            {
                var (a, b, c) = (Build(t.a), Build(t.b), Build(t.c));
                return (a + b).Equals(b + a) && (a * (b + c)).Equals((a * b) + (a * c)) && DimExpr.Max(a, b).Equals(DimExpr.Max(b, a));
            }
            catch (OverflowException)
            {
                return true;
            }
        }).QuickCheckThrowOnFailure();
    }
}
