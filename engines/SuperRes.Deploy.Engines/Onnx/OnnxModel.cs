using Google.Protobuf;
using Onnx;

namespace SuperRes.Deploy.Engines.Onnx;

/// <summary>
/// An ONNX model as loaded from (or to be saved to) a file: the protobuf <see cref="ModelProto"/> plus where its
/// external data lives. Tensor payloads stored in external data files are read only when asked for
/// (<see cref="ReadTensorBytes"/>), so analysing a graph never pulls the weights into memory.
/// </summary>
public sealed class OnnxModel : IDisposable
{
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

    /// <summary>Loads a model file. Failures are <see cref="DeployException"/>s (bad input) with one-line messages.</summary>
    public static OnnxModel Load(string path, OnnxLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= OnnxLoadOptions.Default;
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw DeployException.BadInput($"{path} is a directory, not an ONNX model file");
        }

        if (!File.Exists(full))
        {
            throw DeployException.BadInput($"model file not found: {path}");
        }

        ModelProto proto;
        try
        {
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            proto = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw DeployException.BadInput($"{path} is not a valid ONNX model: the protobuf is truncated or malformed ({e.Message.TrimEnd('.')})");
        }

        OnnxModelChecks.EnsureLooksLikeOnnx(proto, path);
        var model = new OnnxModel(proto, full, Path.GetDirectoryName(full));
        if (options.LoadExternalData)
        {
            model.InternalizeExternalData();
        }
        else if (options.VerifyExternalData)
        {
            model.VerifyExternalDataFiles();
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
    /// repeated fields, or an external data file (read now, at its offset and length).
    /// </summary>
    public byte[] ReadTensorBytes(TensorProto tensor) => TensorData.ReadBytes(tensor, BaseDirectory, DisplayName);

    /// <summary>Saves the model atomically (temporary file + rename), with external data as the options ask.</summary>
    public void Save(string path, OnnxSaveOptions? options = null) => OnnxModelWriter.Save(this, path, options ?? OnnxSaveOptions.Default);

    /// <summary>Serialises the model to bytes with every tensor inline (for ONNX Runtime sessions created from memory).</summary>
    public byte[] ToBytesWithInlineData()
    {
        var copy = Proto.Clone();
        foreach (var tensor in OnnxModelWalker.Tensors(copy))
        {
            if (TensorData.IsExternal(tensor))
            {
                TensorData.MakeInline(tensor, TensorData.ReadBytes(tensor, BaseDirectory, DisplayName));
            }
        }

        return copy.ToByteArray();
    }

    /// <summary>Reads every external tensor into raw_data, so the model no longer depends on its data files.</summary>
    public void InternalizeExternalData()
    {
        foreach (var tensor in OnnxModelWalker.Tensors(Proto))
        {
            if (TensorData.IsExternal(tensor))
            {
                TensorData.MakeInline(tensor, TensorData.ReadBytes(tensor, BaseDirectory, DisplayName));
            }
        }
    }

    /// <summary>Checks that every external data file exists and is long enough, without reading it.</summary>
    public void VerifyExternalDataFiles()
    {
        foreach (var tensor in OnnxModelWalker.Tensors(Proto))
        {
            if (TensorData.IsExternal(tensor))
            {
                TensorData.ResolveExternal(tensor, BaseDirectory, DisplayName);
            }
        }
    }

    public void Dispose()
    {
        // Nothing is held open between reads today; the type is disposable so a memory-mapped store can be added
        // without changing callers.
    }
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

/// <summary>How <see cref="OnnxModel.Save"/> lays out tensor data.</summary>
public sealed record OnnxSaveOptions
{
    public static OnnxSaveOptions Default { get; } = new();

    /// <summary>
    /// Initializers of at least this many bytes go to an external data file; null keeps every tensor inline unless the
    /// model would exceed protobuf's 2 GB limit, in which case large tensors go external anyway.
    /// </summary>
    public long? ExternalDataThreshold { get; init; }

    /// <summary>The external data file name, relative to the model's folder (default: the model file name + ".data").</summary>
    public string? ExternalDataFileName { get; init; }
}
