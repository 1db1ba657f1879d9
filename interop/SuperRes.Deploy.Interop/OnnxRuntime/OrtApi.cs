using System.Runtime.InteropServices;

namespace SuperRes.Deploy.Interop.OnnxRuntime;

/// <summary>
/// The part of ONNX Runtime's <c>OrtApi</c> function table this binding calls, read once from the table the library hands
/// out (<c>OrtGetApiBase()->GetApi(30)</c>). Each field is the function pointer at the slot named in
/// <see cref="OrtApiSlot"/>. Conventions of the C API: a returned <c>nint</c> status is an <c>OrtStatus*</c> (0 = success;
/// otherwise turned into an exception by <see cref="OrtStatus.Check"/>), handles are <c>nint</c>, enums <c>int</c>,
/// <c>size_t</c> <c>nuint</c>, strings UTF-8 <c>byte*</c>; <c>void*</c> path parameters are ORTCHAR_T (UTF-8 on Linux and
/// macOS, UTF-16 on Windows; see <see cref="NativePath"/>).
/// </summary>
internal sealed unsafe class OrtApi
{
    // Status
    public readonly delegate* unmanaged<nint, int> GetErrorCode;
    public readonly delegate* unmanaged<nint, byte*> GetErrorMessage;

    // Env and sessions
    /// <summary>(logging function, its user parameter, minimum level, log id, out env).</summary>
    public readonly delegate* unmanaged<nint, nint, int, byte*, nint*, nint> CreateEnvWithCustomLogger;
    /// <summary>(env, model path ◆, options or 0, out session).</summary>
    public readonly delegate* unmanaged<nint, void*, nint, nint*, nint> CreateSession;
    /// <summary>(env, model bytes, byte count, options or 0, out session).</summary>
    public readonly delegate* unmanaged<nint, void*, nuint, nint, nint*, nint> CreateSessionFromArray;
    /// <summary>(session, run options or 0, input names, inputs, input count, output names, output count, outputs).</summary>
    public readonly delegate* unmanaged<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint> Run;

    // Session options
    public readonly delegate* unmanaged<nint*, nint> CreateSessionOptions;
    public readonly delegate* unmanaged<nint, void*, nint> SetOptimizedModelFilePath;
    public readonly delegate* unmanaged<nint, int, nint> SetSessionExecutionMode;
    public readonly delegate* unmanaged<nint, void*, nint> EnableProfiling;
    public readonly delegate* unmanaged<nint, byte*, nint> SetSessionLogId;
    public readonly delegate* unmanaged<nint, int, nint> SetSessionLogSeverityLevel;
    public readonly delegate* unmanaged<nint, int, nint> SetSessionGraphOptimizationLevel;
    public readonly delegate* unmanaged<nint, int, nint> SetIntraOpNumThreads;
    public readonly delegate* unmanaged<nint, int, nint> SetInterOpNumThreads;
    public readonly delegate* unmanaged<nint, byte*, byte*, nint> AddSessionConfigEntry;
    public readonly delegate* unmanaged<nint, void*, nint> RegisterCustomOpsLibraryV2;

    // Session introspection
    public readonly delegate* unmanaged<nint, nuint*, nint> SessionGetInputCount;
    public readonly delegate* unmanaged<nint, nuint*, nint> SessionGetOutputCount;
    public readonly delegate* unmanaged<nint, nuint, nint*, nint> SessionGetInputTypeInfo;
    public readonly delegate* unmanaged<nint, nuint, nint*, nint> SessionGetOutputTypeInfo;
    /// <summary>(session, index, allocator, out name); the name is freed with AllocatorFree on that allocator.</summary>
    public readonly delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetInputName;
    public readonly delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetOutputName;
    public readonly delegate* unmanaged<nint, nint, byte**, nint> SessionEndProfiling;
    public readonly delegate* unmanaged<nint, nint*, nint> SessionGetModelMetadata;
    public readonly delegate* unmanaged<nint, nint, byte**, nint> ModelMetadataGetProducerName;
    public readonly delegate* unmanaged<nint, nint, byte**, nint> ModelMetadataGetGraphName;
    public readonly delegate* unmanaged<nint, nint, byte**, nint> ModelMetadataGetDomain;
    public readonly delegate* unmanaged<nint, nint, byte**, nint> ModelMetadataGetDescription;
    public readonly delegate* unmanaged<nint, nint, byte*, byte**, nint> ModelMetadataLookupCustomMetadataMap;
    public readonly delegate* unmanaged<nint, long*, nint> ModelMetadataGetVersion;
    /// <summary>(metadata, allocator, out key array, out count): each key and then the array are freed with AllocatorFree.</summary>
    public readonly delegate* unmanaged<nint, nint, byte***, long*, nint> ModelMetadataGetCustomMetadataMapKeys;

    // Run options
    public readonly delegate* unmanaged<nint*, nint> CreateRunOptions;
    public readonly delegate* unmanaged<nint, byte*, nint> RunOptionsSetRunTag;
    public readonly delegate* unmanaged<nint, nint> RunOptionsSetTerminate;
    public readonly delegate* unmanaged<nint, nint> RunOptionsUnsetTerminate;

    // Values, type information, memory
    /// <summary>(memory info, data, data length in bytes, shape, rank, element type, out value).</summary>
    public readonly delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint> CreateTensorWithDataAsOrtValue;
    public readonly delegate* unmanaged<nint, void**, nint> GetTensorMutableData;
    /// <summary>(type info, out tensor info): the tensor info is borrowed from the type info; never released on its own.</summary>
    public readonly delegate* unmanaged<nint, nint*, nint> CastTypeInfoToTensorInfo;
    public readonly delegate* unmanaged<nint, int*, nint> GetOnnxTypeFromTypeInfo;
    public readonly delegate* unmanaged<nint, int*, nint> GetTensorElementType;
    public readonly delegate* unmanaged<nint, nuint*, nint> GetDimensionsCount;
    public readonly delegate* unmanaged<nint, long*, nuint, nint> GetDimensions;
    /// <summary>(tensor info, out names, count): the names are borrowed from the tensor info; "" for a fixed dimension.</summary>
    public readonly delegate* unmanaged<nint, byte**, nuint, nint> GetSymbolicDimensions;
    public readonly delegate* unmanaged<nint, nint*, nint> GetTensorTypeAndShape;
    public readonly delegate* unmanaged<nint, int*, nint> GetValueType;
    public readonly delegate* unmanaged<int, int, nint*, nint> CreateCpuMemoryInfo;
    public readonly delegate* unmanaged<nint, void*, nint> AllocatorFree;
    public readonly delegate* unmanaged<nint*, nint> GetAllocatorWithDefaultOptions;

    // Release functions
    public readonly delegate* unmanaged<nint, void> ReleaseEnv;
    public readonly delegate* unmanaged<nint, void> ReleaseStatus;
    public readonly delegate* unmanaged<nint, void> ReleaseMemoryInfo;
    public readonly delegate* unmanaged<nint, void> ReleaseSession;
    public readonly delegate* unmanaged<nint, void> ReleaseValue;
    public readonly delegate* unmanaged<nint, void> ReleaseRunOptions;
    public readonly delegate* unmanaged<nint, void> ReleaseTypeInfo;
    public readonly delegate* unmanaged<nint, void> ReleaseTensorTypeAndShapeInfo;
    public readonly delegate* unmanaged<nint, void> ReleaseSessionOptions;
    public readonly delegate* unmanaged<nint, void> ReleaseModelMetadata;

    // Build information
    public readonly delegate* unmanaged<byte*> GetBuildInfoString;

    /// <summary>Reads the slots from the table at <paramref name="table"/>; every slot used must be non-null.</summary>
    public OrtApi(nint table)
    {
        var slots = (nint*)table;

        GetErrorCode = (delegate* unmanaged<nint, int>)Slot(slots, OrtApiSlot.GetErrorCode);
        GetErrorMessage = (delegate* unmanaged<nint, byte*>)Slot(slots, OrtApiSlot.GetErrorMessage);

        CreateEnvWithCustomLogger = (delegate* unmanaged<nint, nint, int, byte*, nint*, nint>)Slot(slots, OrtApiSlot.CreateEnvWithCustomLogger);
        CreateSession = (delegate* unmanaged<nint, void*, nint, nint*, nint>)Slot(slots, OrtApiSlot.CreateSession);
        CreateSessionFromArray = (delegate* unmanaged<nint, void*, nuint, nint, nint*, nint>)Slot(slots, OrtApiSlot.CreateSessionFromArray);
        Run = (delegate* unmanaged<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint>)Slot(slots, OrtApiSlot.Run);

        CreateSessionOptions = (delegate* unmanaged<nint*, nint>)Slot(slots, OrtApiSlot.CreateSessionOptions);
        SetOptimizedModelFilePath = (delegate* unmanaged<nint, void*, nint>)Slot(slots, OrtApiSlot.SetOptimizedModelFilePath);
        SetSessionExecutionMode = (delegate* unmanaged<nint, int, nint>)Slot(slots, OrtApiSlot.SetSessionExecutionMode);
        EnableProfiling = (delegate* unmanaged<nint, void*, nint>)Slot(slots, OrtApiSlot.EnableProfiling);
        SetSessionLogId = (delegate* unmanaged<nint, byte*, nint>)Slot(slots, OrtApiSlot.SetSessionLogId);
        SetSessionLogSeverityLevel = (delegate* unmanaged<nint, int, nint>)Slot(slots, OrtApiSlot.SetSessionLogSeverityLevel);
        SetSessionGraphOptimizationLevel = (delegate* unmanaged<nint, int, nint>)Slot(slots, OrtApiSlot.SetSessionGraphOptimizationLevel);
        SetIntraOpNumThreads = (delegate* unmanaged<nint, int, nint>)Slot(slots, OrtApiSlot.SetIntraOpNumThreads);
        SetInterOpNumThreads = (delegate* unmanaged<nint, int, nint>)Slot(slots, OrtApiSlot.SetInterOpNumThreads);
        AddSessionConfigEntry = (delegate* unmanaged<nint, byte*, byte*, nint>)Slot(slots, OrtApiSlot.AddSessionConfigEntry);
        RegisterCustomOpsLibraryV2 = (delegate* unmanaged<nint, void*, nint>)Slot(slots, OrtApiSlot.RegisterCustomOpsLibraryV2);

        SessionGetInputCount = (delegate* unmanaged<nint, nuint*, nint>)Slot(slots, OrtApiSlot.SessionGetInputCount);
        SessionGetOutputCount = (delegate* unmanaged<nint, nuint*, nint>)Slot(slots, OrtApiSlot.SessionGetOutputCount);
        SessionGetInputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)Slot(slots, OrtApiSlot.SessionGetInputTypeInfo);
        SessionGetOutputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)Slot(slots, OrtApiSlot.SessionGetOutputTypeInfo);
        SessionGetInputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)Slot(slots, OrtApiSlot.SessionGetInputName);
        SessionGetOutputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)Slot(slots, OrtApiSlot.SessionGetOutputName);
        SessionEndProfiling = (delegate* unmanaged<nint, nint, byte**, nint>)Slot(slots, OrtApiSlot.SessionEndProfiling);
        SessionGetModelMetadata = (delegate* unmanaged<nint, nint*, nint>)Slot(slots, OrtApiSlot.SessionGetModelMetadata);
        ModelMetadataGetProducerName = (delegate* unmanaged<nint, nint, byte**, nint>)Slot(slots, OrtApiSlot.ModelMetadataGetProducerName);
        ModelMetadataGetGraphName = (delegate* unmanaged<nint, nint, byte**, nint>)Slot(slots, OrtApiSlot.ModelMetadataGetGraphName);
        ModelMetadataGetDomain = (delegate* unmanaged<nint, nint, byte**, nint>)Slot(slots, OrtApiSlot.ModelMetadataGetDomain);
        ModelMetadataGetDescription = (delegate* unmanaged<nint, nint, byte**, nint>)Slot(slots, OrtApiSlot.ModelMetadataGetDescription);
        ModelMetadataLookupCustomMetadataMap = (delegate* unmanaged<nint, nint, byte*, byte**, nint>)Slot(slots, OrtApiSlot.ModelMetadataLookupCustomMetadataMap);
        ModelMetadataGetVersion = (delegate* unmanaged<nint, long*, nint>)Slot(slots, OrtApiSlot.ModelMetadataGetVersion);
        ModelMetadataGetCustomMetadataMapKeys = (delegate* unmanaged<nint, nint, byte***, long*, nint>)Slot(slots, OrtApiSlot.ModelMetadataGetCustomMetadataMapKeys);

        CreateRunOptions = (delegate* unmanaged<nint*, nint>)Slot(slots, OrtApiSlot.CreateRunOptions);
        RunOptionsSetRunTag = (delegate* unmanaged<nint, byte*, nint>)Slot(slots, OrtApiSlot.RunOptionsSetRunTag);
        RunOptionsSetTerminate = (delegate* unmanaged<nint, nint>)Slot(slots, OrtApiSlot.RunOptionsSetTerminate);
        RunOptionsUnsetTerminate = (delegate* unmanaged<nint, nint>)Slot(slots, OrtApiSlot.RunOptionsUnsetTerminate);

        CreateTensorWithDataAsOrtValue = (delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint>)Slot(slots, OrtApiSlot.CreateTensorWithDataAsOrtValue);
        GetTensorMutableData = (delegate* unmanaged<nint, void**, nint>)Slot(slots, OrtApiSlot.GetTensorMutableData);
        CastTypeInfoToTensorInfo = (delegate* unmanaged<nint, nint*, nint>)Slot(slots, OrtApiSlot.CastTypeInfoToTensorInfo);
        GetOnnxTypeFromTypeInfo = (delegate* unmanaged<nint, int*, nint>)Slot(slots, OrtApiSlot.GetOnnxTypeFromTypeInfo);
        GetTensorElementType = (delegate* unmanaged<nint, int*, nint>)Slot(slots, OrtApiSlot.GetTensorElementType);
        GetDimensionsCount = (delegate* unmanaged<nint, nuint*, nint>)Slot(slots, OrtApiSlot.GetDimensionsCount);
        GetDimensions = (delegate* unmanaged<nint, long*, nuint, nint>)Slot(slots, OrtApiSlot.GetDimensions);
        GetSymbolicDimensions = (delegate* unmanaged<nint, byte**, nuint, nint>)Slot(slots, OrtApiSlot.GetSymbolicDimensions);
        GetTensorTypeAndShape = (delegate* unmanaged<nint, nint*, nint>)Slot(slots, OrtApiSlot.GetTensorTypeAndShape);
        GetValueType = (delegate* unmanaged<nint, int*, nint>)Slot(slots, OrtApiSlot.GetValueType);
        CreateCpuMemoryInfo = (delegate* unmanaged<int, int, nint*, nint>)Slot(slots, OrtApiSlot.CreateCpuMemoryInfo);
        AllocatorFree = (delegate* unmanaged<nint, void*, nint>)Slot(slots, OrtApiSlot.AllocatorFree);
        GetAllocatorWithDefaultOptions = (delegate* unmanaged<nint*, nint>)Slot(slots, OrtApiSlot.GetAllocatorWithDefaultOptions);

        ReleaseEnv = (delegate* unmanaged<nint, void>)Slot(slots, OrtApiSlot.ReleaseEnv);
        ReleaseStatus = (delegate* unmanaged<nint, void>)Slot(slots, OrtApiSlot.ReleaseStatus);
        ReleaseMemoryInfo = (delegate* unmanaged<nint, void>)Slot(slots, OrtApiSlot.ReleaseMemoryInfo);
        ReleaseSession = (delegate* unmanaged<nint, void>)Slot(slots, OrtApiSlot.ReleaseSession);
        ReleaseValue = (delegate* unmanaged<nint, void>)Slot(slots, OrtApiSlot.ReleaseValue);
        ReleaseRunOptions = (delegate* unmanaged<nint, void>)Slot(slots, OrtApiSlot.ReleaseRunOptions);
        ReleaseTypeInfo = (delegate* unmanaged<nint, void>)Slot(slots, OrtApiSlot.ReleaseTypeInfo);
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged<nint, void>)Slot(slots, OrtApiSlot.ReleaseTensorTypeAndShapeInfo);
        ReleaseSessionOptions = (delegate* unmanaged<nint, void>)Slot(slots, OrtApiSlot.ReleaseSessionOptions);
        ReleaseModelMetadata = (delegate* unmanaged<nint, void>)Slot(slots, OrtApiSlot.ReleaseModelMetadata);

        GetBuildInfoString = (delegate* unmanaged<byte*>)Slot(slots, OrtApiSlot.GetBuildInfoString);
    }

    /// <summary>The allocator ORT hands out for strings it returns; process-wide and never released.</summary>
    public nint DefaultAllocator
    {
        get
        {
            if (_defaultAllocator == 0)
            {
                nint allocator = 0;
                OrtStatus.Check(GetAllocatorWithDefaultOptions(&allocator));
                _defaultAllocator = allocator;
            }

            return _defaultAllocator;
        }
    }

    private nint _defaultAllocator;

    /// <summary>
    /// Copies a string ORT allocated with <paramref name="allocator"/> and frees it with that allocator's AllocatorFree.
    /// A failure to free is not reported: this runs on cleanup paths, where an exception would hide the real one.
    /// </summary>
    public string? TakeAllocatedString(nint allocator, byte* text)
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8((nint)text);
        }
        finally
        {
            FreeAllocated(allocator, text);
        }
    }

    /// <summary>Frees memory ORT allocated with <paramref name="allocator"/>; a failure status is released, not thrown.</summary>
    public void FreeAllocated(nint allocator, void* memory)
    {
        if (memory is null)
        {
            return;
        }

        var status = AllocatorFree(allocator, memory);
        if (status != 0)
        {
            ReleaseStatus(status);
        }
    }

    private static nint Slot(nint* slots, int index)
    {
        var pointer = slots[index];
        if (pointer == 0)
        {
            throw new InvalidOperationException($"ONNX Runtime's API table has no function in slot {index}");
        }

        return pointer;
    }
}
