using SuperRes.Deploy.Interop.OnnxRuntime;

namespace SuperRes.Deploy.Engines.Runtime;

/// <summary>
/// Runs an ONNX model on ONNX Runtime's CPU execution provider through our own C API binding. Inputs are checked against
/// the model before ONNX Runtime sees them (names, element types, ranks, fixed sizes), so mistakes come back as one-line
/// <see cref="DeployException"/>s naming the input. Input tensors are read in place (pinned, not copied); outputs are
/// copied into new managed arrays. Runs may be issued from several threads at once.
/// </summary>
public sealed class OrtRunner : IInferenceRunner
{
    private readonly OrtSession _session;
    private readonly string[] _outputNames;

    /// <summary>Loads the model.</summary>
    /// <exception cref="DeployException">
    /// BadInput: the model is missing, unreadable, invalid, or uses element types a <see cref="Tensor"/> cannot hold.
    /// MissingComponent: ONNX Runtime or a custom-op library cannot be loaded.
    /// </exception>
    public OrtRunner(OrtRunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ModelPath is null == options.ModelBytes is null)
        {
            throw DeployException.Usage("set exactly one of the model path and the model bytes");
        }

        ModelName = options.ModelName ?? (options.ModelPath is not null ? Path.GetFileName(options.ModelPath) : "in-memory model");
        if (options.ModelPath is not null && !File.Exists(options.ModelPath))
        {
            throw DeployException.BadInput($"model file not found: {options.ModelPath}");
        }

        foreach (var library in options.CustomOpLibraries)
        {
            if (!File.Exists(library))
            {
                throw DeployException.MissingComponent($"custom-op library not found: {library}");
            }
        }

        _session = Translate(() => CreateSession(options), error => $"ONNX Runtime cannot load model '{ModelName}': {error}");
        try
        {
            Inputs = _session.Inputs.Select(i => ToTensorInfo(i, "input")).ToArray();
            Outputs = _session.Outputs.Select(o => ToTensorInfo(o, "output")).ToArray();
            _outputNames = Outputs.Select(o => o.Name).ToArray();
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public string BackendName => "onnxruntime";

    /// <summary>The ONNX Runtime version in use (e.g. "1.30.0").</summary>
    public static string RuntimeVersion => Translate(() => OrtLibrary.Version, error => error);

    /// <summary>The model's name in messages.</summary>
    public string ModelName { get; }

    /// <inheritdoc />
    public IReadOnlyList<TensorInfo> Inputs { get; }

    /// <inheritdoc />
    public IReadOnlyList<TensorInfo> Outputs { get; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        cancellationToken.ThrowIfCancellationRequested();
        RuntimeChecks.CheckInputs(Inputs, inputs, $"model '{ModelName}'");

        var names = new string[Inputs.Count];
        var values = new List<OrtValue>(Inputs.Count);
        OrtValue[]? outputs = null;
        try
        {
            for (var i = 0; i < Inputs.Count; i++)
            {
                names[i] = Inputs[i].Name;
                values.Add(WrapPinned(inputs[names[i]]));
            }

            using var runOptions = new OrtRunOptions();
            using (cancellationToken.Register(static state => ((OrtRunOptions)state!).Terminate(), runOptions))
            {
                try
                {
                    outputs = _session.Run(names, values, _outputNames, runOptions);
                }
                catch (OrtException e) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException($"run of model '{ModelName}' was cancelled", e, cancellationToken);
                }
                catch (OrtException e)
                {
                    throw new DeployException(FailureKind.BadInput, $"ONNX Runtime failed to run model '{ModelName}': {OneLine(e.Message)}", e);
                }
            }

            var results = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (var i = 0; i < outputs.Length; i++)
            {
                results[_outputNames[i]] = CopyOut(outputs[i], _outputNames[i]);
            }

            return results;
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }

            foreach (var output in outputs ?? [])
            {
                output.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();

    /// <summary>
    /// The one place ONNX Runtime's loading failures become <see cref="DeployException"/>s: a missing runtime is a missing
    /// component (its message lists every place tried); a runtime error gets <paramref name="describe"/>'s context.
    /// </summary>
    internal static T Translate<T>(Func<T> action, Func<string, string> describe, FailureKind runtimeErrorKind = FailureKind.BadInput)
    {
        try
        {
            return action();
        }
        catch (OrtLibraryNotFoundException e)
        {
            throw new DeployException(FailureKind.MissingComponent, e.Message, e);
        }
        catch (OrtException e)
        {
            throw new DeployException(runtimeErrorKind, describe(OneLine(e.Message)), e);
        }
    }

    private static OrtSession CreateSession(OrtRunnerOptions options)
    {
        using var sessionOptions = new OrtSessionOptions();
        sessionOptions.SetGraphOptimizationLevel(options.OptimizationLevel);
        sessionOptions.SetIntraOpThreads(options.IntraOpThreads);
        sessionOptions.SetInterOpThreads(options.InterOpThreads);
        if (options.InterOpThreads > 1)
        {
            sessionOptions.SetExecutionMode(OrtExecutionMode.Parallel);
        }

        if (options.OptimizedModelPath is not null)
        {
            sessionOptions.SetOptimizedModelFilePath(options.OptimizedModelPath);
        }

        foreach (var library in options.CustomOpLibraries)
        {
            Translate(
                () =>
                {
                    sessionOptions.RegisterCustomOpsLibrary(library);
                    return true;
                },
                error => $"custom-op library '{library}' cannot be registered: {error}",
                FailureKind.MissingComponent);
        }

        return options.ModelPath is not null
            ? OrtSession.FromFile(options.ModelPath, sessionOptions)
            : OrtSession.FromBytes(options.ModelBytes!.Value.Span, sessionOptions);
    }

    private TensorInfo ToTensorInfo(OrtValueInfo info, string role)
    {
        var elementType = info.ValueType == OrtValueType.Tensor ? FromOrt(info.ElementType) : null;
        if (elementType is null)
        {
            var what = info.ValueType == OrtValueType.Tensor ? $"element type {info.ElementType}" : $"a {info.ValueType} value";
            throw DeployException.BadInput($"{role} '{info.Name}' of model '{ModelName}' has {what}, which srdeploy cannot exchange");
        }

        var dims = new TensorDim[info.Dimensions.Count];
        for (var i = 0; i < dims.Length; i++)
        {
            dims[i] = info.Dimensions[i] >= 0 ? TensorDim.Fixed(info.Dimensions[i])
                : info.SymbolicDimensions[i].Length > 0 ? TensorDim.Symbolic(info.SymbolicDimensions[i])
                : TensorDim.Unknown;
        }

        return new TensorInfo(info.Name, elementType.Value, dims);
    }

    private static OrtValue WrapPinned(Tensor tensor)
    {
        var shape = tensor.Shape.ToArray();
        return tensor.ElementType switch
        {
            TensorElementType.Float32 => OrtValue.CreateTensor(tensor.AsMemory<float>(), shape),
            TensorElementType.Float16 => OrtValue.CreateTensor(tensor.AsMemory<Half>(), shape),
            TensorElementType.Float64 => OrtValue.CreateTensor(tensor.AsMemory<double>(), shape),
            TensorElementType.Int8 => OrtValue.CreateTensor(tensor.AsMemory<sbyte>(), shape),
            TensorElementType.UInt8 => OrtValue.CreateTensor(tensor.AsMemory<byte>(), shape),
            TensorElementType.Int32 => OrtValue.CreateTensor(tensor.AsMemory<int>(), shape),
            TensorElementType.Int64 => OrtValue.CreateTensor(tensor.AsMemory<long>(), shape),
            TensorElementType.Bool => OrtValue.CreateTensor(tensor.AsMemory<bool>(), shape),
            _ => throw new InvalidOperationException($"unhandled element type {tensor.ElementType}"),
        };
    }

    private Tensor CopyOut(OrtValue value, string name)
    {
        var shape = value.GetShape();
        var type = FromOrt(value.ElementType)
                   ?? throw DeployException.BadInput($"output '{name}' of model '{ModelName}' has element type {value.ElementType}, which srdeploy cannot exchange");
        return type switch
        {
            TensorElementType.Float32 => Tensor.FromArray(value.ToArray<float>(), shape),
            TensorElementType.Float16 => Tensor.FromArray(value.ToArray<Half>(), shape),
            TensorElementType.Float64 => Tensor.FromArray(value.ToArray<double>(), shape),
            TensorElementType.Int8 => Tensor.FromArray(value.ToArray<sbyte>(), shape),
            TensorElementType.UInt8 => Tensor.FromArray(value.ToArray<byte>(), shape),
            TensorElementType.Int32 => Tensor.FromArray(value.ToArray<int>(), shape),
            TensorElementType.Int64 => Tensor.FromArray(value.ToArray<long>(), shape),
            TensorElementType.Bool => Tensor.FromArray(value.ToArray<bool>(), shape),
            _ => throw new InvalidOperationException($"unhandled element type {type}"),
        };
    }

    private static TensorElementType? FromOrt(OrtElementType type) => type switch
    {
        OrtElementType.Float => TensorElementType.Float32,
        OrtElementType.Float16 => TensorElementType.Float16,
        OrtElementType.Double => TensorElementType.Float64,
        OrtElementType.Int8 => TensorElementType.Int8,
        OrtElementType.UInt8 => TensorElementType.UInt8,
        OrtElementType.Int32 => TensorElementType.Int32,
        OrtElementType.Int64 => TensorElementType.Int64,
        OrtElementType.Bool => TensorElementType.Bool,
        _ => null,
    };

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
