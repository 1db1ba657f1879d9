using Onnx;

namespace SuperRes.Deploy.Engines.Onnx;

/// <summary>
/// Enumerates every tensor a model carries: initializers, sparse initializers, tensor attributes (Constant values
/// and the like), and the same inside subgraphs (If/Loop/Scan bodies), functions and training-info graphs.
/// </summary>
public static class OnnxModelWalker
{
    public static IEnumerable<TensorProto> Tensors(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Graph is not null)
        {
            foreach (var t in Tensors(model.Graph))
            {
                yield return t;
            }
        }

        foreach (var function in model.Functions)
        {
            foreach (var t in NodeTensors(function.Node))
            {
                yield return t;
            }
        }

        foreach (var training in model.TrainingInfo)
        {
            foreach (var graph in new[] { training.Initialization, training.Algorithm })
            {
                if (graph is not null)
                {
                    foreach (var t in Tensors(graph))
                    {
                        yield return t;
                    }
                }
            }
        }
    }

    public static IEnumerable<TensorProto> Tensors(GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        foreach (var t in graph.Initializer)
        {
            yield return t;
        }

        foreach (var t in SparseTensors(graph.SparseInitializer))
        {
            yield return t;
        }

        foreach (var t in NodeTensors(graph.Node))
        {
            yield return t;
        }
    }

    private static IEnumerable<TensorProto> SparseTensors(IEnumerable<SparseTensorProto> sparseTensors)
    {
        foreach (var sparse in sparseTensors)
        {
            if (sparse.Values is not null)
            {
                yield return sparse.Values;
            }

            if (sparse.Indices is not null)
            {
                yield return sparse.Indices;
            }
        }
    }

    private static IEnumerable<TensorProto> NodeTensors(IEnumerable<NodeProto> nodes)
    {
        foreach (var node in nodes)
        {
            foreach (var attribute in node.Attribute)
            {
                if (attribute.T is not null)
                {
                    yield return attribute.T;
                }

                foreach (var t in attribute.Tensors)
                {
                    yield return t;
                }

                var sparse = attribute.SparseTensor is null ? attribute.SparseTensors : attribute.SparseTensors.Prepend(attribute.SparseTensor);
                foreach (var t in SparseTensors(sparse))
                {
                    yield return t;
                }

                if (attribute.G is not null)
                {
                    foreach (var t in Tensors(attribute.G))
                    {
                        yield return t;
                    }
                }

                foreach (var g in attribute.Graphs)
                {
                    foreach (var t in Tensors(g))
                    {
                        yield return t;
                    }
                }
            }
        }
    }
}
