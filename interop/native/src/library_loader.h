// Loads TensorRT (libnvinfer), its ONNX parser (libnvonnxparser) and the CUDA runtime (libcudart) with dlopen, so the
// shim has no link-time dependency on any of them: libsrd_trt.so loads on machines without TensorRT and every call
// that needs a missing library returns SRD_STATUS_LIBRARY_MISSING with the paths tried.
#ifndef SRD_LIBRARY_LOADER_H
#define SRD_LIBRARY_LOADER_H

#include "srd_trt.h"

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

namespace nvinfer1
{
class IPluginRegistry;
} // namespace nvinfer1

namespace srd
{

//! The C entry points of libnvinfer (the C++ API is reached through the objects they return).
struct TensorRtEntryPoints
{
    void* (*createInferBuilder)(void* logger, int32_t version) noexcept {nullptr};
    void* (*createInferRuntime)(void* logger, int32_t version) noexcept {nullptr};
    nvinfer1::IPluginRegistry* (*getPluginRegistry)() noexcept {nullptr};
    int32_t (*getInferLibVersion)() noexcept {nullptr};
};

//! The C entry points of libnvonnxparser.
struct OnnxParserEntryPoints
{
    void* (*createParser)(void* network, void* logger, int version) noexcept {nullptr};
    int (*getParserVersion)() noexcept {nullptr};
};

//! cudaMemcpyKind values used by the shim (CUDA runtime API).
constexpr int kCUDA_MEMCPY_HOST_TO_DEVICE = 1;
constexpr int kCUDA_MEMCPY_DEVICE_TO_HOST = 2;

//! cudaDeviceAttr values used by the shim (CUDA runtime API).
constexpr int kCUDA_ATTR_MULTIPROCESSOR_COUNT = 16;
constexpr int kCUDA_ATTR_INTEGRATED = 18;
constexpr int kCUDA_ATTR_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int kCUDA_ATTR_COMPUTE_CAPABILITY_MINOR = 76;

//! The few CUDA runtime functions the shim calls, resolved by name. cudaError_t is returned as int (same ABI), so
//! the three types of the stand-in header suffice to compile this.
struct CudaEntryPoints
{
    int (*malloc)(void** pointer, std::size_t size){nullptr};
    int (*free)(void* pointer){nullptr};
    int (*memcpyAsync)(void* dst, void const* src, std::size_t count, int kind, cudaStream_t stream){nullptr};
    int (*streamCreate)(cudaStream_t* stream){nullptr};
    int (*streamDestroy)(cudaStream_t stream){nullptr};
    int (*streamSynchronize)(cudaStream_t stream){nullptr};
    int (*getDeviceCount)(int* count){nullptr};
    int (*getDevice)(int* device){nullptr};
    int (*setDevice)(int device){nullptr};
    int (*deviceGetAttribute)(int* value, int attribute, int device){nullptr};
    int (*memGetInfo)(std::size_t* freeBytes, std::size_t* totalBytes){nullptr};
    int (*driverGetVersion)(int* version){nullptr};
    int (*runtimeGetVersion)(int* version){nullptr};
    char const* (*getErrorName)(int error){nullptr};
    char const* (*getErrorString)(int error){nullptr};
};

class Libraries
{
public:
    static Libraries& instance();

    //! Each loads on first use (retrying after a failure) and throws Error(LIBRARY_MISSING) naming what to install.
    TensorRtEntryPoints const& tensorRt();
    OnnxParserEntryPoints const& onnxParser();
    CudaEntryPoints const& cuda();

    //! Tries all three; throws the first failure.
    void loadAll();

    //! Fills the load state and versions (never throws for a missing library).
    void fillInfo(srd_library_info& info);

    //! Every path tried, one per line.
    std::string trace();

private:
    Libraries() = default;

    bool tryLoadTensorRt(std::string& why);
    bool tryLoadOnnxParser(std::string& why);
    bool tryLoadCuda(std::string& why);

    std::mutex mMutex;
    bool mTensorRtLoaded{false};
    bool mOnnxParserLoaded{false};
    bool mCudaLoaded{false};
    TensorRtEntryPoints mTensorRt;
    OnnxParserEntryPoints mOnnxParser;
    CudaEntryPoints mCuda;
    std::string mTensorRtTrace;
    std::string mOnnxParserTrace;
    std::string mCudaTrace;
};

//! Throws Error(CUDA_ERROR) naming the CUDA call and error when `result` is not cudaSuccess (0).
void checkCuda(int result, char const* call);

} // namespace srd

#endif // SRD_LIBRARY_LOADER_H
