namespace SuperRes.Deploy.Engines.Graph;

/// <summary>What is structurally wrong with a graph.</summary>
public enum GraphIssueKind
{
    /// <summary>Nodes depend on each other in a loop.</summary>
    Cycle,

    /// <summary>A node reads a name nothing defines (no producer, not an input, not an initializer).</summary>
    DanglingInput,

    /// <summary>An op not in its domain's known set and not a registered custom op.</summary>
    UnknownOp,

    /// <summary>One name is defined twice (two producers, or a producer and an input/initializer).</summary>
    DuplicateDefinition,

    /// <summary>A graph output nothing produces.</summary>
    MissingOutput,

    /// <summary>A default-domain op newer than the opset the model imports.</summary>
    OpNotInOpset,

    /// <summary>A node of a domain the model does not import.</summary>
    DomainNotImported,
}

/// <summary>One structural problem, with a one-line message that names the nodes and values involved.</summary>
public sealed record GraphIssue(GraphIssueKind Kind, string Message, IReadOnlyList<string> NodeNames);

/// <summary>
/// Structural checks of a graph (and its subgraphs): a cycle, a dangling input, an unknown op, a duplicate definition, an
/// output nothing produces, an op newer than the imported opset. <see cref="EnsureValid"/> turns the first problem into a
/// <see cref="DeployException"/> (bad input, exit code 3) with a one-line message.
/// </summary>
public static class GraphValidator
{
    public static IReadOnlyList<GraphIssue> Validate(OnnxGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var issues = new List<GraphIssue>();
        Collect(graph, issues);
        return issues;
    }

    /// <summary>Throws a bad-input <see cref="DeployException"/> describing the first problem (and how many more there are).</summary>
    public static void EnsureValid(OnnxGraph graph, string modelName)
    {
        var issues = Validate(graph);
        if (issues.Count == 0)
        {
            return;
        }

        var more = issues.Count > 1 ? $" (and {issues.Count - 1} more problem{(issues.Count > 2 ? "s" : string.Empty)})" : string.Empty;
        throw DeployException.BadInput($"{modelName}: {issues[0].Message}{more}");
    }

    private static void Collect(OnnxGraph graph, List<GraphIssue> issues)
    {
        var where = graph.Parent is null ? string.Empty : $" (in subgraph '{graph.Name}' of node '{graph.OwnerNode?.DisplayName}')";
        foreach (var d in graph.DefinitionIssues)
        {
            issues.Add(new GraphIssue(GraphIssueKind.DuplicateDefinition, $"value '{d.ValueName}' {d.Problem}{where}", [.. d.Nodes.Select(n => n.DisplayName)]));
        }

        if (!graph.TryTopologicalOrder(out _, out var cycle))
        {
            var path = string.Join(" -> ", cycle.Select(n => $"'{n.DisplayName}'").Append($"'{cycle[0].DisplayName}'"));
            issues.Add(new GraphIssue(GraphIssueKind.Cycle, $"the graph has a cycle: {path}{where}", [.. cycle.Select(n => n.DisplayName)]));
        }

        foreach (var node in graph.Nodes)
        {
            foreach (var v in node.Inputs)
            {
                if (v is not null && v.IsDangling)
                {
                    issues.Add(new GraphIssue(GraphIssueKind.DanglingInput,
                        $"node '{node.DisplayName}' ({node.OpType}) reads '{v.Name}', which no node produces and is not a graph input or initializer{where}",
                        [node.DisplayName]));
                }
            }

            var domainLabel = node.Domain.Length == 0 ? "ai.onnx" : node.Domain;
            if (!OpCatalog.IsKnown(node.Domain, node.OpType))
            {
                issues.Add(new GraphIssue(GraphIssueKind.UnknownOp,
                    $"node '{node.DisplayName}' uses unknown op '{node.OpType}' (domain '{domainLabel}'){where}", [node.DisplayName]));
            }
            else if (node.Domain.Length == 0 && OpCatalog.SinceVersion(node.OpType) is { } since && graph.Opsets.Default > 0 && since > graph.Opsets.Default)
            {
                issues.Add(new GraphIssue(GraphIssueKind.OpNotInOpset,
                    $"node '{node.DisplayName}' uses {node.OpType}, which needs opset {since} but the model imports opset {graph.Opsets.Default}{where}",
                    [node.DisplayName]));
            }
            else if (!graph.Opsets.Versions.ContainsKey(node.Domain))
            {
                issues.Add(new GraphIssue(GraphIssueKind.DomainNotImported,
                    $"node '{node.DisplayName}' uses domain '{domainLabel}', which the model does not import{where}", [node.DisplayName]));
            }

            foreach (var sub in node.Subgraphs)
            {
                Collect(sub, issues);
            }
        }

        foreach (var v in graph.Outputs)
        {
            if (v.IsDangling)
            {
                issues.Add(new GraphIssue(GraphIssueKind.MissingOutput, $"graph output '{v.Name}' is not produced by any node{where}", []));
            }
        }
    }
}
