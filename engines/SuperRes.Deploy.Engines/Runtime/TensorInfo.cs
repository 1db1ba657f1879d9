using System.Globalization;

namespace SuperRes.Deploy.Engines.Runtime;

/// <summary>
/// One axis of a model input or output: a fixed size, a symbolic name (e.g. "batch", "height": any size, the same name
/// meaning the same size), or unknown. The default value is <see cref="Unknown"/>.
/// </summary>
public readonly record struct TensorDim
{
    private TensorDim(long? size, string? symbol)
    {
        Size = size;
        Symbol = symbol;
    }

    /// <summary>An axis of unknown size with no name.</summary>
    public static TensorDim Unknown => default;

    /// <summary>The fixed size, or null for a symbolic or unknown axis.</summary>
    public long? Size { get; }

    /// <summary>The symbolic name, or null for a fixed or unknown axis.</summary>
    public string? Symbol { get; }

    /// <summary>True when the size is fixed.</summary>
    public bool IsFixed => Size is not null;

    /// <summary>True when the axis has a symbolic name.</summary>
    public bool IsSymbolic => Symbol is not null;

    /// <summary>An axis of fixed size.</summary>
    public static TensorDim Fixed(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return new TensorDim(size, null);
    }

    /// <summary>An axis with a symbolic name.</summary>
    public static TensorDim Symbolic(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new TensorDim(null, name);
    }

    /// <summary>The size, the name, or "?".</summary>
    public override string ToString() => Size?.ToString(CultureInfo.InvariantCulture) ?? Symbol ?? "?";
}

/// <summary>A model input or output as a runner sees it: name, element type and one <see cref="TensorDim"/> per axis.</summary>
/// <param name="Name">The input or output name.</param>
/// <param name="ElementType">The element type.</param>
/// <param name="Dims">One entry per axis.</param>
public sealed record TensorInfo(string Name, TensorElementType ElementType, IReadOnlyList<TensorDim> Dims)
{
    /// <summary>The number of axes.</summary>
    public int Rank => Dims.Count;

    /// <summary>The type and axes, e.g. <c>float32[batch,3,?,?]</c>.</summary>
    public string Signature => $"{ElementType.Name()}[{string.Join(",", Dims)}]";

    /// <summary>E.g. <c>input: float32[batch,3,?,?]</c>.</summary>
    public override string ToString() => $"{Name}: {Signature}";
}
