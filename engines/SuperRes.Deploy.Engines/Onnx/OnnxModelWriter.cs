using Google.Protobuf;
using Onnx;

namespace SuperRes.Deploy.Engines.Onnx;

/// <summary>Writes models, inline or with external data, never leaving a half-written model or data file behind.</summary>
internal static class OnnxModelWriter
{
    /// <summary>Protobuf cannot serialise a message of 2 GiB or more; keep a margin for the graph itself.</summary>
    private const long InlineLimitBytes = (1L << 31) - (64L << 20);

    /// <summary>When a model is too big to keep inline and no threshold is given, tensors from this size go external.</summary>
    private const long DefaultThresholdWhenTooLarge = 1024;

    /// <summary>External tensors start at multiples of this, so they can be memory-mapped and read aligned.</summary>
    private const int ExternalAlignment = 64;

    public static void Save(OnnxModel model, string path, OnnxSaveOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        var copy = model.Proto.Clone();
        var initializers = new HashSet<TensorProto>(ReferenceEqualityComparer.Instance);
        CollectInitializers(copy.Graph, initializers);

        var threshold = options.ExternalDataThreshold;
        if (threshold is null && OnnxModelWalker.Tensors(copy).Sum(TensorData.ByteSize) > InlineLimitBytes)
        {
            threshold = DefaultThresholdWhenTooLarge;
        }

        var dataFileName = options.ExternalDataFileName ?? Path.GetFileName(full) + ".data";
        if (Path.IsPathRooted(dataFileName) || dataFileName.Split('/', '\\').Contains(".."))
        {
            throw DeployException.Usage($"external data file name '{dataFileName}' must be relative to the model's folder");
        }

        var goesExternal = OnnxModelWalker.Tensors(copy)
            .Where(t => threshold is not null && initializers.Contains(t) && TensorData.ByteSize(t) >= threshold && TensorData.ByteSize(t) > 0)
            .ToList();
        var external = new HashSet<TensorProto>(goesExternal, ReferenceEqualityComparer.Instance);

        // Tensors that stay inline but were external in the source are read now, before any file is replaced.
        foreach (var tensor in OnnxModelWalker.Tensors(copy))
        {
            if (TensorData.IsExternal(tensor) && !external.Contains(tensor))
            {
                TensorData.MakeInline(tensor, TensorData.ReadBytes(tensor, model.BaseDirectory, model.DisplayName));
            }
        }

        if (goesExternal.Count > 0)
        {
            AtomicFile.Write(Path.Combine(directory, dataFileName), stream => WriteExternalData(model, goesExternal, dataFileName, stream));
        }

        AtomicFile.Write(full, stream =>
        {
            using var coded = new CodedOutputStream(stream, leaveOpen: true);
            copy.WriteTo(coded);
            coded.Flush();
        });
    }

    private static void WriteExternalData(OnnxModel model, List<TensorProto> tensors, string location, Stream stream)
    {
        long offset = 0;
        Span<byte> padding = stackalloc byte[ExternalAlignment];
        foreach (var tensor in tensors)
        {
            var pad = (int)((ExternalAlignment - (offset % ExternalAlignment)) % ExternalAlignment);
            stream.Write(padding[..pad]);
            offset += pad;

            long length;
            if (!TensorData.IsExternal(tensor) && !tensor.RawData.IsEmpty)
            {
                stream.Write(tensor.RawData.Span);
                length = tensor.RawData.Length;
            }
            else
            {
                var bytes = TensorData.ReadBytes(tensor, model.BaseDirectory, model.DisplayName);
                stream.Write(bytes);
                length = bytes.Length;
            }

            TensorData.MakeExternal(tensor, location, offset, length);
            offset += length;
        }
    }

    private static void CollectInitializers(GraphProto? graph, HashSet<TensorProto> into)
    {
        if (graph is null)
        {
            return;
        }

        foreach (var t in graph.Initializer)
        {
            into.Add(t);
        }

        foreach (var node in graph.Node)
        {
            foreach (var attribute in node.Attribute)
            {
                CollectInitializers(attribute.G, into);
                foreach (var g in attribute.Graphs)
                {
                    CollectInitializers(g, into);
                }
            }
        }
    }
}
