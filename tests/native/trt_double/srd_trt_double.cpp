// libsrd_trt_test_double.so: a recording test double for srd_trt.h. It implements every function of the shim's ABI
// without TensorRT: it checks arguments and handles the way the shim does, records every call with its arguments,
// fails or throws on request, tracks every handle's creation and destruction, and builds a fake plan that carries a
// real-format plan header plus a digest of the recorded build inputs. See README.md beside this file.
#include "double_state.h"

#include <sys/stat.h>

#include <cstring>
#include <thread>

using srd::fail;
using srd_double::JsonObject;
using srd_double::noArgs;
using srd_double::run;
using srd_double::State;

namespace
{

State& state()
{
    return State::instance();
}

char const* const kBUILDER_FLAG_NAMES[] = {"FP16", "BF16", "INT8", "TF32", "VERSION_COMPATIBLE", "EXCLUDE_LEAN_RUNTIME",
    "REFIT", "STRIP_PLAN", "DISABLE_TIMING_CACHE", "ERROR_ON_TIMING_CACHE_MISS", "SPARSE_WEIGHTS",
    "OBEY_PRECISION_CONSTRAINTS", "PREFER_PRECISION_CONSTRAINTS"};
char const* const kMEMORY_POOL_NAMES[] = {
    "WORKSPACE", "DLA_MANAGED_SRAM", "DLA_LOCAL_DRAM", "DLA_GLOBAL_DRAM", "TACTIC_DRAM", "TACTIC_SHARED_MEMORY"};
constexpr char kTIMING_CACHE_MAGIC[] = "SRDDOUBLE-TIMING-CACHE-1\n";
constexpr char kPLAN_TRAILER_MAGIC[8] = {'S', 'R', 'D', 'D', 'B', 'L', 'v', '1'};
constexpr uint32_t kPLAN_TAG = 0x74727466U;

bool fileExists(std::string const& path)
{
    struct stat fileStatus
    {
    };
    return stat(path.c_str(), &fileStatus) == 0;
}

srd_dims makeDims(std::initializer_list<int64_t> values)
{
    srd_dims dims{};
    for (int64_t const value : values)
    {
        dims.d[dims.nb_dims++] = value;
    }
    return dims;
}

srd_dims checkedDims(srd_dims const* dims, char const* name)
{
    srd_dims const& value = srd::require(dims, name);
    if (value.nb_dims < 0 || value.nb_dims > SRD_TRT_MAX_DIMS)
    {
        fail(SRD_STATUS_INVALID_ARGUMENT, std::string(name) + " has nb_dims " + std::to_string(value.nb_dims) +
                                              " (0.." + std::to_string(SRD_TRT_MAX_DIMS) + " allowed)");
    }
    srd_dims copy{};
    copy.nb_dims = value.nb_dims;
    for (int32_t i = 0; i < value.nb_dims; ++i)
    {
        copy.d[i] = value.d[i];
    }
    return copy;
}

bool isDynamic(srd_dims const& dims)
{
    for (int32_t i = 0; i < dims.nb_dims; ++i)
    {
        if (dims.d[i] < 0)
        {
            return true;
        }
    }
    return false;
}

int64_t volumeOf(srd_dims const& dims)
{
    int64_t volume = 1;
    for (int32_t i = 0; i < dims.nb_dims; ++i)
    {
        volume *= dims.d[i];
    }
    return volume;
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
    case SRD_DATA_TYPE_INT64:
        return count * 8U;
    case SRD_DATA_TYPE_INT4:
    case SRD_DATA_TYPE_FP4:
        return (count + 1U) / 2U;
    default:
        return count;
    }
}

std::string builderFlagName(int32_t flag)
{
    return flag >= 0 && flag <= SRD_BUILDER_FLAG_PREFER_PRECISION_CONSTRAINTS ? kBUILDER_FLAG_NAMES[flag]
                                                                              : std::to_string(flag);
}

void checkBuilderFlag(srd_builder_flag flag)
{
    if (flag < SRD_BUILDER_FLAG_FP16 || flag > SRD_BUILDER_FLAG_PREFER_PRECISION_CONSTRAINTS)
    {
        fail(SRD_STATUS_INVALID_ARGUMENT, "unknown builder flag " + std::to_string(flag));
    }
    bool const weakTyping = flag == SRD_BUILDER_FLAG_FP16 || flag == SRD_BUILDER_FLAG_BF16 ||
                            flag == SRD_BUILDER_FLAG_INT8 || flag == SRD_BUILDER_FLAG_OBEY_PRECISION_CONSTRAINTS ||
                            flag == SRD_BUILDER_FLAG_PREFER_PRECISION_CONSTRAINTS;
    if (weakTyping && state().major() >= 11)
    {
        fail(SRD_STATUS_UNSUPPORTED,
            "weak-typing precision flags were removed in TensorRT 11 (networks are strongly typed): convert the "
            "ONNX model to the wanted precision instead");
    }
}

void checkMemoryPool(srd_memory_pool pool)
{
    if (pool < SRD_MEMORY_POOL_WORKSPACE || pool > SRD_MEMORY_POOL_TACTIC_SHARED_MEMORY)
    {
        fail(SRD_STATUS_INVALID_ARGUMENT, "unknown memory pool " + std::to_string(pool));
    }
}

void checkParserFlag(srd_onnx_parser_flag flag)
{
    if (flag == SRD_ONNX_PARSER_FLAG_ENABLE_PLUGIN_OVERRIDE && !state().atLeast(10, 15))
    {
        fail(SRD_STATUS_UNSUPPORTED, "the ONNX parser flag kENABLE_PLUGIN_OVERRIDE needs TensorRT 10.15 or newer");
    }
    if (flag != SRD_ONNX_PARSER_FLAG_NATIVE_INSTANCENORM && flag != SRD_ONNX_PARSER_FLAG_ENABLE_PLUGIN_OVERRIDE)
    {
        fail(SRD_STATUS_INVALID_ARGUMENT, "unknown ONNX parser flag " + std::to_string(flag));
    }
}

//! The double's network after a parse: one dynamic NCHW float input and one output of the same shape.
void fillParsedNetwork(srd_network& network, std::string const& sourceJson)
{
    network.tensors.clear();
    network.tensors.push_back({"input", SRD_TENSOR_IO_MODE_INPUT, SRD_DATA_TYPE_FLOAT, makeDims({-1, 3, -1, -1})});
    network.tensors.push_back({"output", SRD_TENSOR_IO_MODE_OUTPUT, SRD_DATA_TYPE_FLOAT, makeDims({-1, 3, -1, -1})});
    network.layers = 1;
    network.sourceJson = sourceJson;
}

//! Parse outcome shared by file and bytes: queued parser errors make it fail.
void finishParse(srd_onnx_parser& parser, std::string const& sourceJson, std::string const& what)
{
    parser.errors.clear();
    auto& queued = state().queuedParserErrors;
    if (!queued.empty())
    {
        parser.errors.assign(queued.begin(), queued.end());
        queued.clear();
        auto const& first = parser.errors.front();
        fail(SRD_STATUS_PARSE_FAILED,
            what + ": " + std::to_string(parser.errors.size()) + " error(s); first: " + first.description + " [node " +
                std::to_string(first.nodeIndex) + " '" + first.nodeName + "' op " + first.nodeOperator + "]");
    }
    fillParsedNetwork(*parser.network, sourceJson);
    state().log(SRD_LOG_SEVERITY_INFO, "parsed " + what);
}

int32_t tensorCount(srd_network const& network, srd_tensor_io_mode mode)
{
    if (mode != SRD_TENSOR_IO_MODE_INPUT && mode != SRD_TENSOR_IO_MODE_OUTPUT)
    {
        fail(SRD_STATUS_INVALID_ARGUMENT, "mode must be INPUT or OUTPUT");
    }
    int32_t count = 0;
    for (auto const& tensor : network.tensors)
    {
        count += tensor.mode == mode ? 1 : 0;
    }
    return count;
}

srd_double::TensorDesc const& networkTensor(srd_network const& network, srd_tensor_io_mode mode, int32_t index)
{
    int32_t const count = tensorCount(network, mode);
    if (index < 0 || index >= count)
    {
        fail(SRD_STATUS_INVALID_ARGUMENT,
            "tensor index " + std::to_string(index) + " out of range (" + std::to_string(count) + " tensors)");
    }
    int32_t seen = 0;
    for (auto const& tensor : network.tensors)
    {
        if (tensor.mode == mode && seen++ == index)
        {
            return tensor;
        }
    }
    fail(SRD_STATUS_INTERNAL, "tensor lookup failed");
}

std::vector<uint8_t> timingCacheBytes(std::set<std::string> const& entries)
{
    std::string text = kTIMING_CACHE_MAGIC;
    for (auto const& entry : entries)
    {
        text += entry + "\n";
    }
    return std::vector<uint8_t>(text.begin(), text.end());
}

std::set<std::string> parseTimingCache(void const* data, uint64_t size)
{
    std::set<std::string> entries;
    if (size == 0)
    {
        return entries;
    }
    std::string const text(static_cast<char const*>(data), static_cast<std::size_t>(size));
    std::string const magic = kTIMING_CACHE_MAGIC;
    if (text.compare(0, magic.size(), magic) != 0)
    {
        fail(SRD_STATUS_INVALID_ARGUMENT,
            "TensorRT rejected the timing cache (" + std::to_string(size) + " bytes): not a timing cache");
    }
    std::size_t start = magic.size();
    while (start < text.size())
    {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos)
        {
            end = text.size();
        }
        if (end > start)
        {
            entries.insert(text.substr(start, end - start));
        }
        start = end + 1;
    }
    return entries;
}

// Plan encoding: little-endian scalars, strings as u32 length + bytes.
class PlanWriter
{
public:
    void bytes(void const* data, std::size_t size)
    {
        auto const* p = static_cast<uint8_t const*>(data);
        mBytes.insert(mBytes.end(), p, p + size);
    }
    void u32(uint32_t value)
    {
        for (int i = 0; i < 4; ++i)
        {
            mBytes.push_back(static_cast<uint8_t>(value >> (8 * i)));
        }
    }
    void u64(uint64_t value)
    {
        for (int i = 0; i < 8; ++i)
        {
            mBytes.push_back(static_cast<uint8_t>(value >> (8 * i)));
        }
    }
    void i32(int32_t value)
    {
        u32(static_cast<uint32_t>(value));
    }
    void str(std::string const& value)
    {
        u32(static_cast<uint32_t>(value.size()));
        bytes(value.data(), value.size());
    }
    void dims(srd_dims const& value)
    {
        i32(value.nb_dims);
        for (int32_t i = 0; i < value.nb_dims; ++i)
        {
            u64(static_cast<uint64_t>(value.d[i]));
        }
    }
    std::vector<uint8_t>& data()
    {
        return mBytes;
    }

private:
    std::vector<uint8_t> mBytes;
};

class PlanReader
{
public:
    PlanReader(uint8_t const* data, std::size_t size, std::size_t offset) : mData(data), mSize(size), mOffset(offset) {}
    void need(std::size_t count)
    {
        if (mOffset + count > mSize)
        {
            fail(SRD_STATUS_RUNTIME_ERROR, "deserializeCudaEngine failed: the plan is truncated");
        }
    }
    uint32_t u32()
    {
        need(4);
        uint32_t value = 0;
        for (int i = 0; i < 4; ++i)
        {
            value |= static_cast<uint32_t>(mData[mOffset++]) << (8 * i);
        }
        return value;
    }
    uint64_t u64()
    {
        need(8);
        uint64_t value = 0;
        for (int i = 0; i < 8; ++i)
        {
            value |= static_cast<uint64_t>(mData[mOffset++]) << (8 * i);
        }
        return value;
    }
    int32_t i32()
    {
        return static_cast<int32_t>(u32());
    }
    std::string str()
    {
        uint32_t const length = u32();
        need(length);
        std::string value(reinterpret_cast<char const*>(mData + mOffset), length);
        mOffset += length;
        return value;
    }
    srd_dims dims()
    {
        srd_dims value{};
        value.nb_dims = i32();
        if (value.nb_dims < 0 || value.nb_dims > SRD_TRT_MAX_DIMS)
        {
            fail(SRD_STATUS_RUNTIME_ERROR, "deserializeCudaEngine failed: corrupt dims in the plan");
        }
        for (int32_t i = 0; i < value.nb_dims; ++i)
        {
            value.d[i] = static_cast<int64_t>(u64());
        }
        return value;
    }

private:
    uint8_t const* mData;
    std::size_t mSize;
    std::size_t mOffset;
};

std::vector<std::string> livePluginPaths();

//! Checks the build like TensorRT would and returns the canonical JSON of everything the build used.
std::string buildInputsJson(srd_network const& network, srd_builder_config const& config)
{
    if (tensorCount(network, SRD_TENSOR_IO_MODE_OUTPUT) == 0)
    {
        fail(SRD_STATUS_BUILD_FAILED, "buildSerializedNetwork returned no plan (TensorRT: Network must have at least "
                                      "one output)");
    }
    bool dynamic = false;
    for (auto const& tensor : network.tensors)
    {
        dynamic = dynamic || (tensor.mode == SRD_TENSOR_IO_MODE_INPUT && isDynamic(tensor.dims));
    }
    if (dynamic && config.profiles.empty())
    {
        fail(SRD_STATUS_BUILD_FAILED, "buildSerializedNetwork returned no plan (TensorRT: Network has dynamic or "
                                      "shape inputs, but no optimization profile has been defined.)");
    }
    std::string profiles = "[";
    for (std::size_t p = 0; p < config.profiles.size(); ++p)
    {
        auto const& profile = config.profiles[p];
        for (auto const& tensor : network.tensors)
        {
            if (tensor.mode != SRD_TENSOR_IO_MODE_INPUT)
            {
                continue;
            }
            auto found = profile.inputs.find(tensor.name);
            if (found == profile.inputs.end())
            {
                fail(SRD_STATUS_BUILD_FAILED,
                    "buildSerializedNetwork returned no plan (TensorRT: optimization profile " + std::to_string(p) +
                        " has no dimensions for input '" + tensor.name + "')");
            }
            if (found->second.min.nb_dims != tensor.dims.nb_dims)
            {
                fail(SRD_STATUS_BUILD_FAILED,
                    "buildSerializedNetwork returned no plan (TensorRT: optimization profile " + std::to_string(p) +
                        " gives input '" + tensor.name + "' rank " + std::to_string(found->second.min.nb_dims) +
                        ", the network has rank " + std::to_string(tensor.dims.nb_dims) + ")");
            }
            for (int32_t i = 0; i < tensor.dims.nb_dims; ++i)
            {
                int64_t const fixed = tensor.dims.d[i];
                if (fixed >= 0 && (found->second.min.d[i] != fixed || found->second.opt.d[i] != fixed ||
                                      found->second.max.d[i] != fixed))
                {
                    fail(SRD_STATUS_BUILD_FAILED,
                        "buildSerializedNetwork returned no plan (TensorRT: optimization profile " + std::to_string(p) +
                            " sets static dimension " + std::to_string(i) + " of input '" + tensor.name +
                            "', which is " + std::to_string(fixed) + ")");
                }
            }
        }
        std::string inputs = "{";
        bool first = true;
        for (auto const& entry : profile.inputs)
        {
            JsonObject dims;
            dims.dims("min", &entry.second.min).dims("opt", &entry.second.opt).dims("max", &entry.second.max);
            inputs += (first ? "" : ",") + srd_double::jsonString(entry.first) + ":" + dims.text();
            first = false;
        }
        inputs += "}";
        std::string shapeValues = "{";
        first = true;
        for (auto const& entry : profile.shapeValues)
        {
            std::string selectors = "{";
            bool firstSelector = true;
            for (auto const& selector : entry.second)
            {
                std::string values = "[";
                for (std::size_t i = 0; i < selector.second.size(); ++i)
                {
                    values += (i == 0 ? "" : ",") + std::to_string(selector.second[i]);
                }
                values += "]";
                selectors +=
                    std::string(firstSelector ? "" : ",") + "\"" + std::to_string(selector.first) + "\":" + values;
                firstSelector = false;
            }
            shapeValues += (first ? "" : ",") + srd_double::jsonString(entry.first) + ":" + selectors + "}";
            first = false;
        }
        shapeValues += "}";
        JsonObject profileJson;
        profileJson.raw("inputs", inputs).raw("shape_values", shapeValues);
        profiles += (p == 0 ? "" : ",") + profileJson.text();
    }
    profiles += "]";

    JsonObject flags;
    for (auto const& entry : config.flags)
    {
        flags.raw(builderFlagName(entry.first).c_str(), entry.second ? "true" : "false");
    }
    JsonObject pools;
    for (auto const& entry : config.poolLimits)
    {
        pools.unum(kMEMORY_POOL_NAMES[entry.first], entry.second);
    }
    std::string plugins = "[";
    for (std::size_t i = 0; i < config.pluginsToSerialize.size(); ++i)
    {
        plugins += (i == 0 ? "" : ",") + srd_double::jsonString(config.pluginsToSerialize[i]);
    }
    plugins += "]";
    std::string loaded = "[";
    auto const loadedPaths = livePluginPaths();
    for (std::size_t i = 0; i < loadedPaths.size(); ++i)
    {
        loaded += (i == 0 ? "" : ",") + srd_double::jsonString(loadedPaths[i]);
    }
    loaded += "]";
    if (network.stronglyTyped &&
        (config.flags.count(SRD_BUILDER_FLAG_FP16) != 0 && config.flags.at(SRD_BUILDER_FLAG_FP16)))
    {
        state().log(SRD_LOG_SEVERITY_WARNING, "precision flags are ignored for strongly typed networks");
    }

    JsonObject networkJson;
    networkJson.raw("strongly_typed", network.stronglyTyped ? "true" : "false").raw("source", network.sourceJson);
    JsonObject root;
    root.num("tensorrt_version", state().version)
        .raw("network", networkJson.text())
        .raw("flags", flags.text())
        .raw("memory_pool_limits", pools.text())
        .num("optimization_level", config.optimizationLevel)
        .num("hardware_compatibility", config.hardwareCompatibility)
        .num("profiling_verbosity", config.profilingVerbosity)
        .num("max_aux_streams", config.maxAuxStreams)
        .raw("plugins_to_serialize", plugins)
        .raw("plugin_libraries_loaded", loaded)
        .num("timing_cache_entries", static_cast<int64_t>(config.timingCacheEntries.size()))
        .raw("profiles", profiles);
    return root.text();
}

std::vector<uint8_t> encodePlan(
    srd_network const& network, srd_builder_config const& config, std::string const& inputs, uint64_t digest)
{
    PlanWriter writer;
    // Header as read by trtexec --getPlanVersionOnly: tag, serialization version 0, bytes 24..27 = version.
    writer.u32(kPLAN_TAG);
    writer.u32(0);
    writer.u64(0);
    writer.bytes("SRDDBL\0\0", 8);
    int32_t const version = state().version;
    uint8_t const versionBytes[4] = {static_cast<uint8_t>(version / 10000), static_cast<uint8_t>((version / 100) % 100),
        static_cast<uint8_t>(version % 100), static_cast<uint8_t>(state().build)};
    writer.bytes(versionBytes, 4);
    writer.u32(0);
    // Engine description.
    writer.u32(static_cast<uint32_t>(network.tensors.size()));
    for (auto const& tensor : network.tensors)
    {
        writer.str(tensor.name);
        writer.i32(tensor.mode);
        writer.i32(tensor.type);
        writer.dims(tensor.dims);
    }
    writer.u32(static_cast<uint32_t>(config.profiles.size()));
    for (auto const& profile : config.profiles)
    {
        writer.u32(static_cast<uint32_t>(profile.inputs.size()));
        for (auto const& entry : profile.inputs)
        {
            writer.str(entry.first);
            writer.dims(entry.second.min);
            writer.dims(entry.second.opt);
            writer.dims(entry.second.max);
        }
    }
    // Trailer, read from the end: inputs JSON, its length, its digest, magic.
    writer.bytes(inputs.data(), inputs.size());
    writer.u32(static_cast<uint32_t>(inputs.size()));
    writer.u64(digest);
    writer.bytes(kPLAN_TRAILER_MAGIC, sizeof(kPLAN_TRAILER_MAGIC));
    return std::move(writer.data());
}

void decodePlan(uint8_t const* data, std::size_t size, srd_engine& engine)
{
    if (size < 52)
    {
        fail(SRD_STATUS_RUNTIME_ERROR, "deserializeCudaEngine failed (TensorRT: the plan is truncated)");
    }
    PlanReader header(data, size, 0);
    if (header.u32() != kPLAN_TAG || header.u32() != 0 || std::memcmp(data + 16, "SRDDBL", 6) != 0)
    {
        fail(SRD_STATUS_RUNTIME_ERROR, "deserializeCudaEngine failed (TensorRT: not a plan built by the test double)");
    }
    int32_t const planMajor = data[24];
    int32_t const planMinor = data[25];
    if (planMajor != state().major() || planMinor != (state().version / 100) % 100)
    {
        fail(SRD_STATUS_RUNTIME_ERROR, "deserializeCudaEngine failed (TensorRT: the plan was built by TensorRT " +
                                           std::to_string(planMajor) + "." + std::to_string(planMinor) + ", this is " +
                                           std::to_string(state().major()) + "." +
                                           std::to_string((state().version / 100) % 100) + ")");
    }
    PlanReader reader(data, size, 32);
    uint32_t const tensors = reader.u32();
    for (uint32_t i = 0; i < tensors; ++i)
    {
        srd_double::TensorDesc tensor;
        tensor.name = reader.str();
        tensor.mode = static_cast<srd_tensor_io_mode>(reader.i32());
        tensor.type = static_cast<srd_data_type>(reader.i32());
        tensor.dims = reader.dims();
        engine.tensors.push_back(tensor);
    }
    uint32_t const profiles = reader.u32();
    for (uint32_t p = 0; p < profiles; ++p)
    {
        std::map<std::string, srd_double::ProfileDims> inputs;
        uint32_t const count = reader.u32();
        for (uint32_t i = 0; i < count; ++i)
        {
            std::string const name = reader.str();
            srd_double::ProfileDims dims;
            dims.min = reader.dims();
            dims.opt = reader.dims();
            dims.max = reader.dims();
            inputs[name] = dims;
        }
        engine.profiles.push_back(inputs);
    }
    PlanReader trailer(data, size, size - 20);
    trailer.need(20);
    uint32_t const jsonLength = trailer.u32();
    engine.digest = trailer.u64();
    if (jsonLength + 20U > size)
    {
        fail(SRD_STATUS_RUNTIME_ERROR, "deserializeCudaEngine failed: corrupt plan trailer");
    }
    engine.buildInputsJson.assign(reinterpret_cast<char const*>(data + size - 20 - jsonLength), jsonLength);
}

srd_double::TensorDesc const& engineTensor(srd_engine const& engine, std::string const& name)
{
    for (auto const& tensor : engine.tensors)
    {
        if (tensor.name == name)
        {
            return tensor;
        }
    }
    fail(SRD_STATUS_NOT_FOUND, "the engine has no I/O tensor named '" + name + "'");
}

//! The context's view of a tensor's shape: inputs as set (else the engine's), outputs follow the first input.
srd_dims contextShape(srd_execution_context const& context, srd_double::TensorDesc const& tensor)
{
    if (tensor.mode == SRD_TENSOR_IO_MODE_INPUT)
    {
        auto found = context.inputShapes.find(tensor.name);
        return found != context.inputShapes.end() ? found->second : tensor.dims;
    }
    for (auto const& other : context.engine->tensors)
    {
        if (other.mode == SRD_TENSOR_IO_MODE_INPUT)
        {
            auto found = context.inputShapes.find(other.name);
            return found != context.inputShapes.end() ? found->second : tensor.dims;
        }
    }
    return tensor.dims;
}

std::string dimsText(srd_dims const& dims)
{
    return srd_double::jsonDims(dims);
}

} // namespace

// Handles of live plugin libraries are tracked separately so builds can record what was loaded.
namespace
{
std::vector<srd_plugin_library*>& livePlugins()
{
    static std::vector<srd_plugin_library*>* sLive = new std::vector<srd_plugin_library*>();
    return *sLive;
}

std::vector<std::string> livePluginPaths()
{
    std::vector<std::string> paths;
    for (auto const* library : livePlugins())
    {
        paths.push_back(library->path);
    }
    return paths;
}
} // namespace

// ------------------------------------------------------------------------------------------------ library, errors

SRD_TRT_API srd_status srd_abi_get_version(int32_t* out_version)
{
    return run(__func__, noArgs,
        [&]
        {
            srd::require(out_version, "out_version") = SRD_TRT_ABI_VERSION;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_library_load(void)
{
    return run(__func__, noArgs,
        [&]
        {
            state().requireTensorRt();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_library_get_info(srd_library_info* out_info)
{
    return run(__func__, noArgs,
        [&]
        {
            srd::require(out_info, "out_info");
            srd_library_info info{};
            bool const present = !state().libraryMissing;
            info.abi_version = SRD_TRT_ABI_VERSION;
            info.header_tensorrt_version = state().version;
            info.header_tensorrt_build = state().build;
            info.runtime_tensorrt_version = present ? state().version : 0;
            info.onnx_parser_version = present ? state().version : 0;
            info.cuda_runtime_version = present ? 12080 : 0;
            info.cuda_driver_version = present ? 12080 : 0;
            info.tensorrt_loaded = present ? 1 : 0;
            info.onnx_parser_loaded = present ? 1 : 0;
            info.cuda_runtime_loaded = present ? 1 : 0;
            info.is_test_double = 1;
            *out_info = info;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_library_get_load_trace(char* buffer, uint64_t buffer_size, uint64_t* out_required)
{
    return run(__func__, noArgs,
        [&]
        {
            std::string const trace =
                state().libraryMissing
                    ? "libnvinfer (test double): simulated as missing\n"
                    : "libnvinfer (test double): nothing loaded, libsrd_trt_test_double.so answers every call\n";
            return srd::copyString(trace, buffer, buffer_size, out_required);
        });
}

SRD_TRT_API srd_status srd_error_get_last_message(char* buffer, uint64_t buffer_size, uint64_t* out_required)
{
    // Not recorded and not through guarded(): reading the message must not change it.
    try
    {
        return srd::copyLastErrorMessage(buffer, buffer_size, out_required);
    }
    catch (...)
    {
        return SRD_STATUS_INTERNAL;
    }
}

// ------------------------------------------------------------------------------------------------ logging

SRD_TRT_API srd_status srd_logger_create(
    srd_log_callback callback, void* user, srd_log_severity min_severity, srd_logger** out_logger)
{
    return run(
        __func__, [&](JsonObject& a) { a.num("min_severity", min_severity); },
        [&]
        {
            srd::require(out_logger, "out_logger");
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
            *out_logger = state().adopt(std::move(logger), __func__);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_logger_destroy(srd_logger* logger)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("logger", logger); },
        [&]
        {
            if (logger != nullptr)
            {
                state().destroy(logger, "logger");
                srd::LogSinks::instance().remove(logger->sink.get());
            }
            return SRD_STATUS_OK;
        });
}

// ------------------------------------------------------------------------------------------------ CUDA

SRD_TRT_API srd_status srd_cuda_get_device_count(int32_t* out_count)
{
    return run(__func__, noArgs,
        [&]
        {
            srd::require(out_count, "out_count");
            state().requireTensorRt();
            *out_count = 1;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_cuda_get_device_info(int32_t device, srd_device_info* out_info)
{
    return run(
        __func__, [&](JsonObject& a) { a.num("device", device); },
        [&]
        {
            srd::require(out_info, "out_info");
            state().requireTensorRt();
            if (device != 0)
            {
                fail(SRD_STATUS_NOT_FOUND, "CUDA device " + std::to_string(device) + " does not exist (1 devices)");
            }
            // A made-up Jetson-Orin-like device: SM 8.7, integrated.
            srd_device_info info{};
            info.device = 0;
            info.compute_capability_major = 8;
            info.compute_capability_minor = 7;
            info.multiprocessor_count = 16;
            info.integrated = 1;
            info.total_memory_bytes = 64ULL << 30;
            info.free_memory_bytes = 60ULL << 30;
            *out_info = info;
            return SRD_STATUS_OK;
        });
}

// ------------------------------------------------------------------------------------------------ plugin libraries

SRD_TRT_API srd_status srd_plugin_library_load(char const* path, srd_plugin_library** out_library)
{
    return run(
        __func__, [&](JsonObject& a) { a.str("path", path); },
        [&]
        {
            std::string const pluginPath(srd::requireString(path, "path"));
            srd::require(out_library, "out_library");
            if (!fileExists(pluginPath))
            {
                fail(SRD_STATUS_NOT_FOUND, "plugin library not found: " + pluginPath);
            }
            state().requireTensorRt();
            auto library = std::make_unique<srd_plugin_library>();
            library->path = pluginPath;
            srd_plugin_library* handle = state().adopt(std::move(library), __func__);
            livePlugins().push_back(handle);
            state().log(SRD_LOG_SEVERITY_INFO, "registered plugin library " + pluginPath);
            *out_library = handle;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_plugin_library_destroy(srd_plugin_library* library)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("library", library); },
        [&]
        {
            state().destroy(library, "library");
            auto& live = livePlugins();
            for (auto it = live.begin(); it != live.end(); ++it)
            {
                if (*it == library)
                {
                    live.erase(it);
                    break;
                }
            }
            return SRD_STATUS_OK;
        });
}

// ------------------------------------------------------------------------------------------------ builder

SRD_TRT_API srd_status srd_builder_create(srd_builder** out_builder)
{
    return run(__func__, noArgs,
        [&]
        {
            srd::require(out_builder, "out_builder");
            state().requireTensorRt();
            *out_builder = state().adopt(std::make_unique<srd_builder>(), __func__);
            state().log(SRD_LOG_SEVERITY_VERBOSE, "builder created");
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_destroy(srd_builder* builder)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("builder", builder); },
        [&]
        {
            state().destroy(builder, "builder");
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_get_platform_info(srd_builder* builder, srd_builder_platform_info* out_info)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("builder", builder); },
        [&]
        {
            state().use(builder, "builder");
            srd::require(out_info, "out_info");
            srd_builder_platform_info info{};
            info.has_fast_fp16 = state().major() >= 11 ? -1 : 1;
            info.has_tf32 = state().major() >= 11 ? -1 : 0;
            info.nb_dla_cores = 0;
            info.max_threads = 2;
            *out_info = info;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_build(
    srd_builder* builder, srd_network* network, srd_builder_config* config, srd_host_memory** out_plan)
{
    return run(
        __func__,
        [&](JsonObject& a) { a.handle("builder", builder).handle("network", network).handle("config", config); },
        [&]
        {
            state().use(builder, "builder");
            auto& net = state().use(network, "network");
            auto& cfg = state().use(config, "config");
            srd::require(out_plan, "out_plan");
            if (net.builder != builder)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "network was created by another builder");
            }
            if (cfg.builder != builder)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "config was created by another builder");
            }
            std::string const inputs = buildInputsJson(net, cfg);
            uint64_t const digest = srd_double::fnv1a64(inputs.data(), inputs.size());
            // What the build "measured" goes into the timing cache, as TensorRT's does.
            cfg.hasTimingCache = true;
            cfg.timingCacheEntries.insert("tactic:" + srd_double::hex64(digest));
            auto plan = std::make_unique<srd_host_memory>();
            plan->bytes = encodePlan(net, cfg, inputs, digest);
            state().log(SRD_LOG_SEVERITY_INFO, "built plan of " + std::to_string(plan->bytes.size()) +
                                                   " bytes, inputs digest " + srd_double::hex64(digest));
            *out_plan = state().adopt(std::move(plan), __func__);
            return SRD_STATUS_OK;
        });
}

// ------------------------------------------------------------------------------------------------ network

SRD_TRT_API srd_status srd_network_create(srd_builder* builder, int32_t strongly_typed, srd_network** out_network)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("builder", builder).num("strongly_typed", strongly_typed); },
        [&]
        {
            state().use(builder, "builder");
            srd::require(out_network, "out_network");
            auto network = std::make_unique<srd_network>();
            network->builder = builder;
            network->stronglyTyped = state().major() >= 11 || strongly_typed != 0;
            if (state().major() >= 11 && strongly_typed == 0)
            {
                state().log(SRD_LOG_SEVERITY_INFO, "TensorRT 11 networks are always strongly typed");
            }
            *out_network = state().adopt(std::move(network), __func__);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_network_destroy(srd_network* network)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("network", network); },
        [&]
        {
            state().destroy(network, "network");
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_network_get_strongly_typed(srd_network* network, int32_t* out_strongly_typed)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("network", network); },
        [&]
        {
            auto& net = state().use(network, "network");
            srd::require(out_strongly_typed, "out_strongly_typed") = net.stronglyTyped ? 1 : 0;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_network_get_nb_layers(srd_network* network, int32_t* out_count)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("network", network); },
        [&]
        {
            auto& net = state().use(network, "network");
            srd::require(out_count, "out_count") = net.layers;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_network_get_nb_tensors(srd_network* network, srd_tensor_io_mode mode, int32_t* out_count)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("network", network).num("mode", mode); },
        [&]
        {
            auto& net = state().use(network, "network");
            srd::require(out_count, "out_count");
            *out_count = tensorCount(net, mode);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_network_get_tensor_name(srd_network* network, srd_tensor_io_mode mode, int32_t index,
    char* buffer, uint64_t buffer_size, uint64_t* out_required)
{
    return run(
        __func__,
        [&](JsonObject& a)
        { a.handle("network", network).num("mode", mode).num("index", index).unum("buffer_size", buffer_size); },
        [&]
        {
            auto& net = state().use(network, "network");
            return srd::copyString(networkTensor(net, mode, index).name, buffer, buffer_size, out_required);
        });
}

SRD_TRT_API srd_status srd_network_get_tensor_info(
    srd_network* network, srd_tensor_io_mode mode, int32_t index, srd_tensor_info* out_info)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("network", network).num("mode", mode).num("index", index); },
        [&]
        {
            auto& net = state().use(network, "network");
            auto const& tensor = networkTensor(net, mode, index);
            srd::require(out_info, "out_info");
            srd_tensor_info info{};
            info.io_mode = tensor.mode;
            info.data_type = tensor.type;
            info.shape = tensor.dims;
            *out_info = info;
            return SRD_STATUS_OK;
        });
}

// ------------------------------------------------------------------------------------------------ ONNX parser

SRD_TRT_API srd_status srd_onnx_parser_create(srd_network* network, srd_onnx_parser** out_parser)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("network", network); },
        [&]
        {
            state().use(network, "network");
            srd::require(out_parser, "out_parser");
            state().requireTensorRt();
            auto parser = std::make_unique<srd_onnx_parser>();
            parser->network = network;
            *out_parser = state().adopt(std::move(parser), __func__);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_onnx_parser_destroy(srd_onnx_parser* parser)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("parser", parser); },
        [&]
        {
            state().destroy(parser, "parser");
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_onnx_parser_set_flag(srd_onnx_parser* parser, srd_onnx_parser_flag flag, int32_t enabled)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("parser", parser).num("flag", flag).num("enabled", enabled); },
        [&]
        {
            auto& p = state().use(parser, "parser");
            checkParserFlag(flag);
            (flag == SRD_ONNX_PARSER_FLAG_NATIVE_INSTANCENORM ? p.nativeInstanceNorm : p.pluginOverride) = enabled != 0;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_onnx_parser_get_flag(
    srd_onnx_parser* parser, srd_onnx_parser_flag flag, int32_t* out_enabled)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("parser", parser).num("flag", flag); },
        [&]
        {
            auto& p = state().use(parser, "parser");
            checkParserFlag(flag);
            bool const value =
                flag == SRD_ONNX_PARSER_FLAG_NATIVE_INSTANCENORM ? p.nativeInstanceNorm : p.pluginOverride;
            srd::require(out_enabled, "out_enabled") = value ? 1 : 0;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_onnx_parser_parse_file(srd_onnx_parser* parser, char const* path, srd_log_severity verbosity)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("parser", parser).str("path", path).num("verbosity", verbosity); },
        [&]
        {
            auto& p = state().use(parser, "parser");
            std::string const modelPath(srd::requireString(path, "path"));
            if (!fileExists(modelPath))
            {
                fail(SRD_STATUS_NOT_FOUND, "ONNX file not found: " + modelPath);
            }
            JsonObject source;
            source.str("kind", std::string("file")).str("path", modelPath);
            finishParse(p, source.text(), modelPath);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_onnx_parser_parse_bytes(
    srd_onnx_parser* parser, void const* data, uint64_t size, char const* model_path)
{
    return run(
        __func__,
        [&](JsonObject& a)
        {
            a.handle("parser", parser).unum("size", size).str("model_path", model_path);
            if (data != nullptr)
            {
                a.str("fnv1a64", srd_double::hex64(srd_double::fnv1a64(data, static_cast<std::size_t>(size))));
            }
        },
        [&]
        {
            auto& p = state().use(parser, "parser");
            srd::require(data, "data");
            if (size == 0)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "size is 0");
            }
            JsonObject source;
            source.str("kind", std::string("bytes"))
                .unum("size", size)
                .str("fnv1a64", srd_double::hex64(srd_double::fnv1a64(data, static_cast<std::size_t>(size))))
                .str("model_path", model_path);
            finishParse(p, source.text(), std::to_string(size) + " bytes of ONNX");
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_onnx_parser_get_nb_errors(srd_onnx_parser* parser, int32_t* out_count)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("parser", parser); },
        [&]
        {
            auto& p = state().use(parser, "parser");
            srd::require(out_count, "out_count") = static_cast<int32_t>(p.errors.size());
            return SRD_STATUS_OK;
        });
}

namespace
{
srd_double::ParserErrorSpec const& parserError(srd_onnx_parser& parser, int32_t index)
{
    auto const count = static_cast<int32_t>(parser.errors.size());
    if (index < 0 || index >= count)
    {
        fail(SRD_STATUS_INVALID_ARGUMENT,
            "parser error index " + std::to_string(index) + " out of range (" + std::to_string(count) + " errors)");
    }
    return parser.errors[static_cast<std::size_t>(index)];
}
} // namespace

SRD_TRT_API srd_status srd_onnx_parser_get_error(srd_onnx_parser* parser, int32_t index, srd_parser_error* out_error)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("parser", parser).num("index", index); },
        [&]
        {
            auto const& error = parserError(state().use(parser, "parser"), index);
            srd::require(out_error, "out_error");
            srd_parser_error result{};
            result.code = error.code;
            result.node_index = error.nodeIndex;
            result.line = 0;
            *out_error = result;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_onnx_parser_get_error_string(srd_onnx_parser* parser, int32_t index,
    srd_parser_error_field field, char* buffer, uint64_t buffer_size, uint64_t* out_required)
{
    return run(
        __func__,
        [&](JsonObject& a)
        { a.handle("parser", parser).num("index", index).num("field", field).unum("buffer_size", buffer_size); },
        [&]
        {
            auto const& error = parserError(state().use(parser, "parser"), index);
            std::string value;
            switch (field)
            {
            case SRD_PARSER_ERROR_FIELD_DESCRIPTION:
                value = error.description;
                break;
            case SRD_PARSER_ERROR_FIELD_NODE_NAME:
                value = error.nodeName;
                break;
            case SRD_PARSER_ERROR_FIELD_NODE_OPERATOR:
                value = error.nodeOperator;
                break;
            case SRD_PARSER_ERROR_FIELD_FILE:
                value = "srd_trt_double.cpp";
                break;
            case SRD_PARSER_ERROR_FIELD_FUNCTION:
                value = "finishParse";
                break;
            default:
                fail(SRD_STATUS_INVALID_ARGUMENT, "unknown parser error field " + std::to_string(field));
            }
            return srd::copyString(value, buffer, buffer_size, out_required);
        });
}

// ------------------------------------------------------------------------------------------------ builder config

SRD_TRT_API srd_status srd_builder_config_create(srd_builder* builder, srd_builder_config** out_config)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("builder", builder); },
        [&]
        {
            state().use(builder, "builder");
            srd::require(out_config, "out_config");
            auto config = std::make_unique<srd_builder_config>();
            config->builder = builder;
            *out_config = state().adopt(std::move(config), __func__);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_destroy(srd_builder_config* config)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("config", config); },
        [&]
        {
            state().destroy(config, "config");
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_set_flag(srd_builder_config* config, srd_builder_flag flag, int32_t enabled)
{
    return run(
        __func__,
        [&](JsonObject& a) { a.handle("config", config).str("flag", builderFlagName(flag)).num("enabled", enabled); },
        [&]
        {
            auto& cfg = state().use(config, "config");
            checkBuilderFlag(flag);
            cfg.flags[flag] = enabled != 0;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_get_flag(
    srd_builder_config* config, srd_builder_flag flag, int32_t* out_enabled)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("config", config).str("flag", builderFlagName(flag)); },
        [&]
        {
            auto& cfg = state().use(config, "config");
            checkBuilderFlag(flag);
            auto found = cfg.flags.find(flag);
            srd::require(out_enabled, "out_enabled") = found != cfg.flags.end() && found->second ? 1 : 0;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_set_memory_pool_limit(
    srd_builder_config* config, srd_memory_pool pool, uint64_t limit_bytes)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("config", config).num("pool", pool).unum("limit_bytes", limit_bytes); },
        [&]
        {
            auto& cfg = state().use(config, "config");
            checkMemoryPool(pool);
            cfg.poolLimits[pool] = limit_bytes;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_get_memory_pool_limit(
    srd_builder_config* config, srd_memory_pool pool, uint64_t* out_limit_bytes)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("config", config).num("pool", pool); },
        [&]
        {
            auto& cfg = state().use(config, "config");
            checkMemoryPool(pool);
            auto found = cfg.poolLimits.find(pool);
            // Unset pools report the device memory of the simulated device, like TensorRT's default.
            srd::require(out_limit_bytes, "out_limit_bytes") =
                found != cfg.poolLimits.end() ? found->second : 64ULL << 30;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_set_optimization_level(srd_builder_config* config, int32_t level)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("config", config).num("level", level); },
        [&]
        {
            auto& cfg = state().use(config, "config");
            if (level < 0 || level > 5)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT,
                    "builder optimization level " + std::to_string(level) + " not in 0..5");
            }
            cfg.optimizationLevel = level;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_set_hardware_compatibility(
    srd_builder_config* config, srd_hardware_compatibility level)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("config", config).num("level", level); },
        [&]
        {
            auto& cfg = state().use(config, "config");
            if (level == SRD_HARDWARE_COMPATIBILITY_SAME_COMPUTE_CAPABILITY && !state().atLeast(10, 9))
            {
                fail(SRD_STATUS_UNSUPPORTED,
                    "hardware compatibility kSAME_COMPUTE_CAPABILITY needs TensorRT 10.9 or newer");
            }
            if (level < SRD_HARDWARE_COMPATIBILITY_NONE || level > SRD_HARDWARE_COMPATIBILITY_SAME_COMPUTE_CAPABILITY)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "unknown hardware compatibility level " + std::to_string(level));
            }
            cfg.hardwareCompatibility = level;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_set_profiling_verbosity(
    srd_builder_config* config, srd_profiling_verbosity verbosity)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("config", config).num("verbosity", verbosity); },
        [&]
        {
            auto& cfg = state().use(config, "config");
            if (verbosity < SRD_PROFILING_VERBOSITY_LAYER_NAMES_ONLY || verbosity > SRD_PROFILING_VERBOSITY_DETAILED)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "unknown profiling verbosity " + std::to_string(verbosity));
            }
            cfg.profilingVerbosity = verbosity;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_set_max_aux_streams(srd_builder_config* config, int32_t count)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("config", config).num("count", count); },
        [&]
        {
            auto& cfg = state().use(config, "config");
            if (count < 0)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "max aux streams " + std::to_string(count) + " is negative");
            }
            cfg.maxAuxStreams = count;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_set_plugins_to_serialize(
    srd_builder_config* config, char const* const* paths, int32_t count)
{
    return run(
        __func__,
        [&](JsonObject& a)
        {
            a.handle("config", config).num("count", count);
            std::string list = "[";
            for (int32_t i = 0; paths != nullptr && i < count && i < 64; ++i)
            {
                list += (i == 0 ? "" : ",") +
                        (paths[i] == nullptr ? std::string("null") : srd_double::jsonString(paths[i]));
            }
            a.raw("paths", list + "]");
        },
        [&]
        {
            auto& cfg = state().use(config, "config");
            if (count < 0 || (count > 0 && paths == nullptr))
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "paths is NULL or count is negative");
            }
            std::vector<std::string> copies;
            for (int32_t i = 0; i < count; ++i)
            {
                copies.emplace_back(srd::requireString(paths[i], "paths[i]"));
            }
            cfg.pluginsToSerialize = std::move(copies);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_load_timing_cache(
    srd_builder_config* config, void const* data, uint64_t size, int32_t ignore_mismatch)
{
    return run(
        __func__,
        [&](JsonObject& a)
        {
            a.handle("config", config).unum("size", size).num("ignore_mismatch", ignore_mismatch);
            if (data != nullptr)
            {
                a.str("fnv1a64", srd_double::hex64(srd_double::fnv1a64(data, static_cast<std::size_t>(size))));
            }
        },
        [&]
        {
            auto& cfg = state().use(config, "config");
            if (size > 0)
            {
                srd::require(data, "data");
            }
            cfg.timingCacheEntries = parseTimingCache(data, size);
            cfg.hasTimingCache = true;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_combine_timing_cache(
    srd_builder_config* config, void const* data, uint64_t size, int32_t ignore_mismatch)
{
    return run(
        __func__,
        [&](JsonObject& a)
        {
            a.handle("config", config).unum("size", size).num("ignore_mismatch", ignore_mismatch);
            if (data != nullptr)
            {
                a.str("fnv1a64", srd_double::hex64(srd_double::fnv1a64(data, static_cast<std::size_t>(size))));
            }
        },
        [&]
        {
            auto& cfg = state().use(config, "config");
            srd::require(data, "data");
            auto const entries = parseTimingCache(data, size);
            cfg.timingCacheEntries.insert(entries.begin(), entries.end());
            cfg.hasTimingCache = true;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_serialize_timing_cache(
    srd_builder_config* config, srd_host_memory** out_cache)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("config", config); },
        [&]
        {
            auto& cfg = state().use(config, "config");
            srd::require(out_cache, "out_cache");
            auto memory = std::make_unique<srd_host_memory>();
            memory->bytes = timingCacheBytes(cfg.timingCacheEntries);
            *out_cache = state().adopt(std::move(memory), __func__);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_builder_config_add_optimization_profile(
    srd_builder_config* config, srd_optimization_profile* profile, int32_t* out_index)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("config", config).handle("profile", profile); },
        [&]
        {
            auto& cfg = state().use(config, "config");
            auto& prof = state().use(profile, "profile");
            srd::require(out_index, "out_index");
            if (prof.builder != cfg.builder)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "profile was created by another builder");
            }
            if (prof.data.inputs.empty())
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "addOptimizationProfile rejected the profile (every dynamic input "
                                                  "needs min <= opt <= max) (TensorRT: the profile sets no input)");
            }
            // TensorRT copies the profile when it is added; later changes to the handle do not affect this one.
            cfg.profiles.push_back(prof.data);
            *out_index = static_cast<int32_t>(cfg.profiles.size() - 1);
            return SRD_STATUS_OK;
        });
}

// ------------------------------------------------------------------------------------------------ profiles

SRD_TRT_API srd_status srd_optimization_profile_create(srd_builder* builder, srd_optimization_profile** out_profile)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("builder", builder); },
        [&]
        {
            state().use(builder, "builder");
            srd::require(out_profile, "out_profile");
            auto profile = std::make_unique<srd_optimization_profile>();
            profile->builder = builder;
            *out_profile = state().adopt(std::move(profile), __func__);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_optimization_profile_destroy(srd_optimization_profile* profile)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("profile", profile); },
        [&]
        {
            state().destroy(profile, "profile");
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_optimization_profile_set_dimensions(srd_optimization_profile* profile,
    char const* input_name, srd_dims const* min, srd_dims const* opt, srd_dims const* max)
{
    return run(
        __func__,
        [&](JsonObject& a) {
            a.handle("profile", profile)
                .str("input_name", input_name)
                .dims("min", min)
                .dims("opt", opt)
                .dims("max", max);
        },
        [&]
        {
            auto& prof = state().use(profile, "profile");
            std::string const name(srd::requireString(input_name, "input_name"));
            srd_double::ProfileDims dims;
            dims.min = checkedDims(min, "min");
            dims.opt = checkedDims(opt, "opt");
            dims.max = checkedDims(max, "max");
            if (dims.min.nb_dims != dims.opt.nb_dims || dims.opt.nb_dims != dims.max.nb_dims)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "input '" + name + "': min, opt and max have different ranks");
            }
            for (int32_t i = 0; i < dims.min.nb_dims; ++i)
            {
                if (dims.min.d[i] < 0 || !(dims.min.d[i] <= dims.opt.d[i] && dims.opt.d[i] <= dims.max.d[i]))
                {
                    fail(SRD_STATUS_INVALID_ARGUMENT,
                        "input '" + name + "': need 0 <= min <= opt <= max in every dimension, got min " +
                            dimsText(dims.min) + " opt " + dimsText(dims.opt) + " max " + dimsText(dims.max));
                }
            }
            prof.data.inputs[name] = dims;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_optimization_profile_get_dimensions(
    srd_optimization_profile* profile, char const* input_name, srd_profile_selector selector, srd_dims* out_dims)
{
    return run(
        __func__,
        [&](JsonObject& a) { a.handle("profile", profile).str("input_name", input_name).num("selector", selector); },
        [&]
        {
            auto& prof = state().use(profile, "profile");
            std::string const name(srd::requireString(input_name, "input_name"));
            srd::require(out_dims, "out_dims");
            auto found = prof.data.inputs.find(name);
            if (found == prof.data.inputs.end())
            {
                fail(SRD_STATUS_NOT_FOUND, "no dimensions set for input '" + name + "'");
            }
            switch (selector)
            {
            case SRD_PROFILE_SELECTOR_MIN:
                *out_dims = found->second.min;
                break;
            case SRD_PROFILE_SELECTOR_OPT:
                *out_dims = found->second.opt;
                break;
            case SRD_PROFILE_SELECTOR_MAX:
                *out_dims = found->second.max;
                break;
            default:
                fail(SRD_STATUS_INVALID_ARGUMENT, "unknown profile selector " + std::to_string(selector));
            }
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_optimization_profile_set_shape_values(srd_optimization_profile* profile,
    char const* input_name, srd_profile_selector selector, int64_t const* values, int32_t count)
{
    return run(
        __func__,
        [&](JsonObject& a)
        { a.handle("profile", profile).str("input_name", input_name).num("selector", selector).num("count", count); },
        [&]
        {
            auto& prof = state().use(profile, "profile");
            std::string const name(srd::requireString(input_name, "input_name"));
            if (count < 0 || (count > 0 && values == nullptr))
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "values is NULL or count is negative");
            }
            if (selector < SRD_PROFILE_SELECTOR_MIN || selector > SRD_PROFILE_SELECTOR_MAX)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "unknown profile selector " + std::to_string(selector));
            }
            prof.data.shapeValues[name][selector] = std::vector<int64_t>(values, values + count);
            return SRD_STATUS_OK;
        });
}

// ------------------------------------------------------------------------------------------------ host memory

SRD_TRT_API srd_status srd_host_memory_get_data(srd_host_memory* memory, void const** out_data, uint64_t* out_size)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("memory", memory); },
        [&]
        {
            auto& mem = state().use(memory, "memory");
            srd::require(out_data, "out_data");
            srd::require(out_size, "out_size");
            *out_data = mem.bytes.data();
            *out_size = mem.bytes.size();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_host_memory_destroy(srd_host_memory* memory)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("memory", memory); },
        [&]
        {
            state().destroy(memory, "memory");
            return SRD_STATUS_OK;
        });
}

// ------------------------------------------------------------------------------------------------ runtime, engine

SRD_TRT_API srd_status srd_runtime_create(srd_runtime** out_runtime)
{
    return run(__func__, noArgs,
        [&]
        {
            srd::require(out_runtime, "out_runtime");
            state().requireTensorRt();
            *out_runtime = state().adopt(std::make_unique<srd_runtime>(), __func__);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_runtime_destroy(srd_runtime* runtime)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("runtime", runtime); },
        [&]
        {
            state().destroy(runtime, "runtime");
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_runtime_set_engine_host_code_allowed(srd_runtime* runtime, int32_t allowed)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("runtime", runtime).num("allowed", allowed); },
        [&]
        {
            state().use(runtime, "runtime").engineHostCodeAllowed = allowed != 0;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_runtime_deserialize(
    srd_runtime* runtime, void const* plan, uint64_t size, srd_engine** out_engine)
{
    return run(
        __func__,
        [&](JsonObject& a)
        {
            a.handle("runtime", runtime).unum("size", size);
            if (plan != nullptr)
            {
                a.str("fnv1a64", srd_double::hex64(srd_double::fnv1a64(plan, static_cast<std::size_t>(size))));
            }
        },
        [&]
        {
            state().use(runtime, "runtime");
            srd::require(plan, "plan");
            srd::require(out_engine, "out_engine");
            if (size == 0)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "plan size is 0");
            }
            auto engine = std::make_unique<srd_engine>();
            decodePlan(static_cast<uint8_t const*>(plan), static_cast<std::size_t>(size), *engine);
            *out_engine = state().adopt(std::move(engine), __func__);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_engine_destroy(srd_engine* engine)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("engine", engine); },
        [&]
        {
            state().destroy(engine, "engine");
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_engine_get_nb_io_tensors(srd_engine* engine, int32_t* out_count)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("engine", engine); },
        [&]
        {
            auto& eng = state().use(engine, "engine");
            srd::require(out_count, "out_count") = static_cast<int32_t>(eng.tensors.size());
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_engine_get_io_tensor_name(
    srd_engine* engine, int32_t index, char* buffer, uint64_t buffer_size, uint64_t* out_required)
{
    return run(
        __func__,
        [&](JsonObject& a) { a.handle("engine", engine).num("index", index).unum("buffer_size", buffer_size); },
        [&]
        {
            auto& eng = state().use(engine, "engine");
            auto const count = static_cast<int32_t>(eng.tensors.size());
            if (index < 0 || index >= count)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "I/O tensor index " + std::to_string(index) + " out of range (" +
                                                      std::to_string(count) + " tensors)");
            }
            return srd::copyString(
                eng.tensors[static_cast<std::size_t>(index)].name, buffer, buffer_size, out_required);
        });
}

SRD_TRT_API srd_status srd_engine_get_tensor_info(
    srd_engine* engine, char const* tensor_name, srd_tensor_info* out_info)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("engine", engine).str("tensor_name", tensor_name); },
        [&]
        {
            auto& eng = state().use(engine, "engine");
            std::string const name(srd::requireString(tensor_name, "tensor_name"));
            srd::require(out_info, "out_info");
            auto const& tensor = engineTensor(eng, name);
            srd_tensor_info info{};
            info.io_mode = tensor.mode;
            info.data_type = tensor.type;
            info.shape = tensor.dims;
            *out_info = info;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_engine_get_nb_optimization_profiles(srd_engine* engine, int32_t* out_count)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("engine", engine); },
        [&]
        {
            auto& eng = state().use(engine, "engine");
            srd::require(out_count, "out_count") = static_cast<int32_t>(eng.profiles.size());
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_engine_get_profile_shape(srd_engine* engine, char const* tensor_name, int32_t profile_index,
    srd_profile_selector selector, srd_dims* out_dims)
{
    return run(
        __func__,
        [&](JsonObject& a)
        {
            a.handle("engine", engine)
                .str("tensor_name", tensor_name)
                .num("profile_index", profile_index)
                .num("selector", selector);
        },
        [&]
        {
            auto& eng = state().use(engine, "engine");
            std::string const name(srd::requireString(tensor_name, "tensor_name"));
            srd::require(out_dims, "out_dims");
            auto const profiles = static_cast<int32_t>(eng.profiles.size());
            if (profile_index < 0 || profile_index >= profiles)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "profile index " + std::to_string(profile_index) + " out of range (" +
                                                      std::to_string(profiles) + " profiles)");
            }
            if (engineTensor(eng, name).mode != SRD_TENSOR_IO_MODE_INPUT)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "'" + name + "' is an output; profiles describe inputs");
            }
            auto const& inputs = eng.profiles[static_cast<std::size_t>(profile_index)];
            auto found = inputs.find(name);
            if (found == inputs.end())
            {
                fail(SRD_STATUS_NOT_FOUND, "no profile shape for input '" + name + "'");
            }
            switch (selector)
            {
            case SRD_PROFILE_SELECTOR_MIN:
                *out_dims = found->second.min;
                break;
            case SRD_PROFILE_SELECTOR_OPT:
                *out_dims = found->second.opt;
                break;
            case SRD_PROFILE_SELECTOR_MAX:
                *out_dims = found->second.max;
                break;
            default:
                fail(SRD_STATUS_INVALID_ARGUMENT, "unknown profile selector " + std::to_string(selector));
            }
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_engine_get_information_json(
    srd_engine* engine, char* buffer, uint64_t buffer_size, uint64_t* out_required)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("engine", engine).unum("buffer_size", buffer_size); },
        [&]
        {
            auto& eng = state().use(engine, "engine");
            std::string bindings = "[";
            for (std::size_t i = 0; i < eng.tensors.size(); ++i)
            {
                bindings += (i == 0 ? "" : ",") + srd_double::jsonString(eng.tensors[i].name);
            }
            bindings += "]";
            JsonObject info;
            info.raw("Layers", "[\"srd_test_double_add_one\"]")
                .raw("Bindings", bindings)
                .str("BuildInputsDigest", srd_double::hex64(eng.digest));
            return srd::copyString(info.text(), buffer, buffer_size, out_required);
        });
}

// ------------------------------------------------------------------------------------------------ execution
// context

SRD_TRT_API srd_status srd_execution_context_create(srd_engine* engine, srd_execution_context** out_context)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("engine", engine); },
        [&]
        {
            state().use(engine, "engine");
            srd::require(out_context, "out_context");
            auto context = std::make_unique<srd_execution_context>();
            context->engine = engine;
            *out_context = state().adopt(std::move(context), __func__);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_execution_context_destroy(srd_execution_context* context)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("context", context); },
        [&]
        {
            state().destroy(context, "context");
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_execution_context_set_optimization_profile(
    srd_execution_context* context, int32_t profile_index)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("context", context).num("profile_index", profile_index); },
        [&]
        {
            auto& ctx = state().use(context, "context");
            auto const profiles = static_cast<int32_t>(ctx.engine->profiles.size());
            if (profile_index < 0 || profile_index >= profiles)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "profile index " + std::to_string(profile_index) + " out of range (" +
                                                      std::to_string(profiles) + " profiles)");
            }
            ctx.profile = profile_index;
            ctx.inputShapes.clear();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_execution_context_set_input_shape(
    srd_execution_context* context, char const* tensor_name, srd_dims const* dims)
{
    return run(
        __func__,
        [&](JsonObject& a) { a.handle("context", context).str("tensor_name", tensor_name).dims("dims", dims); },
        [&]
        {
            auto& ctx = state().use(context, "context");
            std::string const name(srd::requireString(tensor_name, "tensor_name"));
            srd_dims const shape = checkedDims(dims, "dims");
            auto const& tensor = engineTensor(*ctx.engine, name);
            if (tensor.mode != SRD_TENSOR_IO_MODE_INPUT)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "'" + name + "' is not an input");
            }
            bool inside = shape.nb_dims == tensor.dims.nb_dims;
            if (inside && static_cast<std::size_t>(ctx.profile) < ctx.engine->profiles.size())
            {
                auto const& inputs = ctx.engine->profiles[static_cast<std::size_t>(ctx.profile)];
                auto found = inputs.find(name);
                for (int32_t i = 0; found != inputs.end() && i < shape.nb_dims; ++i)
                {
                    inside = inside && shape.d[i] >= found->second.min.d[i] && shape.d[i] <= found->second.max.d[i];
                }
            }
            if (!inside)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT,
                    "setInputShape('" + name + "', " + dimsText(shape) +
                        ") refused (outside the selected profile?) (TensorRT: shape outside profile " +
                        std::to_string(ctx.profile) + ")");
            }
            ctx.inputShapes[name] = shape;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_execution_context_get_tensor_shape(
    srd_execution_context* context, char const* tensor_name, srd_dims* out_dims)
{
    return run(
        __func__, [&](JsonObject& a) { a.handle("context", context).str("tensor_name", tensor_name); },
        [&]
        {
            auto& ctx = state().use(context, "context");
            std::string const name(srd::requireString(tensor_name, "tensor_name"));
            srd::require(out_dims, "out_dims");
            *out_dims = contextShape(ctx, engineTensor(*ctx.engine, name));
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_execution_context_execute_host(
    srd_execution_context* context, srd_host_tensor* tensors, int32_t count)
{
    return run(
        __func__,
        [&](JsonObject& a)
        {
            a.handle("context", context).num("count", count);
            std::string list = "[";
            for (int32_t i = 0; tensors != nullptr && i < count && i < 64; ++i)
            {
                JsonObject tensor;
                tensor.str("name", tensors[i].name).unum("size_bytes", tensors[i].size_bytes);
                list += (i == 0 ? "" : ",") + tensor.text();
            }
            a.raw("tensors", list + "]");
        },
        [&]
        {
            auto& ctx = state().use(context, "context");
            auto const& engine = *ctx.engine;
            if (count < 0 || (count > 0 && tensors == nullptr))
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "tensors is NULL or count is negative");
            }
            if (static_cast<std::size_t>(count) != engine.tensors.size())
            {
                fail(SRD_STATUS_INVALID_ARGUMENT,
                    "every I/O tensor needs a buffer: " + std::to_string(engine.tensors.size()) + " expected, " +
                        std::to_string(count) + " given");
            }
            std::set<std::string> seen;
            std::vector<uint64_t> bytes(static_cast<std::size_t>(count));
            srd_host_tensor const* firstInput = nullptr;
            for (int32_t i = 0; i < count; ++i)
            {
                srd_host_tensor const& host = tensors[i];
                std::string const name(srd::requireString(host.name, "tensors[i].name"));
                if (!seen.insert(name).second)
                {
                    fail(SRD_STATUS_INVALID_ARGUMENT, "tensor '" + name + "' is given twice");
                }
                auto const& tensor = engineTensor(engine, name);
                srd_dims const shape = contextShape(ctx, tensor);
                if (isDynamic(shape))
                {
                    fail(SRD_STATUS_INVALID_ARGUMENT, "tensor '" + name + "' has unresolved shape " + dimsText(shape) +
                                                          " (set every input shape "
                                                          "first)");
                }
                bytes[static_cast<std::size_t>(i)] = byteSize(tensor.type, volumeOf(shape));
                uint64_t const need = bytes[static_cast<std::size_t>(i)];
                if (need > 0 && host.data == nullptr)
                {
                    fail(SRD_STATUS_INVALID_ARGUMENT, "tensor '" + name + "' has a NULL buffer");
                }
                if (tensor.mode == SRD_TENSOR_IO_MODE_INPUT)
                {
                    if (host.size_bytes != need)
                    {
                        fail(SRD_STATUS_INVALID_ARGUMENT, "input '" + name + "' " + dimsText(shape) + " needs " +
                                                              std::to_string(need) + " bytes, " +
                                                              std::to_string(host.size_bytes) + " given");
                    }
                    firstInput = firstInput == nullptr ? &host : firstInput;
                }
                else if (host.size_bytes < need)
                {
                    fail(SRD_STATUS_BUFFER_TOO_SMALL, "output '" + name + "' " + dimsText(shape) + " needs " +
                                                          std::to_string(need) + " bytes, the buffer has " +
                                                          std::to_string(host.size_bytes));
                }
            }
            // The double's "network": every output is the first input plus one (float).
            for (int32_t i = 0; i < count; ++i)
            {
                auto const& tensor = engineTensor(engine, tensors[i].name);
                if (tensor.mode != SRD_TENSOR_IO_MODE_OUTPUT || firstInput == nullptr)
                {
                    continue;
                }
                std::size_t const n = static_cast<std::size_t>(bytes[static_cast<std::size_t>(i)]) / sizeof(float);
                auto const* in = static_cast<float const*>(firstInput->data);
                auto* out = static_cast<float*>(tensors[i].data);
                for (std::size_t k = 0; k < n; ++k)
                {
                    out[k] = in[k] + 1.0F;
                }
            }
            for (int32_t i = 0; i < count; ++i)
            {
                tensors[i].written_bytes = bytes[static_cast<std::size_t>(i)];
            }
            return SRD_STATUS_OK;
        });
}

// ------------------------------------------------------------------------------------------------ double controls

SRD_TRT_API srd_status srd_double_reset(void)
{
    // Not recorded: it clears the record.
    return srd::guarded(__func__,
        [&]
        {
            std::lock_guard<std::mutex> lock(state().mutex);
            livePlugins().clear();
            state().reset();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_double_get_log(char* buffer, uint64_t buffer_size, uint64_t* out_required)
{
    return srd::guarded(__func__,
        [&]
        {
            std::lock_guard<std::mutex> lock(state().mutex);
            return srd::copyString(state().logJson(), buffer, buffer_size, out_required);
        });
}

SRD_TRT_API srd_status srd_double_get_handle_counts(srd_double_handle_counts* out_counts)
{
    return srd::guarded(__func__,
        [&]
        {
            srd::require(out_counts, "out_counts");
            std::lock_guard<std::mutex> lock(state().mutex);
            *out_counts = state().counts();
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_double_fail_next(char const* function, srd_status status, char const* message)
{
    return srd::guarded(__func__,
        [&]
        {
            std::string const name(srd::requireString(function, "function"));
            if (status == SRD_STATUS_OK)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "an injected failure needs a status other than OK");
            }
            std::lock_guard<std::mutex> lock(state().mutex);
            srd_double::InjectedFailure failure;
            failure.status = status;
            failure.message = message != nullptr ? message : "injected failure";
            state().injections[name].push_back(failure);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_double_throw_next(char const* function, int32_t kind)
{
    return srd::guarded(__func__,
        [&]
        {
            std::string const name(srd::requireString(function, "function"));
            if (kind < 0 || kind > 2)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "kind must be 0, 1 or 2");
            }
            std::lock_guard<std::mutex> lock(state().mutex);
            srd_double::InjectedFailure failure;
            failure.throwKind = kind;
            state().injections[name].push_back(failure);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_double_set_tensorrt_version(int32_t version, int32_t build)
{
    return srd::guarded(__func__,
        [&]
        {
            if (version < 100000 || version >= 1000000 || build < 0 || build > 255)
            {
                fail(SRD_STATUS_INVALID_ARGUMENT, "version must be major*10000+minor*100+patch (10.0 .. 99.x)");
            }
            std::lock_guard<std::mutex> lock(state().mutex);
            state().version = version;
            state().build = build;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_double_set_library_missing(int32_t missing)
{
    return srd::guarded(__func__,
        [&]
        {
            std::lock_guard<std::mutex> lock(state().mutex);
            state().libraryMissing = missing != 0;
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_double_add_parser_error(
    int32_t code, char const* description, int32_t node_index, char const* node_name, char const* node_operator)
{
    return srd::guarded(__func__,
        [&]
        {
            srd_double::ParserErrorSpec error;
            error.code = code;
            error.description = description != nullptr ? description : "";
            error.nodeIndex = node_index;
            error.nodeName = node_name != nullptr ? node_name : "";
            error.nodeOperator = node_operator != nullptr ? node_operator : "";
            std::lock_guard<std::mutex> lock(state().mutex);
            state().queuedParserErrors.push_back(error);
            return SRD_STATUS_OK;
        });
}

SRD_TRT_API srd_status srd_double_log_from_worker_thread(srd_log_severity severity, char const* message)
{
    return srd::guarded(__func__,
        [&]
        {
            std::string const text = std::string("[srd_trt_test_double] ") + (message != nullptr ? message : "");
            std::thread worker([severity, &text] { srd::LogSinks::instance().dispatch(severity, text.c_str()); });
            worker.join();
            return SRD_STATUS_OK;
        });
}
