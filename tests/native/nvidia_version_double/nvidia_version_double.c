/*
 * Test double for the plain C version symbols of TensorRT and CUDA (getInferLibVersion, getNvOnnxParserVersion,
 * cudaRuntimeGetVersion, cuDriverGetVersion, cuInit, cuDeviceGetCount), so `srdeploy doctor`'s direct probe
 * (NvidiaLibraryProbe) is tested without TensorRT or CUDA. It reports TensorRT 10.3.0, CUDA 12.6 and one GPU.
 */
#define DOUBLE_EXPORT __attribute__((visibility("default")))

DOUBLE_EXPORT int getInferLibVersion(void)
{
    return 100300;
}

DOUBLE_EXPORT int getNvOnnxParserVersion(void)
{
    return 100300;
}

DOUBLE_EXPORT int cudaRuntimeGetVersion(int* version)
{
    *version = 12060;
    return 0;
}

DOUBLE_EXPORT int cuDriverGetVersion(int* version)
{
    *version = 12060;
    return 0;
}

DOUBLE_EXPORT int cuInit(unsigned int flags)
{
    return flags == 0 ? 0 : 1;
}

DOUBLE_EXPORT int cuDeviceGetCount(int* count)
{
    *count = 1;
    return 0;
}
