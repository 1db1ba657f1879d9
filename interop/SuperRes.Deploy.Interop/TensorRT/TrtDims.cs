using System.Globalization;

namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>A tensor shape of rank 0..8; -1 marks a dynamic dimension. Immutable; equal when the values are.</summary>
public sealed class TrtDims : IEquatable<TrtDims>
{
    /// <summary>Largest rank TensorRT supports.</summary>
    public const int MaxRank = SrdTrtNative.SRD_TRT_MAX_DIMS;

    private readonly long[] _values;

    public TrtDims(params long[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length > MaxRank)
        {
            throw new ArgumentException($"rank {values.Length} exceeds TensorRT's maximum of {MaxRank}", nameof(values));
        }

        _values = (long[])values.Clone();
    }

    public int Rank => _values.Length;

    public IReadOnlyList<long> Values => _values;

    public long this[int index] => _values[index];

    /// <summary>True when any dimension is -1 (resolved only at run time).</summary>
    public bool IsDynamic => _values.Any(v => v < 0);

    /// <summary>Parses "1x3x64x64" (or "-1x3x-1x-1"; "scalar" for rank 0).</summary>
    public static TrtDims Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "scalar")
        {
            return new TrtDims();
        }

        var parts = text.Split('x');
        var values = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out values[i]) || values[i] < -1)
            {
                throw new FormatException($"'{text}' is not a shape like 1x3x64x64");
            }
        }

        return new TrtDims(values);
    }

    public override string ToString() =>
        _values.Length == 0 ? "scalar" : string.Join('x', _values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    public bool Equals(TrtDims? other) => other is not null && _values.AsSpan().SequenceEqual(other._values);

    public override bool Equals(object? obj) => Equals(obj as TrtDims);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var value in _values)
        {
            hash.Add(value);
        }

        return hash.ToHashCode();
    }

    internal unsafe srd_dims ToNative()
    {
        var dims = default(srd_dims);
        dims.nb_dims = _values.Length;
        for (var i = 0; i < _values.Length; i++)
        {
            dims.d[i] = _values[i];
        }

        return dims;
    }

    internal static unsafe TrtDims FromNative(in srd_dims dims)
    {
        if (dims.nb_dims < 0 || dims.nb_dims > MaxRank)
        {
            throw new TrtException(TrtStatus.Internal, "dims", $"the shim returned a shape of rank {dims.nb_dims}");
        }

        var values = new long[dims.nb_dims];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = dims.d[i];
        }

        return new TrtDims(values);
    }
}
