using Onnx;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Engines.Graph;

/// <summary>
/// The graph IR over an ONNX <see cref="GraphProto"/>: nodes linked to the values they read and write, producers and
/// consumers, inputs, outputs, initializers, opsets, topological order, and subgraphs (If/Loop/Scan bodies, whose
/// references to enclosing values resolve to the enclosing graph's <see cref="GraphValue"/> and count as implicit inputs of
/// the owning node). Rewrites go through <see cref="Edit"/>; <see cref="WriteBack"/> puts the result into the proto,
/// reusing every untouched <see cref="NodeProto"/> object as it was.
/// </summary>
public sealed class OnnxGraph
{
    private readonly Dictionary<string, GraphValue> _values = new(StringComparer.Ordinal);
    private readonly List<GraphNode> _nodes = [];
    private readonly List<GraphValue> _inputs = [];
    private readonly List<GraphValue> _outputs = [];
    private readonly List<GraphValue> _initializers = [];
    private readonly Dictionary<GraphValue, ValueInfoProto> _outputInfos = [];
    private readonly List<ValueInfoProto> _initializerInputInfos = [];
    private readonly HashSet<GraphValue> _outerReferences = [];
    private readonly List<GraphDefinitionIssue> _definitionIssues = [];
    private readonly Func<TensorProto, byte[]> _tensorReader;
    private long _nextSequence;
    private IReadOnlyList<GraphNode>? _cachedOrder;

    private OnnxGraph(GraphProto proto, ModelProto? model, OnnxGraph? parent, GraphNode? owner, OpsetTable opsets, Func<TensorProto, byte[]> reader)
    {
        Proto = proto;
        Model = model;
        Parent = parent;
        OwnerNode = owner;
        Opsets = opsets;
        _tensorReader = reader;
        Build();
    }

    /// <summary>The model (root graph only; null for subgraphs).</summary>
    public ModelProto? Model { get; }

    public GraphProto Proto { get; }

    public string Name => Proto.Name;

    /// <summary>The enclosing graph of a subgraph; null for the main graph.</summary>
    public OnnxGraph? Parent { get; }

    /// <summary>The node whose attribute holds this subgraph; null for the main graph.</summary>
    public GraphNode? OwnerNode { get; }

    public OpsetTable Opsets { get; }

    /// <summary>Nodes in their current order (file order, then nodes added by rewrites). See <see cref="TopologicalOrder"/>.</summary>
    public IReadOnlyList<GraphNode> Nodes => _nodes;

    /// <summary>Graph inputs that are not initializers, in declaration order.</summary>
    public IReadOnlyList<GraphValue> Inputs => _inputs;

    public IReadOnlyList<GraphValue> Outputs => _outputs;

    /// <summary>Initializer values in file order.</summary>
    public IReadOnlyList<GraphValue> Initializers => _initializers;

    /// <summary>Every value defined in this graph (not the enclosing graphs' values it refers to).</summary>
    public IReadOnlyCollection<GraphValue> Values => _values.Values;

    /// <summary>Values of enclosing graphs that this graph (or its own subgraphs) reads.</summary>
    public IReadOnlyCollection<GraphValue> OuterReferences => _outerReferences;

    /// <summary>Problems found while linking the file's graph: duplicate definitions of one name.</summary>
    public IReadOnlyList<GraphDefinitionIssue> DefinitionIssues => _definitionIssues;

    /// <summary>The active editor, if a rewrite is in progress.</summary>
    internal GraphEditor? ActiveEditor { get; set; }

    internal List<GraphValue> OutputsInternal => _outputs;

    /// <summary>Builds the IR of a loaded model; external tensor data is read through the model when needed.</summary>
    public static OnnxGraph FromModel(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return FromModelProto(model.Proto, model.ReadTensorBytes);
    }

    /// <summary>Builds the IR of an in-memory model. <paramref name="tensorReader"/> defaults to inline data only.</summary>
    public static OnnxGraph FromModelProto(ModelProto model, Func<TensorProto, byte[]>? tensorReader = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Graph is null)
        {
            throw DeployException.BadInput("the model has no graph");
        }

        tensorReader ??= t => TensorData.ReadBytes(t, null, model.Graph.Name);
        return new OnnxGraph(model.Graph, model, null, null, new OpsetTable(model.OpsetImport), tensorReader);
    }

    /// <summary>The value named <paramref name="name"/> visible from this graph (its own, else an enclosing graph's).</summary>
    public GraphValue? FindValue(string name)
    {
        for (var g = this; g is not null; g = g.Parent)
        {
            if (g._values.TryGetValue(name, out var v))
            {
                return v;
            }
        }

        return null;
    }

    /// <summary>Like <see cref="FindValue"/> but throws when the name is unknown.</summary>
    public GraphValue GetValue(string name) =>
        FindValue(name) ?? throw new KeyNotFoundException($"graph '{Name}' has no value named '{name}'");

    /// <summary>The first node with this name (names are not required to be unique in ONNX).</summary>
    public GraphNode? FindNode(string name) => _nodes.FirstOrDefault(n => n.Name == name);

    internal Func<TensorProto, byte[]> TensorReader => _tensorReader;

    /// <summary>Reads a tensor's payload (inline or external) as little-endian bytes.</summary>
    public byte[] ReadTensorBytes(TensorProto tensor) => _tensorReader(tensor);

    /// <summary>
    /// The nodes in an order where every node comes after the producers of its inputs (implicit inputs included),
    /// keeping the current order where the dependencies allow. Throws <see cref="GraphCycleException"/> on a cycle.
    /// </summary>
    public IReadOnlyList<GraphNode> TopologicalOrder()
    {
        if (_cachedOrder is not null)
        {
            return _cachedOrder;
        }

        if (!TryTopologicalOrder(out var order, out var cycle))
        {
            throw new GraphCycleException(cycle);
        }

        return order;
    }

    /// <summary>
    /// Computes a topological order; on a cycle returns false with <paramref name="cycle"/> holding the nodes of one
    /// cycle in dependency order.
    /// </summary>
    public bool TryTopologicalOrder(out IReadOnlyList<GraphNode> order, out IReadOnlyList<GraphNode> cycle)
    {
        var indegree = new Dictionary<GraphNode, int>(_nodes.Count);
        var dependents = new Dictionary<GraphNode, List<GraphNode>>(_nodes.Count);
        foreach (var n in _nodes)
        {
            indegree[n] = 0;
        }

        foreach (var n in _nodes)
        {
            foreach (var p in Dependencies(n).Distinct())
            {
                if (!indegree.ContainsKey(p))
                {
                    continue;
                }

                indegree[n]++;
                if (!dependents.TryGetValue(p, out var list))
                {
                    dependents[p] = list = [];
                }

                list.Add(n);
            }
        }

        var ready = new PriorityQueue<GraphNode, long>();
        foreach (var n in _nodes)
        {
            if (indegree[n] == 0)
            {
                ready.Enqueue(n, n.Sequence);
            }
        }

        var result = new List<GraphNode>(_nodes.Count);
        while (ready.TryDequeue(out var n, out _))
        {
            n.OrderIndex = result.Count;
            result.Add(n);
            if (dependents.TryGetValue(n, out var list))
            {
                foreach (var d in list)
                {
                    if (--indegree[d] == 0)
                    {
                        ready.Enqueue(d, d.Sequence);
                    }
                }
            }
        }

        if (result.Count == _nodes.Count)
        {
            order = result;
            cycle = [];
            _cachedOrder = result;
            return true;
        }

        order = result;
        cycle = FindCycle([.. _nodes.Where(n => indegree[n] > 0)]);
        return false;
    }

    /// <summary>Starts a rewrite. Only one editor may be open at a time; dispose it (after <see cref="GraphEditor.Commit"/>).</summary>
    public GraphEditor Edit()
    {
        if (ActiveEditor is not null)
        {
            throw new InvalidOperationException($"graph '{Name}' already has an open editor");
        }

        return new GraphEditor(this);
    }

    /// <summary>
    /// Writes the IR back into <see cref="Proto"/> (nodes in topological order, initializers, inputs, outputs,
    /// value_info of the values that still exist) and returns the model (null for a subgraph).
    /// </summary>
    public ModelProto? WriteBack()
    {
        if (ActiveEditor is not null)
        {
            throw new InvalidOperationException("commit or dispose the open editor before writing the graph back");
        }

        var order = TryTopologicalOrder(out var sorted, out _) ? sorted : _nodes;
        Proto.Node.Clear();
        Proto.Node.AddRange(order.Select(n => n.Proto));

        Proto.Initializer.Clear();
        Proto.Initializer.AddRange(_initializers.Where(v => v.Initializer is not null).Select(v => v.Initializer!));

        var inputInfos = new List<ValueInfoProto>();
        foreach (var v in _inputs)
        {
            inputInfos.Add(v.DeclaredInfo ?? new ValueInfoProto { Name = v.Name });
        }

        inputInfos.AddRange(_initializerInputInfos.Where(i => _values.TryGetValue(i.Name, out var v) && v.IsInitializer));
        Proto.Input.Clear();
        Proto.Input.AddRange(inputInfos);

        Proto.Output.Clear();
        foreach (var v in _outputs)
        {
            if (!_outputInfos.TryGetValue(v, out var info))
            {
                info = v.DeclaredInfo?.Clone() ?? new ValueInfoProto();
                info.Name = v.Name;
                _outputInfos[v] = info;
            }

            Proto.Output.Add(info);
        }

        var kept = Proto.ValueInfo.Where(i => _values.TryGetValue(i.Name, out var v) && (v.Producer is not null || v.Uses.Count > 0)).ToList();
        Proto.ValueInfo.Clear();
        Proto.ValueInfo.AddRange(kept);

        foreach (var n in _nodes)
        {
            foreach (var sub in n.Subgraphs)
            {
                sub.WriteBack();
            }
        }

        return Model;
    }

    /// <summary>A name no value of this graph (or an enclosing one) uses, derived from <paramref name="hint"/>.</summary>
    public string UniqueValueName(string hint)
    {
        ArgumentException.ThrowIfNullOrEmpty(hint);
        if (FindValue(hint) is null)
        {
            return hint;
        }

        for (var i = 1; ; i++)
        {
            var candidate = $"{hint}_{i}";
            if (FindValue(candidate) is null)
            {
                return candidate;
            }
        }
    }

    /// <summary>A node name not used in this graph, derived from <paramref name="hint"/>.</summary>
    public string UniqueNodeName(string hint)
    {
        ArgumentException.ThrowIfNullOrEmpty(hint);
        var names = new HashSet<string>(_nodes.Select(n => n.Name), StringComparer.Ordinal);
        if (!names.Contains(hint))
        {
            return hint;
        }

        for (var i = 1; ; i++)
        {
            var candidate = $"{hint}_{i}";
            if (!names.Contains(candidate))
            {
                return candidate;
            }
        }
    }

    /// <summary>The graphs of this graph's nodes' attributes, recursively (not including this graph).</summary>
    public IEnumerable<OnnxGraph> DescendantGraphs()
    {
        foreach (var n in _nodes)
        {
            foreach (var s in n.Subgraphs)
            {
                yield return s;
                foreach (var d in s.DescendantGraphs())
                {
                    yield return d;
                }
            }
        }
    }

    // ---- primitives used by GraphEditor (each records its inverse while an editor is open) ----

    internal GraphNode AttachNode(NodeProto proto)
    {
        var node = new GraphNode(this, proto, _nextSequence++);
        foreach (var name in proto.Output)
        {
            if (name.Length == 0)
            {
                node.MutableOutputs.Add(null);
                continue;
            }

            var value = GetOrCreateLocal(name);
            if (value.Producer is not null || value.IsGraphInput || value.IsInitializer)
            {
                // Roll the partial link back before failing, so the graph is unchanged.
                foreach (var linked in node.MutableOutputs)
                {
                    if (linked is not null)
                    {
                        linked.Producer = null;
                        linked.ProducerOutputIndex = -1;
                    }
                }

                throw new GraphEditException($"cannot add node '{node.DisplayName}': value '{name}' already has a definition");
            }

            value.Producer = node;
            value.ProducerOutputIndex = node.MutableOutputs.Count;
            node.MutableOutputs.Add(value);
        }

        for (var i = 0; i < proto.Input.Count; i++)
        {
            var name = proto.Input[i];
            if (name.Length == 0)
            {
                node.MutableInputs.Add(null);
                continue;
            }

            var value = FindValue(name) ?? GetOrCreateLocal(name);
            node.MutableInputs.Add(value);
            value.MutableUses.Add(new ValueUse(node, i));
        }

        foreach (var a in proto.Attribute)
        {
            if (a.G is not null)
            {
                AttachSubgraph(node, a.G);
            }

            foreach (var g in a.Graphs)
            {
                AttachSubgraph(node, g);
            }
        }

        _nodes.Add(node);
        _cachedOrder = null;
        ActiveEditor?.RecordUndo(() => DetachNode(node));
        return node;
    }

    internal void DetachNode(GraphNode node)
    {
        var index = _nodes.IndexOf(node);
        if (index < 0)
        {
            throw new GraphEditException($"node '{node.DisplayName}' is not in graph '{Name}'");
        }

        _nodes.RemoveAt(index);
        foreach (var v in node.MutableInputs.Concat(node.MutableImplicitInputs))
        {
            v?.MutableUses.RemoveAll(u => u.Node == node);
        }

        foreach (var v in node.MutableOutputs)
        {
            if (v is not null && v.Producer == node)
            {
                v.Producer = null;
                v.ProducerOutputIndex = -1;
            }
        }

        _cachedOrder = null;
        ActiveEditor?.RecordUndo(() => ReattachNode(node, index));
    }

    internal void SetNodeInput(GraphNode node, int index, GraphValue? value)
    {
        if (index < 0 || index > node.MutableInputs.Count)
        {
            throw new GraphEditException($"node '{node.DisplayName}' has no input slot {index}");
        }

        if (index == node.MutableInputs.Count)
        {
            node.MutableInputs.Add(null);
            node.Proto.Input.Add(string.Empty);
            ActiveEditor?.RecordUndo(() =>
            {
                node.MutableInputs.RemoveAt(node.MutableInputs.Count - 1);
                node.Proto.Input.RemoveAt(node.Proto.Input.Count - 1);
            });
        }

        var old = node.MutableInputs[index];
        if (ReferenceEquals(old, value))
        {
            return;
        }

        old?.MutableUses.Remove(new ValueUse(node, index));
        node.MutableInputs[index] = value;
        node.Proto.Input[index] = value?.Name ?? string.Empty;
        value?.MutableUses.Add(new ValueUse(node, index));
        _cachedOrder = null;
        ActiveEditor?.RecordUndo(() => SetNodeInput(node, index, old));
    }

    internal void SetGraphOutput(int index, GraphValue value)
    {
        var old = _outputs[index];
        _outputs[index] = value;
        if (_outputInfos.Remove(old, out var info))
        {
            info.Name = value.Name;
            _outputInfos[value] = info;
        }

        ActiveEditor?.RecordUndo(() => SetGraphOutput(index, old));
    }

    internal void AddGraphOutput(GraphValue value)
    {
        _outputs.Add(value);
        ActiveEditor?.RecordUndo(() => _outputs.RemoveAt(_outputs.Count - 1));
    }

    internal GraphValue AttachInitializer(TensorProto tensor)
    {
        var value = GetOrCreateLocal(tensor.Name);
        if (value.Producer is not null || value.IsGraphInput || value.IsInitializer)
        {
            throw new GraphEditException($"cannot add initializer '{tensor.Name}': the name already has a definition");
        }

        value.Initializer = tensor;
        _initializers.Add(value);
        ActiveEditor?.RecordUndo(() =>
        {
            value.Initializer = null;
            _initializers.Remove(value);
        });
        return value;
    }

    internal void DetachInitializer(GraphValue value)
    {
        var index = _initializers.IndexOf(value);
        var tensor = value.Initializer;
        if (index < 0 || tensor is null)
        {
            throw new GraphEditException($"'{value.Name}' is not an initializer of graph '{Name}'");
        }

        _initializers.RemoveAt(index);
        value.Initializer = null;
        ActiveEditor?.RecordUndo(() =>
        {
            value.Initializer = tensor;
            _initializers.Insert(index, value);
        });
    }

    internal void RenameValueCore(GraphValue value, string newName)
    {
        var oldName = value.Name;
        if (oldName == newName)
        {
            return;
        }

        if (FindValue(newName) is not null)
        {
            throw new GraphEditException($"cannot rename '{oldName}' to '{newName}': the name is taken");
        }

        var owner = value.Graph;
        owner._values.Remove(oldName);
        value.Name = newName;
        owner._values[newName] = value;
        if (value.Producer is not null)
        {
            value.Producer.Proto.Output[value.ProducerOutputIndex] = newName;
        }

        foreach (var use in value.Uses)
        {
            if (use.IsImplicit)
            {
                foreach (var sub in use.Node.Subgraphs)
                {
                    RenameInSubgraphProto(sub.Proto, oldName, newName);
                }
            }
            else
            {
                use.Node.Proto.Input[use.InputIndex] = newName;
            }
        }

        if (value.Initializer is not null)
        {
            value.Initializer.Name = newName;
        }

        if (value.DeclaredInfo is not null)
        {
            value.DeclaredInfo.Name = newName;
        }

        if (owner._outputInfos.TryGetValue(value, out var outInfo))
        {
            outInfo.Name = newName;
        }

        foreach (var vi in owner.Proto.ValueInfo.Where(i => i.Name == oldName))
        {
            vi.Name = newName;
        }

        foreach (var vi in owner._initializerInputInfos.Where(i => i.Name == oldName))
        {
            vi.Name = newName;
        }

        ActiveEditor?.RecordUndo(() => RenameValueCore(value, oldName));
    }

    internal void ForgetValueIfUnused(GraphValue value)
    {
        if (value.Graph == this && value.Producer is null && value.Uses.Count == 0 && !value.IsGraphInput && !value.IsInitializer &&
            !_outputs.Contains(value) && _values.TryGetValue(value.Name, out var existing) && existing == value)
        {
            _values.Remove(value.Name);
            ActiveEditor?.RecordUndo(() => _values[value.Name] = value);
        }
    }

    internal IEnumerable<GraphNode> Dependencies(GraphNode n)
    {
        foreach (var v in n.Inputs)
        {
            if (v?.Producer is { } p && p.Graph == this)
            {
                yield return p;
            }
        }

        foreach (var v in n.ImplicitInputs)
        {
            if (v.Producer is { } p && p.Graph == this)
            {
                yield return p;
            }
        }
    }

    internal void InvalidateOrder() => _cachedOrder = null;

    private void ReattachNode(GraphNode node, int index)
    {
        _nodes.Insert(Math.Min(index, _nodes.Count), node);
        for (var i = 0; i < node.MutableInputs.Count; i++)
        {
            node.MutableInputs[i]?.MutableUses.Add(new ValueUse(node, i));
        }

        foreach (var v in node.MutableImplicitInputs)
        {
            v.MutableUses.Add(new ValueUse(node, -1));
        }

        foreach (var v in node.MutableOutputs)
        {
            if (v is not null)
            {
                v.Producer = node;
                v.ProducerOutputIndex = node.MutableOutputs.IndexOf(v);
                if (!_values.ContainsKey(v.Name))
                {
                    _values[v.Name] = v;
                }
            }
        }

        _cachedOrder = null;
    }

    private static void RenameInSubgraphProto(GraphProto graph, string oldName, string newName)
    {
        // A subgraph that defines the name itself shadows the outer value: leave it alone.
        if (graph.Input.Any(i => i.Name == oldName) || graph.Initializer.Any(i => i.Name == oldName) ||
            graph.Node.Any(n => n.Output.Contains(oldName)))
        {
            return;
        }

        foreach (var n in graph.Node)
        {
            for (var i = 0; i < n.Input.Count; i++)
            {
                if (n.Input[i] == oldName)
                {
                    n.Input[i] = newName;
                }
            }

            foreach (var a in n.Attribute)
            {
                if (a.G is not null)
                {
                    RenameInSubgraphProto(a.G, oldName, newName);
                }

                foreach (var g in a.Graphs)
                {
                    RenameInSubgraphProto(g, oldName, newName);
                }
            }
        }

        foreach (var o in graph.Output.Where(o => o.Name == oldName))
        {
            o.Name = newName;
        }
    }

    private GraphValue GetOrCreateLocal(string name)
    {
        if (!_values.TryGetValue(name, out var v))
        {
            v = new GraphValue(this, name);
            _values[name] = v;
            ActiveEditor?.RecordUndo(() => _values.Remove(name));
        }

        return v;
    }

    private void Build()
    {
        foreach (var t in Proto.Initializer)
        {
            var v = GetOrCreateLocal(t.Name);
            if (v.Initializer is not null)
            {
                _definitionIssues.Add(new GraphDefinitionIssue(t.Name, "is defined by two initializers", []));
                continue;
            }

            v.Initializer = t;
            _initializers.Add(v);
        }

        foreach (var s in Proto.SparseInitializer)
        {
            if (s.Values is not null)
            {
                GetOrCreateLocal(s.Values.Name).IsSparseInitializer = true;
            }
        }

        foreach (var vi in Proto.Input)
        {
            var v = GetOrCreateLocal(vi.Name);
            v.DeclaredInfo ??= vi;
            if (v.IsInitializer)
            {
                _initializerInputInfos.Add(vi);
            }
            else if (!v.IsGraphInput)
            {
                v.IsGraphInput = true;
                _inputs.Add(v);
            }
            else
            {
                _definitionIssues.Add(new GraphDefinitionIssue(vi.Name, "is declared twice as a graph input", []));
            }
        }

        // Names defined by this graph's nodes, so that inputs resolve locally before looking outward.
        foreach (var np in Proto.Node)
        {
            foreach (var o in np.Output)
            {
                if (o.Length > 0)
                {
                    GetOrCreateLocal(o);
                }
            }
        }

        foreach (var np in Proto.Node)
        {
            var node = new GraphNode(this, np, _nextSequence++);
            for (var i = 0; i < np.Output.Count; i++)
            {
                var name = np.Output[i];
                if (name.Length == 0)
                {
                    node.MutableOutputs.Add(null);
                    continue;
                }

                var v = _values[name];
                node.MutableOutputs.Add(v);
                if (v.Producer is not null || v.IsGraphInput || v.IsInitializer)
                {
                    var first = v.Producer is not null ? $"node '{v.Producer.DisplayName}'" : v.IsGraphInput ? "a graph input" : "an initializer";
                    _definitionIssues.Add(new GraphDefinitionIssue(name, $"is produced by {first} and by node '{node.DisplayName}'",
                        v.Producer is null ? [node] : [v.Producer, node]));
                    continue;
                }

                v.Producer = node;
                v.ProducerOutputIndex = i;
            }

            for (var i = 0; i < np.Input.Count; i++)
            {
                var name = np.Input[i];
                if (name.Length == 0)
                {
                    node.MutableInputs.Add(null);
                    continue;
                }

                var v = ResolveForBuild(name);
                node.MutableInputs.Add(v);
                v.MutableUses.Add(new ValueUse(node, i));
            }

            foreach (var a in np.Attribute)
            {
                if (a.G is not null)
                {
                    AttachSubgraph(node, a.G);
                }

                foreach (var g in a.Graphs)
                {
                    AttachSubgraph(node, g);
                }
            }

            _nodes.Add(node);
        }

        foreach (var vi in Proto.Output)
        {
            var v = ResolveForBuild(vi.Name);
            v.DeclaredInfo ??= vi;
            _outputs.Add(v);
            _outputInfos[v] = vi;
            if (v.Graph != this)
            {
                _outerReferences.Add(v);
            }
        }

        foreach (var vi in Proto.ValueInfo)
        {
            if (_values.TryGetValue(vi.Name, out var v))
            {
                v.DeclaredInfo ??= vi;
            }
        }
    }

    private GraphValue ResolveForBuild(string name)
    {
        if (_values.TryGetValue(name, out var local))
        {
            return local;
        }

        var outer = Parent?.FindValue(name);
        if (outer is not null)
        {
            _outerReferences.Add(outer);
            return outer;
        }

        return GetOrCreateLocal(name);
    }

    private void AttachSubgraph(GraphNode node, GraphProto proto)
    {
        var sub = new OnnxGraph(proto, null, this, node, Opsets, _tensorReader);
        node.MutableSubgraphs.Add(sub);
        foreach (var outer in sub._outerReferences)
        {
            if (outer.Graph == this)
            {
                if (!node.MutableImplicitInputs.Contains(outer))
                {
                    node.MutableImplicitInputs.Add(outer);
                    outer.MutableUses.Add(new ValueUse(node, -1));
                }
            }
            else
            {
                _outerReferences.Add(outer);
            }
        }
    }

    private List<GraphNode> FindCycle(List<GraphNode> candidates)
    {
        // Every remaining node lies on or after a cycle; walking dependencies backwards from any of them must revisit a node.
        var inSet = new HashSet<GraphNode>(candidates);
        var start = candidates[0];
        var path = new List<GraphNode>();
        var position = new Dictionary<GraphNode, int>();
        var current = start;
        while (!position.ContainsKey(current))
        {
            position[current] = path.Count;
            path.Add(current);
            current = Dependencies(current).First(inSet.Contains);
        }

        var cycle = path.Skip(position[current]).ToList();
        cycle.Reverse();
        return cycle;
    }
}

/// <summary>A name the file defines more than once (two producers, or a producer and an input/initializer).</summary>
public sealed record GraphDefinitionIssue(string ValueName, string Problem, IReadOnlyList<GraphNode> Nodes);

/// <summary>The graph has a cycle; <see cref="Nodes"/> lists one cycle in dependency order.</summary>
public sealed class GraphCycleException : InvalidOperationException
{
    public GraphCycleException(IReadOnlyList<GraphNode> nodes)
        : base("the graph has a cycle: " + string.Join(" -> ", nodes.Select(n => n.DisplayName).Append(nodes.Count > 0 ? nodes[0].DisplayName : string.Empty)))
    {
        Nodes = nodes;
    }

    public GraphCycleException()
        : this([])
    {
    }

    public GraphCycleException(string message)
        : base(message) => Nodes = [];

    public GraphCycleException(string message, Exception innerException)
        : base(message, innerException) => Nodes = [];

    public IReadOnlyList<GraphNode> Nodes { get; }
}

/// <summary>A rewrite would break the graph (a cycle, a dangling input, a name defined twice); the edit was rolled back.</summary>
public sealed class GraphEditException : InvalidOperationException
{
    public GraphEditException()
    {
    }

    public GraphEditException(string message)
        : base(message)
    {
    }

    public GraphEditException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
