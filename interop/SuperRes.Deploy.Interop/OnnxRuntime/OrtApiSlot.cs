namespace SuperRes.Deploy.Interop.OnnxRuntime;

/// <summary>
/// Indices into ONNX Runtime's <c>OrtApi</c> function table (a flat array of function pointers; slot i sits at byte offset
/// i × pointer size). Only the slots this binding calls are listed. ORT 1.30 serves API version 30 with 426 slots; slots
/// never move between versions, new ones are only appended, so each number here holds for every runtime that serves API 30.
/// </summary>
internal static class OrtApiSlot
{
    // Status
    public const int GetErrorCode = 1;
    public const int GetErrorMessage = 2;

    // Env and sessions
    public const int CreateEnvWithCustomLogger = 4;
    public const int CreateSession = 7;
    public const int CreateSessionFromArray = 8;
    public const int Run = 9;

    // Session options
    public const int CreateSessionOptions = 10;
    public const int SetOptimizedModelFilePath = 11;
    public const int SetSessionExecutionMode = 13;
    public const int EnableProfiling = 14;
    public const int SetSessionLogId = 20;
    public const int SetSessionLogSeverityLevel = 22;
    public const int SetSessionGraphOptimizationLevel = 23;
    public const int SetIntraOpNumThreads = 24;
    public const int SetInterOpNumThreads = 25;
    public const int AddSessionConfigEntry = 130;
    public const int RegisterCustomOpsLibraryV2 = 228;

    // Session introspection
    public const int SessionGetInputCount = 30;
    public const int SessionGetOutputCount = 31;
    public const int SessionGetInputTypeInfo = 33;
    public const int SessionGetOutputTypeInfo = 34;
    public const int SessionGetInputName = 36;
    public const int SessionGetOutputName = 37;
    public const int SessionEndProfiling = 110;
    public const int SessionGetModelMetadata = 111;
    public const int ModelMetadataGetProducerName = 112;
    public const int ModelMetadataGetGraphName = 113;
    public const int ModelMetadataGetDomain = 114;
    public const int ModelMetadataGetDescription = 115;
    public const int ModelMetadataLookupCustomMetadataMap = 116;
    public const int ModelMetadataGetVersion = 117;
    public const int ModelMetadataGetCustomMetadataMapKeys = 123;

    // Run options
    public const int CreateRunOptions = 39;
    public const int RunOptionsSetRunTag = 42;
    public const int RunOptionsSetTerminate = 46;
    public const int RunOptionsUnsetTerminate = 47;

    // Values, type information, memory
    public const int CreateTensorWithDataAsOrtValue = 49;
    public const int GetTensorMutableData = 51;
    public const int CastTypeInfoToTensorInfo = 55;
    public const int GetOnnxTypeFromTypeInfo = 56;
    public const int GetTensorElementType = 60;
    public const int GetDimensionsCount = 61;
    public const int GetDimensions = 62;
    public const int GetSymbolicDimensions = 63;
    public const int GetTensorTypeAndShape = 65;
    public const int GetValueType = 67;
    public const int CreateCpuMemoryInfo = 69;
    public const int AllocatorFree = 76;
    public const int GetAllocatorWithDefaultOptions = 78;

    // Release functions (void, NULL accepted)
    public const int ReleaseEnv = 92;
    public const int ReleaseStatus = 93;
    public const int ReleaseMemoryInfo = 94;
    public const int ReleaseSession = 95;
    public const int ReleaseValue = 96;
    public const int ReleaseRunOptions = 97;
    public const int ReleaseTypeInfo = 98;
    public const int ReleaseTensorTypeAndShapeInfo = 99;
    public const int ReleaseSessionOptions = 100;
    public const int ReleaseModelMetadata = 118;

    // Build information (static string)
    public const int GetBuildInfoString = 254;

    /// <summary>The highest slot index used above; the loaded table must be larger than this.</summary>
    public const int HighestUsed = RegisterCustomOpsLibraryV2;
}
