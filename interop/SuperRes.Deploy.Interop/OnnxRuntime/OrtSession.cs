using System.Runtime.InteropServices;

namespace SuperRes.Deploy.Interop.OnnxRuntime;

/// <summary>
/// A loaded model ready to run (<c>OrtSession</c>) on ORT's CPU execution provider. Inputs and outputs are read once at
/// creation. Runs may be issued from several threads at once (ORT allows concurrent Run on one session).
/// </summary>
public sealed unsafe class OrtSession : IDisposable
{
    private readonly OrtSessionHandle _handle;

    private OrtSession(OrtSessionHandle handle)
    {
        _handle = handle;
        try
        {
            Inputs = ReadValueInfos(isInput: true);
            Outputs = ReadValueInfos(isInput: false);
        }
        catch
        {
            _handle.Dispose();
            throw;
        }
    }

    /// <summary>The model's inputs (graph inputs that are not initializers), in order.</summary>
    public IReadOnlyList<OrtValueInfo> Inputs { get; }

    /// <summary>The model's outputs, in order.</summary>
    public IReadOnlyList<OrtValueInfo> Outputs { get; }

    /// <summary>Loads a model file. A missing file fails with <see cref="OrtErrorCode.NoSuchFile"/>.</summary>
    /// <exception cref="OrtException">ORT could not load the model.</exception>
    public static OrtSession FromFile(string modelPath, OrtSessionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        var handle = new OrtSessionHandle();
        using (var env = OrtEnvironment.Handle.Lease())
        using (var optionsLease = options is null ? default : options.Handle.Lease())
        using (var path = new NativePath(modelPath))
        {
            nint raw = 0;
            OrtStatus.Check(OrtLibrary.Api.CreateSession(env.Pointer, path.Pointer, optionsLease.Pointer, &raw));
            handle.Attach(raw);
        }

        return Finish(handle, options);
    }

    /// <summary>Loads a model from its serialized bytes (ORT parses them during the call; they are not kept).</summary>
    /// <exception cref="OrtException">ORT could not load the model (e.g. <see cref="OrtErrorCode.InvalidProtobuf"/>).</exception>
    public static OrtSession FromBytes(ReadOnlySpan<byte> model, OrtSessionOptions? options = null)
    {
        var handle = new OrtSessionHandle();
        using (var env = OrtEnvironment.Handle.Lease())
        using (var optionsLease = options is null ? default : options.Handle.Lease())
        {
            nint raw = 0;
            fixed (byte* bytes = model)
            {
                OrtStatus.Check(OrtLibrary.Api.CreateSessionFromArray(env.Pointer, bytes, (nuint)model.Length, optionsLease.Pointer, &raw));
            }

            handle.Attach(raw);
        }

        return Finish(handle, options);
    }

    /// <summary>
    /// Runs the model. <paramref name="inputs"/>[i] feeds <paramref name="inputNames"/>[i]; one output is returned per
    /// name in <paramref name="outputNames"/>, allocated by ORT and owned by the caller (dispose each). Inputs are read in
    /// place (no copy). With <paramref name="runOptions"/>, <see cref="OrtRunOptions.Terminate"/> stops the run.
    /// </summary>
    /// <exception cref="OrtException">ORT rejected the inputs or failed while running.</exception>
    public OrtValue[] Run(
        IReadOnlyList<string> inputNames, IReadOnlyList<OrtValue> inputs, IReadOnlyList<string> outputNames, OrtRunOptions? runOptions = null)
    {
        ArgumentNullException.ThrowIfNull(inputNames);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputNames);
        if (inputNames.Count != inputs.Count)
        {
            throw new ArgumentException($"{inputNames.Count} input names for {inputs.Count} inputs", nameof(inputs));
        }

        using var session = _handle.Lease();
        using var runOptionsLease = runOptions is null ? default : runOptions.Handle.Lease();
        using var nativeInputNames = new Utf8StringArray(inputNames);
        using var nativeOutputNames = new Utf8StringArray(outputNames);
        var inputLeases = new HandleLease[inputs.Count];
        var leased = 0;
        var outputPointers = new nint[outputNames.Count];
        var inputPointers = new nint[inputs.Count];
        try
        {
            for (; leased < inputs.Count; leased++)
            {
                ArgumentNullException.ThrowIfNull(inputs[leased], nameof(inputs));
                inputLeases[leased] = inputs[leased].Handle.Lease();
                inputPointers[leased] = inputLeases[leased].Pointer;
            }

            nint status;
            fixed (nint* inputsPointer = inputPointers)
            fixed (nint* outputsPointer = outputPointers)
            {
                status = OrtLibrary.Api.Run(
                    session.Pointer, runOptionsLease.Pointer, nativeInputNames.Pointers, inputsPointer, (nuint)inputs.Count,
                    nativeOutputNames.Pointers, (nuint)outputNames.Count, outputsPointer);
            }

            // Adopt whatever ORT handed out before looking at the status, so nothing it allocated can leak.
            var outputs = outputPointers.Select(p => p == 0 ? null : OrtValue.Adopt(p)).ToArray();
            try
            {
                OrtStatus.Check(status);
            }
            catch
            {
                foreach (var output in outputs)
                {
                    output?.Dispose();
                }

                throw;
            }

            return outputs!;
        }
        finally
        {
            for (var i = 0; i < leased; i++)
            {
                inputLeases[i].Dispose();
            }
        }
    }

    /// <summary>Reads the model-level metadata (producer, graph name, description, version, custom properties).</summary>
    public OrtModelMetadata ReadModelMetadata()
    {
        var api = OrtLibrary.Api;
        var allocator = api.DefaultAllocator;
        using var session = _handle.Lease();
        using var metadata = new OrtModelMetadataHandle();
        nint raw = 0;
        OrtStatus.Check(api.SessionGetModelMetadata(session.Pointer, &raw));
        metadata.Attach(raw);

        static string ReadString(OrtApi api, nint metadata, nint allocator, delegate* unmanaged<nint, nint, byte**, nint> getter)
        {
            byte* text = null;
            OrtStatus.Check(getter(metadata, allocator, &text));
            return api.TakeAllocatedString(allocator, text) ?? string.Empty;
        }

        var producer = ReadString(api, raw, allocator, api.ModelMetadataGetProducerName);
        var graphName = ReadString(api, raw, allocator, api.ModelMetadataGetGraphName);
        var domain = ReadString(api, raw, allocator, api.ModelMetadataGetDomain);
        var description = ReadString(api, raw, allocator, api.ModelMetadataGetDescription);
        long version;
        OrtStatus.Check(api.ModelMetadataGetVersion(raw, &version));

        var keys = new List<string>();
        byte** keyArray = null;
        long keyCount = 0;
        OrtStatus.Check(api.ModelMetadataGetCustomMetadataMapKeys(raw, allocator, &keyArray, &keyCount));
        try
        {
            for (long i = 0; i < keyCount; i++)
            {
                keys.Add(Marshal.PtrToStringUTF8((nint)keyArray[i]) ?? string.Empty);
            }
        }
        finally
        {
            // Each key, then the array, belongs to the allocator that returned them.
            for (long i = 0; i < keyCount; i++)
            {
                api.FreeAllocated(allocator, keyArray[i]);
            }

            api.FreeAllocated(allocator, keyArray);
        }

        var custom = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            using var nativeKey = new Utf8String(key);
            byte* value = null;
            OrtStatus.Check(api.ModelMetadataLookupCustomMetadataMap(raw, allocator, nativeKey.Pointer, &value));
            custom[key] = api.TakeAllocatedString(allocator, value) ?? string.Empty;
        }

        return new OrtModelMetadata(producer, graphName, domain, description, version, custom);
    }

    /// <summary>Stops ORT's profiler (enabled with <see cref="OrtSessionOptions.EnableProfiling"/>) and returns the JSON file path.</summary>
    public string EndProfiling()
    {
        var api = OrtLibrary.Api;
        var allocator = api.DefaultAllocator;
        using var session = _handle.Lease();
        byte* path = null;
        OrtStatus.Check(api.SessionEndProfiling(session.Pointer, allocator, &path));
        return api.TakeAllocatedString(allocator, path) ?? string.Empty;
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();

    private static OrtSession Finish(OrtSessionHandle handle, OrtSessionOptions? options)
    {
        if (options is not null)
        {
            handle.HoldOptions(options.Handle);
        }

        return new OrtSession(handle);
    }

    private OrtValueInfo[] ReadValueInfos(bool isInput)
    {
        var api = OrtLibrary.Api;
        var allocator = api.DefaultAllocator;
        using var session = _handle.Lease();
        nuint count;
        OrtStatus.Check(isInput ? api.SessionGetInputCount(session.Pointer, &count) : api.SessionGetOutputCount(session.Pointer, &count));
        var infos = new OrtValueInfo[(int)count];
        for (nuint i = 0; i < count; i++)
        {
            byte* nativeName = null;
            OrtStatus.Check(isInput
                ? api.SessionGetInputName(session.Pointer, i, allocator, &nativeName)
                : api.SessionGetOutputName(session.Pointer, i, allocator, &nativeName));
            var name = api.TakeAllocatedString(allocator, nativeName) ?? string.Empty;

            using var typeInfo = new OrtTypeInfoHandle();
            nint rawTypeInfo = 0;
            OrtStatus.Check(isInput
                ? api.SessionGetInputTypeInfo(session.Pointer, i, &rawTypeInfo)
                : api.SessionGetOutputTypeInfo(session.Pointer, i, &rawTypeInfo));
            typeInfo.Attach(rawTypeInfo);
            infos[(int)i] = OrtValueInfo.FromTypeInfo(name, rawTypeInfo);
        }

        return infos;
    }
}
