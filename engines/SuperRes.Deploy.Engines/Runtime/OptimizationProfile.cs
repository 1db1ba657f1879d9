namespace SuperRes.Deploy.Engines.Runtime;

/// <summary>The min, opt and max shape of one input in one optimization profile.</summary>
public sealed record ProfileRange(IReadOnlyList<long> Min, IReadOnlyList<long> Opt, IReadOnlyList<long> Max)
{
    /// <summary>Whether <paramref name="shape"/> has the same rank and lies within min..max on every axis.</summary>
    public bool Contains(IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Count != Min.Count || shape.Count != Max.Count)
        {
            return false;
        }

        for (var axis = 0; axis < shape.Count; axis++)
        {
            if (shape[axis] < Min[axis] || shape[axis] > Max[axis])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="shape"/> equals the opt shape.</summary>
    public bool IsOpt(IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.SequenceEqual(Opt);
    }

    /// <summary>E.g. <c>1x3x16x16 .. 1x3x64x64 .. 1x3x128x128</c>.</summary>
    public override string ToString() => $"{Dims(Min)} .. {Dims(Opt)} .. {Dims(Max)}";

    internal static string Dims(IEnumerable<long> dims) => string.Join('x', dims);
}

/// <summary>One optimization profile of an engine: a <see cref="ProfileRange"/> per dynamic input.</summary>
/// <param name="Index">The profile's index in the engine.</param>
/// <param name="Inputs">Input name → range.</param>
public sealed record OptimizationProfile(int Index, IReadOnlyDictionary<string, ProfileRange> Inputs)
{
    /// <summary>Whether every input shape given lies within this profile (inputs the profile does not list are not checked).</summary>
    public bool Contains(IReadOnlyDictionary<string, IReadOnlyList<long>> shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        return shapes.All(s => !Inputs.TryGetValue(s.Key, out var range) || range.Contains(s.Value));
    }

    /// <summary>Whether every input shape given is the profile's opt shape.</summary>
    public bool IsOpt(IReadOnlyDictionary<string, IReadOnlyList<long>> shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        return Inputs.Count > 0 && Inputs.All(r => shapes.TryGetValue(r.Key, out var shape) && r.Value.IsOpt(shape));
    }

    /// <summary>
    /// The profile to run <paramref name="shapes"/> with, as vs-mlrt's selectProfile does: the first profile whose opt
    /// shapes equal the given shapes; else the first profile that contains them; else -1.
    /// </summary>
    public static int Select(IReadOnlyList<OptimizationProfile> profiles, IReadOnlyDictionary<string, IReadOnlyList<long>> shapes)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(shapes);
        foreach (var profile in profiles)
        {
            if (profile.IsOpt(shapes))
            {
                return profile.Index;
            }
        }

        foreach (var profile in profiles)
        {
            if (profile.Contains(shapes))
            {
                return profile.Index;
            }
        }

        return -1;
    }

    /// <summary>E.g. <c>profile 0: input 1x3x16x16 .. 1x3x64x64 .. 1x3x128x128</c>.</summary>
    public override string ToString() =>
        $"profile {Index}: {string.Join(", ", Inputs.Select(i => $"{i.Key} {i.Value}"))}";
}
