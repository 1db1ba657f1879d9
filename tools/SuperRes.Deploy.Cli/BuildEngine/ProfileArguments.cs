using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Configuration;

namespace SuperRes.Deploy.Cli.BuildEngine;

/// <summary>
/// Turns build-engine's profile options into profiles. trtexec groups <c>--minShapes/--optShapes/--maxShapes</c> by a
/// preceding <c>--profile=N</c>; the command-line parser keeps each option's values in order but not their interleaving,
/// so here the i-th --minShapes, --optShapes and --maxShapes form profile i, or each <c>--profile</c> value carries a
/// whole profile as <c>min=...;opt=...;max=...</c>. As in trtexec, opt alone means min = max = opt.
/// </summary>
public static class ProfileArguments
{
    public static IReadOnlyList<ProfileSettings> Parse(IReadOnlyList<string> min, IReadOnlyList<string> opt, IReadOnlyList<string> max, IReadOnlyList<string> profiles)
    {
        ArgumentNullException.ThrowIfNull(min);
        ArgumentNullException.ThrowIfNull(opt);
        ArgumentNullException.ThrowIfNull(max);
        ArgumentNullException.ThrowIfNull(profiles);
        var triples = min.Count + opt.Count + max.Count > 0;
        if (triples && profiles.Count > 0)
        {
            throw DeployException.Usage("give profiles either with --profile \"min=...;opt=...;max=...\" or with --minShapes/--optShapes/--maxShapes, not both");
        }

        if (profiles.Count > 0)
        {
            return [.. profiles.Select((p, i) => ParseProfile(p, i))];
        }

        if (!triples)
        {
            return [];
        }

        if (opt.Count == 0)
        {
            throw DeployException.Usage("--minShapes/--maxShapes need --optShapes (trtexec's rule: opt is required, min and max default to it)");
        }

        if ((min.Count != 0 && min.Count != opt.Count) || (max.Count != 0 && max.Count != opt.Count))
        {
            throw DeployException.Usage($"profile {Math.Min(min.Count, max.Count)}: give --minShapes, --optShapes and --maxShapes the same number of times (got {min.Count}, {opt.Count}, {max.Count}), or --optShapes alone");
        }

        var result = new List<ProfileSettings>();
        for (var i = 0; i < opt.Count; i++)
        {
            var o = ShapeSpec.ParseList(opt[i]);
            result.Add(Checked(i, min.Count > 0 ? ShapeSpec.ParseList(min[i]) : o, o, max.Count > 0 ? ShapeSpec.ParseList(max[i]) : o));
        }

        return result;
    }

    private static ProfileSettings ParseProfile(string text, int index)
    {
        IReadOnlyList<ShapeSpec>? min = null, opt = null, max = null;
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = eq > 0 ? part[..eq].Trim() : string.Empty;
            var value = eq > 0 ? part[(eq + 1)..] : string.Empty;
            var shapes = key is "min" or "opt" or "max"
                ? ShapeSpec.ParseList(value)
                : throw DeployException.Usage($"--profile '{text}': '{part}' must be min=..., opt=... or max=...");
            switch (key)
            {
                case "min" when min is null:
                    min = shapes;
                    break;
                case "opt" when opt is null:
                    opt = shapes;
                    break;
                case "max" when max is null:
                    max = shapes;
                    break;
                default:
                    throw DeployException.Usage($"--profile '{text}' gives {key} twice");
            }
        }

        if (opt is null)
        {
            throw DeployException.Usage($"--profile '{text}' needs opt=... (min and max default to opt)");
        }

        return Checked(index, min ?? opt, opt, max ?? opt);
    }

    private static ProfileSettings Checked(int index, IReadOnlyList<ShapeSpec> min, IReadOnlyList<ShapeSpec> opt, IReadOnlyList<ShapeSpec> max)
    {
        var names = opt.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        if (!min.Select(s => s.Name).ToHashSet(StringComparer.Ordinal).SetEquals(names) || !max.Select(s => s.Name).ToHashSet(StringComparer.Ordinal).SetEquals(names))
        {
            throw DeployException.Usage($"profile {index}: min, opt and max must name the same inputs");
        }

        foreach (var o in opt)
        {
            var lo = min.First(s => s.Name == o.Name);
            var hi = max.First(s => s.Name == o.Name);
            if (lo.Dims.Count != o.Dims.Count || hi.Dims.Count != o.Dims.Count)
            {
                throw DeployException.Usage($"profile {index} input '{o.Name}': min, opt and max need the same rank");
            }

            for (var axis = 0; axis < o.Dims.Count; axis++)
            {
                if (lo.Dims[axis] > o.Dims[axis] || o.Dims[axis] > hi.Dims[axis])
                {
                    throw DeployException.Usage($"profile {index} input '{o.Name}' axis {axis}: min ≤ opt ≤ max does not hold ({lo.Dims[axis]}, {o.Dims[axis]}, {hi.Dims[axis]})");
                }
            }
        }

        return new ProfileSettings(min, opt, max);
    }
}
