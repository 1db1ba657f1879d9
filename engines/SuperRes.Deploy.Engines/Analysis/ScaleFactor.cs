using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Analysis;

/// <summary>
/// The super-resolution factor: output spatial size over input spatial size, per axis, for the first 4-D (NCHW) input
/// and output. Found by evaluating the symbolic output dims at several valid input sizes; exact when the ratio is the
/// same at all of them (e.g. 4 for DITN-Real even though it pads to a multiple of 8 and crops back).
/// </summary>
public sealed record ScaleFactor(
    string InputName,
    string OutputName,
    double Height,
    double Width,
    string HeightExpression,
    string WidthExpression)
{
    /// <summary>True when both axes scale by the same factor.</summary>
    public bool IsUniform => Math.Abs(Height - Width) < 1e-12;

    /// <summary>"4", "2", "1.5", or "4×2" when the axes differ.</summary>
    public string Display => IsUniform ? Format(Height) : $"{Format(Height)}×{Format(Width)}";

    internal static string Format(double v) => v.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Null when there is no 4-D input/output pair or the ratio is not constant over the valid sizes.</summary>
    public static ScaleFactor? Derive(ShapeInferenceResult shapes, SizeConstraintReport constraints)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentNullException.ThrowIfNull(constraints);
        var graph = shapes.Graph;
        var input = graph.Inputs.FirstOrDefault(i => shapes[i].Shape?.Rank == 4);
        var output = graph.Outputs.FirstOrDefault(o => shapes[o].Shape?.Rank == 4);
        if (input is null || output is null)
        {
            return null;
        }

        var inShape = shapes[input].Shape!;
        var outShape = shapes[output].Shape!;
        var h = Ratio(inShape[2], outShape[2], constraints);
        var w = Ratio(inShape[3], outShape[3], constraints);
        if (h is null || w is null)
        {
            return null;
        }

        return new ScaleFactor(input.Name, output.Name, h.Value, w.Value, outShape[2]?.ToString() ?? "?", outShape[3]?.ToString() ?? "?");
    }

    private static double? Ratio(DimExpr? input, DimExpr? output, SizeConstraintReport constraints)
    {
        if (input is null || output is null)
        {
            return null;
        }

        if (input.TryGetConstant(out var i) && output.TryGetConstant(out var o))
        {
            return i == 0 ? null : (double)o / i;
        }

        if (input.AsSymbol is not { } symbol || output.Symbols.Any(s => s.Name != symbol.Name && !constraints.Reference.ContainsKey(s.Name)))
        {
            return null;
        }

        // Sizes that are multiples of 16 first: a downscaler's floor(H/2) is H/2 there, as SR sizes usually are.
        var valid = constraints.ValidValues(symbol.Name, Enumerable.Range(1, 1024).Select(v => (long)v)).Where(v => v >= 16).ToList();
        var candidates = valid.Where(v => v % 16 == 0).Take(24).ToList();
        if (candidates.Count < 4)
        {
            candidates = [.. valid.Take(24)];
        }

        if (candidates.Count == 0)
        {
            return null;
        }

        double? ratio = null;
        foreach (var v in candidates)
        {
            var binding = new Dictionary<string, long>(constraints.Reference, StringComparer.Ordinal) { [symbol.Name] = v };
            if (output.Evaluate(binding) is not { } outSize)
            {
                return null;
            }

            var r = (double)outSize / v;
            if (ratio is null)
            {
                ratio = r;
            }
            else if (Math.Abs(ratio.Value - r) > 1e-9)
            {
                return null;
            }
        }

        return ratio;
    }
}
