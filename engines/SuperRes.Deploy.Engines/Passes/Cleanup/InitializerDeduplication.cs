using System.Security.Cryptography;
using SuperRes.Deploy.Engines.Graph;

namespace SuperRes.Deploy.Engines.Passes.Cleanup;

/// <summary>
/// Merges initializers with the same element type, shape and bytes: readers of the duplicates read the first one.
/// Initializers declared as graph inputs (overridable at run time) or read as graph outputs are left alone. Only
/// tensors that share type and shape with another are read (and hashed, SHA-256, then compared byte for byte).
/// </summary>
public static class InitializerDeduplication
{
    public static int Run(OnnxGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var declaredInputs = new HashSet<string>(graph.Proto.Input.Select(i => i.Name), StringComparer.Ordinal);
        var candidates = graph.Initializers
            .Where(v => v.Initializer is not null && !declaredInputs.Contains(v.Name) && !v.IsGraphOutput)
            .GroupBy(v => (v.Initializer!.DataType, string.Join("x", v.Initializer.Dims)))
            .Where(g => g.Count() > 1)
            .ToList();
        if (candidates.Count == 0)
        {
            return 0;
        }

        var merged = 0;
        using var edit = graph.Edit();
        foreach (var group in candidates)
        {
            var kept = new Dictionary<string, List<(GraphValue Value, byte[] Bytes)>>(StringComparer.Ordinal);
            foreach (var v in group)
            {
                var bytes = graph.ReadTensorBytes(v.Initializer!);
                var hash = Convert.ToHexString(SHA256.HashData(bytes));
                if (!kept.TryGetValue(hash, out var list))
                {
                    kept[hash] = [(v, bytes)];
                    continue;
                }

                var same = list.FirstOrDefault(k => k.Bytes.AsSpan().SequenceEqual(bytes));
                if (same.Value is null)
                {
                    list.Add((v, bytes));
                    continue;
                }

                edit.ReplaceAllUses(v, same.Value);
                if (v.IsInitializer)
                {
                    edit.RemoveInitializer(v);
                }

                merged++;
            }
        }

        edit.Commit();
        return merged;
    }
}
