// Build side: builder, network, ONNX parser, builder configuration, optimization profiles, host memory.
#include "shim_internal.h"

#include <sys/stat.h>

#include <limits>

using srd::fail;
using srd::guarded;
using srd::Libraries;
using srd::require;

namespace
{

nvinfer1::IBuilder& builderOf(srd_builder* builder)
{
    return *require(builder, "builder").state->builder;
}

nvinfer1::INetworkDefinition& networkOf(srd_network* network)
{
    return *require(network, "network").state->network;
}

nvonnxparser::IParser& parserOf(srd_onnx_parser* parser)
{
    return *require(parser, "parser").parser;
}

nvinfer1::IBuilderConfig& configOf(srd_builder_config* config)
{
    return *require(config, "config").config;
}

nvinfer1::IOptimizationProfile& profileOf(srd_optimization_profile* profile)
{
    return *require(profile, "profile").profile;
}

nvinfer1::BuilderFlag toTensorRt(srd_builder_flag flag)
{
    switch (flag)
    {
#if NV_TENSORRT_MAJOR < 11
        SRD_DEPRECATED_USE_BEGIN
    case SRD_BUILDER_FLAG_FP16:
        return nvinfer1::BuilderFlag::kFP16;
    case SRD_BUILDER_FLAG_BF16:
        return nvinfer1::BuilderFlag::kBF16;
    case SRD_BUILDER_FLAG_INT8:
        return nvinfer1::BuilderFlag::kINT8;
    case SRD_BUILDER_FLAG_OBEY_PRECISION_CONSTRAINTS:
        return nvinfer1::BuilderFlag::kOBEY_PRECISION_CONSTRAINTS;
    case SRD_BUILDER_FLAG_PREFER_PRECISION_CONSTRAINTS:
        return nvinfer1::BuilderFlag::kPREFER_PRECISION_CONSTRAINTS;
        SRD_DEPRECATED_USE_END
#else
    case SRD_BUILDER_FLAG_FP16:
    case SRD_BUILDER_FLAG_BF16:
    case SRD_BUILDER_FLAG_INT8:
    case SRD_BUILDER_FLAG_OBEY_PRECISION_CONSTRAINTS:
    case SRD_BUILDER_FLAG_PREFER_PRECISION_CONSTRAINTS:
        fail(SRD_STATUS_UNSUPPORTED,
            "weak-typing precision flags were removed in TensorRT 11 (networks are strongly typed): convert the "
            "ONNX model to the wanted precision instead");
#endif
    case SRD_BUILDER_FLAG_TF32:
        return nvinfer1::BuilderFlag::kTF32;
    case SRD_BUILDER_FLAG_VERSION_COMPATIBLE:
        return nvinfer1::BuilderFlag::kVERSION_COMPATIBLE;
    case SRD_BUILDER_FLAG_EXCLUDE_LEAN_RUNTIME:
        return nvinfer1::BuilderFlag::kEXCLUDE_LEAN_RUNTIME;
    case SRD_BUILDER_FLAG_REFIT:
        return nvinfer1::BuilderFlag::kREFIT;
    case SRD_BUILDER_FLAG_STRIP_PLAN:
        return nvinfer1::BuilderFlag::kSTRIP_PLAN;
    case SRD_BUILDER_FLAG_DISABLE_TIMING_CACHE:
        return nvinfer1::BuilderFlag::kDISABLE_TIMING_CACHE;
    case SRD_BUILDER_FLAG_ERROR_ON_TIMING_CACHE_MISS:
        return nvinfer1::BuilderFlag::kERROR_ON_TIMING_CACHE_MISS;
    case SRD_BUILDER_FLAG_SPARSE_WEIGHTS:
        return nvinfer1::BuilderFlag::kSPARSE_WEIGHTS;
    }
    fail(SRD_STATUS_INVALID_ARGUMENT, "unknown builder flag " + std::to_string(static_cast<int32_t>(flag)));
}

nvinfer1::MemoryPoolType toTensorRt(srd_memory_pool pool)
{
    switch (pool)
    {
    case SRD_MEMORY_POOL_WORKSPACE:
        return nvinfer1::MemoryPoolType::kWORKSPACE;
    case SRD_MEMORY_POOL_DLA_MANAGED_SRAM:
        return nvinfer1::MemoryPoolType::kDLA_MANAGED_SRAM;
    case SRD_MEMORY_POOL_DLA_LOCAL_DRAM:
        return nvinfer1::MemoryPoolType::kDLA_LOCAL_DRAM;
    case SRD_MEMORY_POOL_DLA_GLOBAL_DRAM:
        return nvinfer1::MemoryPoolType::kDLA_GLOBAL_DRAM;
    case SRD_MEMORY_POOL_TACTIC_DRAM:
        return nvinfer1::MemoryPoolType::kTACTIC_DRAM;
    case SRD_MEMORY_POOL_TACTIC_SHARED_MEMORY:
        return nvinfer1::MemoryPoolType::kTACTIC_SHARED_MEMORY;
    }
    fail(SRD_STATUS_INVALID_ARGUMENT, "unknown memory pool " + std::to_string(static_cast<int32_t>(pool)));
}

nvonnxparser::OnnxParserFlag toTensorRt(srd_onnx_parser_flag flag)
{
    switch (flag)
    {
    case SRD_ONNX_PARSER_FLAG_NATIVE_INSTANCENORM:
        return nvonnxparser::OnnxParserFlag::kNATIVE_INSTANCENORM;
    case SRD_ONNX_PARSER_FLAG_ENABLE_PLUGIN_OVERRIDE:
#if SRD_TRT_AT_LEAST(10, 15)
        return nvonnxparser::OnnxParserFlag::kENABLE_PLUGIN_OVERRIDE;
#else
        fail(SRD_STATUS_UNSUPPORTED, "the ONNX parser flag kENABLE_PLUGIN_OVERRIDE needs TensorRT 10.15 or newer");
#endif
    }
    fail(SRD_STATUS_INVALID_ARGUMENT, "unknown ONNX parser flag " + std::to_string(static_cast<int32_t>(flag)));
}

//! The parser's errors as one line: the first error plus how many more.
std::string parserErrorsText(nvonnxparser::IParser& parser)
{
    int32_t const count = parser.getNbErrors();
    if (count <= 0)
    {
        return "the parser reported failure without an error" + srd::ForwardingLogger::lastErrorSuffix();
    }
    nvonnxparser::IParserError const* error = parser.getError(0);
    std::string text = std::to_string(count) + " error(s); first: ";
    if (error != nullptr)
    {
        text += error->desc() != nullptr ? error->desc() : "(no description)";
        if (error->node() >= 0)
        {
            text += " [node " + std::to_string(error->node());
            text += std::string(" '") + (error->nodeName() != nullptr ? error->nodeName() : "") + "'";
            text += std::string(" op ") + (error->nodeOperator() != nullptr ? error->nodeOperator() : "") + "]";
        }
    }
    return text;
}

void ensureTimingCache(srd_builder_config& config)
{
    if (config.timingCache != nullptr)
    {
        return;
    }
    std::unique_ptr<nvinfer1::ITimingCache> cache(config.config->createTimingCache(nullptr, 0));
    if (cache == nullptr || !config.config->setTimingCache(*cache, false))
    {
        fail(
            SRD_STATUS_RUNTIME_ERROR, "could not set an empty timing cache" + srd::ForwardingLogger::lastErrorSuffix());
    }
    config.timingCache = std::move(cache);
}

srd_host_memory* wrap(nvinfer1::IHostMemory* memory, char const* what)
{
    std::unique_ptr<nvinfer1::IHostMemory> owned(memory);
    if (owned == nullptr)
    {
        fail(SRD_STATUS_RUNTIME_ERROR,
            std::string(what) + " returned no data" + srd::ForwardingLogger::lastErrorSuffix());
    }
    auto wrapper = std::make_unique<srd_host_memory>();
    wrapper->memory = std::move(owned);
    return wrapper.release();
}

nvinfer1::ITensor& networkTensor(srd_network* network, srd_tensor_io_mode mode, int32_t index)
{
    auto& net = networkOf(network);
    int32_t count = 0;
    switch (mode)
    {
    case SRD_TENSOR_IO_MODE_INPUT:
        count = net.getNbInputs();
        break;
    case SRD_TENSOR_IO_MODE_OUTPUT:
        count = net.getNbOutputs();
        break;
    default:
        fail(SRD_STATUS_INVALID_ARGUMENT, "mode must be INPUT or OUTPUT");
    }
    if (index < 0 || index >= count)
    {
        fail(SRD_STATUS_INVALID_ARGUMENT,
            "tensor index " + std::to_string(index) + " out of range (" + std::to_string(count) + " tensors)");
    }
    nvinfer1::ITensor* tensor = mode == SRD_TENSOR_IO_MODE_INPUT ? net.getInput(index) : net.getOutput(index);
    if (tensor == nullptr)
    {
        fail(SRD_STATUS_INTERNAL, "the network returned no tensor for index " + std::to_string(index));
    }
    return *tensor;
}

void checkSameBuilder(
    std::shared_ptr<srd::BuilderState> const& a, std::shared_ptr<srd::BuilderState> const& b, char const* what)
{
    if (a != b)
    {
        fail(SRD_STATUS_INVALID_ARGUMENT, std::string(what) + " was created by another builder");
    }
}

} // namespace

SRD_TRT_API srd_status srd_builder_create(srd_builder** out_builder)
{
    return guarded(__func__,
        [&]
        {
            require(out_builder, "out_builder");
            auto const& tensorRt = Libraries::instance().tensorRt();
            srd::ForwardingLogger::clearLastError();
            auto state = std::make_shared<srd::BuilderState>();
            state->builder.reset(static_cast<nvinfer1::IBuilder*>(tensorRt.createInferBuilder(
                static_cast<nvinfer1::ILogger*>(&srd::ForwardingLogger::instance()), NV_TENSORRT_VERSION)));
            if (state->builder == nullptr)
            {
                fail(SRD_STATUS_RUNTIME_ERROR, "createInferBuilder failed" + srd::ForwardingLogger::lastErrorSuffix());
            }
            auto builder = std::make_unique<srd_builder>();
            builder->state = std::move(state);
            *out_builder = builder.release();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_destroy(srd_builder* builder)
{
    return guarded(__func__,
        [&]
        {
            delete builder;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_get_platform_info(srd_builder* builder, srd_builder_platform_info* out_info)
{
    return guarded(__func__,
        [&]
        {
            auto& trtBuilder = builderOf(builder);
            require(out_info, "out_info");
            srd_builder_platform_info info{};
#if NV_TENSORRT_MAJOR < 11
            SRD_DEPRECATED_USE_BEGIN
            info.has_fast_fp16 = trtBuilder.platformHasFastFp16() ? 1 : 0;
            info.has_tf32 = trtBuilder.platformHasTf32() ? 1 : 0;
            SRD_DEPRECATED_USE_END
#else
        info.has_fast_fp16 = -1;
        info.has_tf32 = -1;
#endif
            info.nb_dla_cores = trtBuilder.getNbDLACores();
            info.max_threads = trtBuilder.getMaxThreads();
            *out_info = info;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_build(
    srd_builder* builder, srd_network* network, srd_builder_config* config, srd_host_memory** out_plan)
{
    return guarded(__func__,
        [&]
        {
            auto& trtBuilder = builderOf(builder);
            auto& trtNetwork = networkOf(network);
            auto& trtConfig = configOf(config);
            require(out_plan, "out_plan");
            checkSameBuilder(network->state->builder, builder->state, "network");
            checkSameBuilder(config->builder, builder->state, "config");
            ensureTimingCache(*config);
            srd::ForwardingLogger::clearLastError();
            std::unique_ptr<nvinfer1::IHostMemory> plan(trtBuilder.buildSerializedNetwork(trtNetwork, trtConfig));
            if (plan == nullptr || plan->size() == 0)
            {
                fail(SRD_STATUS_BUILD_FAILED,
                    "buildSerializedNetwork returned no plan" + srd::ForwardingLogger::lastErrorSuffix());
            }
            *out_plan = wrap(plan.release(), "buildSerializedNetwork");
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_network_create(srd_builder* builder, int32_t strongly_typed, srd_network** out_network)
{
    return guarded(__func__,
        [&]
        {
            auto& trtBuilder = builderOf(builder);
            require(out_network, "out_network");
            nvinfer1::NetworkDefinitionCreationFlags flags = 0U;
#if NV_TENSORRT_MAJOR < 11
            if (strongly_typed != 0)
            {
                flags = 1U << static_cast<uint32_t>(nvinfer1::NetworkDefinitionCreationFlag::kSTRONGLY_TYPED);
            }
#else
        // TensorRT 11 networks are always strongly typed (kSTRONGLY_TYPED is a deprecated no-op).
        if (strongly_typed == 0)
        {
            srd::logMessage(SRD_LOG_SEVERITY_INFO, "TensorRT 11 networks are always strongly typed");
        }
#endif
            srd::ForwardingLogger::clearLastError();
            auto state = std::make_shared<srd::NetworkState>();
            state->builder = builder->state;
            state->network.reset(trtBuilder.createNetworkV2(flags));
            if (state->network == nullptr)
            {
                fail(SRD_STATUS_RUNTIME_ERROR, "createNetworkV2 failed" + srd::ForwardingLogger::lastErrorSuffix());
            }
            state->stronglyTyped = NV_TENSORRT_MAJOR >= 11 || strongly_typed != 0;
            auto result = std::make_unique<srd_network>();
            result->state = std::move(state);
            *out_network = result.release();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_network_destroy(srd_network* network)
{
    return guarded(__func__,
        [&]
        {
            delete network;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_network_get_strongly_typed(srd_network* network, int32_t* out_strongly_typed)
{
    return guarded(__func__,
        [&]
        {
            networkOf(network);
            require(out_strongly_typed, "out_strongly_typed") = network->state->stronglyTyped ? 1 : 0;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_network_get_nb_layers(srd_network* network, int32_t* out_count)
{
    return guarded(__func__,
        [&]
        {
            auto& net = networkOf(network);
            require(out_count, "out_count") = net.getNbLayers();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_network_get_nb_tensors(srd_network* network, srd_tensor_io_mode mode, int32_t* out_count)
{
    return guarded(__func__,
        [&]
        {
            auto& net = networkOf(network);
            require(out_count, "out_count");
            switch (mode)
            {
            case SRD_TENSOR_IO_MODE_INPUT:
                *out_count = net.getNbInputs();
                break;
            case SRD_TENSOR_IO_MODE_OUTPUT:
                *out_count = net.getNbOutputs();
                break;
            default:
                fail(SRD_STATUS_INVALID_ARGUMENT, "mode must be INPUT or OUTPUT");
            }
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_network_get_tensor_name(srd_network* network, srd_tensor_io_mode mode, int32_t index,
    char* buffer, uint64_t buffer_size, uint64_t* out_required)
{
    return guarded(__func__,
        [&]
        {
            auto& tensor = networkTensor(network, mode, index);
            return srd::copyString(
                tensor.getName() != nullptr ? tensor.getName() : "", buffer, buffer_size, out_required);
        });
}

SRD_TRT_API srd_status srd_network_get_tensor_info(
    srd_network* network, srd_tensor_io_mode mode, int32_t index, srd_tensor_info* out_info)
{
    return guarded(__func__,
        [&]
        {
            auto& tensor = networkTensor(network, mode, index);
            require(out_info, "out_info");
            srd_tensor_info info{};
            info.io_mode = mode;
            info.data_type = srd::fromTensorRt(tensor.getType());
            info.shape = srd::fromTensorRt(tensor.getDimensions());
            *out_info = info;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_onnx_parser_create(srd_network* network, srd_onnx_parser** out_parser)
{
    return guarded(__func__,
        [&]
        {
            auto& net = networkOf(network);
            require(out_parser, "out_parser");
            auto const& parserApi = Libraries::instance().onnxParser();
            srd::ForwardingLogger::clearLastError();
            auto parser = std::make_unique<srd_onnx_parser>();
            parser->network = network->state;
            parser->parser.reset(static_cast<nvonnxparser::IParser*>(parserApi.createParser(
                &net, static_cast<nvinfer1::ILogger*>(&srd::ForwardingLogger::instance()), NV_ONNX_PARSER_VERSION)));
            if (parser->parser == nullptr)
            {
                fail(SRD_STATUS_RUNTIME_ERROR, "createParser failed" + srd::ForwardingLogger::lastErrorSuffix());
            }
            *out_parser = parser.release();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_onnx_parser_destroy(srd_onnx_parser* parser)
{
    return guarded(__func__,
        [&]
        {
            if (parser != nullptr)
            {
                std::unique_ptr<srd_onnx_parser> owned(parser);
                // The parser owns the weights the network refers to: hand it to the network to keep.
                owned->network->retiredParsers.push_back(std::move(owned->parser));
            }
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_onnx_parser_set_flag(srd_onnx_parser* parser, srd_onnx_parser_flag flag, int32_t enabled)
{
    return guarded(__func__,
        [&]
        {
            auto& trtParser = parserOf(parser);
            auto const trtFlag = toTensorRt(flag);
            if (enabled != 0)
            {
                trtParser.setFlag(trtFlag);
            }
            else
            {
                trtParser.clearFlag(trtFlag);
            }
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_onnx_parser_get_flag(
    srd_onnx_parser* parser, srd_onnx_parser_flag flag, int32_t* out_enabled)
{
    return guarded(__func__,
        [&]
        {
            auto& trtParser = parserOf(parser);
            auto const trtFlag = toTensorRt(flag);
            require(out_enabled, "out_enabled") = trtParser.getFlag(trtFlag) ? 1 : 0;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_onnx_parser_parse_file(srd_onnx_parser* parser, char const* path, srd_log_severity verbosity)
{
    return guarded(__func__,
        [&]
        {
            auto& trtParser = parserOf(parser);
            std::string const modelPath(srd::requireString(path, "path"));
            struct stat fileStatus
            {
            };
            if (stat(modelPath.c_str(), &fileStatus) != 0)
            {
                fail(SRD_STATUS_NOT_FOUND, "ONNX file not found: " + modelPath);
            }
            srd::ForwardingLogger::clearLastError();
            if (!trtParser.parseFromFile(modelPath.c_str(), static_cast<int>(verbosity)))
            {
                fail(SRD_STATUS_PARSE_FAILED, modelPath + ": " + parserErrorsText(trtParser));
            }
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_onnx_parser_parse_bytes(
    srd_onnx_parser* parser, void const* data, uint64_t size, char const* model_path)
{
    return guarded(__func__,
        [&]
        {
            auto& trtParser = parserOf(parser);
            require(data, "data");
            if (size == 0)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "size is 0");
            }
            srd::ForwardingLogger::clearLastError();
            if (!trtParser.parse(data, static_cast<std::size_t>(size), model_path))
            {
                fail(SRD_STATUS_PARSE_FAILED, parserErrorsText(trtParser));
            }
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_onnx_parser_get_nb_errors(srd_onnx_parser* parser, int32_t* out_count)
{
    return guarded(__func__,
        [&]
        {
            auto& trtParser = parserOf(parser);
            require(out_count, "out_count") = trtParser.getNbErrors();
            return SRD_STATUS_OK;
        });
}

namespace
{
nvonnxparser::IParserError const& parserError(srd_onnx_parser* parser, int32_t index)
{
    auto& trtParser = parserOf(parser);
    int32_t const count = trtParser.getNbErrors();
    nvonnxparser::IParserError const* error = index >= 0 && index < count ? trtParser.getError(index) : nullptr;
    if (error == nullptr)
    {
        fail(SRD_STATUS_INVALID_ARGUMENT,
            "parser error index " + std::to_string(index) + " out of range (" + std::to_string(count) + " errors)");
    }
    return *error;
}
} // namespace

SRD_TRT_API srd_status srd_onnx_parser_get_error(srd_onnx_parser* parser, int32_t index, srd_parser_error* out_error)
{
    return guarded(__func__,
        [&]
        {
            auto const& error = parserError(parser, index);
            require(out_error, "out_error");
            srd_parser_error result{};
            result.code = static_cast<int32_t>(error.code());
            result.node_index = error.node();
            result.line = error.line();
            *out_error = result;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_onnx_parser_get_error_string(srd_onnx_parser* parser, int32_t index,
    srd_parser_error_field field, char* buffer, uint64_t buffer_size, uint64_t* out_required)
{
    return guarded(__func__,
        [&]
        {
            auto const& error = parserError(parser, index);
            char const* value = nullptr;
            switch (field)
            {
            case SRD_PARSER_ERROR_FIELD_DESCRIPTION:
                value = error.desc();
                break;
            case SRD_PARSER_ERROR_FIELD_NODE_NAME:
                value = error.nodeName();
                break;
            case SRD_PARSER_ERROR_FIELD_NODE_OPERATOR:
                value = error.nodeOperator();
                break;
            case SRD_PARSER_ERROR_FIELD_FILE:
                value = error.file();
                break;
            case SRD_PARSER_ERROR_FIELD_FUNCTION:
                value = error.func();
                break;
            default:
                fail(SRD_STATUS_INVALID_ARGUMENT, "unknown parser error field " + std::to_string(field));
            }
            return srd::copyString(value != nullptr ? value : "", buffer, buffer_size, out_required);
        });
}

SRD_TRT_API srd_status srd_builder_config_create(srd_builder* builder, srd_builder_config** out_config)
{
    return guarded(__func__,
        [&]
        {
            auto& trtBuilder = builderOf(builder);
            require(out_config, "out_config");
            srd::ForwardingLogger::clearLastError();
            auto config = std::make_unique<srd_builder_config>();
            config->builder = builder->state;
            config->config.reset(trtBuilder.createBuilderConfig());
            if (config->config == nullptr)
            {
                fail(SRD_STATUS_RUNTIME_ERROR, "createBuilderConfig failed" + srd::ForwardingLogger::lastErrorSuffix());
            }
            *out_config = config.release();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_destroy(srd_builder_config* config)
{
    return guarded(__func__,
        [&]
        {
            delete config;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_set_flag(srd_builder_config* config, srd_builder_flag flag, int32_t enabled)
{
    return guarded(__func__,
        [&]
        {
            auto& trtConfig = configOf(config);
            auto const trtFlag = toTensorRt(flag);
            if (enabled != 0)
            {
                trtConfig.setFlag(trtFlag);
            }
            else
            {
                trtConfig.clearFlag(trtFlag);
            }
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_get_flag(
    srd_builder_config* config, srd_builder_flag flag, int32_t* out_enabled)
{
    return guarded(__func__,
        [&]
        {
            auto& trtConfig = configOf(config);
            auto const trtFlag = toTensorRt(flag);
            require(out_enabled, "out_enabled") = trtConfig.getFlag(trtFlag) ? 1 : 0;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_set_memory_pool_limit(
    srd_builder_config* config, srd_memory_pool pool, uint64_t limit_bytes)
{
    return guarded(__func__,
        [&]
        {
            auto& trtConfig = configOf(config);
            trtConfig.setMemoryPoolLimit(toTensorRt(pool), static_cast<std::size_t>(limit_bytes));
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_get_memory_pool_limit(
    srd_builder_config* config, srd_memory_pool pool, uint64_t* out_limit_bytes)
{
    return guarded(__func__,
        [&]
        {
            auto& trtConfig = configOf(config);
            auto const trtPool = toTensorRt(pool);
            require(out_limit_bytes, "out_limit_bytes") = trtConfig.getMemoryPoolLimit(trtPool);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_set_optimization_level(srd_builder_config* config, int32_t level)
{
    return guarded(__func__,
        [&]
        {
            auto& trtConfig = configOf(config);
            if (level < 0 || level > 5)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT,
                    "builder optimization level " + std::to_string(level) + " not in 0..5");
            }
            trtConfig.setBuilderOptimizationLevel(level);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_set_hardware_compatibility(
    srd_builder_config* config, srd_hardware_compatibility level)
{
    return guarded(__func__,
        [&]
        {
            auto& trtConfig = configOf(config);
            switch (level)
            {
            case SRD_HARDWARE_COMPATIBILITY_NONE:
                trtConfig.setHardwareCompatibilityLevel(nvinfer1::HardwareCompatibilityLevel::kNONE);
                break;
            case SRD_HARDWARE_COMPATIBILITY_AMPERE_PLUS:
                trtConfig.setHardwareCompatibilityLevel(nvinfer1::HardwareCompatibilityLevel::kAMPERE_PLUS);
                break;
            case SRD_HARDWARE_COMPATIBILITY_SAME_COMPUTE_CAPABILITY:
#if SRD_TRT_AT_LEAST(10, 9)
                trtConfig.setHardwareCompatibilityLevel(nvinfer1::HardwareCompatibilityLevel::kSAME_COMPUTE_CAPABILITY);
                break;
#else
            fail(SRD_STATUS_UNSUPPORTED,
                "hardware compatibility kSAME_COMPUTE_CAPABILITY needs TensorRT 10.9 or newer");
#endif
            default:
                fail(SRD_STATUS_INVALID_ARGUMENT, "unknown hardware compatibility level " + std::to_string(level));
            }
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_set_profiling_verbosity(
    srd_builder_config* config, srd_profiling_verbosity verbosity)
{
    return guarded(__func__,
        [&]
        {
            auto& trtConfig = configOf(config);
            switch (verbosity)
            {
            case SRD_PROFILING_VERBOSITY_LAYER_NAMES_ONLY:
                trtConfig.setProfilingVerbosity(nvinfer1::ProfilingVerbosity::kLAYER_NAMES_ONLY);
                break;
            case SRD_PROFILING_VERBOSITY_NONE:
                trtConfig.setProfilingVerbosity(nvinfer1::ProfilingVerbosity::kNONE);
                break;
            case SRD_PROFILING_VERBOSITY_DETAILED:
                trtConfig.setProfilingVerbosity(nvinfer1::ProfilingVerbosity::kDETAILED);
                break;
            default:
                fail(SRD_STATUS_INVALID_ARGUMENT, "unknown profiling verbosity " + std::to_string(verbosity));
            }
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_set_max_aux_streams(srd_builder_config* config, int32_t count)
{
    return guarded(__func__,
        [&]
        {
            auto& trtConfig = configOf(config);
            if (count < 0)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "max aux streams " + std::to_string(count) + " is negative");
            }
#if NV_TENSORRT_MAJOR >= 11
            if (!trtConfig.setMaxAuxStreams(count))
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "TensorRT rejected max aux streams " + std::to_string(count));
            }
#else
        trtConfig.setMaxAuxStreams(count);
#endif
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_set_plugins_to_serialize(
    srd_builder_config* config, char const* const* paths, int32_t count)
{
    return guarded(__func__,
        [&]
        {
            auto& trtConfig = configOf(config);
            if (count < 0 || (count > 0 && paths == nullptr))
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "paths is NULL or count is negative");
            }
            std::vector<std::string> copies;
            for (int32_t i = 0; i < count; ++i)
            {
                copies.emplace_back(srd::requireString(paths[i], "paths[i]"));
            }
            std::vector<char const*> pointers;
            for (auto const& path : copies)
            {
                pointers.push_back(path.c_str());
            }
            trtConfig.setPluginsToSerialize(pointers.data(), count);
            config->pluginsToSerialize = std::move(copies);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_load_timing_cache(
    srd_builder_config* config, void const* data, uint64_t size, int32_t ignore_mismatch)
{
    return guarded(__func__,
        [&]
        {
            auto& trtConfig = configOf(config);
            if (size > 0)
            {
                require(data, "data");
            }
            srd::ForwardingLogger::clearLastError();
            std::unique_ptr<nvinfer1::ITimingCache> cache(
                trtConfig.createTimingCache(size > 0 ? data : nullptr, static_cast<std::size_t>(size)));
            if (cache == nullptr)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "TensorRT rejected the timing cache (" + std::to_string(size) +
                                                      " bytes)" + srd::ForwardingLogger::lastErrorSuffix());
            }
            if (!trtConfig.setTimingCache(*cache, ignore_mismatch != 0))
            {
                fail(SRD_STATUS_INVALID_ARGUMENT,
                    "setTimingCache refused the cache (made on another device or TensorRT version?)" +
                        srd::ForwardingLogger::lastErrorSuffix());
            }
            // The config now refers to the new cache; the old one can go.
            config->timingCache = std::move(cache);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_combine_timing_cache(
    srd_builder_config* config, void const* data, uint64_t size, int32_t ignore_mismatch)
{
    return guarded(__func__,
        [&]
        {
            auto& trtConfig = configOf(config);
            require(data, "data");
            ensureTimingCache(*config);
            srd::ForwardingLogger::clearLastError();
            std::unique_ptr<nvinfer1::ITimingCache> other(
                trtConfig.createTimingCache(data, static_cast<std::size_t>(size)));
            if (other == nullptr)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "TensorRT rejected the timing cache to combine (" +
                                                      std::to_string(size) + " bytes)" +
                                                      srd::ForwardingLogger::lastErrorSuffix());
            }
            if (!config->timingCache->combine(*other, ignore_mismatch != 0))
            {
                fail(SRD_STATUS_INVALID_ARGUMENT,
                    "ITimingCache::combine refused the cache" + srd::ForwardingLogger::lastErrorSuffix());
            }
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_serialize_timing_cache(
    srd_builder_config* config, srd_host_memory** out_cache)
{
    return guarded(__func__,
        [&]
        {
            configOf(config);
            require(out_cache, "out_cache");
            ensureTimingCache(*config);
            srd::ForwardingLogger::clearLastError();
            *out_cache = wrap(config->timingCache->serialize(), "ITimingCache::serialize");
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_add_optimization_profile(
    srd_builder_config* config, srd_optimization_profile* profile, int32_t* out_index)
{
    return guarded(__func__,
        [&]
        {
            auto& trtConfig = configOf(config);
            auto& trtProfile = profileOf(profile);
            require(out_index, "out_index");
            checkSameBuilder(profile->builder, config->builder, "profile");
            srd::ForwardingLogger::clearLastError();
            int32_t const index = trtConfig.addOptimizationProfile(&trtProfile);
            if (index < 0)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT,
                    "addOptimizationProfile rejected the profile (every dynamic input needs min <= opt <= max)" +
                        srd::ForwardingLogger::lastErrorSuffix());
            }
            *out_index = index;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_optimization_profile_create(srd_builder* builder, srd_optimization_profile** out_profile)
{
    return guarded(__func__,
        [&]
        {
            auto& trtBuilder = builderOf(builder);
            require(out_profile, "out_profile");
            auto profile = std::make_unique<srd_optimization_profile>();
            profile->builder = builder->state;
            profile->profile = trtBuilder.createOptimizationProfile();
            if (profile->profile == nullptr)
            {
                fail(SRD_STATUS_RUNTIME_ERROR,
                    "createOptimizationProfile failed" + srd::ForwardingLogger::lastErrorSuffix());
            }
            *out_profile = profile.release();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_optimization_profile_destroy(srd_optimization_profile* profile)
{
    return guarded(__func__,
        [&]
        {
            // The IOptimizationProfile itself belongs to the builder; only the handle goes.
            delete profile;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_optimization_profile_set_dimensions(srd_optimization_profile* profile,
    char const* input_name, srd_dims const* min, srd_dims const* opt, srd_dims const* max)
{
    return guarded(__func__,
        [&]
        {
            auto& trtProfile = profileOf(profile);
            std::string const name(srd::requireString(input_name, "input_name"));
            auto const trtMin = srd::toTensorRt(require(min, "min"), "min");
            auto const trtOpt = srd::toTensorRt(require(opt, "opt"), "opt");
            auto const trtMax = srd::toTensorRt(require(max, "max"), "max");
            if (trtMin.nbDims != trtOpt.nbDims || trtOpt.nbDims != trtMax.nbDims)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "input '" + name + "': min, opt and max have different ranks");
            }
            for (int32_t i = 0; i < trtMin.nbDims; ++i)
            {
                if (trtMin.d[i] < 0 || !(trtMin.d[i] <= trtOpt.d[i] && trtOpt.d[i] <= trtMax.d[i]))
                {
                    fail(SRD_STATUS_INVALID_ARGUMENT,
                        "input '" + name + "': need 0 <= min <= opt <= max in every dimension, got min " +
                            srd::dimsText(trtMin) + " opt " + srd::dimsText(trtOpt) + " max " + srd::dimsText(trtMax));
                }
            }
            srd::ForwardingLogger::clearLastError();
            if (!trtProfile.setDimensions(name.c_str(), nvinfer1::OptProfileSelector::kMIN, trtMin) ||
                !trtProfile.setDimensions(name.c_str(), nvinfer1::OptProfileSelector::kOPT, trtOpt) ||
                !trtProfile.setDimensions(name.c_str(), nvinfer1::OptProfileSelector::kMAX, trtMax))
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "TensorRT rejected the dimensions of input '" + name + "'" +
                                                      srd::ForwardingLogger::lastErrorSuffix());
            }
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_optimization_profile_get_dimensions(
    srd_optimization_profile* profile, char const* input_name, srd_profile_selector selector, srd_dims* out_dims)
{
    return guarded(__func__,
        [&]
        {
            auto& trtProfile = profileOf(profile);
            std::string const name(srd::requireString(input_name, "input_name"));
            require(out_dims, "out_dims");
            nvinfer1::Dims const dims = trtProfile.getDimensions(name.c_str(), srd::toTensorRt(selector));
            if (dims.nbDims < 0)
            {
                fail(SRD_STATUS_NOT_FOUND, "no dimensions set for input '" + name + "'");
            }
            *out_dims = srd::fromTensorRt(dims);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_optimization_profile_set_shape_values(srd_optimization_profile* profile,
    char const* input_name, srd_profile_selector selector, int64_t const* values, int32_t count)
{
    return guarded(__func__,
        [&]
        {
            auto& trtProfile = profileOf(profile);
            std::string const name(srd::requireString(input_name, "input_name"));
            if (count < 0 || (count > 0 && values == nullptr))
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "values is NULL or count is negative");
            }
            srd::ForwardingLogger::clearLastError();
#if SRD_TRT_AT_LEAST(10, 11)
            bool const ok = trtProfile.setShapeValuesV2(name.c_str(), srd::toTensorRt(selector), values, count);
#else
        // Before 10.11 shape values are int32.
        std::vector<int32_t> narrowed;
        for (int32_t i = 0; i < count; ++i)
        {
            if (values[i] < std::numeric_limits<int32_t>::min() || values[i] > std::numeric_limits<int32_t>::max())
            {
                fail(SRD_STATUS_UNSUPPORTED,
                    "shape value " + std::to_string(values[i]) + " does not fit int32 (TensorRT < 10.11)");
            }
            narrowed.push_back(static_cast<int32_t>(values[i]));
        }
        bool const ok = trtProfile.setShapeValues(name.c_str(), srd::toTensorRt(selector), narrowed.data(), count);
#endif
            if (!ok)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "TensorRT rejected the shape values of input '" + name + "'" +
                                                      srd::ForwardingLogger::lastErrorSuffix());
            }
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_host_memory_get_data(srd_host_memory* memory, void const** out_data, uint64_t* out_size)
{
    return guarded(__func__,
        [&]
        {
            auto& hostMemory = *require(memory, "memory").memory;
            require(out_data, "out_data");
            require(out_size, "out_size");
            *out_data = hostMemory.data();
            *out_size = static_cast<uint64_t>(hostMemory.size());
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_host_memory_destroy(srd_host_memory* memory)
{
    return guarded(__func__,
        [&]
        {
            delete memory;
            return SRD_STATUS_OK;
        });
}
