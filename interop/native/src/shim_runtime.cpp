// Run side: runtime, engine queries, inspector JSON, execution context with host-buffer execution.
#include "shim_internal.h"

#include <set>

using srd::fail;
using srd::guarded;
using srd::Libraries;
using srd::require;

namespace
{

nvinfer1::ICudaEngine& engineOf(srd_engine* engine)
{
    return *require(engine, "engine").state->engine;
}

nvinfer1::IExecutionContext& contextOf(srd_execution_context* context)
{
    return *require(context, "context").context;
}

//! The tensor's I/O mode; NOT_FOUND when the engine has no such tensor.
nvinfer1::TensorIOMode ioModeOf(nvinfer1::ICudaEngine& engine, std::string const& name)
{
    nvinfer1::TensorIOMode const mode = engine.getTensorIOMode(name.c_str());
    if (mode == nvinfer1::TensorIOMode::kNONE)
    {
        fail(SRD_STATUS_NOT_FOUND, "the engine has no I/O tensor named '" + name + "'");
    }
    return mode;
}

cudaStream_t streamOf(srd_execution_context& context)
{
    if (!context.hasStream)
    {
        auto const& cuda = Libraries::instance().cuda();
        srd::checkCuda(cuda.streamCreate(&context.stream), "cudaStreamCreate");
        context.hasStream = true;
    }
    return context.stream;
}

//! A device buffer of at least `bytes` for the tensor, reused across runs and grown when needed.
void* deviceBuffer(srd_execution_context& context, std::string const& name, uint64_t bytes)
{
    auto const& cuda = Libraries::instance().cuda();
    srd::DeviceBuffer& buffer = context.buffers[name];
    uint64_t const wanted = bytes > 0 ? bytes : 1U; // TensorRT wants a valid address even for empty tensors.
    if (buffer.capacity < wanted)
    {
        if (buffer.pointer != nullptr)
        {
            srd::checkCuda(cuda.free(buffer.pointer), "cudaFree");
            buffer = srd::DeviceBuffer{};
        }
        srd::checkCuda(cuda.malloc(&buffer.pointer, static_cast<std::size_t>(wanted)), "cudaMalloc");
        buffer.capacity = wanted;
    }
    return buffer.pointer;
}

void releaseDeviceResources(srd_execution_context& context) noexcept
{
    try
    {
        if (!context.hasStream && context.buffers.empty())
        {
            return;
        }
        auto const& cuda = Libraries::instance().cuda();
        if (context.hasStream)
        {
            cuda.streamSynchronize(context.stream);
        }
        context.context.reset();
        for (auto& entry : context.buffers)
        {
            if (entry.second.pointer != nullptr)
            {
                cuda.free(entry.second.pointer);
            }
        }
        context.buffers.clear();
        if (context.hasStream)
        {
            cuda.streamDestroy(context.stream);
            context.hasStream = false;
        }
    }
    catch (...)
    {
        // Destroy must not fail: errors while releasing device memory are not actionable by the caller.
    }
}

} // namespace

SRD_TRT_API srd_status srd_runtime_create(srd_runtime** out_runtime)
{
    return guarded(__func__,
        [&]
        {
            require(out_runtime, "out_runtime");
            auto const& tensorRt = Libraries::instance().tensorRt();
            srd::ForwardingLogger::clearLastError();
            auto state = std::make_shared<srd::RuntimeState>();
            state->runtime.reset(static_cast<nvinfer1::IRuntime*>(tensorRt.createInferRuntime(
                static_cast<nvinfer1::ILogger*>(&srd::ForwardingLogger::instance()), NV_TENSORRT_VERSION)));
            if (state->runtime == nullptr)
            {
                fail(SRD_STATUS_RUNTIME_ERROR, "createInferRuntime failed" + srd::ForwardingLogger::lastErrorSuffix());
            }
            auto runtime = std::make_unique<srd_runtime>();
            runtime->state = std::move(state);
            *out_runtime = runtime.release();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_runtime_destroy(srd_runtime* runtime)
{
    return guarded(__func__,
        [&]
        {
            delete runtime;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_runtime_set_engine_host_code_allowed(srd_runtime* runtime, int32_t allowed)
{
    return guarded(__func__,
        [&]
        {
            require(runtime, "runtime").state->runtime->setEngineHostCodeAllowed(allowed != 0);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_runtime_deserialize(
    srd_runtime* runtime, void const* plan, uint64_t size, srd_engine** out_engine)
{
    return guarded(__func__,
        [&]
        {
            auto& trtRuntime = *require(runtime, "runtime").state->runtime;
            require(plan, "plan");
            require(out_engine, "out_engine");
            if (size == 0)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "plan size is 0");
            }
            srd::ForwardingLogger::clearLastError();
            auto state = std::make_shared<srd::EngineState>();
            state->runtime = runtime->state;
            state->engine.reset(trtRuntime.deserializeCudaEngine(plan, static_cast<std::size_t>(size)));
            if (state->engine == nullptr)
            {
                fail(SRD_STATUS_RUNTIME_ERROR, "deserializeCudaEngine failed (plan from another TensorRT version "
                                               "or GPU, or a plugin library not "
                                               "loaded)" +
                                                   srd::ForwardingLogger::lastErrorSuffix());
            }
            auto engine = std::make_unique<srd_engine>();
            engine->state = std::move(state);
            *out_engine = engine.release();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_engine_destroy(srd_engine* engine)
{
    return guarded(__func__,
        [&]
        {
            delete engine;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_engine_get_nb_io_tensors(srd_engine* engine, int32_t* out_count)
{
    return guarded(__func__,
        [&]
        {
            auto& trtEngine = engineOf(engine);
            require(out_count, "out_count") = trtEngine.getNbIOTensors();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_engine_get_io_tensor_name(
    srd_engine* engine, int32_t index, char* buffer, uint64_t buffer_size, uint64_t* out_required)
{
    return guarded(__func__,
        [&]
        {
            auto& trtEngine = engineOf(engine);
            int32_t const count = trtEngine.getNbIOTensors();
            char const* name = index >= 0 && index < count ? trtEngine.getIOTensorName(index) : nullptr;
            if (name == nullptr)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "I/O tensor index " + std::to_string(index) + " out of range (" +
                                                      std::to_string(count) + " tensors)");
            }
            return srd::copyString(name, buffer, buffer_size, out_required);
        });
}

SRD_TRT_API srd_status srd_engine_get_tensor_info(
    srd_engine* engine, char const* tensor_name, srd_tensor_info* out_info)
{
    return guarded(__func__,
        [&]
        {
            auto& trtEngine = engineOf(engine);
            std::string const name(srd::requireString(tensor_name, "tensor_name"));
            require(out_info, "out_info");
            nvinfer1::TensorIOMode const mode = ioModeOf(trtEngine, name);
            srd_tensor_info info{};
            info.io_mode =
                mode == nvinfer1::TensorIOMode::kINPUT ? SRD_TENSOR_IO_MODE_INPUT : SRD_TENSOR_IO_MODE_OUTPUT;
            info.data_type = srd::fromTensorRt(trtEngine.getTensorDataType(name.c_str()));
            info.shape = srd::fromTensorRt(trtEngine.getTensorShape(name.c_str()));
            *out_info = info;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_engine_get_nb_optimization_profiles(srd_engine* engine, int32_t* out_count)
{
    return guarded(__func__,
        [&]
        {
            auto& trtEngine = engineOf(engine);
            require(out_count, "out_count") = trtEngine.getNbOptimizationProfiles();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_engine_get_profile_shape(srd_engine* engine, char const* tensor_name, int32_t profile_index,
    srd_profile_selector selector, srd_dims* out_dims)
{
    return guarded(__func__,
        [&]
        {
            auto& trtEngine = engineOf(engine);
            std::string const name(srd::requireString(tensor_name, "tensor_name"));
            require(out_dims, "out_dims");
            int32_t const profiles = trtEngine.getNbOptimizationProfiles();
            if (profile_index < 0 || profile_index >= profiles)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "profile index " + std::to_string(profile_index) + " out of range (" +
                                                      std::to_string(profiles) + " profiles)");
            }
            if (ioModeOf(trtEngine, name) != nvinfer1::TensorIOMode::kINPUT)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "'" + name + "' is an output; profiles describe inputs");
            }
            nvinfer1::Dims const dims =
                trtEngine.getProfileShape(name.c_str(), profile_index, srd::toTensorRt(selector));
            if (dims.nbDims < 0)
            {
                fail(SRD_STATUS_NOT_FOUND, "no profile shape for input '" + name + "'");
            }
            *out_dims = srd::fromTensorRt(dims);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_engine_get_information_json(
    srd_engine* engine, char* buffer, uint64_t buffer_size, uint64_t* out_required)
{
    return guarded(__func__,
        [&]
        {
            auto& trtEngine = engineOf(engine);
            srd::ForwardingLogger::clearLastError();
            std::unique_ptr<nvinfer1::IEngineInspector> inspector(trtEngine.createEngineInspector());
            if (inspector == nullptr)
            {
                fail(SRD_STATUS_RUNTIME_ERROR,
                    "createEngineInspector failed" + srd::ForwardingLogger::lastErrorSuffix());
            }
            char const* json = inspector->getEngineInformation(nvinfer1::LayerInformationFormat::kJSON);
            if (json == nullptr)
            {
                fail(
                    SRD_STATUS_RUNTIME_ERROR, "getEngineInformation failed" + srd::ForwardingLogger::lastErrorSuffix());
            }
            // Copied before the inspector (which owns the text) goes away.
            std::string const text(json);
            return srd::copyString(text, buffer, buffer_size, out_required);
        });
}

SRD_TRT_API srd_status srd_execution_context_create(srd_engine* engine, srd_execution_context** out_context)
{
    return guarded(__func__,
        [&]
        {
            auto& trtEngine = engineOf(engine);
            require(out_context, "out_context");
            srd::ForwardingLogger::clearLastError();
            auto context = std::make_unique<srd_execution_context>();
            context->engine = engine->state;
            context->context.reset(trtEngine.createExecutionContext());
            if (context->context == nullptr)
            {
                fail(SRD_STATUS_RUNTIME_ERROR,
                    "createExecutionContext failed (out of device memory?)" + srd::ForwardingLogger::lastErrorSuffix());
            }
            *out_context = context.release();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_execution_context_destroy(srd_execution_context* context)
{
    return guarded(__func__,
        [&]
        {
            if (context != nullptr)
            {
                std::unique_ptr<srd_execution_context> owned(context);
                releaseDeviceResources(*owned);
            }
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_execution_context_set_optimization_profile(
    srd_execution_context* context, int32_t profile_index)
{
    return guarded(__func__,
        [&]
        {
            auto& trtContext = contextOf(context);
            int32_t const profiles = context->engine->engine->getNbOptimizationProfiles();
            if (profile_index < 0 || profile_index >= profiles)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "profile index " + std::to_string(profile_index) + " out of range (" +
                                                      std::to_string(profiles) + " profiles)");
            }
            cudaStream_t stream = streamOf(*context);
            srd::ForwardingLogger::clearLastError();
            if (!trtContext.setOptimizationProfileAsync(profile_index, stream))
            {
                fail(SRD_STATUS_RUNTIME_ERROR, "setOptimizationProfileAsync(" + std::to_string(profile_index) +
                                                   ") failed" + srd::ForwardingLogger::lastErrorSuffix());
            }
            srd::checkCuda(Libraries::instance().cuda().streamSynchronize(stream), "cudaStreamSynchronize");
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_execution_context_set_input_shape(
    srd_execution_context* context, char const* tensor_name, srd_dims const* dims)
{
    return guarded(__func__,
        [&]
        {
            auto& trtContext = contextOf(context);
            std::string const name(srd::requireString(tensor_name, "tensor_name"));
            auto const shape = srd::toTensorRt(require(dims, "dims"), "dims");
            if (ioModeOf(*context->engine->engine, name) != nvinfer1::TensorIOMode::kINPUT)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "'" + name + "' is not an input");
            }
            srd::ForwardingLogger::clearLastError();
            if (!trtContext.setInputShape(name.c_str(), shape))
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "setInputShape('" + name + "', " + srd::dimsText(shape) +
                                                      ") refused (outside the selected profile?)" +
                                                      srd::ForwardingLogger::lastErrorSuffix());
            }
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_execution_context_get_tensor_shape(
    srd_execution_context* context, char const* tensor_name, srd_dims* out_dims)
{
    return guarded(__func__,
        [&]
        {
            auto& trtContext = contextOf(context);
            std::string const name(srd::requireString(tensor_name, "tensor_name"));
            require(out_dims, "out_dims");
            ioModeOf(*context->engine->engine, name);
            nvinfer1::Dims const dims = trtContext.getTensorShape(name.c_str());
            if (dims.nbDims < 0)
            {
                fail(SRD_STATUS_RUNTIME_ERROR,
                    "the shape of '" + name + "' cannot be resolved yet" + srd::ForwardingLogger::lastErrorSuffix());
            }
            *out_dims = srd::fromTensorRt(dims);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_execution_context_execute_host(
    srd_execution_context* context, srd_host_tensor* tensors, int32_t count)
{
    return guarded(__func__,
        [&]
        {
            auto& trtContext = contextOf(context);
            auto& trtEngine = *context->engine->engine;
            if (count < 0 || (count > 0 && tensors == nullptr))
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "tensors is NULL or count is negative");
            }
            int32_t const ioCount = trtEngine.getNbIOTensors();
            if (count != ioCount)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "every I/O tensor needs a buffer: " + std::to_string(ioCount) +
                                                      " expected, " + std::to_string(count) + " given");
            }

            // Check everything before touching the device: names, duplicates, sizes.
            std::set<std::string> seen;
            std::vector<uint64_t> bytes(static_cast<std::size_t>(count));
            std::vector<bool> isInput(static_cast<std::size_t>(count));
            for (int32_t i = 0; i < count; ++i)
            {
                srd_host_tensor const& tensor = tensors[i];
                std::string const name(srd::requireString(tensor.name, "tensors[i].name"));
                if (!seen.insert(name).second)
                {
                    fail(SRD_STATUS_INVALID_ARGUMENT, "tensor '" + name + "' is given twice");
                }
                isInput[i] = ioModeOf(trtEngine, name) == nvinfer1::TensorIOMode::kINPUT;
                nvinfer1::Dims const shape = trtContext.getTensorShape(name.c_str());
                bytes[i] = srd::byteSize(
                    srd::fromTensorRt(trtEngine.getTensorDataType(name.c_str())), srd::volumeOf(shape, name));
                if (bytes[i] > 0 && tensor.data == nullptr)
                {
                    fail(SRD_STATUS_INVALID_ARGUMENT, "tensor '" + name + "' has a NULL buffer");
                }
                if (isInput[i] && tensor.size_bytes != bytes[i])
                {
                    fail(SRD_STATUS_INVALID_ARGUMENT, "input '" + name + "' " + srd::dimsText(shape) + " needs " +
                                                          std::to_string(bytes[i]) + " bytes, " +
                                                          std::to_string(tensor.size_bytes) + " given");
                }
                if (!isInput[i] && tensor.size_bytes < bytes[i])
                {
                    fail(SRD_STATUS_BUFFER_TOO_SMALL, "output '" + name + "' " + srd::dimsText(shape) + " needs " +
                                                          std::to_string(bytes[i]) + " bytes, the buffer has " +
                                                          std::to_string(tensor.size_bytes));
                }
            }

            auto const& cuda = Libraries::instance().cuda();
            cudaStream_t stream = streamOf(*context);
            for (int32_t i = 0; i < count; ++i)
            {
                std::string const name(tensors[i].name);
                void* device = deviceBuffer(*context, name, bytes[i]);
                if (isInput[i] && bytes[i] > 0)
                {
                    srd::checkCuda(cuda.memcpyAsync(device, tensors[i].data, static_cast<std::size_t>(bytes[i]),
                                       srd::kCUDA_MEMCPY_HOST_TO_DEVICE, stream),
                        "cudaMemcpyAsync(host to device)");
                }
                if (!trtContext.setTensorAddress(name.c_str(), device))
                {
                    fail(SRD_STATUS_RUNTIME_ERROR,
                        "setTensorAddress('" + name + "') failed" + srd::ForwardingLogger::lastErrorSuffix());
                }
            }
            srd::ForwardingLogger::clearLastError();
            if (!trtContext.enqueueV3(stream))
            {
                cuda.streamSynchronize(stream);
                fail(SRD_STATUS_RUNTIME_ERROR, "enqueueV3 failed" + srd::ForwardingLogger::lastErrorSuffix());
            }
            for (int32_t i = 0; i < count; ++i)
            {
                if (!isInput[i] && bytes[i] > 0)
                {
                    srd::checkCuda(cuda.memcpyAsync(tensors[i].data, context->buffers[tensors[i].name].pointer,
                                       static_cast<std::size_t>(bytes[i]), srd::kCUDA_MEMCPY_DEVICE_TO_HOST, stream),
                        "cudaMemcpyAsync(device to host)");
                }
            }
            srd::checkCuda(cuda.streamSynchronize(stream), "cudaStreamSynchronize");
            for (int32_t i = 0; i < count; ++i)
            {
                tensors[i].written_bytes = bytes[i];
            }
            return SRD_STATUS_OK;
        });
}
