/*
 * libsrd_fused_attention_ort.so: the FusedAttention custom op for ONNX Runtime's CPU execution provider
 * (domain com.superres.deploy, op type FusedAttention, opset 1). It exports one symbol, RegisterCustomOps; every
 * callback ORT makes into it returns errors as OrtStatus and never lets an exception out.
 */
#include "fusedAttentionCommon.h"
#include "fusedAttentionCpu.h"
#include "ortApi.h"

#include <atomic>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

using srd::ort::OrtApi;
using srd::ort::OrtApiBase;
using srd::ort::OrtCustomOp;
using srd::ort::OrtCustomOpDomain;
using srd::ort::ortFn;
using srd::ort::OrtKernelContext;
using srd::ort::OrtKernelInfo;
using srd::ort::OrtOpAttr;
using srd::ort::OrtSessionOptions;
using srd::ort::OrtShapeInferContext;
using srd::ort::OrtStatus;
using srd::ort::OrtTensorTypeAndShapeInfo;
using srd::ort::OrtValue;
namespace slot = srd::ort::slot;

namespace
{

//! The OrtCustomOp handed to ORT, followed by what the callbacks that get only the op pointer need.
struct FusedAttentionOp
{
    OrtCustomOp base; //!< First member: ORT's `OrtCustomOp const*` is the address of this struct.
    std::atomic<OrtApi const*> api{nullptr};
};
static_assert(offsetof(FusedAttentionOp, base) == 0, "OrtCustomOp must be the first member");

FusedAttentionOp gOp;

//! Domains created by RegisterCustomOps; ORT does not take ownership, they are released when the library unloads.
class DomainRegistry
{
public:
    void add(OrtApi const* api, OrtCustomOpDomain* domain)
    {
        std::lock_guard<std::mutex> lock(mMutex);
        mEntries.push_back({api, domain});
    }
    ~DomainRegistry()
    {
        for (Entry const& entry : mEntries)
        {
            ortFn<slot::ReleaseCustomOpDomain>(entry.api)(entry.domain);
        }
    }

private:
    struct Entry
    {
        OrtApi const* api;
        OrtCustomOpDomain* domain;
    };
    std::mutex mMutex;
    std::vector<Entry> mEntries;
};

DomainRegistry gDomains;

OrtStatus* makeStatus(OrtApi const* api, int32_t code, std::string const& message) noexcept
{
    return ortFn<slot::CreateStatus>(api)(code, message.c_str());
}

//! Message of a status, which is released.
std::string takeMessage(OrtApi const* api, OrtStatus* status)
{
    std::string message = ortFn<slot::GetErrorMessage>(api)(status);
    ortFn<slot::ReleaseStatus>(api)(status);
    return message;
}

std::string prefix(std::string const& nodeName)
{
    return std::string(srd::fa::kOP_NAME) + (nodeName.empty() ? std::string() : " node '" + nodeName + "'") + ": ";
}

//! Runs ORT's callback-returning code and turns exceptions into a status.
template <typename Body>
OrtStatus* guarded(OrtApi const* api, std::string const& context, Body&& body) noexcept
{
    try
    {
        return body();
    }
    catch (std::bad_alloc const&)
    {
        return makeStatus(api, srd::ort::kORT_FAIL, context + "out of memory");
    }
    catch (std::exception const& e)
    {
        return makeStatus(api, srd::ort::kORT_FAIL, context + "internal error: " + e.what());
    }
    catch (...)
    {
        return makeStatus(api, srd::ort::kORT_FAIL, context + "internal error: unknown exception");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Attributes
// ---------------------------------------------------------------------------------------------------------------

//! Reads attributes from a kernel info (CreateKernel) or a shape-inference context through one interface.
class AttributeSource
{
public:
    virtual ~AttributeSource() = default;
    //! Returns false when absent; throws std::runtime_error when present with the wrong type.
    virtual bool readFloat(char const* name, float& value) const = 0;
    virtual bool readInt(char const* name, int64_t& value) const = 0;
    virtual bool readString(char const* name, std::string& value) const = 0;
};

class KernelInfoAttributes final : public AttributeSource
{
public:
    KernelInfoAttributes(OrtApi const* api, OrtKernelInfo const* info) : mApi(api), mInfo(info) {}
    bool readFloat(char const* name, float& value) const override
    {
        return check(name, "FLOAT", ortFn<slot::KernelInfoGetAttributeFloat>(mApi)(mInfo, name, &value));
    }
    bool readInt(char const* name, int64_t& value) const override
    {
        return check(name, "INT", ortFn<slot::KernelInfoGetAttributeInt64>(mApi)(mInfo, name, &value));
    }
    bool readString(char const* name, std::string& value) const override
    {
        size_t size = 0;
        if (!check(name, "STRING", ortFn<slot::KernelInfoGetAttributeString>(mApi)(mInfo, name, nullptr, &size)))
        {
            return false;
        }
        std::vector<char> buffer(size + 1, '\0');
        check(name, "STRING", ortFn<slot::KernelInfoGetAttributeString>(mApi)(mInfo, name, buffer.data(), &size));
        value.assign(buffer.data());
        return true;
    }

private:
    //! ORT reports a missing attribute as "No attribute with name:'x'is defined."; any other failure is a type error.
    bool check(char const* name, char const* type, OrtStatus* status) const
    {
        if (status == nullptr)
        {
            return true;
        }
        std::string const message = takeMessage(mApi, status);
        if (message.find("No attribute with name") != std::string::npos)
        {
            return false;
        }
        throw std::runtime_error(std::string("attribute ") + name + " must be " + type + " (" + message + ")");
    }

    OrtApi const* mApi;
    OrtKernelInfo const* mInfo;
};

class ShapeInferAttributes final : public AttributeSource
{
public:
    ShapeInferAttributes(OrtApi const* api, OrtShapeInferContext const* context) : mApi(api), mContext(context) {}
    bool readFloat(char const* name, float& value) const override
    {
        OrtOpAttr const* attribute = find(name);
        size_t written = 0;
        return attribute != nullptr && read(name, "FLOAT",
                                           ortFn<slot::ReadOpAttr>(mApi)(attribute, srd::ort::kORT_OP_ATTR_FLOAT,
                                               &value, sizeof(value), &written));
    }
    bool readInt(char const* name, int64_t& value) const override
    {
        OrtOpAttr const* attribute = find(name);
        size_t written = 0;
        return attribute != nullptr && read(name, "INT",
                                           ortFn<slot::ReadOpAttr>(mApi)(
                                               attribute, srd::ort::kORT_OP_ATTR_INT, &value, sizeof(value), &written));
    }
    bool readString(char const* name, std::string& value) const override
    {
        OrtOpAttr const* attribute = find(name);
        if (attribute == nullptr)
        {
            return false;
        }
        size_t required = 0;
        OrtStatus* status =
            ortFn<slot::ReadOpAttr>(mApi)(attribute, srd::ort::kORT_OP_ATTR_STRING, nullptr, 0, &required);
        if (status != nullptr)
        {
            takeMessage(mApi, status); // "not large enough" is how the size is reported.
        }
        std::vector<char> buffer(required + 1, '\0');
        read(name, "STRING",
            ortFn<slot::ReadOpAttr>(mApi)(
                attribute, srd::ort::kORT_OP_ATTR_STRING, buffer.data(), buffer.size(), &required));
        value.assign(buffer.data());
        return true;
    }

private:
    OrtOpAttr const* find(char const* name) const
    {
        OrtOpAttr const* attribute = nullptr;
        OrtStatus* status = ortFn<slot::ShapeInferContextGetAttribute>(mApi)(mContext, name, &attribute);
        if (status != nullptr)
        {
            takeMessage(mApi, status); // "Attribute does not exist."
            return nullptr;
        }
        return attribute;
    }
    bool read(char const* name, char const* type, OrtStatus* status) const
    {
        if (status == nullptr)
        {
            return true;
        }
        throw std::runtime_error(
            std::string("attribute ") + name + " must be " + type + " (" + takeMessage(mApi, status) + ")");
    }

    OrtApi const* mApi;
    OrtShapeInferContext const* mContext;
};

srd::fa::Attributes readAttributes(AttributeSource const& source)
{
    srd::fa::Attributes attributes;
    source.readFloat(srd::fa::kATTR_SCALE, attributes.scale);
    source.readInt(srd::fa::kATTR_NORMALIZE_QK, attributes.normalizeQk);
    source.readInt(srd::fa::kATTR_NUM_HEADS, attributes.numHeads);
    source.readInt(srd::fa::kATTR_HAS_BIAS, attributes.hasBias);
    source.readInt(srd::fa::kATTR_HAS_SCALE_INPUT, attributes.hasScaleInput);
    std::string text;
    if (source.readString(srd::fa::kATTR_INPUT_LAYOUT, text) &&
        !srd::fa::parseLayout(text.c_str(), attributes.inputLayout))
    {
        throw std::invalid_argument("attribute input_layout must be BHND, BNHD or BNC, got '" + text + "'");
    }
    attributes.outputLayout = attributes.inputLayout;
    if (source.readString(srd::fa::kATTR_OUTPUT_LAYOUT, text) &&
        !srd::fa::parseLayout(text.c_str(), attributes.outputLayout))
    {
        throw std::invalid_argument("attribute output_layout must be BHND, BNHD or BNC, got '" + text + "'");
    }
    std::string const error = srd::fa::checkAttributes(attributes);
    if (!error.empty())
    {
        throw std::invalid_argument(error);
    }
    return attributes;
}

srd::fa::ElementType elementType(int32_t onnxType) noexcept
{
    switch (onnxType)
    {
    case srd::ort::kONNX_FLOAT:
        return srd::fa::ElementType::kFLOAT32;
    case srd::ort::kONNX_FLOAT16:
        return srd::fa::ElementType::kFLOAT16;
    default:
        return srd::fa::ElementType::kOTHER;
    }
}

//! Fills desc from a type-and-shape info (not released here). Throws on ranks above 8.
void describeTensor(
    OrtApi const* api, OrtTensorTypeAndShapeInfo const* info, char const* name, srd::fa::TensorDesc& desc)
{
    int32_t type = 0;
    size_t rank = 0;
    ortFn<slot::GetTensorElementType>(api)(info, &type);
    ortFn<slot::GetDimensionsCount>(api)(info, &rank);
    if (rank > 8)
    {
        throw std::invalid_argument(
            std::string(name) + " has rank " + std::to_string(rank) + "; at most 6 is supported");
    }
    desc.present = true;
    desc.type = elementType(type);
    desc.typeName = srd::ort::onnxElementTypeName(type);
    desc.rank = static_cast<int32_t>(rank);
    ortFn<slot::GetDimensions>(api)(info, desc.dims, rank);
}

char const* const kINPUT_NAMES[srd::fa::kMAX_INPUTS] = {"Q", "K", "V", "bias", "scale input"};

// ---------------------------------------------------------------------------------------------------------------
// Kernel
// ---------------------------------------------------------------------------------------------------------------

struct Kernel
{
    OrtApi const* api;
    srd::fa::Attributes attributes;
    std::string nodeName;
};

//! Runs the CPU kernel's tasks on ORT's intra-op thread pool.
class OrtTaskRunner final : public srd::fa::TaskRunner
{
public:
    OrtTaskRunner(OrtApi const* api, OrtKernelContext const* context) : mApi(api), mContext(context) {}
    std::string run(int64_t count, TaskFn fn, void* state) override
    {
        Payload payload{fn, state};
        OrtStatus* status =
            ortFn<slot::KernelContextParallelFor>(mApi)(mContext, &trampoline, static_cast<size_t>(count), 0, &payload);
        return status == nullptr ? std::string() : "thread pool: " + takeMessage(mApi, status);
    }

private:
    struct Payload
    {
        TaskFn fn;
        void* state;
    };
    static void trampoline(void* user, size_t index)
    {
        auto const* payload = static_cast<Payload const*>(user);
        payload->fn(payload->state, static_cast<int64_t>(index));
    }

    OrtApi const* mApi;
    OrtKernelContext const* mContext;
};

OrtStatus* createKernel(OrtCustomOp const* /*op*/, OrtApi const* api, OrtKernelInfo const* info, void** kernel) noexcept
{
    std::string context = prefix({});
    return guarded(api, context,
        [&]() -> OrtStatus*
        {
            auto state = std::make_unique<Kernel>();
            state->api = api;
            size_t size = 0;
            OrtStatus* status = ortFn<slot::KernelInfoGetNodeName>(api)(info, nullptr, &size);
            if (status == nullptr && size > 1)
            {
                std::vector<char> name(size, '\0');
                status = ortFn<slot::KernelInfoGetNodeName>(api)(info, name.data(), &size);
                state->nodeName.assign(name.data());
            }
            if (status != nullptr)
            {
                takeMessage(api, status); // The node name only decorates messages.
            }
            context = prefix(state->nodeName);
            try
            {
                state->attributes = readAttributes(KernelInfoAttributes(api, info));
            }
            catch (std::exception const& e)
            {
                return makeStatus(api, srd::ort::kORT_INVALID_ARGUMENT, context + e.what());
            }
            *kernel = state.release();
            return nullptr;
        });
}

OrtStatus* computeKernel(void* opaque, OrtKernelContext* context) noexcept
{
    auto const* kernel = static_cast<Kernel const*>(opaque);
    OrtApi const* api = kernel->api;
    std::string const where = prefix(kernel->nodeName);
    return guarded(api, where,
        [&]() -> OrtStatus*
        {
            auto invalid = [&](std::string const& message)
            { return makeStatus(api, srd::ort::kORT_INVALID_ARGUMENT, where + message); };
            size_t inputCount = 0;
            ortFn<slot::KernelContextGetInputCount>(api)(context, &inputCount);
            if (inputCount < 3 || inputCount > static_cast<size_t>(srd::fa::kMAX_INPUTS))
            {
                return invalid("expected 3 to 5 inputs (Q, K, V, [bias], [scale]), got " + std::to_string(inputCount));
            }
            srd::fa::InputDescs inputs;
            srd::fa::TensorDesc* descs[srd::fa::kMAX_INPUTS] = {
                &inputs.q, &inputs.k, &inputs.v, &inputs.bias, &inputs.scale};
            void* data[srd::fa::kMAX_INPUTS] = {};
            try
            {
                for (size_t i = 0; i < inputCount; ++i)
                {
                    OrtValue const* value = nullptr;
                    OrtStatus* status = ortFn<slot::KernelContextGetInput>(api)(context, i, &value);
                    if (status != nullptr)
                    {
                        return invalid(std::string("reading ") + kINPUT_NAMES[i] + ": " + takeMessage(api, status));
                    }
                    if (value == nullptr)
                    {
                        continue; // An omitted optional input.
                    }
                    OrtTensorTypeAndShapeInfo* info = nullptr;
                    status = ortFn<slot::GetTensorTypeAndShape>(api)(value, &info);
                    if (status != nullptr)
                    {
                        return invalid(std::string(kINPUT_NAMES[i]) + " is not a tensor: " + takeMessage(api, status));
                    }
                    std::unique_ptr<OrtTensorTypeAndShapeInfo, void (*)(OrtTensorTypeAndShapeInfo*)> guard(
                        info, ortFn<slot::ReleaseTensorTypeAndShapeInfo>(api));
                    describeTensor(api, info, kINPUT_NAMES[i], *descs[i]);
                    status = ortFn<slot::GetTensorMutableData>(api)(const_cast<OrtValue*>(value), &data[i]);
                    if (status != nullptr)
                    {
                        return invalid(std::string("reading ") + kINPUT_NAMES[i] + ": " + takeMessage(api, status));
                    }
                }
            }
            catch (std::invalid_argument const& e)
            {
                return invalid(e.what());
            }
            srd::fa::AttentionProblem problem;
            std::string const error = srd::fa::describeProblem(kernel->attributes, inputs, {}, problem);
            if (!error.empty())
            {
                return invalid(error);
            }
            OrtValue* output = nullptr;
            OrtStatus* status = ortFn<slot::KernelContextGetOutput>(api)(
                context, 0, problem.outDims, static_cast<size_t>(problem.outRank), &output);
            if (status != nullptr)
            {
                return makeStatus(
                    api, srd::ort::kORT_FAIL, where + "allocating the output: " + takeMessage(api, status));
            }
            if (problem.emptyOutput())
            {
                return nullptr;
            }
            void* outData = nullptr;
            ortFn<slot::GetTensorMutableData>(api)(output, &outData);
            srd::fa::CpuPointers pointers;
            pointers.q = static_cast<float const*>(data[srd::fa::kINPUT_Q]);
            pointers.k = static_cast<float const*>(data[srd::fa::kINPUT_K]);
            pointers.v = static_cast<float const*>(data[srd::fa::kINPUT_V]);
            pointers.bias = static_cast<float const*>(data[srd::fa::kINPUT_BIAS]);
            pointers.scale = static_cast<float const*>(data[srd::fa::kINPUT_SCALE]);
            pointers.out = static_cast<float*>(outData);
            OrtTaskRunner runner(api, context);
            srd::fa::CpuResult const result = srd::fa::runFusedAttentionCpu(problem, pointers, runner);
            if (!result.ok())
            {
                int32_t const code = result.failure == srd::fa::CpuFailure::kINVALID_ARGUMENT
                                         ? srd::ort::kORT_INVALID_ARGUMENT
                                         : srd::ort::kORT_FAIL;
                return makeStatus(api, code, where + result.message);
            }
            return nullptr;
        });
}

void destroyKernel(void* kernel)
{
    delete static_cast<Kernel*>(kernel);
}

// ---------------------------------------------------------------------------------------------------------------
// Shape inference
// ---------------------------------------------------------------------------------------------------------------

//! A name for an output dimension that is unknown and not copied from an input (e.g. H*dv with dv unknown).
std::string freshDimName()
{
    static std::atomic<uint64_t> counter{0};
    return "fused_attention_dim_" + std::to_string(counter.fetch_add(1));
}

/*
 * ONNX Runtime (through 1.30) calls InferOutputShapeFn during graph resolution and discards the returned status
 * without releasing it. So this function reports nothing: on any input it cannot validate it leaves the output
 * shape unset (ORT then treats it as unknown) and returns nullptr; the same check fails again in computeKernel,
 * where the message does reach the caller as the Run status.
 */
OrtStatus* inferOutputShape(OrtCustomOp const* op, OrtShapeInferContext* context) noexcept
{
    OrtApi const* api = reinterpret_cast<FusedAttentionOp const*>(op)->api.load();
    OrtStatus* status = guarded(api, prefix({}),
        [&]() -> OrtStatus*
        {
            auto invalid = [&](std::string const& /*message*/) -> OrtStatus* { return nullptr; };
            srd::fa::Attributes attributes;
            try
            {
                attributes = readAttributes(ShapeInferAttributes(api, context));
            }
            catch (std::exception const& e)
            {
                return invalid(e.what());
            }
            size_t inputCount = 0;
            ortFn<slot::ShapeInferContextGetInputCount>(api)(context, &inputCount);
            if (inputCount < 3 || inputCount > static_cast<size_t>(srd::fa::kMAX_INPUTS))
            {
                return invalid("expected 3 to 5 inputs (Q, K, V, [bias], [scale]), got " + std::to_string(inputCount));
            }
            srd::fa::InputDescs inputs;
            srd::fa::TensorDesc* descs[srd::fa::kMAX_INPUTS] = {
                &inputs.q, &inputs.k, &inputs.v, &inputs.bias, &inputs.scale};
            std::vector<std::string> symbols[srd::fa::kMAX_INPUTS];
            try
            {
                for (size_t i = 0; i < inputCount; ++i)
                {
                    OrtTensorTypeAndShapeInfo* info = nullptr; // Borrowed from the context.
                    OrtStatus* status = ortFn<slot::ShapeInferContextGetInputTypeShape>(api)(context, i, &info);
                    if (status != nullptr || info == nullptr)
                    {
                        if (status != nullptr)
                        {
                            takeMessage(api, status);
                        }
                        continue; // An omitted optional input.
                    }
                    describeTensor(api, info, kINPUT_NAMES[i], *descs[i]);
                    std::vector<char const*> names(static_cast<size_t>(descs[i]->rank), nullptr);
                    status = ortFn<slot::GetSymbolicDimensions>(api)(info, names.data(), names.size());
                    if (status != nullptr)
                    {
                        takeMessage(api, status);
                    }
                    for (char const* name : names)
                    {
                        symbols[i].emplace_back(name != nullptr ? name : "");
                    }
                }
            }
            catch (std::invalid_argument const& e)
            {
                return invalid(e.what());
            }
            srd::fa::ValidationOptions options;
            options.allowUnknownDims = true;
            srd::fa::AttentionProblem problem;
            std::string const error = srd::fa::describeProblem(attributes, inputs, options, problem);
            if (!error.empty())
            {
                return invalid(error);
            }
            // Unknown output dims keep the input's symbolic name where they are a plain copy of an input dim.
            std::vector<std::string> outNames(static_cast<size_t>(problem.outRank));
            std::vector<char const*> outNamePointers(static_cast<size_t>(problem.outRank));
            for (int32_t i = 0; i < problem.outRank; ++i)
            {
                if (problem.outDims[i] >= 0)
                {
                    continue;
                }
                srd::fa::DimSource const& source = problem.outDimSources[i];
                std::string name;
                if (source.input >= 0 && static_cast<size_t>(source.dim) < symbols[source.input].size())
                {
                    name = symbols[source.input][static_cast<size_t>(source.dim)];
                }
                outNames[static_cast<size_t>(i)] = name.empty() ? freshDimName() : name;
            }
            for (size_t i = 0; i < outNames.size(); ++i)
            {
                outNamePointers[i] = outNames[i].c_str();
            }
            OrtTensorTypeAndShapeInfo* output = nullptr;
            OrtStatus* status = ortFn<slot::CreateTensorTypeAndShapeInfo>(api)(&output);
            if (status != nullptr)
            {
                return status;
            }
            std::unique_ptr<OrtTensorTypeAndShapeInfo, void (*)(OrtTensorTypeAndShapeInfo*)> guard(
                output, ortFn<slot::ReleaseTensorTypeAndShapeInfo>(api));
            if ((status = ortFn<slot::SetTensorElementType>(api)(output, srd::ort::kONNX_FLOAT)) != nullptr ||
                (status = ortFn<slot::SetDimensions>(api)(
                     output, problem.outDims, static_cast<size_t>(problem.outRank))) != nullptr ||
                (status = ortFn<slot::SetSymbolicDimensions>(api)(
                     output, outNamePointers.data(), outNamePointers.size())) != nullptr)
            {
                return status;
            }
            return ortFn<slot::ShapeInferContextSetOutputTypeShape>(api)(context, 0, output);
        });
    if (status != nullptr)
    {
        ortFn<slot::ReleaseStatus>(api)(status); // See above: ORT would drop it on the floor.
    }
    return nullptr;
}

// ---------------------------------------------------------------------------------------------------------------
// The OrtCustomOp
// ---------------------------------------------------------------------------------------------------------------

char const* opName(OrtCustomOp const* /*op*/)
{
    return srd::fa::kOP_NAME;
}

char const* opExecutionProvider(OrtCustomOp const* /*op*/)
{
    return nullptr; // CPU execution provider.
}

int32_t opInputType(OrtCustomOp const* /*op*/, size_t /*index*/)
{
    // Any type at registration, so that a float16 or int64 input reaches our own check and gets a clear message.
    return srd::ort::kONNX_UNDEFINED;
}

size_t opInputCount(OrtCustomOp const* /*op*/)
{
    return static_cast<size_t>(srd::fa::kMAX_INPUTS);
}

int32_t opOutputType(OrtCustomOp const* /*op*/, size_t /*index*/)
{
    return srd::ort::kONNX_FLOAT;
}

size_t opOutputCount(OrtCustomOp const* /*op*/)
{
    return 1;
}

int32_t opInputCharacteristic(OrtCustomOp const* /*op*/, size_t index)
{
    return index < 3 ? srd::ort::kORT_INPUT_OUTPUT_REQUIRED : srd::ort::kORT_INPUT_OUTPUT_OPTIONAL;
}

int32_t opOutputCharacteristic(OrtCustomOp const* /*op*/, size_t /*index*/)
{
    return srd::ort::kORT_INPUT_OUTPUT_REQUIRED;
}

int32_t opInputMemoryType(OrtCustomOp const* /*op*/, size_t /*index*/)
{
    return srd::ort::kORT_MEM_TYPE_DEFAULT;
}

int opStartVersion(OrtCustomOp const* /*op*/)
{
    return 1;
}

int opEndVersion(OrtCustomOp const* /*op*/)
{
    return 1;
}

void initialiseOp(uint32_t apiVersion)
{
    OrtCustomOp& op = gOp.base;
    std::memset(&op, 0, sizeof(op));
    op.version = apiVersion;
    op.GetName = &opName;
    op.GetExecutionProviderType = &opExecutionProvider;
    op.GetInputType = &opInputType;
    op.GetInputTypeCount = &opInputCount;
    op.GetOutputType = &opOutputType;
    op.GetOutputTypeCount = &opOutputCount;
    op.KernelDestroy = &destroyKernel;
    op.GetInputCharacteristic = &opInputCharacteristic;
    op.GetOutputCharacteristic = &opOutputCharacteristic;
    op.GetInputMemoryType = &opInputMemoryType;
    op.CreateKernelV2 = &createKernel;
    op.KernelComputeV2 = &computeKernel;
    op.InferOutputShapeFn = &inferOutputShape;
    op.GetStartVersion = &opStartVersion;
    op.GetEndVersion = &opEndVersion;
}

std::once_flag gOpOnce;

} // namespace

extern "C" __attribute__((visibility("default"))) OrtStatus* RegisterCustomOps(
    OrtSessionOptions* options, OrtApiBase const* apiBase)
{
    if (apiBase == nullptr)
    {
        return nullptr; // Nothing to report through: without the API there is no way to make a status.
    }
    // The newest table we know, down to the oldest that has every slot and field we use.
    OrtApi const* api = nullptr;
    uint32_t version = srd::ort::kORT_API_VERSION;
    for (; version >= srd::ort::kORT_MIN_API_VERSION && api == nullptr; --version)
    {
        api = apiBase->GetApi(version);
    }
    if (api == nullptr)
    {
        // Every ORT has API 1 with CreateStatus in slot 0: enough to say why registration failed.
        OrtApi const* oldest = apiBase->GetApi(1);
        return oldest == nullptr ? nullptr
                                 : makeStatus(oldest, srd::ort::kORT_FAIL,
                                       prefix({}) + "needs ONNX Runtime with C API version >= " +
                                           std::to_string(srd::ort::kORT_MIN_API_VERSION) + " (ORT 1.17)");
    }
    ++version;
    return guarded(api, prefix({}),
        [&]() -> OrtStatus*
        {
            std::call_once(gOpOnce,
                [&]()
                {
                    initialiseOp(version);
                    gOp.api.store(api);
                });
            OrtCustomOpDomain* domain = nullptr;
            OrtStatus* status = ortFn<slot::CreateCustomOpDomain>(api)(srd::fa::kORT_DOMAIN, &domain);
            if (status != nullptr)
            {
                return status;
            }
            gDomains.add(api, domain);
            if ((status = ortFn<slot::CustomOpDomainAdd>(api)(domain, &gOp.base)) != nullptr)
            {
                return status;
            }
            return ortFn<slot::AddCustomOpDomain>(api)(options, domain);
        });
}
