// What the shim's opaque handles hold, the TensorRT version guards and the conversions between srd_* and TensorRT
// types. Handles hold shared_ptrs to what they depend on (network -> builder, engine -> runtime, ...), so the C side
// may destroy them in any order.
#ifndef SRD_SHIM_INTERNAL_H
#define SRD_SHIM_INTERNAL_H

#include "abi_support.h"
#include "library_loader.h"
#include "log_sinks.h"
#include "srd_trt.h"

#include <NvInfer.h>
#include <NvOnnxParser.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

//! True when the headers are TensorRT major.minor or newer.
#define SRD_TRT_AT_LEAST(major, minor)                                                                                 \
    (NV_TENSORRT_MAJOR > (major) || (NV_TENSORRT_MAJOR == (major) && NV_TENSORRT_MINOR >= (minor)))

//! Brackets a deliberate use of an API TensorRT deprecated but still has in this version (e.g. kFP16 in 10.12+).
#define SRD_DEPRECATED_USE_BEGIN                                                                                       \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wdeprecated-declarations\"")
#define SRD_DEPRECATED_USE_END _Pragma("GCC diagnostic pop")

namespace srd
{

//! The one logger handed to TensorRT (TensorRT keeps one per process). Forwards to the srd_logger sinks and keeps
//! the calling thread's last TensorRT error, which failure messages quote.
class ForwardingLogger : public nvinfer1::ILogger
{
public:
    static ForwardingLogger& instance();

    void log(Severity severity, nvinfer1::AsciiChar const* message) noexcept override;

    //! The last error TensorRT logged on this thread since clearLastError().
    static std::string& lastError() noexcept;
    static void clearLastError() noexcept;

    //! " (TensorRT: <last error>)" or "".
    static std::string lastErrorSuffix();
};

//! Logs through the sinks as the shim (not TensorRT).
void logMessage(srd_log_severity severity, std::string const& message) noexcept;

struct BuilderState
{
    std::unique_ptr<nvinfer1::IBuilder> builder;
};

struct NetworkState
{
    std::shared_ptr<BuilderState> builder;
    std::unique_ptr<nvinfer1::INetworkDefinition> network;
    //! Parsers whose handles were destroyed: they own the weights the network refers to, so they live as long as the
    //! network (and are destroyed before it, being declared after it).
    std::vector<std::unique_ptr<nvonnxparser::IParser>> retiredParsers;
    bool stronglyTyped{false};
};

struct RuntimeState
{
    std::unique_ptr<nvinfer1::IRuntime> runtime;
};

struct EngineState
{
    std::shared_ptr<RuntimeState> runtime;
    std::unique_ptr<nvinfer1::ICudaEngine> engine;
};

struct DeviceBuffer
{
    void* pointer{nullptr};
    uint64_t capacity{0};
};

nvinfer1::Dims toTensorRt(srd_dims const& dims, char const* what);
srd_dims fromTensorRt(nvinfer1::Dims const& dims);
srd_data_type fromTensorRt(nvinfer1::DataType type);
nvinfer1::OptProfileSelector toTensorRt(srd_profile_selector selector);

//! Bytes of `volume` elements of `type` (4-bit types packed two per byte).
uint64_t byteSize(srd_data_type type, int64_t volume);

//! Product of the dims; throws INVALID_ARGUMENT on a dynamic (-1) dimension.
int64_t volumeOf(nvinfer1::Dims const& dims, std::string const& tensorName);

std::string dimsText(nvinfer1::Dims const& dims);

} // namespace srd

struct srd_logger
{
    std::shared_ptr<srd::LogSinks::Sink> sink;
};

struct srd_plugin_library
{
    nvinfer1::IPluginRegistry* registry{nullptr};
    void* handle{nullptr};
    std::string path;
};

struct srd_builder
{
    std::shared_ptr<srd::BuilderState> state;
};

struct srd_network
{
    std::shared_ptr<srd::NetworkState> state;
};

struct srd_onnx_parser
{
    std::shared_ptr<srd::NetworkState> network;
    std::unique_ptr<nvonnxparser::IParser> parser;
};

struct srd_builder_config
{
    std::shared_ptr<srd::BuilderState> builder;
    //! The cache set on the config; declared before `config` so the config is destroyed first.
    std::unique_ptr<nvinfer1::ITimingCache> timingCache;
    std::unique_ptr<nvinfer1::IBuilderConfig> config;
    std::vector<std::string> pluginsToSerialize;
};

struct srd_optimization_profile
{
    std::shared_ptr<srd::BuilderState> builder;
    nvinfer1::IOptimizationProfile* profile{nullptr}; //!< owned by the builder
};

struct srd_host_memory
{
    std::unique_ptr<nvinfer1::IHostMemory> memory;
};

struct srd_runtime
{
    std::shared_ptr<srd::RuntimeState> state;
};

struct srd_engine
{
    std::shared_ptr<srd::EngineState> state;
};

struct srd_execution_context
{
    std::shared_ptr<srd::EngineState> engine;
    std::unique_ptr<nvinfer1::IExecutionContext> context;
    cudaStream_t stream{nullptr};
    bool hasStream{false};
    std::map<std::string, srd::DeviceBuffer> buffers;
};

#endif // SRD_SHIM_INTERNAL_H
