using System.Buffers;
using System.Runtime.InteropServices;
using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Engines.Runtime;

/// <summary>
/// Runs a serialized TensorRT engine (plan) through our TensorRT shim with host buffers: the plugin libraries are
/// registered first, the plan is deserialized, and each run picks the optimization profile for its input shapes (an
/// exact opt match first, else the first profile containing them, as vs-mlrt does), sets the input shapes, copies the
/// inputs in and the outputs out. Inputs are checked against the engine first (names, element types, ranks, fixed
/// sizes, profile ranges), so mistakes come back as one-line <see cref="DeployException"/>s. Runs are serialized (one
/// execution context).
/// </summary>
public sealed class TrtRunner : IInferenceRunner
{
    private readonly List<TrtPluginLibrary> _plugins = [];
    private readonly TrtRuntime? _runtime;
    private readonly TrtEngine? _engine;
    private readonly TrtExecutionContext? _context;
    private readonly Lock _gate = new();
    private int _currentProfile = -1;

    /// <summary>Loads the plugins and deserializes the plan.</summary>
    /// <exception cref="DeployException">
    /// BadInput: the plan is missing, unreadable or not loadable by this TensorRT, or uses element types a
    /// <see cref="Tensor"/> cannot hold. MissingComponent: the TensorRT shim, TensorRT, CUDA or a plugin library is missing.
    /// </exception>
    public TrtRunner(TrtRunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.PlanPath is null == options.PlanBytes is null)
        {
            throw DeployException.Usage("set exactly one of the plan path and the plan bytes");
        }

        PlanName = options.PlanName ?? (options.PlanPath is not null ? Path.GetFileName(options.PlanPath) : "in-memory plan");
        var plan = options.PlanBytes ?? ReadPlan(options.PlanPath!);
        PlanVersion = TrtPlanHeader.TryRead(plan.Span)?.Version;
        try
        {
            foreach (var library in options.PluginLibraries)
            {
                if (!File.Exists(library))
                {
                    throw DeployException.MissingComponent($"TensorRT plugin library not found: {library}");
                }

                _plugins.Add(Translate(() => TrtPluginLibrary.Load(library), $"cannot load TensorRT plugin library '{library}'"));
            }

            _runtime = Translate(TrtRuntime.Create, "cannot create the TensorRT runtime");
            _engine = Translate(() => _runtime.Deserialize(plan.Span), $"TensorRT cannot deserialize plan '{PlanName}'");
            var tensors = Translate(_engine.GetIOTensors, $"cannot read the I/O tensors of plan '{PlanName}'");
            Inputs = tensors.Where(t => t.Mode == TrtTensorIoMode.Input).Select(ToTensorInfo).ToArray();
            Outputs = tensors.Where(t => t.Mode == TrtTensorIoMode.Output).Select(ToTensorInfo).ToArray();
            Profiles = ReadProfiles(_engine, tensors);
            var libraryInfo = Translate(TrtInfo.GetLibraryInfo, "cannot query the TensorRT shim");
            RuntimeVersion = libraryInfo.RuntimeTensorRtVersion?.ToString(3) ?? libraryInfo.HeaderTensorRtVersion.ToString(3);
            IsTestDouble = libraryInfo.IsTestDouble;
            _context = Translate(_engine.CreateExecutionContext, $"cannot create an execution context for plan '{PlanName}'");
        }
        catch
        {
            DisposeNative();
            throw;
        }
    }

    /// <inheritdoc />
    public string BackendName => "tensorrt";

    /// <summary>The plan's name in messages.</summary>
    public string PlanName { get; }

    /// <summary>The TensorRT version recorded in the plan header (null when the header is not recognised).</summary>
    public Version? PlanVersion { get; }

    /// <summary>The TensorRT version actually loaded (e.g. "10.16.0").</summary>
    public string RuntimeVersion { get; } = string.Empty;

    /// <summary>True when the loaded "TensorRT" is the recording test double (tests only).</summary>
    public bool IsTestDouble { get; }

    /// <inheritdoc />
    public IReadOnlyList<TensorInfo> Inputs { get; } = [];

    /// <inheritdoc />
    public IReadOnlyList<TensorInfo> Outputs { get; } = [];

    /// <summary>The engine's optimization profiles with the min/opt/max of each dynamic input.</summary>
    public IReadOnlyList<OptimizationProfile> Profiles { get; } = [];

    /// <summary>The profile chosen by the last <see cref="Run"/> (-1 before the first).</summary>
    public int LastProfile
    {
        get
        {
            lock (_gate)
            {
                return _currentProfile;
            }
        }
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, CancellationToken cancellationToken = default) =>
        Run(inputs, null, cancellationToken);

    /// <summary>
    /// Runs with optimization profile <paramref name="profileIndex"/> (which must contain the input shapes), or with the
    /// profile <see cref="OptimizationProfile.Select"/> picks when it is null.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, int? profileIndex, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        cancellationToken.ThrowIfCancellationRequested();
        RuntimeChecks.CheckInputs(Inputs, inputs, $"engine '{PlanName}'");
        var shapes = Inputs.ToDictionary(i => i.Name, i => inputs[i.Name].Shape, StringComparer.Ordinal);
        var profile = 0;
        if (profileIndex is { } forced)
        {
            if (forced < 0 || forced >= Math.Max(1, Profiles.Count))
            {
                throw DeployException.BadInput($"engine '{PlanName}' has no optimization profile {forced} ({Profiles.Count} profiles)");
            }

            if (Profiles.Count > 0 && !Profiles[forced].Contains(shapes))
            {
                throw DeployException.BadInput(
                    $"input shape {FormatShapes(shapes)} lies outside optimization profile {forced} of engine '{PlanName}' ({Profiles[forced]})");
            }

            profile = forced;
        }
        else if (Profiles.Count > 0)
        {
            profile = OptimizationProfile.Select(Profiles, shapes);
            if (profile < 0)
            {
                throw DeployException.BadInput(
                    $"input shape {FormatShapes(shapes)} lies outside every optimization profile of engine '{PlanName}' ({string.Join("; ", Profiles)})");
            }
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_context is null, this);
            if (profile != _currentProfile)
            {
                Translate(() => _context.SetOptimizationProfile(profile), $"cannot select profile {profile} of engine '{PlanName}'");
                _currentProfile = profile;
            }

            foreach (var input in Inputs)
            {
                var dims = new TrtDims([.. inputs[input.Name].Shape]);
                Translate(() => _context.SetInputShape(input.Name, dims), $"engine '{PlanName}' refuses input shape {input.Name}:{dims}");
            }

            var results = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var output in Outputs)
            {
                var dims = Translate(() => _context.GetTensorShape(output.Name), $"cannot resolve the shape of output '{output.Name}' of engine '{PlanName}'");
                if (dims.IsDynamic)
                {
                    throw DeployException.BadInput($"output '{output.Name}' of engine '{PlanName}' has unresolved shape {dims}");
                }

                results[output.Name] = Tensor.Zeros(output.ElementType, [.. dims.Values]);
            }

            var host = new List<TrtHostTensor>(Inputs.Count + Outputs.Count);
            host.AddRange(Inputs.Select(i => new TrtHostTensor(i.Name, ByteView(inputs[i.Name]))));
            host.AddRange(Outputs.Select(o => new TrtHostTensor(o.Name, ByteView(results[o.Name]))));
            cancellationToken.ThrowIfCancellationRequested();
            Translate(() => _context.Execute(host), $"TensorRT failed to run engine '{PlanName}'");
            return results;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            DisposeNative();
        }
    }

    /// <summary>
    /// The one place TensorRT failures become <see cref="DeployException"/>s: a missing shim, TensorRT, CUDA or ONNX parser
    /// is a missing component (the shim's message says what to install and where it looked); anything else is reported
    /// with <paramref name="context"/> as a bad input.
    /// </summary>
    internal static T Translate<T>(Func<T> action, string context)
    {
        try
        {
            return action();
        }
        catch (TrtException e) when (e.Status == TrtStatus.LibraryMissing)
        {
            throw new DeployException(FailureKind.MissingComponent, OneLine(e.NativeMessage.Length > 0 ? e.NativeMessage : e.Message), e);
        }
        catch (TrtException e)
        {
            throw new DeployException(FailureKind.BadInput, $"{context}: {OneLine(e.Message)}", e);
        }
        catch (DllNotFoundException e)
        {
            throw new DeployException(FailureKind.MissingComponent, OneLine(e.Message), e);
        }
    }

    private static void Translate(Action action, string context) => Translate(() =>
    {
        action();
        return true;
    }, context);

    private static ReadOnlyMemory<byte> ReadPlan(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length == 0)
            {
                throw DeployException.BadInput($"engine plan '{path}' is empty");
            }

            return bytes;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw DeployException.BadInput($"engine plan not found: {path}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DeployException.BadInput($"cannot read engine plan '{path}': {OneLine(e.Message)}");
        }
    }

    private static OptimizationProfile[] ReadProfiles(TrtEngine engine, IReadOnlyList<TrtTensorInfo> tensors)
    {
        var count = Translate(() => engine.OptimizationProfileCount, "cannot count the engine's optimization profiles");
        var dynamicInputs = tensors.Where(t => t.Mode == TrtTensorIoMode.Input && t.Shape.IsDynamic).ToArray();
        var profiles = new OptimizationProfile[count];
        for (var index = 0; index < count; index++)
        {
            var ranges = new Dictionary<string, ProfileRange>(StringComparer.Ordinal);
            foreach (var input in dynamicInputs)
            {
                var profileIndex = index;
                var shape = Translate(() => engine.GetProfileShape(input.Name, profileIndex), $"cannot read profile {index} of input '{input.Name}'");
                ranges[input.Name] = new ProfileRange([.. shape.Min.Values], [.. shape.Opt.Values], [.. shape.Max.Values]);
            }

            profiles[index] = new OptimizationProfile(index, ranges);
        }

        return profiles;
    }

    private TensorInfo ToTensorInfo(TrtTensorInfo info)
    {
        var type = info.DataType switch
        {
            TrtDataType.Float => TensorElementType.Float32,
            TrtDataType.Half => TensorElementType.Float16,
            TrtDataType.Int8 => TensorElementType.Int8,
            TrtDataType.Int32 => TensorElementType.Int32,
            TrtDataType.Bool => TensorElementType.Bool,
            TrtDataType.Uint8 => TensorElementType.UInt8,
            TrtDataType.Int64 => TensorElementType.Int64,
            var other => throw DeployException.BadInput(
                $"tensor '{info.Name}' of engine '{PlanName}' has element type {other.ToString().ToLowerInvariant()}, which srdeploy cannot exchange"),
        };
        return new TensorInfo(info.Name, type, info.Shape.Values.Select(d => d >= 0 ? TensorDim.Fixed(d) : TensorDim.Unknown).ToArray());
    }

    private static string FormatShapes(IReadOnlyDictionary<string, IReadOnlyList<long>> shapes) =>
        string.Join(",", shapes.Select(s => $"{s.Key}:{ProfileRange.Dims(s.Value)}"));

    private static Memory<byte> ByteView(Tensor tensor) => tensor.ElementType switch
    {
        TensorElementType.Float32 => ByteMemory<float>.Of(tensor),
        TensorElementType.Float16 => ByteMemory<Half>.Of(tensor),
        TensorElementType.Float64 => ByteMemory<double>.Of(tensor),
        TensorElementType.Int8 => ByteMemory<sbyte>.Of(tensor),
        TensorElementType.UInt8 => ByteMemory<byte>.Of(tensor),
        TensorElementType.Int32 => ByteMemory<int>.Of(tensor),
        TensorElementType.Int64 => ByteMemory<long>.Of(tensor),
        TensorElementType.Bool => ByteMemory<bool>.Of(tensor),
        _ => throw new InvalidOperationException($"unhandled element type {tensor.ElementType}"),
    };

    private void DisposeNative()
    {
        // Context before engine before runtime; plugins last (deregistering them while an engine uses them is invalid).
        _context?.Dispose();
        _engine?.Dispose();
        _runtime?.Dispose();
        foreach (var plugin in _plugins)
        {
            plugin.Dispose();
        }

        _plugins.Clear();
    }

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>A tensor's typed array seen as bytes (no copy), pinnable for the native call.</summary>
    private sealed class ByteMemory<T> : MemoryManager<byte>
        where T : unmanaged
    {
        private readonly T[] _array;

        private ByteMemory(T[] array) => _array = array;

        public static Memory<byte> Of(Tensor tensor) => new ByteMemory<T>((T[])tensor.Data).Memory;

        public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(_array.AsSpan());

        public override unsafe MemoryHandle Pin(int elementIndex = 0)
        {
            var handle = GCHandle.Alloc(_array, GCHandleType.Pinned);
            return new MemoryHandle((byte*)handle.AddrOfPinnedObject() + elementIndex, handle, this);
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
