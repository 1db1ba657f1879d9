#include "library_loader.h"

#include "abi_support.h"

#include <NvInferVersion.h>

#include <dlfcn.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace srd
{
namespace
{

std::string const kTENSORRT_MAJOR = std::to_string(NV_TENSORRT_MAJOR);
std::string const kHEADER_VERSION = std::to_string(NV_TENSORRT_MAJOR) + "." + std::to_string(NV_TENSORRT_MINOR) + "." +
                                    std::to_string(NV_TENSORRT_PATCH);

//! Candidate paths: $<dirVariable>/<name> for each name when the variable is set, then each bare name (the dynamic
//! loader's search: LD_LIBRARY_PATH, RUNPATH, the ldconfig cache, default folders), then each extra folder.
std::vector<std::string> candidates(
    char const* dirVariable, std::vector<std::string> const& names, std::vector<std::string> const& extraDirs)
{
    std::vector<std::string> result;
    if (char const* dir = std::getenv(dirVariable); dir != nullptr && *dir != '\0')
    {
        for (auto const& name : names)
        {
            result.push_back(std::string(dir) + "/" + name);
        }
    }
    for (auto const& name : names)
    {
        result.push_back(name);
    }
    for (auto const& dir : extraDirs)
    {
        for (auto const& name : names)
        {
            result.push_back(dir + "/" + name);
        }
    }
    return result;
}

//! dlopen of the first candidate that loads; every attempt is appended to `trace`. Libraries stay loaded for the
//! life of the process (TensorRT objects and plugin registrations may outlive any handle).
void* openFirst(std::vector<std::string> const& paths, std::string& trace)
{
    for (auto const& path : paths)
    {
        dlerror();
        void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (handle != nullptr)
        {
            trace += "  " + path + ": loaded\n";
            return handle;
        }
        char const* error = dlerror();
        std::string why = error != nullptr ? error : "not loadable";
        // dlerror() repeats the path: "<path>: cannot open shared object file: ...".
        if (why.compare(0, path.size() + 2, path + ": ") == 0)
        {
            why = why.substr(path.size() + 2);
        }
        trace += "  " + path + ": " + why + "\n";
    }
    return nullptr;
}

template <typename Function>
bool resolve(void* library, char const* symbol, Function& out, std::string& trace)
{
    dlerror();
    void* address = dlsym(library, symbol);
    if (address == nullptr)
    {
        char const* why = dlerror();
        trace += std::string("  symbol ") + symbol + " missing: " + (why != nullptr ? why : "") + "\n";
        return false;
    }
    out = reinterpret_cast<Function>(address);
    return true;
}

//! The file a symbol was loaded from (for the trace: which copy of a library the loader picked).
std::string fileOf(void* address)
{
    Dl_info info{};
    if (address != nullptr && dladdr(address, &info) != 0 && info.dli_fname != nullptr)
    {
        return info.dli_fname;
    }
    return "(unknown file)";
}

//! The trace's attempt lines joined into one line, for error messages.
std::string oneLine(std::string const& trace)
{
    std::string text;
    std::size_t start = trace.find('\n');
    start = start == std::string::npos ? trace.size() : start + 1;
    while (start < trace.size())
    {
        std::size_t end = trace.find('\n', start);
        end = end == std::string::npos ? trace.size() : end;
        std::string line = trace.substr(start, end - start);
        line.erase(0, line.find_first_not_of(' '));
        text += (text.empty() ? "" : "; ") + line;
        start = end + 1;
    }
    return text;
}

std::string versionText(int32_t version)
{
    return std::to_string(version / 10000) + "." + std::to_string((version / 100) % 100) + "." +
           std::to_string(version % 100);
}

} // namespace

Libraries& Libraries::instance()
{
    // Never destroyed: engines and registries may be released during process exit.
    static Libraries* sInstance = new Libraries();
    return *sInstance;
}

bool Libraries::tryLoadTensorRt(std::string& why)
{
    if (mTensorRtLoaded)
    {
        return true;
    }
    std::string trace = "libnvinfer (TensorRT " + kTENSORRT_MAJOR + ".x runtime):\n";
    void* library = openFirst(candidates("SRDEPLOY_TENSORRT_LIB_DIR", {"libnvinfer.so." + kTENSORRT_MAJOR}, {}), trace);
    TensorRtEntryPoints api;
    bool ok = library != nullptr;
    ok = ok && resolve(library, "createInferBuilder_INTERNAL", api.createInferBuilder, trace);
    ok = ok && resolve(library, "createInferRuntime_INTERNAL", api.createInferRuntime, trace);
    ok = ok && resolve(library, "getPluginRegistry", api.getPluginRegistry, trace);
    ok = ok && resolve(library, "getInferLibVersion", api.getInferLibVersion, trace);
    if (ok)
    {
        int32_t const runtime = api.getInferLibVersion();
        int32_t const header = NV_TENSORRT_MAJOR * 10000 + NV_TENSORRT_MINOR * 100 + NV_TENSORRT_PATCH;
        trace += "  using " + fileOf(reinterpret_cast<void*>(api.getInferLibVersion)) + " (TensorRT " +
                 versionText(runtime) + ")\n";
        // The C++ interfaces are versioned per major release and only grow within one, so the runtime must be the
        // headers' major and at least their minor.
        if (runtime / 10000 != NV_TENSORRT_MAJOR || runtime / 100 < header / 100)
        {
            trace += "  rejected: the shim was compiled against TensorRT " + kHEADER_VERSION + " headers\n";
            ok = false;
        }
    }
    mTensorRtTrace = trace;
    if (!ok)
    {
        why = "TensorRT " + kTENSORRT_MAJOR + ".x runtime (libnvinfer.so." + kTENSORRT_MAJOR +
              ", version >= " + kHEADER_VERSION + ") is not loadable: install TensorRT " + kTENSORRT_MAJOR +
              ".x (Debian/Ubuntu package libnvinfer" + kTENSORRT_MAJOR +
              ", or NVIDIA's tar file) and make it findable through LD_LIBRARY_PATH or ldconfig, or set "
              "SRDEPLOY_TENSORRT_LIB_DIR. Tried: " +
              oneLine(trace);
        return false;
    }
    mTensorRt = api;
    mTensorRtLoaded = true;
    return true;
}

bool Libraries::tryLoadOnnxParser(std::string& why)
{
    if (mOnnxParserLoaded)
    {
        return true;
    }
    std::string trace = "libnvonnxparser (TensorRT ONNX parser):\n";
    void* library =
        openFirst(candidates("SRDEPLOY_TENSORRT_LIB_DIR", {"libnvonnxparser.so." + kTENSORRT_MAJOR}, {}), trace);
    OnnxParserEntryPoints api;
    bool ok = library != nullptr;
    ok = ok && resolve(library, "createNvOnnxParser_INTERNAL", api.createParser, trace);
    ok = ok && resolve(library, "getNvOnnxParserVersion", api.getParserVersion, trace);
    if (ok)
    {
        trace += "  using " + fileOf(reinterpret_cast<void*>(api.getParserVersion)) + "\n";
    }
    mOnnxParserTrace = trace;
    if (!ok)
    {
        why = "TensorRT ONNX parser (libnvonnxparser.so." + kTENSORRT_MAJOR +
              ") is not loadable: install it with TensorRT (Debian/Ubuntu package libnvonnxparsers" + kTENSORRT_MAJOR +
              ") or set SRDEPLOY_TENSORRT_LIB_DIR. Tried: " + oneLine(trace);
        return false;
    }
    mOnnxParser = api;
    mOnnxParserLoaded = true;
    return true;
}

bool Libraries::tryLoadCuda(std::string& why)
{
    if (mCudaLoaded)
    {
        return true;
    }
    std::string trace = "libcudart (CUDA runtime):\n";
    void* library =
        openFirst(candidates("SRDEPLOY_CUDA_LIB_DIR", {"libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0"},
                      {"/usr/local/cuda/lib64"}),
            trace);
    CudaEntryPoints api;
    bool ok = library != nullptr;
    ok = ok && resolve(library, "cudaMalloc", api.malloc, trace);
    ok = ok && resolve(library, "cudaFree", api.free, trace);
    ok = ok && resolve(library, "cudaMemcpyAsync", api.memcpyAsync, trace);
    ok = ok && resolve(library, "cudaStreamCreate", api.streamCreate, trace);
    ok = ok && resolve(library, "cudaStreamDestroy", api.streamDestroy, trace);
    ok = ok && resolve(library, "cudaStreamSynchronize", api.streamSynchronize, trace);
    ok = ok && resolve(library, "cudaGetDeviceCount", api.getDeviceCount, trace);
    ok = ok && resolve(library, "cudaGetDevice", api.getDevice, trace);
    ok = ok && resolve(library, "cudaSetDevice", api.setDevice, trace);
    ok = ok && resolve(library, "cudaDeviceGetAttribute", api.deviceGetAttribute, trace);
    ok = ok && resolve(library, "cudaMemGetInfo", api.memGetInfo, trace);
    ok = ok && resolve(library, "cudaDriverGetVersion", api.driverGetVersion, trace);
    ok = ok && resolve(library, "cudaRuntimeGetVersion", api.runtimeGetVersion, trace);
    ok = ok && resolve(library, "cudaGetErrorName", api.getErrorName, trace);
    ok = ok && resolve(library, "cudaGetErrorString", api.getErrorString, trace);
    if (ok)
    {
        trace += "  using " + fileOf(reinterpret_cast<void*>(api.malloc)) + "\n";
    }
    mCudaTrace = trace;
    if (!ok)
    {
        why = "CUDA runtime (libcudart.so.13, .12 or .11.0) is not loadable: install the CUDA runtime that matches "
              "TensorRT and make it findable through LD_LIBRARY_PATH or ldconfig, or set SRDEPLOY_CUDA_LIB_DIR. "
              "Tried: " +
              oneLine(trace);
        return false;
    }
    mCuda = api;
    mCudaLoaded = true;
    return true;
}

TensorRtEntryPoints const& Libraries::tensorRt()
{
    std::lock_guard<std::mutex> lock(mMutex);
    std::string why;
    if (!tryLoadTensorRt(why))
    {
        fail(SRD_STATUS_LIBRARY_MISSING, why);
    }
    return mTensorRt;
}

OnnxParserEntryPoints const& Libraries::onnxParser()
{
    std::lock_guard<std::mutex> lock(mMutex);
    std::string why;
    if (!tryLoadOnnxParser(why))
    {
        fail(SRD_STATUS_LIBRARY_MISSING, why);
    }
    return mOnnxParser;
}

CudaEntryPoints const& Libraries::cuda()
{
    std::lock_guard<std::mutex> lock(mMutex);
    std::string why;
    if (!tryLoadCuda(why))
    {
        fail(SRD_STATUS_LIBRARY_MISSING, why);
    }
    return mCuda;
}

void Libraries::loadAll()
{
    std::lock_guard<std::mutex> lock(mMutex);
    std::string whyTensorRt;
    std::string whyParser;
    std::string whyCuda;
    bool const tensorRt = tryLoadTensorRt(whyTensorRt);
    bool const parser = tryLoadOnnxParser(whyParser);
    bool const cuda = tryLoadCuda(whyCuda);
    if (!tensorRt)
    {
        fail(SRD_STATUS_LIBRARY_MISSING, whyTensorRt);
    }
    if (!parser)
    {
        fail(SRD_STATUS_LIBRARY_MISSING, whyParser);
    }
    if (!cuda)
    {
        fail(SRD_STATUS_LIBRARY_MISSING, whyCuda);
    }
}

void Libraries::fillInfo(srd_library_info& info)
{
    std::lock_guard<std::mutex> lock(mMutex);
    std::string ignored;
    tryLoadTensorRt(ignored);
    tryLoadOnnxParser(ignored);
    tryLoadCuda(ignored);
    info.tensorrt_loaded = mTensorRtLoaded ? 1 : 0;
    info.onnx_parser_loaded = mOnnxParserLoaded ? 1 : 0;
    info.cuda_runtime_loaded = mCudaLoaded ? 1 : 0;
    info.runtime_tensorrt_version = mTensorRtLoaded ? mTensorRt.getInferLibVersion() : 0;
    info.onnx_parser_version = mOnnxParserLoaded ? mOnnxParser.getParserVersion() : 0;
    if (mCudaLoaded)
    {
        int version = 0;
        if (mCuda.runtimeGetVersion(&version) == 0)
        {
            info.cuda_runtime_version = version;
        }
        version = 0;
        if (mCuda.driverGetVersion(&version) == 0)
        {
            info.cuda_driver_version = version;
        }
    }
}

std::string Libraries::trace()
{
    std::lock_guard<std::mutex> lock(mMutex);
    return mTensorRtTrace + mOnnxParserTrace + mCudaTrace;
}

void checkCuda(int result, char const* call)
{
    if (result == 0)
    {
        return;
    }
    CudaEntryPoints const& cuda = Libraries::instance().cuda();
    char const* name = cuda.getErrorName(result);
    char const* text = cuda.getErrorString(result);
    fail(SRD_STATUS_CUDA_ERROR, std::string(call) + " failed: " + (name != nullptr ? name : "cudaError") + " (" +
                                    std::to_string(result) + "): " + (text != nullptr ? text : ""));
}

} // namespace srd
