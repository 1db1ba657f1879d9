namespace SuperRes.Deploy.Engines.Upscaling;

/// <summary>
/// A sliding window of consecutive image rows [<see cref="First"/>, <see cref="End"/>): rows are appended at the end and
/// released from the start, their buffers reused, so memory follows the window's largest span, not the image height.
/// </summary>
internal sealed class RowRing
{
    private readonly int _rowLength;
    private float[][] _slots = [];
    private int _firstSlot;

    public RowRing(int rowLength) => _rowLength = rowLength;

    /// <summary>The first row held.</summary>
    public int First { get; private set; }

    /// <summary>One past the last row held (the next row to append).</summary>
    public int End { get; private set; }

    /// <summary>Rows held.</summary>
    public int Count => End - First;

    /// <summary>The most rows held at once so far (for memory reports).</summary>
    public int PeakCount => _slots.Length;

    /// <summary>Appends row <see cref="End"/> and returns its buffer to fill.</summary>
    public Span<float> Append()
    {
        if (Count == _slots.Length)
        {
            Grow();
        }

        var slot = _slots[(_firstSlot + Count) % _slots.Length];
        End++;
        return slot;
    }

    /// <summary>Row <paramref name="row"/>, which must be held.</summary>
    public ReadOnlySpan<float> Row(int row)
    {
        if (row < First || row >= End)
        {
            throw new InvalidOperationException($"row {row} is not held (rows {First}..{End - 1} are)");
        }

        return _slots[(_firstSlot + (row - First)) % _slots.Length];
    }

    /// <summary>Drops every row below <paramref name="row"/>.</summary>
    public void ReleaseBelow(int row)
    {
        var drop = Math.Clamp(row - First, 0, Count);
        if (drop == 0)
        {
            return;
        }

        _firstSlot = (_firstSlot + drop) % Math.Max(1, _slots.Length);
        First += drop;
    }

    /// <summary>Makes room for <paramref name="rows"/> rows at once (avoids growing by doubling past what is needed).</summary>
    public void Reserve(int rows)
    {
        if (rows > _slots.Length)
        {
            Grow(rows);
        }
    }

    private void Grow(int? rows = null)
    {
        var grown = new float[rows ?? Math.Max(4, _slots.Length * 2)][];
        for (var i = 0; i < Count; i++)
        {
            grown[i] = _slots[(_firstSlot + i) % _slots.Length];
        }

        for (var i = Count; i < grown.Length; i++)
        {
            grown[i] = new float[_rowLength];
        }

        _slots = grown;
        _firstSlot = 0;
    }
}
