using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Graph.Shapes;
using SuperRes.Deploy.Engines.Graph.Symbolic;

namespace SuperRes.Deploy.Engines.Analysis;

/// <summary>The kind of a derived size rule.</summary>
public enum SizeRuleKind
{
    /// <summary>The size must be a multiple of <see cref="SizeRule.Value"/> (at least <see cref="SizeRule.Minimum"/>).</summary>
    MultipleOf,

    /// <summary>The size must be ≡ <see cref="SizeRule.Remainder"/> (mod <see cref="SizeRule.Value"/>).</summary>
    Congruent,

    /// <summary>The size must be at least <see cref="SizeRule.Minimum"/>.</summary>
    Minimum,

    /// <summary>Only one size works (<see cref="SizeRule.Value"/>) although the input is declared dynamic.</summary>
    FixedSize,

    /// <summary>No size in the scanned range works.</summary>
    NoValidSize,

    /// <summary>The valid sizes follow no simple pattern; <see cref="SizeRule.Description"/> lists some.</summary>
    Irregular,

    /// <summary>Two sizes constrain each other (e.g. H·W must be a multiple of 4).</summary>
    Coupled,

    /// <summary>The model pads the size up to a multiple of <see cref="SizeRule.Value"/> itself: no constraint on the caller.</summary>
    PaddedToMultiple,
}

/// <summary>An input dimension a symbol stands for.</summary>
public sealed record InputAxis(string InputName, int Axis);

/// <summary>One rule about the sizes a dynamic input dimension may take, with the nodes that impose it.</summary>
public sealed record SizeRule(
    SizeRuleKind Kind,
    string Symbol,
    IReadOnlyList<InputAxis> Axes,
    long Value,
    long Remainder,
    long Minimum,
    bool ConstrainsInput,
    string Description,
    IReadOnlyList<string> NodeNames);

/// <summary>What the scan found for one input symbol.</summary>
public sealed record SymbolSummary(string Symbol, IReadOnlyList<InputAxis> Axes, bool IsBatch, long Reference, IReadOnlyList<long> ValidSample, int ValidCount, long ScanLimit);

/// <summary>
/// Size rules derived from the shape constraints by evaluating them over ranges of input sizes: for each dynamic input
/// symbol, the other symbols are held at a reference size that satisfies everything (batch 1; the other dims at the
/// valid square size nearest 64) and the symbol is scanned from 1 to <see cref="ScanLimit"/>; the valid set is then
/// described as a period and residue (multiple of 8), a minimum, a single size, or none. Pairs of symbols are checked on a
/// grid for coupling. Pads computed inside the model that round a size up are reported as "padded to a multiple of k".
/// </summary>
public sealed class SizeConstraintReport
{
    private readonly ConstraintSet _set;

    internal SizeConstraintReport(ConstraintSet set, IReadOnlyList<SizeRule> rules, IReadOnlyList<SymbolSummary> symbols, IReadOnlyDictionary<string, long> reference, long limit)
    {
        _set = set;
        Rules = rules;
        Symbols = symbols;
        Reference = reference;
        ScanLimit = limit;
    }

    /// <summary>Every derived rule (user constraints first, then padding notes).</summary>
    public IReadOnlyList<SizeRule> Rules { get; }

    public IReadOnlyList<SymbolSummary> Symbols { get; }

    /// <summary>A binding of every input symbol that satisfies all constraints when one was found (the "generic" size).</summary>
    public IReadOnlyDictionary<string, long> Reference { get; }

    public long ScanLimit { get; }

    /// <summary>True when a binding satisfying every constraint was found.</summary>
    public bool HasValidReference => _set.ReferenceIsValid;

    /// <summary>Rules that restrict what callers may feed (excludes padding notes).</summary>
    public IEnumerable<SizeRule> UserRules => Rules.Where(r => r.ConstrainsInput);

    /// <summary>The constraints violated at a binding (symbol → value); unknown symbols leave constraints unchecked.</summary>
    public IReadOnlyList<ShapeConstraint> ViolationsAt(IReadOnlyDictionary<string, long> symbolValues) => _set.ViolationsAt(symbolValues);

    /// <summary>Valid values of one symbol (others at the reference) among <paramref name="candidates"/>.</summary>
    public IEnumerable<long> ValidValues(string symbol, IEnumerable<long> candidates) => _set.ValidValues(symbol, candidates);

    public static SizeConstraintReport Analyze(ShapeInferenceResult shapes, long scanLimit = 1024)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        return new SizeConstraintAnalyzer(shapes, scanLimit).Run();
    }
}

/// <summary>The constraints compiled over the input symbols, deduplicated, with the reference binding.</summary>
internal sealed class ConstraintSet
{
    public ConstraintSet(ShapeInferenceResult shapes)
    {
        Shapes = shapes;
        Symbols = [.. shapes.InputSymbols.Where(s => s.Kind == SymbolKind.InputDim).Select(s => s.Name).Distinct()];
        var batch = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in shapes.InputDimensions)
        {
            var rank = shapes.InputDimensions.Count(x => x.InputName == d.InputName);
            if (d.Axis == 0 && rank >= 3 && d.Dim.AsSymbol is { } s)
            {
                batch.Add(s.Name);
            }
        }

        Batch = batch;
        Constraints = [.. shapes.Constraints
            .GroupBy(c => $"{(int)c.Kind}|{c.Left.Key}|{c.Right.Key}", StringComparer.Ordinal)
            .Select(g => new CompiledConstraint(g.ToList(), Symbols))
            .Where(c => c.IsComplete)];
        Reference = new long[Symbols.Count];
    }

    public ShapeInferenceResult Shapes { get; }

    public IReadOnlyList<string> Symbols { get; }

    public IReadOnlySet<string> Batch { get; }

    public IReadOnlyList<CompiledConstraint> Constraints { get; }

    public long[] Reference { get; }

    public bool ReferenceIsValid { get; set; }

    public int IndexOf(string symbol) => Symbols.ToList().IndexOf(symbol);

    /// <summary>True when none of <paramref name="subset"/> is violated at <paramref name="values"/>.</summary>
    public static bool Valid(IEnumerable<CompiledConstraint> subset, long[] values) => subset.All(c => c.Check(values) != false);

    public IReadOnlyList<ShapeConstraint> ViolationsAt(IReadOnlyDictionary<string, long> symbolValues)
    {
        var values = new long[Symbols.Count];
        var known = new bool[Symbols.Count];
        for (var i = 0; i < Symbols.Count; i++)
        {
            known[i] = symbolValues.TryGetValue(Symbols[i], out values[i]);
        }

        return [.. Constraints
            .Where(c => c.SymbolIndices.All(i => known[i]) && c.Check(values) == false)
            .SelectMany(c => c.Sources)];
    }

    public IEnumerable<long> ValidValues(string symbol, IEnumerable<long> candidates)
    {
        var index = IndexOf(symbol);
        if (index < 0)
        {
            foreach (var c in candidates)
            {
                yield return c;
            }

            yield break;
        }

        var relevant = Constraints.Where(c => c.SymbolIndices.Contains(index)).ToList();
        var values = (long[])Reference.Clone();
        foreach (var candidate in candidates)
        {
            values[index] = candidate;
            if (Valid(relevant, values))
            {
                yield return candidate;
            }
        }
    }
}

/// <summary>One distinct constraint (possibly imposed by several nodes), compiled.</summary>
internal sealed class CompiledConstraint
{
    private readonly CompiledDimExpr _left;
    private readonly CompiledDimExpr _right;

    public CompiledConstraint(List<ShapeConstraint> sources, IReadOnlyList<string> symbols)
    {
        Sources = sources;
        Kind = sources[0].Kind;
        _left = CompiledDimExpr.Compile(sources[0].Left, symbols);
        _right = CompiledDimExpr.Compile(sources[0].Right, symbols);
        var names = sources[0].Symbols.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        SymbolIndices = [.. Enumerable.Range(0, symbols.Count).Where(i => names.Contains(symbols[i]))];
    }

    public IReadOnlyList<ShapeConstraint> Sources { get; }

    public ConstraintKind Kind { get; }

    public int[] SymbolIndices { get; }

    public bool IsComplete => _left.IsComplete && _right.IsComplete;

    public IEnumerable<string> NodeNames => Sources.Select(s => s.Node.DisplayName);

    /// <summary>Whether the constraint holds; null when it cannot be evaluated there.</summary>
    public bool? Check(long[] values)
    {
        if (!_left.TryEvaluate(values, out var l) || !_right.TryEvaluate(values, out var r))
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
}

internal sealed class SizeConstraintAnalyzer
{
    private const long PreferredSize = 64;
    private const int MaxPeriod = 256;
    private const int CouplingGrid = 48;

    private readonly ShapeInferenceResult _shapes;
    private readonly long _limit;
    private readonly ConstraintSet _set;

    public SizeConstraintAnalyzer(ShapeInferenceResult shapes, long limit)
    {
        _shapes = shapes;
        _limit = Math.Max(limit, 16);
        _set = new ConstraintSet(shapes);
    }

    public SizeConstraintReport Run()
    {
        ChooseReference();
        var rules = new List<SizeRule>();
        var summaries = new List<SymbolSummary>();
        var valid = new Dictionary<int, bool[]>();
        for (var i = 0; i < _set.Symbols.Count; i++)
        {
            var isBatch = _set.Batch.Contains(_set.Symbols[i]);
            var limit = isBatch ? 64 : _limit;
            var flags = Scan(i, limit);
            valid[i] = flags;
            var validValues = Enumerable.Range(1, (int)limit).Where(v => flags[v]).Select(v => (long)v).ToList();
            summaries.Add(new SymbolSummary(_set.Symbols[i], AxesOf(_set.Symbols[i]), isBatch, _set.Reference[i], [.. validValues.Take(16)], validValues.Count, limit));
            if (Describe(i, flags, limit) is { } rule)
            {
                rules.Add(rule);
            }
        }

        rules.AddRange(Coupling(valid));
        rules.AddRange(Padding());
        var reference = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < _set.Symbols.Count; i++)
        {
            reference[_set.Symbols[i]] = _set.Reference[i];
        }

        return new SizeConstraintReport(_set, rules, summaries, reference, _limit);
    }

    private IReadOnlyList<InputAxis> AxesOf(string symbol) =>
        [.. _shapes.InputDimensions.Where(d => d.Dim.AsSymbol?.Name == symbol).Select(d => new InputAxis(d.InputName, d.Axis))];

    /// <summary>Batch symbols at 1; the others at the valid square size nearest 64 (at or above it preferred).</summary>
    private void ChooseReference()
    {
        var values = _set.Reference;
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = _set.Batch.Contains(_set.Symbols[i]) ? 1 : PreferredSize;
        }

        var spatial = Enumerable.Range(0, values.Length).Where(i => !_set.Batch.Contains(_set.Symbols[i])).ToList();
        if (spatial.Count == 0)
        {
            _set.ReferenceIsValid = ConstraintSet.Valid(_set.Constraints, values);
            return;
        }

        long? below = null;
        long? above = null;
        for (long s = 1; s <= 2 * _limit && above is null; s++)
        {
            foreach (var i in spatial)
            {
                values[i] = s;
            }

            if (ConstraintSet.Valid(_set.Constraints, values))
            {
                if (s >= PreferredSize)
                {
                    above = s;
                }
                else
                {
                    below = s;
                }
            }
        }

        var chosen = above ?? below;
        foreach (var i in spatial)
        {
            values[i] = chosen ?? PreferredSize;
        }

        _set.ReferenceIsValid = chosen is not null;
    }

    private bool[] Scan(int index, long limit)
    {
        var flags = new bool[limit + 1];
        var relevant = _set.Constraints.Where(c => c.SymbolIndices.Contains(index)).ToList();
        var values = (long[])_set.Reference.Clone();
        for (long v = 1; v <= limit; v++)
        {
            values[index] = v;
            flags[v] = ConstraintSet.Valid(relevant, values);
        }

        return flags;
    }

    private List<string> Failing(int index, long value)
    {
        var values = (long[])_set.Reference.Clone();
        values[index] = value;
        return [.. _set.Constraints.Where(c => c.SymbolIndices.Contains(index) && c.Check(values) == false).SelectMany(c => c.NodeNames).Distinct().Take(12)];
    }

    private SizeRule? Describe(int index, bool[] flags, long limit)
    {
        var symbol = _set.Symbols[index];
        var axes = AxesOf(symbol);
        var validValues = Enumerable.Range(1, (int)limit).Where(v => flags[v]).Select(v => (long)v).ToList();
        var others = string.Join(", ", Enumerable.Range(0, _set.Symbols.Count).Where(i => i != index).Select(i => $"{_set.Symbols[i]}={_set.Reference[i]}"));
        var context = others.Length > 0 ? $" (with {others})" : string.Empty;
        if (validValues.Count == 0)
        {
            var nodes = Failing(index, _set.Reference[index]);
            return new SizeRule(SizeRuleKind.NoValidSize, symbol, axes, 0, 0, 0, true,
                $"no {symbol} from 1 to {limit} satisfies the graph's shape constraints{context}", nodes);
        }

        // {1, v}: a spatial 1 that passes only by broadcasting does not make a second usable size.
        if (validValues.Count == 1 || (validValues.Count == 2 && validValues[0] == 1 && !_set.Batch.Contains(symbol)))
        {
            var v = validValues[^1];
            var nodes = Failing(index, v == 1 ? 2 : v - 1).Concat(Failing(index, v + 1)).Distinct().ToList();
            return new SizeRule(SizeRuleKind.FixedSize, symbol, axes, v, 0, v, true,
                $"{symbol} must be exactly {v}{(validValues.Count == 2 ? " (1 also passes, by broadcasting)" : string.Empty)}, although the input declares it dynamic", nodes);
        }

        var min = validValues[0];
        if (validValues.Count == limit - min + 1)
        {
            return min <= 1 ? null : new SizeRule(SizeRuleKind.Minimum, symbol, axes, min, 0, min, true,
                $"{symbol} must be at least {min}", Failing(index, min - 1));
        }

        for (var p = 2; p <= MaxPeriod && p < (limit - min) / 2; p++)
        {
            var periodic = true;
            for (var s = min; s + p <= limit && periodic; s++)
            {
                periodic = flags[s] == flags[s + p];
            }

            if (!periodic)
            {
                continue;
            }

            var residues = Enumerable.Range((int)min, p).Where(s => flags[s]).Select(s => (long)(s % p)).ToList();
            var invalid = Enumerable.Range((int)min, p).First(s => !flags[s]);
            var nodes = Failing(index, invalid);
            if (residues.Count == 1 && residues[0] == 0)
            {
                var atLeast = min > p ? $" and at least {min}" : string.Empty;
                return new SizeRule(SizeRuleKind.MultipleOf, symbol, axes, p, 0, min, true, $"{symbol} must be a multiple of {p}{atLeast}", nodes);
            }

            if (residues.Count == 1)
            {
                return new SizeRule(SizeRuleKind.Congruent, symbol, axes, p, residues[0], min, true,
                    $"{symbol} must be {residues[0]} more than a multiple of {p} (at least {min})", nodes);
            }

            return new SizeRule(SizeRuleKind.Irregular, symbol, axes, p, 0, min, true,
                $"{symbol} mod {p} must be one of {string.Join(", ", residues)} (at least {min})", nodes);
        }

        var firstInvalid = Enumerable.Range((int)min, (int)(limit - min + 1)).First(s => !flags[s]);
        return new SizeRule(SizeRuleKind.Irregular, symbol, axes, 0, 0, min, true,
            $"{symbol} works for {string.Join(", ", validValues.Take(8))}{(validValues.Count > 8 ? ", …" : string.Empty)} (up to {limit}) but not, e.g., {firstInvalid}",
            Failing(index, firstInvalid));
    }

    /// <summary>Reports constraints that tie two symbols together (their valid grid is not the product of the single scans).</summary>
    private IEnumerable<SizeRule> Coupling(Dictionary<int, bool[]> valid)
    {
        var spatial = Enumerable.Range(0, _set.Symbols.Count).Where(i => !_set.Batch.Contains(_set.Symbols[i])).ToList();
        for (var x = 0; x < spatial.Count; x++)
        {
            for (var y = x + 1; y < spatial.Count; y++)
            {
                var a = spatial[x];
                var b = spatial[y];
                var shared = _set.Constraints.Where(c => c.SymbolIndices.Contains(a) && c.SymbolIndices.Contains(b)).ToList();
                if (shared.Count == 0)
                {
                    continue;
                }

                var values = (long[])_set.Reference.Clone();
                (long, long, CompiledConstraint)? example = null;
                for (long i = 1; i <= CouplingGrid && example is null; i++)
                {
                    for (long j = 1; j <= CouplingGrid && example is null; j++)
                    {
                        if (!valid[a][i] || !valid[b][j])
                        {
                            continue;
                        }

                        values[a] = i;
                        values[b] = j;
                        var broken = shared.FirstOrDefault(c => c.Check(values) == false);
                        if (broken is not null)
                        {
                            example = (i, j, broken);
                        }
                    }
                }

                if (example is { } e)
                {
                    var (sa, sb) = (_set.Symbols[a], _set.Symbols[b]);
                    yield return new SizeRule(SizeRuleKind.Coupled, sa, AxesOf(sa).Concat(AxesOf(sb)).ToList(), 0, 0, 0, true,
                        $"{sa} and {sb} constrain each other: {sa}={e.Item1}, {sb}={e.Item2} each pass alone but fail together ({e.Item3.Sources[0].Describe()})",
                        [.. e.Item3.NodeNames.Distinct().Take(12)]);
                }
            }
        }
    }

    /// <summary>Pads whose amounts are computed so that the padded size is always a multiple of some k.</summary>
    private IEnumerable<SizeRule> Padding()
    {
        var seen = new HashSet<(string, long)>();
        foreach (var node in _shapes.Order.Where(n => n.Is("Pad")))
        {
            var input = node.Input(0) is { } i ? _shapes[i].Shape : null;
            var output = node.Output(0) is { } o ? _shapes[o].Shape : null;
            if (input is null || output is null || input.Rank != output.Rank)
            {
                continue;
            }

            for (var axis = 0; axis < input.Rank; axis++)
            {
                if (input[axis] is not { } before || output[axis] is not { } after || before.Equals(after) || after.Symbols.Count != 1)
                {
                    continue;
                }

                var symbol = after.Symbols[0].Name;
                var index = _set.IndexOf(symbol);
                if (index < 0 || _set.Batch.Contains(symbol))
                {
                    continue;
                }

                var k = PaddedMultiple(index, before, after);
                if (k > 1 && seen.Add((symbol, k)))
                {
                    yield return new SizeRule(SizeRuleKind.PaddedToMultiple, symbol, AxesOf(symbol), k, 0, 0, false,
                        $"{symbol} is padded to a multiple of {k} inside the model ({after}); any {symbol} is accepted", [node.DisplayName]);
                }
            }
        }
    }

    private long PaddedMultiple(int index, DimExpr before, DimExpr after)
    {
        var b = CompiledDimExpr.Compile(before, _set.Symbols);
        var a = CompiledDimExpr.Compile(after, _set.Symbols);
        var values = (long[])_set.Reference.Clone();
        for (long k = 64; k >= 2; k--)
        {
            var holds = true;
            var sawPadding = false;
            for (long s = 1; s <= 256 && holds; s++)
            {
                values[index] = s;
                if (!b.TryEvaluate(values, out var x) || !a.TryEvaluate(values, out var y))
                {
                    holds = false;
                    break;
                }

                holds = y % k == 0 && y - x >= 0 && y - x < k;
                sawPadding |= y != x;
            }

            if (holds && sawPadding)
            {
                return k;
            }
        }

        return 1;
    }
}
