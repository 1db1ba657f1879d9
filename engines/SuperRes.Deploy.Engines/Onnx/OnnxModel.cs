using Google.Protobuf;
using Onnx;

namespace SuperRes.Deploy.Engines.Onnx;

/// <summary>
/// An ONNX model as loaded from (or to be saved to) a file: the protobuf <see cref="ModelProto"/> plus where its
/// external data lives. Tensor payloads stored in external data files are read only when asked for
/// (<see cref="ReadTensorBytes"/>, <see cref="OpenTensorStream"/>), so analysing a graph never pulls the weights into
/// memory. The model holds its external data files open until disposed (docs/interop-ownership.md).
/// </summary>
public sealed class OnnxModel : IDisposable
{
    /// <summary>Protobuf messages are limited to 2 GiB; a larger .onnx file cannot be a valid model.</summary>
    private const long MaxModelFileBytes = int.MaxValue;

    private readonly ExternalDataFiles _externalFiles = new();

    private OnnxModel(ModelProto proto, string? sourcePath, string? baseDirectory)
    {
        Proto = proto;
        SourcePath = sourcePath;
        BaseDirectory = baseDirectory;
    }

    /// <summary>The model. Callers may rewrite it in place; tensors still marked external keep reading from <see cref="BaseDirectory"/>.</summary>
    public ModelProto Proto { get; }

    /// <summary>The file the model was loaded from, or null when it was built in memory.</summary>
    public string? SourcePath { get; }

    /// <summary>The folder external-data locations are relative to, or null when the model has no home on disk.</summary>
    public string? BaseDirectory { get; }

    /// <summary>A short name for messages: the file name, or the graph name for in-memory models.</summary>
    public string DisplayName => SourcePath is not null ? Path.GetFileName(SourcePath) : Proto.Graph?.Name ?? "model";

    /// <summary>Bytes read from external data files through this model so far (diagnostics: shows what was read lazily).</summary>
    public long ExternalBytesRead => _externalFiles.BytesRead;

    /// <summary>
    /// Loads a model file. The protobuf is parsed from the file as a stream (the file is never buffered whole); external
    /// data is not read (only each data file's length is checked, unless <see cref="OnnxLoadOptions.VerifyExternalData"/>
    /// is off). Failures are <see cref="DeployException"/>s (bad input) with one-line messages.
    /// </summary>
    public static OnnxModel Load(string path, OnnxLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= OnnxLoadOptions.Default;
        var full = Path.GetFullPath(path);
        var proto = Parse(path, full);
        OnnxModelChecks.EnsureLooksLikeOnnx(proto, path);
        var model = new OnnxModel(proto, full, Path.GetDirectoryName(full));
        try
        {
            if (options.LoadExternalData)
            {
                model.InternalizeExternalData();
            }
            else if (options.VerifyExternalData)
            {
                model.VerifyExternalDataFiles();
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }

    /// <summary>Wraps a model built or edited in memory. External tensors, if any, resolve against <paramref name="baseDirectory"/>.</summary>
    public static OnnxModel FromProto(ModelProto proto, string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(proto);
        return new OnnxModel(proto, null, baseDirectory is null ? null : Path.GetFullPath(baseDirectory));
    }

    /// <summary>
    /// The tensor's payload as little-endian bytes in ONNX's element layout, wherever it is stored: raw_data, the typed
    /// repeated fields, or an external data file (read now, at its offset and length). A payload of 2 GiB or more
    /// cannot be one array: use <see cref="OpenTensorStream"/> or <see cref="CopyTensorTo"/>.
    /// </summary>
    public byte[] ReadTensorBytes(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return TensorData.IsExternal(tensor)
            ? _externalFiles.ReadAll(tensor, BaseDirectory, DisplayName)
            : TensorData.InlineBytes(tensor, DisplayName);
    }

    /// <summary>
    /// A read-only, seekable stream over the tensor's payload (same bytes as <see cref="ReadTensorBytes"/>). External
    /// payloads are read from the data file as the stream is read, so tensors of any size (over 2 GiB too) can be
    /// processed in chunks; raw_data is shared, not copied. The stream is valid until this model is disposed.
    /// </summary>
    public Stream OpenTensorStream(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return TensorData.IsExternal(tensor)
            ? _externalFiles.OpenRead(tensor, BaseDirectory, DisplayName)
            : TensorData.InlineStream(tensor, DisplayName);
    }

    /// <summary>Writes the tensor's payload to <paramref name="destination"/> in chunks, never holding a whole external payload in memory.</summary>
    public void CopyTensorTo(TensorProto tensor, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(destination);
        if (!TensorData.IsExternal(tensor) && tensor.HasRawData)
        {
            destination.Write(tensor.RawData.Span);
            return;
        }

        using var source = OpenTensorStream(tensor);
        source.CopyTo(destination, TensorData.CopyChunkBytes);
    }

    /// <summary>
    /// Saves the model (temporary files + rename), with external data as the options ask. The model is not changed,
    /// and keeps reading its own data files even when the save replaced them (see docs/interop-ownership.md).
    /// </summary>
    public void Save(string path, OnnxSaveOptions? options = null) => OnnxModelWriter.Save(this, path, options ?? OnnxSaveOptions.Default);

    /// <summary>Like <see cref="Save"/>, and says what was written (file sizes, how many tensors went external).</summary>
    public OnnxSaveResult SaveWithSummary(string path, OnnxSaveOptions? options = null) =>
        OnnxModelWriter.Save(this, path, options ?? OnnxSaveOptions.Default);

    /// <summary>Serialises the model to bytes with every tensor inline (for ONNX Runtime sessions created from memory).</summary>
    public byte[] ToBytesWithInlineData()
    {
        var copy = Proto.Clone();
        foreach (var tensor in OnnxModelWalker.Tensors(copy))
        {
            if (TensorData.IsExternal(tensor))
            {
                TensorData.SetRawData(tensor, UnsafeByteOperations.UnsafeWrap(ReadTensorBytes(tensor)));
            }
        }

        OnnxModelWriter.EnsureFitsInline(copy, DisplayName);
        return copy.ToByteArray();
    }

    /// <summary>Reads every external tensor into raw_data, so the model no longer depends on its data files.</summary>
    public void InternalizeExternalData()
    {
        foreach (var tensor in OnnxModelWalker.Tensors(Proto))
        {
            if (TensorData.IsExternal(tensor))
            {
                // The array is ours alone, so the ByteString may wrap it instead of copying it.
                TensorData.SetRawData(tensor, UnsafeByteOperations.UnsafeWrap(ReadTensorBytes(tensor)));
            }
        }
    }

    /// <summary>
    /// Checks that every external data file exists, stays inside the model's folder and is long enough for its tensors,
    /// without reading any data or holding the files open (models written one file per tensor can have thousands).
    /// </summary>
    public void VerifyExternalDataFiles()
    {
        foreach (var tensor in OnnxModelWalker.Tensors(Proto))
        {
            if (TensorData.IsExternal(tensor))
            {
                ExternalReference.Parse(tensor, BaseDirectory, DisplayName).Verify();
            }
        }
    }

    /// <summary>The distinct external data files the model's tensors name (full paths), in first-use order; nothing is opened.</summary>
    public IReadOnlyList<string> ExternalDataFileNames()
    {
        var files = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in OnnxModelWalker.Tensors(Proto))
        {
            if (TensorData.IsExternal(tensor))
            {
                var file = ExternalReference.Parse(tensor, BaseDirectory, DisplayName).File;
                if (seen.Add(file))
                {
                    files.Add(file);
                }
            }
        }

        return files;
    }

    /// <summary>Closes the external data files this model holds open. Reading an external tensor afterwards fails.</summary>
    public void Dispose() => _externalFiles.Dispose();

    private static ModelProto Parse(string path, string full)
    {
        if (Directory.Exists(full))
        {
            throw DeployException.BadInput($"{path} is a directory, not an ONNX model file");
        }

        FileStream stream;
        try
        {
            stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw DeployException.BadInput($"model file not found: {path}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DeployException.BadInput($"cannot open model file {path}: {e.Message}");
        }

        using (stream)
        {
            if (!stream.CanSeek)
            {
                throw DeployException.BadInput($"{path} is not a regular file");
            }

            var length = stream.Length;
            if (length == 0)
            {
                throw DeployException.BadInput($"{path} is empty, not an ONNX model");
            }

            if (length > MaxModelFileBytes)
            {
                throw DeployException.BadInput(
                    $"{path} is {length} bytes; an ONNX protobuf cannot exceed 2 GiB (large weights belong in external data files)");
            }

            try
            {
                return OnnxModelReader.Read(stream, length);
            }
            catch (MalformedProtobufException e) when (e.Truncated)
            {
                throw new DeployException(FailureKind.BadInput,
                    $"{path} is not a valid ONNX model: the protobuf is truncated ({e.Message})", e);
            }
            catch (InvalidProtocolBufferException e) when (e.Message.Contains("ended unexpectedly", StringComparison.Ordinal)
                                                            || e.Message.Contains("truncated", StringComparison.Ordinal))
            {
                throw new DeployException(FailureKind.BadInput,
                    $"{path} is not a valid ONNX model: the protobuf is truncated (a nested message ends early)", e);
            }
            catch (Exception e) when (e is MalformedProtobufException or InvalidProtocolBufferException)
            {
                throw new DeployException(FailureKind.BadInput,
                    $"{path} is not a valid ONNX model: the protobuf is malformed ({OneLine(e.Message)})", e);
            }
            catch (IOException e)
            {
                throw new DeployException(FailureKind.BadInput, $"cannot read model file {path}: {e.Message}", e);
            }
        }
    }

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).TrimEnd('.');
}

/// <summary>How <see cref="OnnxModel.Load"/> treats external data.</summary>
public sealed record OnnxLoadOptions
{
    public static OnnxLoadOptions Default { get; } = new();

    /// <summary>Read all external tensors into memory at load time (default false: read on demand).</summary>
    public bool LoadExternalData { get; init; }

    /// <summary>Check at load time that every external data file exists and covers its tensors (cheap: no data read).</summary>
    public bool VerifyExternalData { get; init; } = true;
}

/// <summary>What <see cref="OnnxModel.SaveWithSummary"/> wrote.</summary>
/// <param name="ModelPath">The model file (full path).</param>
/// <param name="ModelBytes">Its size.</param>
/// <param name="DataPath">The external data file (full path), or null when every tensor is inline.</param>
/// <param name="DataBytes">Its size (holes included), or 0.</param>
/// <param name="ExternalTensors">How many tensors the data file holds.</param>
public sealed record OnnxSaveResult(string ModelPath, long ModelBytes, string? DataPath, long DataBytes, int ExternalTensors);

/// <summary>How <see cref="OnnxModel.Save"/> lays out tensor data.</summary>
public sealed record OnnxSaveOptions
{
    public static OnnxSaveOptions Default { get; } = new();

    /// <summary>
    /// Initializers (of the main graph and of subgraphs) of at least this many bytes go to one external data file;
    /// other tensors, and every string tensor, stay inline. Null keeps every tensor inline unless the model would
    /// exceed protobuf's 2 GiB limit, in which case initializers from 1 KiB up go external anyway.
    /// </summary>
    public long? ExternalDataThreshold { get; init; }

    /// <summary>
    /// The external data file name, relative to the model's folder (default: the model file name + ".data"). It may
    /// name a subfolder but must stay inside the model's folder.
    /// </summary>
    public string? ExternalDataFileName { get; init; }

    /// <summary>Keep every tensor inline: fail (bad input) rather than move tensors out when the model exceeds 2 GiB.</summary>
    public bool ForceInline { get; init; }
}
