using Google.Protobuf;
using Onnx;

namespace SuperRes.Deploy.Engines.Onnx;

/// <summary>
/// Writes models, inline or with external data. Both files are first written completely under temporary names in
/// their destination folder; only then is the data file renamed into place, then the model file. A failed or killed
/// save therefore never leaves a data file that is half-written, nor a new model file whose data file is not complete.
/// Payloads are streamed: no tensor is ever held whole in memory for the data file, whatever its size.
/// </summary>
internal static class OnnxModelWriter
{
    /// <summary>Protobuf cannot serialise a message of 2 GiB or more; keep a margin for the graph itself.</summary>
    internal const long InlineLimitBytes = int.MaxValue - (64L << 20);

    /// <summary>When a model is too big to keep inline and no threshold is given, initializers from this size go external.</summary>
    private const long DefaultThresholdWhenTooLarge = 1024;

    /// <summary>Every external tensor starts at a multiple of this (cache lines, SIMD loads).</summary>
    private const int SmallAlignment = 64;

    /// <summary>Tensors of at least <see cref="LargeTensorBytes"/> start at multiples of this, so readers can memory-map them (64 KiB covers every OS's mapping granularity).</summary>
    private const int LargeAlignment = 64 << 10;

    private const long LargeTensorBytes = 1 << 20;

    /// <summary>Output buffer: big raw_data fields go to the file in few large writes.</summary>
    private const int WriteBufferBytes = 1 << 20;

    public static OnnxSaveResult Save(OnnxModel model, string path, OnnxSaveOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        if (Directory.Exists(full))
        {
            throw DeployException.Usage($"output {path} is a directory");
        }

        var copy = model.Proto.Clone();
        var external = PlanExternalTensors(copy, options, model.DisplayName);
        var location = string.Empty;
        string? dataPath = null;
        if (external.Count > 0)
        {
            location = (options.ExternalDataFileName ?? Path.GetFileName(full) + ".data").Replace('\\', '/');
            if (!ExternalReference.IsContainedRelativePath(location))
            {
                throw DeployException.Usage($"external data file name '{location}' must be a relative path inside the model's folder");
            }

            dataPath = Path.GetFullPath(Path.Combine(directory, location));
            if (string.Equals(dataPath, full, StringComparison.Ordinal))
            {
                throw DeployException.Usage($"external data file '{location}' would overwrite the model file itself");
            }
        }

        using var dataFile = dataPath is null ? null : new StagedFile(dataPath);
        using var modelFile = new StagedFile(full);

        // Everything the new files need from the old ones is read before either is replaced: tensors that stay inline
        // but were external are pulled in now, and the data file is written completely under its temporary name.
        foreach (var tensor in OnnxModelWalker.Tensors(copy))
        {
            if (TensorData.IsExternal(tensor) && !external.Contains(tensor))
            {
                TensorData.SetRawData(tensor, UnsafeByteOperations.UnsafeWrap(model.ReadTensorBytes(tensor)));
            }
        }

        long dataBytes = 0;
        if (dataFile is not null)
        {
            using var stream = dataFile.Create(WriteBufferBytes);
            WriteExternalData(model, external, location, stream);
            dataBytes = stream.Length;
        }

        EnsureFitsInline(copy, model.DisplayName);
        long modelBytes;
        using (var stream = modelFile.Create(bufferSize: 0))
        {
            using var coded = new CodedOutputStream(stream, WriteBufferBytes);
            copy.WriteTo(coded);
            coded.Flush();
            modelBytes = stream.Length;
        }

        // Data first: a kill between the two renames leaves the new data file beside whatever model was there before,
        // never a new model without its data (docs/interop-ownership.md states the guarantee).
        dataFile?.Commit();
        modelFile.Commit();
        return new OnnxSaveResult(full, modelBytes, dataPath, dataBytes, external.Count);
    }

    /// <summary>Throws when the model, serialised, would reach protobuf's 2 GiB message limit.</summary>
    internal static void EnsureFitsInline(ModelProto proto, string modelName)
    {
        long inline = 0;
        foreach (var tensor in OnnxModelWalker.Tensors(proto))
        {
            if (!TensorData.IsExternal(tensor))
            {
                inline += TensorData.StoredByteSize(tensor);
            }
        }

        if (inline > InlineLimitBytes)
        {
            throw DeployException.BadInput(
                $"{modelName}: {inline} bytes of tensor data would be inline, over protobuf's 2 GiB limit for one ONNX file; use external data");
        }
    }

    /// <summary>Chooses the tensors that go to the data file, in graph order, and checks the rest fits in one protobuf.</summary>
    private static TensorSet PlanExternalTensors(ModelProto copy, OnnxSaveOptions options, string modelName)
    {
        var threshold = options.ExternalDataThreshold;
        if (options.ForceInline && threshold is not null)
        {
            throw DeployException.Usage("an external-data threshold and inline-only saving exclude each other");
        }

        if (threshold is < 0)
        {
            throw DeployException.Usage($"external-data threshold must not be negative (got {threshold})");
        }

        var total = InlinePayloadBytes(copy, external: null);
        if (threshold is null && !options.ForceInline && total > InlineLimitBytes)
        {
            threshold = DefaultThresholdWhenTooLarge;
        }

        var initializers = new HashSet<TensorProto>(ReferenceEqualityComparer.Instance);
        CollectInitializers(copy.Graph, initializers);
        var external = new TensorSet();
        if (threshold is not null)
        {
            foreach (var tensor in OnnxModelWalker.Tensors(copy))
            {
                var size = TensorData.ByteSize(tensor);
                if (initializers.Contains(tensor) && size > 0 && size >= threshold && !external.Contains(tensor))
                {
                    external.Add(tensor);
                }
            }
        }

        var inline = InlinePayloadBytes(copy, external);
        if (inline > InlineLimitBytes)
        {
            throw DeployException.BadInput(options.ForceInline
                ? $"{modelName}: {inline} bytes of tensor data cannot be saved inline, over protobuf's 2 GiB limit for one ONNX file; save with external data"
                : $"{modelName}: {inline} bytes of tensor data would stay inline with external-data threshold {threshold}, over protobuf's 2 GiB limit; lower the threshold");
        }

        return external;
    }

    /// <summary>Tensor bytes the saved model would hold inline: everything not in <paramref name="external"/>, source-external tensors included (they are read in).</summary>
    private static long InlinePayloadBytes(ModelProto proto, TensorSet? external)
    {
        long total = 0;
        foreach (var tensor in OnnxModelWalker.Tensors(proto))
        {
            if (external is null || !external.Contains(tensor))
            {
                total += TensorData.StoredByteSize(tensor);
            }
        }

        return total;
    }

    private static void WriteExternalData(OnnxModel model, TensorSet tensors, string location, FileStream stream)
    {
        var writer = new HoleSkippingWriter(stream);
        foreach (var tensor in tensors.Ordered)
        {
            var alignment = TensorData.ByteSize(tensor) >= LargeTensorBytes ? LargeAlignment : SmallAlignment;
            writer.Skip((alignment - (writer.Position % alignment)) % alignment);
            var offset = writer.Position;
            if (!TensorData.IsExternal(tensor) && tensor.HasRawData)
            {
                writer.Write(tensor.RawData.Span);
            }
            else
            {
                // External (any size: streamed in chunks) or typed fields (converted once, small by nature).
                using var source = model.OpenTensorStream(tensor);
                writer.CopyFrom(source);
            }

            var length = writer.Position - offset;
            var expected = TensorData.ByteSize(tensor);
            if (length != expected)
            {
                throw DeployException.BadInput($"{model.DisplayName}: tensor '{tensor.Name}' stores {length} bytes but its shape and type need {expected}");
            }

            TensorData.MakeExternal(tensor, location, offset, length);
        }

        writer.Complete();
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

    /// <summary>An insertion-ordered set of tensors, by reference (TensorProto's Equals compares contents).</summary>
    private sealed class TensorSet
    {
        private readonly HashSet<TensorProto> _members = new(ReferenceEqualityComparer.Instance);
        private readonly List<TensorProto> _ordered = [];

        public IReadOnlyList<TensorProto> Ordered => _ordered;

        public int Count => _ordered.Count;

        public void Add(TensorProto tensor)
        {
            if (_members.Add(tensor))
            {
                _ordered.Add(tensor);
            }
        }

        public bool Contains(TensorProto tensor) => _members.Contains(tensor);
    }

    /// <summary>
    /// Appends payloads to the data file, turning runs of zero bytes (whole 64 KiB blocks) into holes: real weights
    /// are unaffected, while zero-filled or sparse sources stay sparse on disk instead of being written out.
    /// </summary>
    private sealed class HoleSkippingWriter(FileStream stream)
    {
        private const int BlockBytes = 64 << 10;
        private byte[]? _buffer;

        public long Position { get; private set; }

        public void Skip(long bytes) => Position += bytes;

        public void Write(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                var block = bytes[..Math.Min(bytes.Length, BlockBytes)];
                if (block.Length < BlockBytes || block.ContainsAnyExcept((byte)0))
                {
                    if (stream.Position != Position)
                    {
                        stream.Position = Position;
                    }

                    stream.Write(block);
                }

                Position += block.Length;
                bytes = bytes[block.Length..];
            }
        }

        public void CopyFrom(Stream source)
        {
            _buffer ??= new byte[TensorData.CopyChunkBytes];
            int n;
            while ((n = source.ReadAtLeast(_buffer, _buffer.Length, throwOnEndOfStream: false)) > 0)
            {
                Write(_buffer.AsSpan(0, n));
            }
        }

        public void Complete()
        {
            if (stream.Length < Position)
            {
                stream.SetLength(Position);
            }
        }
    }

    /// <summary>
    /// A file written under a temporary name beside its destination and renamed over it on <see cref="Commit"/>;
    /// disposed uncommitted, the temporary file is deleted and the destination is untouched.
    /// </summary>
    private sealed class StagedFile : IDisposable
    {
        private readonly string _destination;
        private readonly string _temporary;
        private bool _committed;

        public StagedFile(string destination)
        {
            _destination = destination;
            var directory = Path.GetDirectoryName(destination)!;
            _temporary = Path.Combine(directory, $".{Path.GetFileName(destination)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        }

        public FileStream Create(int bufferSize)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(_temporary)!);
                return new FileStream(_temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw DeployException.BadInput($"cannot write {_destination}: {e.Message}");
            }
        }

        public void Commit()
        {
            File.Move(_temporary, _destination, overwrite: true);
            _committed = true;
        }

        public void Dispose()
        {
            if (!_committed && File.Exists(_temporary))
            {
                File.Delete(_temporary);
            }
        }
    }
}
