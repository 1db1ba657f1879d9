using Onnx;

namespace SuperRes.Deploy.Engines.Graph;

/// <summary>
/// A rewrite of an <see cref="OnnxGraph"/> as one transaction. Every change is applied at once (so the graph can be
/// queried mid-rewrite) and remembered; <see cref="Commit"/> checks that the graph is still well formed (a DAG, every
/// input defined, every output produced) and rolls everything back with a <see cref="GraphEditException"/> when it is
/// not. Disposing an editor that was not committed rolls it back.
/// </summary>
/// <example>
/// <code>
/// using (var edit = graph.Edit())
/// {
///     var fused = edit.AddNode("FusedAttention", [q.Name, k.Name, v.Name], [edit.UniqueValueName("attn")], domain: "com.superres.deploy");
///     edit.ReplaceAllUses(block.Output, fused.Outputs[0]!);
///     edit.RemoveDeadNodes();
///     edit.Commit();
/// }
/// </code>
/// </example>
public sealed class GraphEditor : IDisposable
{
    private readonly List<Action> _undo = [];
    private bool _rollingBack;
    private bool _closed;

    internal GraphEditor(OnnxGraph graph)
    {
        Graph = graph;
        graph.ActiveEditor = this;
    }

    public OnnxGraph Graph { get; }

    /// <summary>Number of primitive changes made so far (0 means the rewrite changed nothing).</summary>
    public int ChangeCount => _undo.Count;

    /// <summary>Adds a node. Output names must be new; input names must exist by <see cref="Commit"/> time.</summary>
    public GraphNode AddNode(string opType, IEnumerable<string?> inputs, IEnumerable<string> outputs, string? name = null,
        string domain = "", IEnumerable<AttributeProto>? attributes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        var proto = new NodeProto { OpType = opType, Name = name ?? Graph.UniqueNodeName(opType), Domain = domain ?? string.Empty };
        proto.Input.AddRange(inputs.Select(i => i ?? string.Empty));
        proto.Output.AddRange(outputs);
        if (attributes is not null)
        {
            proto.Attribute.AddRange(attributes);
        }

        return AddNode(proto);
    }

    /// <summary>Adds a node built by the caller.</summary>
    public GraphNode AddNode(NodeProto proto)
    {
        ArgumentNullException.ThrowIfNull(proto);
        EnsureOpen();
        return Graph.AttachNode(proto);
    }

    /// <summary>Removes a node. Values it produced lose their producer; anything still reading them fails <see cref="Commit"/>.</summary>
    public void RemoveNode(GraphNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        EnsureOpen();
        EnsureOwned(node);
        Graph.DetachNode(node);
        foreach (var v in node.Outputs)
        {
            if (v is not null)
            {
                Graph.ForgetValueIfUnused(v);
            }
        }
    }

    public void RemoveNodes(IEnumerable<GraphNode> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        foreach (var n in nodes.ToList())
        {
            RemoveNode(n);
        }
    }

    /// <summary>Points one input slot of <paramref name="node"/> at <paramref name="value"/> (null omits an optional input).</summary>
    public void SetInput(GraphNode node, int index, GraphValue? value)
    {
        ArgumentNullException.ThrowIfNull(node);
        EnsureOpen();
        EnsureOwned(node);
        var old = node.Input(index);
        Graph.SetNodeInput(node, index, value);
        if (old is not null)
        {
            Graph.ForgetValueIfUnused(old);
        }
    }

    /// <summary>
    /// Makes every reader of <paramref name="oldValue"/> read <paramref name="newValue"/>: node inputs, subgraph references
    /// and graph outputs. A graph output keeps its name (the model's interface does not change): the new value takes the
    /// name, or an Identity node is inserted when the new value is an input, an initializer or another output.
    /// </summary>
    public void ReplaceAllUses(GraphValue oldValue, GraphValue newValue)
    {
        ArgumentNullException.ThrowIfNull(oldValue);
        ArgumentNullException.ThrowIfNull(newValue);
        EnsureOpen();
        if (ReferenceEquals(oldValue, newValue))
        {
            return;
        }

        foreach (var use in oldValue.Uses.ToList())
        {
            if (use.IsImplicit)
            {
                ReplaceInSubgraphs(use.Node, oldValue, newValue);
            }
            else if (use.Node.Graph == Graph)
            {
                Graph.SetNodeInput(use.Node, use.InputIndex, newValue);
            }
        }

        for (var i = 0; i < Graph.Outputs.Count; i++)
        {
            if (!ReferenceEquals(Graph.Outputs[i], oldValue))
            {
                continue;
            }

            var interfaceName = oldValue.Name;
            Graph.RenameValueCore(oldValue, Graph.UniqueValueName(interfaceName + "_replaced"));
            var canTakeName = newValue.Graph == Graph && !newValue.IsGraphInput && !newValue.IsInitializer && !newValue.IsGraphOutput;
            if (canTakeName)
            {
                Graph.RenameValueCore(newValue, interfaceName);
                Graph.SetGraphOutput(i, newValue);
            }
            else
            {
                var identity = Graph.AttachNode(NewNode("Identity", [newValue.Name], [interfaceName], Graph.UniqueNodeName("Identity_" + interfaceName)));
                Graph.SetGraphOutput(i, identity.Outputs[0]!);
            }
        }

        Graph.ForgetValueIfUnused(oldValue);
    }

    /// <summary>Adds an initializer; its name must be new.</summary>
    public GraphValue AddInitializer(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentException.ThrowIfNullOrEmpty(tensor.Name);
        EnsureOpen();
        return Graph.AttachInitializer(tensor);
    }

    /// <summary>Removes an initializer (its readers, if any, fail <see cref="Commit"/>).</summary>
    public void RemoveInitializer(GraphValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        EnsureOpen();
        Graph.DetachInitializer(value);
        Graph.ForgetValueIfUnused(value);
    }

    /// <summary>Renames a value everywhere it appears (producer, readers, subgraph references, declarations).</summary>
    public void RenameValue(GraphValue value, string newName)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentException.ThrowIfNullOrEmpty(newName);
        EnsureOpen();
        Graph.RenameValueCore(value, newName);
    }

    public void RenameNode(GraphNode node, string newName)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(newName);
        EnsureOpen();
        var old = node.Proto.Name;
        node.Proto.Name = newName;
        RecordUndo(() => node.Proto.Name = old);
    }

    /// <summary>Adds or replaces an attribute of <paramref name="node"/>.</summary>
    public void SetAttribute(GraphNode node, AttributeProto attribute)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(attribute);
        EnsureOpen();
        var attributes = node.Proto.Attribute;
        var index = attributes.ToList().FindIndex(a => a.Name == attribute.Name);
        if (index >= 0)
        {
            var old = attributes[index];
            attributes[index] = attribute;
            RecordUndo(() => attributes[index] = old);
        }
        else
        {
            attributes.Add(attribute);
            RecordUndo(() => attributes.Remove(attribute));
        }
    }

    public void RemoveAttribute(GraphNode node, string name)
    {
        ArgumentNullException.ThrowIfNull(node);
        EnsureOpen();
        var attributes = node.Proto.Attribute;
        var index = attributes.ToList().FindIndex(a => a.Name == name);
        if (index < 0)
        {
            return;
        }

        var old = attributes[index];
        attributes.RemoveAt(index);
        RecordUndo(() => attributes.Insert(index, old));
    }

    /// <summary>Replaces graph output <paramref name="index"/> by <paramref name="value"/> (the interface name changes).</summary>
    public void SetGraphOutput(int index, GraphValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        EnsureOpen();
        Graph.SetGraphOutput(index, value);
    }

    /// <summary>
    /// Removes nodes none of whose outputs is read or is a graph output, repeatedly, and (optionally) initializers
    /// nothing reads. Returns the number of nodes removed.
    /// </summary>
    public int RemoveDeadNodes(bool removeUnusedInitializers = true)
    {
        EnsureOpen();
        var removed = 0;
        var changed = true;
        while (changed)
        {
            changed = false;
            foreach (var node in Graph.Nodes.Reverse().ToList())
            {
                if (node.Outputs.All(v => v is null || (v.Uses.Count == 0 && !v.IsGraphOutput)))
                {
                    RemoveNode(node);
                    removed++;
                    changed = true;
                }
            }
        }

        if (removeUnusedInitializers)
        {
            foreach (var v in Graph.Initializers.ToList())
            {
                if (v.Uses.Count == 0 && !v.IsGraphOutput)
                {
                    RemoveInitializer(v);
                }
            }
        }

        return removed;
    }

    public string UniqueValueName(string hint) => Graph.UniqueValueName(hint);

    public string UniqueNodeName(string hint) => Graph.UniqueNodeName(hint);

    /// <summary>
    /// Checks the rewritten graph and keeps the changes; on a problem, rolls back and throws a
    /// <see cref="GraphEditException"/> naming it.
    /// </summary>
    public void Commit()
    {
        EnsureOpen();
        var problem = FindProblem();
        if (problem is not null)
        {
            Rollback();
            throw new GraphEditException("rewrite rolled back: " + problem);
        }

        _undo.Clear();
        Close();
    }

    /// <summary>Undoes every change made through this editor.</summary>
    public void Rollback()
    {
        if (_closed)
        {
            return;
        }

        _rollingBack = true;
        try
        {
            for (var i = _undo.Count - 1; i >= 0; i--)
            {
                _undo[i]();
            }

            _undo.Clear();
        }
        finally
        {
            _rollingBack = false;
            Graph.InvalidateOrder();
            Close();
        }
    }

    public void Dispose() => Rollback();

    internal void RecordUndo(Action undo)
    {
        if (!_rollingBack)
        {
            _undo.Add(undo);
        }
    }

    private string? FindProblem()
    {
        if (!Graph.TryTopologicalOrder(out _, out var cycle))
        {
            return "the graph would have a cycle: " + string.Join(" -> ", cycle.Select(n => n.DisplayName).Append(cycle[0].DisplayName));
        }

        foreach (var node in Graph.Nodes)
        {
            foreach (var v in node.Inputs)
            {
                if (v is not null && v.Graph == Graph && v.IsDangling)
                {
                    return $"node '{node.DisplayName}' would read '{v.Name}', which nothing defines";
                }
            }
        }

        foreach (var v in Graph.Outputs)
        {
            if (v.Graph == Graph && v.IsDangling)
            {
                return $"graph output '{v.Name}' would not be produced by any node";
            }
        }

        return null;
    }

    private void ReplaceInSubgraphs(GraphNode owner, GraphValue oldValue, GraphValue newValue)
    {
        foreach (var sub in owner.Subgraphs)
        {
            ReplaceInGraph(sub, oldValue, newValue);
        }

        var implicits = owner.MutableImplicitInputs;
        var index = implicits.IndexOf(oldValue);
        if (index >= 0)
        {
            implicits.RemoveAt(index);
            oldValue.MutableUses.Remove(new ValueUse(owner, -1));
            var added = !implicits.Contains(newValue);
            if (added)
            {
                implicits.Add(newValue);
                newValue.MutableUses.Add(new ValueUse(owner, -1));
            }

            RecordUndo(() =>
            {
                if (added)
                {
                    implicits.Remove(newValue);
                    newValue.MutableUses.Remove(new ValueUse(owner, -1));
                }

                implicits.Insert(index, oldValue);
                oldValue.MutableUses.Add(new ValueUse(owner, -1));
            });
        }

        owner.Graph.InvalidateOrder();
    }

    private void ReplaceInGraph(OnnxGraph sub, GraphValue oldValue, GraphValue newValue)
    {
        foreach (var node in sub.Nodes)
        {
            for (var i = 0; i < node.Inputs.Count; i++)
            {
                if (ReferenceEquals(node.Inputs[i], oldValue))
                {
                    var (n, slot) = (node, i);
                    SwapInput(n, slot, oldValue, newValue);
                    RecordUndo(() => SwapInput(n, slot, newValue, oldValue));
                }
            }

            foreach (var deeper in node.Subgraphs)
            {
                ReplaceInGraph(deeper, oldValue, newValue);
            }

            if (node.ImplicitInputs.Contains(oldValue))
            {
                ReplaceInSubgraphs(node, oldValue, newValue);
            }
        }

        static void SwapInput(GraphNode node, int slot, GraphValue from, GraphValue to)
        {
            from.MutableUses.Remove(new ValueUse(node, slot));
            node.MutableInputs[slot] = to;
            node.Proto.Input[slot] = to.Name;
            to.MutableUses.Add(new ValueUse(node, slot));
        }
    }

    private static NodeProto NewNode(string opType, string[] inputs, string[] outputs, string name)
    {
        var proto = new NodeProto { OpType = opType, Name = name };
        proto.Input.AddRange(inputs);
        proto.Output.AddRange(outputs);
        return proto;
    }

    private void EnsureOpen()
    {
        if (_closed)
        {
            throw new InvalidOperationException("the editor was already committed or rolled back");
        }
    }

    private void EnsureOwned(GraphNode node)
    {
        if (node.Graph != Graph)
        {
            throw new GraphEditException($"node '{node.DisplayName}' belongs to graph '{node.Graph.Name}', not '{Graph.Name}'");
        }
    }

    private void Close()
    {
        _closed = true;
        if (Graph.ActiveEditor == this)
        {
            Graph.ActiveEditor = null;
        }
    }
}
