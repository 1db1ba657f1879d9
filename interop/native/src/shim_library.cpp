// Exports that need no TensorRT object: ABI and library information, the last error, logging, CUDA devices and
// plugin libraries; plus the shim's logger and type conversions.
#include "shim_internal.h"

#include <sys/stat.h>

#include <limits>

namespace srd
{

ForwardingLogger& ForwardingLogger::instance()
{
    // Never destroyed: TensorRT may log while the process exits.
    static ForwardingLogger* sInstance = new ForwardingLogger();
    return *sInstance;
}

void ForwardingLogger::log(Severity severity, nvinfer1::AsciiChar const* message) noexcept
{
    auto const level = static_cast<int32_t>(severity);
    if (level <= SRD_LOG_SEVERITY_ERROR)
    {
        try
        {
            lastError() = message != nullptr ? message : "";
        }
        catch (...)
        {
            // Keeping the last error is best effort.
        }
    }
    LogSinks::instance().dispatch(level, message);
}

std::string& ForwardingLogger::lastError() noexcept
{
    thread_local std::string tLastError;
    return tLastError;
}

void ForwardingLogger::clearLastError() noexcept
{
    lastError().clear();
}

std::string ForwardingLogger::lastErrorSuffix()
{
    std::string const& last = lastError();
    return last.empty() ? std::string() : " (TensorRT: " + last + ")";
}

void logMessage(srd_log_severity severity, std::string const& message) noexcept
{
    LogSinks::instance().dispatch(severity, ("[srd_trt] " + message).c_str());
}

nvinfer1::Dims toTensorRt(srd_dims const& dims, char const* what)
{
    if (dims.nb_dims < 0 || dims.nb_dims > SRD_TRT_MAX_DIMS)
    {
        fail(SRD_STATUS_INVALID_ARGUMENT, std::string(what) + " has nb_dims " + std::to_string(dims.nb_dims) + " (0.." +
                                              std::to_string(SRD_TRT_MAX_DIMS) + " allowed)");
    }
    nvinfer1::Dims result{};
    result.nbDims = dims.nb_dims;
    for (int32_t i = 0; i < dims.nb_dims; ++i)
    {
        result.d[i] = dims.d[i];
    }
    return result;
}

srd_dims fromTensorRt(nvinfer1::Dims const& dims)
{
    srd_dims result{};
    result.nb_dims = dims.nbDims;
    for (int32_t i = 0; i < dims.nbDims && i < SRD_TRT_MAX_DIMS; ++i)
    {
        result.d[i] = dims.d[i];
    }
    return result;
}

srd_data_type fromTensorRt(nvinfer1::DataType type)
{
    // srd_data_type mirrors TensorRT's DataType values by design (srd_trt.h); unknown future types are reported as
    // their raw value, which the C# side shows as a number.
    return static_cast<srd_data_type>(static_cast<int32_t>(type));
}

nvinfer1::OptProfileSelector toTensorRt(srd_profile_selector selector)
{
    switch (selector)
    {
    case SRD_PROFILE_SELECTOR_MIN:
        return nvinfer1::OptProfileSelector::kMIN;
    case SRD_PROFILE_SELECTOR_OPT:
        return nvinfer1::OptProfileSelector::kOPT;
    case SRD_PROFILE_SELECTOR_MAX:
        return nvinfer1::OptProfileSelector::kMAX;
    }
    fail(SRD_STATUS_INVALID_ARGUMENT, "unknown profile selector " + std::to_string(static_cast<int32_t>(selector)));
}

uint64_t byteSize(srd_data_type type, int64_t volume)
{
    auto const count = static_cast<uint64_t>(volume);
    switch (type)
    {
    case SRD_DATA_TYPE_FLOAT:
    case SRD_DATA_TYPE_INT32:
        return count * 4U;
    case SRD_DATA_TYPE_HALF:
    case SRD_DATA_TYPE_BF16:
        return count * 2U;
    case SRD_DATA_TYPE_INT8:
    case SRD_DATA_TYPE_BOOL:
    case SRD_DATA_TYPE_UINT8:
    case SRD_DATA_TYPE_FP8:
    case SRD_DATA_TYPE_E8M0:
        return count;
    case SRD_DATA_TYPE_INT64:
        return count * 8U;
    case SRD_DATA_TYPE_INT4:
    case SRD_DATA_TYPE_FP4:
        return (count + 1U) / 2U;
    }
    fail(SRD_STATUS_UNSUPPORTED,
        "tensor data type " + std::to_string(static_cast<int32_t>(type)) + " has no known size");
}

int64_t volumeOf(nvinfer1::Dims const& dims, std::string const& tensorName)
{
    int64_t volume = 1;
    for (int32_t i = 0; i < dims.nbDims; ++i)
    {
        if (dims.d[i] < 0)
        {
            fail(SRD_STATUS_INVALID_ARGUMENT, "tensor '" + tensorName + "' has unresolved shape " + dimsText(dims) +
                                                  " (set every input shape first)");
        }
        volume *= dims.d[i];
    }
    return volume;
}

std::string dimsText(nvinfer1::Dims const& dims)
{
    if (dims.nbDims < 0)
    {
        return "(invalid)";
    }
    std::string text = "[";
    for (int32_t i = 0; i < dims.nbDims; ++i)
    {
        text += (i == 0 ? "" : ",") + std::to_string(dims.d[i]);
    }
    return text + "]";
}

} // namespace srd

using srd::fail;
using srd::guarded;
using srd::Libraries;
using srd::require;

SRD_TRT_API srd_status srd_abi_get_version(int32_t* out_version)
{
    return guarded(__func__,
        [&]
        {
            require(out_version, "out_version") = SRD_TRT_ABI_VERSION;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_library_load(void)
{
    return guarded(__func__,
        [&]
        {
            Libraries::instance().loadAll();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_library_get_info(srd_library_info* out_info)
{
    return guarded(__func__,
        [&]
        {
            require(out_info, "out_info");
            srd_library_info info{};
            info.abi_version = SRD_TRT_ABI_VERSION;
            info.header_tensorrt_version = NV_TENSORRT_MAJOR * 10000 + NV_TENSORRT_MINOR * 100 + NV_TENSORRT_PATCH;
            info.header_tensorrt_build = NV_TENSORRT_BUILD;
            Libraries::instance().fillInfo(info);
            *out_info = info;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_library_get_load_trace(char* buffer, uint64_t buffer_size, uint64_t* out_required)
{
    return guarded(__func__,
        [&]
        {
            std::string trace = Libraries::instance().trace();
            if (trace.empty())
            {
                trace = "(nothing loaded yet: call srd_library_load)\n";
            }
            return srd::copyString(trace, buffer, buffer_size, out_required);
        });
}

SRD_TRT_API srd_status srd_error_get_last_message(char* buffer, uint64_t buffer_size, uint64_t* out_required)
{
    // Not through guarded(): a failure here must not replace the message being read.
    try
    {
        return srd::copyLastErrorMessage(buffer, buffer_size, out_required);
    }
    catch (...)
    {
        return SRD_STATUS_INTERNAL;
    }
}

SRD_TRT_API srd_status srd_logger_create(
    srd_log_callback callback, void* user, srd_log_severity min_severity, srd_logger** out_logger)
{
    return guarded(__func__,
        [&]
        {
            require(out_logger, "out_logger");
            if (callback == nullptr)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "callback is NULL");
            }
            if (min_severity < SRD_LOG_SEVERITY_INTERNAL_ERROR || min_severity > SRD_LOG_SEVERITY_VERBOSE)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "unknown log severity " + std::to_string(min_severity));
            }
            auto logger = std::make_unique<srd_logger>();
            logger->sink = srd::LogSinks::instance().add(callback, user, min_severity);
            *out_logger = logger.release();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_logger_destroy(srd_logger* logger)
{
    return guarded(__func__,
        [&]
        {
            if (logger != nullptr)
            {
                srd::LogSinks::instance().remove(logger->sink.get());
                delete logger;
            }
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_cuda_get_device_count(int32_t* out_count)
{
    return guarded(__func__,
        [&]
        {
            require(out_count, "out_count");
            auto const& cuda = Libraries::instance().cuda();
            int count = 0;
            int const result = cuda.getDeviceCount(&count);
            // No driver or no device is an answer (0 devices), not a failure.
            *out_count = result == 0 ? count : 0;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_cuda_get_device_info(int32_t device, srd_device_info* out_info)
{
    return guarded(__func__,
        [&]
        {
            require(out_info, "out_info");
            auto const& cuda = Libraries::instance().cuda();
            int count = 0;
            if (cuda.getDeviceCount(&count) != 0 || device < 0 || device >= count)
            {
                fail(SRD_STATUS_NOT_FOUND, "CUDA device " + std::to_string(device) + " does not exist (" +
                                               std::to_string(count) + " devices)");
            }
            srd_device_info info{};
            info.device = device;
            srd::checkCuda(cuda.deviceGetAttribute(
                               &info.compute_capability_major, srd::kCUDA_ATTR_COMPUTE_CAPABILITY_MAJOR, device),
                "cudaDeviceGetAttribute(ComputeCapabilityMajor)");
            srd::checkCuda(cuda.deviceGetAttribute(
                               &info.compute_capability_minor, srd::kCUDA_ATTR_COMPUTE_CAPABILITY_MINOR, device),
                "cudaDeviceGetAttribute(ComputeCapabilityMinor)");
            srd::checkCuda(
                cuda.deviceGetAttribute(&info.multiprocessor_count, srd::kCUDA_ATTR_MULTIPROCESSOR_COUNT, device),
                "cudaDeviceGetAttribute(MultiProcessorCount)");
            srd::checkCuda(cuda.deviceGetAttribute(&info.integrated, srd::kCUDA_ATTR_INTEGRATED, device),
                "cudaDeviceGetAttribute(Integrated)");
            // cudaMemGetInfo reports the current device: switch to the asked one and back.
            int current = 0;
            srd::checkCuda(cuda.getDevice(&current), "cudaGetDevice");
            srd::checkCuda(cuda.setDevice(device), "cudaSetDevice");
            std::size_t freeBytes = 0;
            std::size_t totalBytes = 0;
            int const memResult = cuda.memGetInfo(&freeBytes, &totalBytes);
            srd::checkCuda(cuda.setDevice(current), "cudaSetDevice");
            srd::checkCuda(memResult, "cudaMemGetInfo");
            info.free_memory_bytes = freeBytes;
            info.total_memory_bytes = totalBytes;
            *out_info = info;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_plugin_library_load(char const* path, srd_plugin_library** out_library)
{
    return guarded(__func__,
        [&]
        {
            std::string const pluginPath(srd::requireString(path, "path"));
            require(out_library, "out_library");
            struct stat fileStatus
            {
            };
            if (stat(pluginPath.c_str(), &fileStatus) != 0)
            {
                fail(SRD_STATUS_NOT_FOUND, "plugin library not found: " + pluginPath);
            }
            auto const& tensorRt = Libraries::instance().tensorRt();
            nvinfer1::IPluginRegistry* registry = tensorRt.getPluginRegistry();
            if (registry == nullptr)
            {
                fail(SRD_STATUS_RUNTIME_ERROR, "getPluginRegistry returned NULL");
            }
            srd::ForwardingLogger::clearLastError();
            void* handle = registry->loadLibrary(pluginPath.c_str());
            if (handle == nullptr)
            {
                fail(SRD_STATUS_RUNTIME_ERROR, "IPluginRegistry::loadLibrary refused " + pluginPath +
                                                   " (it must export getCreators and setLoggerFinder, and none of "
                                                   "its plugins may be registered "
                                                   "already)" +
                                                   srd::ForwardingLogger::lastErrorSuffix());
            }
            auto library = std::make_unique<srd_plugin_library>();
            library->registry = registry;
            library->handle = handle;
            library->path = pluginPath;
            *out_library = library.release();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_plugin_library_destroy(srd_plugin_library* library)
{
    return guarded(__func__,
        [&]
        {
            if (library != nullptr)
            {
                std::unique_ptr<srd_plugin_library> owned(library);
                owned->registry->deregisterLibrary(owned->handle);
            }
            return SRD_STATUS_OK;
        });
}
