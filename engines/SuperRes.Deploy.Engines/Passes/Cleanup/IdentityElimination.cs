using SuperRes.Deploy.Engines.Graph;

namespace SuperRes.Deploy.Engines.Passes.Cleanup;

/// <summary>
/// Removes Identity nodes, and Dropout nodes that are identities at inference (no mask output read, no training-mode
/// input): readers of the output read the input instead. An Identity that gives a graph input, an initializer or another
/// output the name of a graph output is kept (the model's interface names must stay).
/// </summary>
public static class IdentityElimination
{
    public static int Run(OnnxGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var removed = 0;
        using var edit = graph.Edit();
        foreach (var node in graph.Nodes.ToList())
        {
            var isIdentity = node.Is("Identity") || (node.Is("Dropout") && node.Input(2) is null
                && (node.Output(1) is null || (node.Output(1)!.Uses.Count == 0 && !node.Output(1)!.IsGraphOutput)));
            if (!isIdentity || node.Input(0) is not { } input || node.Output(0) is not { } output)
            {
                continue;
            }

            if (output.IsGraphOutput && (input.IsGraphInput || input.IsInitializer || input.IsGraphOutput || input.Graph != graph))
            {
                continue;
            }

            edit.ReplaceAllUses(output, input);
            edit.RemoveNode(node);
            removed++;
        }

        edit.Commit();
        return removed;
    }
}
