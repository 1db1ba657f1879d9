using Onnx;

namespace SuperRes.Deploy.Engines.Graph;

/// <summary>The operator set versions a model imports, per domain ("" is the default ONNX domain).</summary>
public sealed class OpsetTable
{
    private readonly Dictionary<string, int> _versions = new(StringComparer.Ordinal);

    public OpsetTable(IEnumerable<OperatorSetIdProto> imports)
    {
        ArgumentNullException.ThrowIfNull(imports);
        foreach (var import in imports)
        {
            _versions[GraphNode.NormalizeDomain(import.Domain)] = (int)import.Version;
        }
    }

    /// <summary>Every imported domain with its version.</summary>
    public IReadOnlyDictionary<string, int> Versions => _versions;

    /// <summary>The version of the default ONNX domain (0 when not imported).</summary>
    public int Default => VersionOf(string.Empty);

    /// <summary>The imported version of <paramref name="domain"/>; 0 when the model does not import it.</summary>
    public int VersionOf(string domain) => _versions.TryGetValue(GraphNode.NormalizeDomain(domain), out var v) ? v : 0;
}
