/*
 * TensorRT plugin (IPluginV3 + IPluginCreatorV3One) for FusedAttention and the two entry points of the loadable
 * library libsrd_fused_attention_trt.so: getCreators and setLoggerFinder. No exception leaves a TensorRT callback:
 * every noexcept method catches and reports through the logger TensorRT gave us.
 */
#include "fusedAttentionPlugin.h"
#include "fusedAttentionKernel.h"

#include <NvInferVersion.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>

#if !defined(NV_TENSORRT_MAJOR) || NV_TENSORRT_MAJOR < 10 || (NV_TENSORRT_MAJOR == 10 && NV_TENSORRT_MINOR < 3)
#error "the FusedAttention plugin needs TensorRT 10.3 or newer (IPluginV3 with the 10.3 interfaces)"
#endif

using nvinfer1::DataType;
using nvinfer1::DimensionOperation;
using nvinfer1::DimsExprs;
using nvinfer1::DynamicPluginTensorDesc;
using nvinfer1::IDimensionExpr;
using nvinfer1::IExprBuilder;
using nvinfer1::ILogger;
using nvinfer1::IPluginCapability;
using nvinfer1::IPluginV3;
using nvinfer1::PluginCapabilityType;
using nvinfer1::PluginField;
using nvinfer1::PluginFieldCollection;
using nvinfer1::PluginFieldType;
using nvinfer1::PluginTensorDesc;
using nvinfer1::TensorFormat;
using nvinfer1::TensorRTPhase;

namespace srd::fa::trt
{
namespace
{

std::atomic<nvinfer1::ILoggerFinder*> gLoggerFinder{nullptr};

//! Logs through TensorRT's logger when the library was loaded by the registry (setLoggerFinder), else stderr.
void log(ILogger::Severity severity, std::string const& message) noexcept
{
    try
    {
        std::string const line = std::string(kOP_NAME) + " plugin: " + message;
        nvinfer1::ILoggerFinder* finder = gLoggerFinder.load();
        ILogger* logger = finder != nullptr ? finder->findLogger() : nullptr;
        if (logger != nullptr)
        {
            logger->log(severity, line.c_str());
        }
        else
        {
            std::fprintf(stderr, "%s\n", line.c_str());
        }
    }
    catch (...)
    {
        // Nothing left to report through.
    }
}

void logError(std::string const& message) noexcept
{
    log(ILogger::Severity::kERROR, message);
}

char const* dataTypeName(DataType type) noexcept
{
    switch (type)
    {
    case DataType::kFLOAT:
        return "float32";
    case DataType::kHALF:
        return "float16";
    case DataType::kINT8:
        return "int8";
    case DataType::kINT32:
        return "int32";
    case DataType::kBOOL:
        return "bool";
    default:
        return "an unsupported TensorRT data type";
    }
}

ElementType elementType(DataType type) noexcept
{
    return type == DataType::kFLOAT ? ElementType::kFLOAT32
                                    : (type == DataType::kHALF ? ElementType::kFLOAT16 : ElementType::kOTHER);
}

TensorDesc describe(PluginTensorDesc const& desc) noexcept
{
    TensorDesc tensor;
    tensor.present = true;
    tensor.type = elementType(desc.type);
    tensor.typeName = dataTypeName(desc.type);
    tensor.rank = desc.dims.nbDims;
    for (int32_t i = 0; i < desc.dims.nbDims && i < 8; ++i)
    {
        tensor.dims[i] = desc.dims.d[i];
    }
    return tensor;
}

float halfToFloat(uint16_t bits) noexcept
{
    uint32_t const sign = static_cast<uint32_t>(bits & 0x8000U) << 16;
    uint32_t exponent = (bits >> 10) & 0x1FU;
    uint32_t mantissa = bits & 0x3FFU;
    uint32_t result = 0;
    if (exponent == 0x1F)
    {
        result = sign | 0x7F800000U | (mantissa << 13);
    }
    else if (exponent != 0)
    {
        result = sign | ((exponent + 112) << 23) | (mantissa << 13);
    }
    else if (mantissa != 0)
    {
        exponent = 113;
        while ((mantissa & 0x400U) == 0)
        {
            mantissa <<= 1;
            --exponent;
        }
        result = sign | (exponent << 23) | ((mantissa & 0x3FFU) << 13);
    }
    else
    {
        result = sign;
    }
    float value = 0.F;
    std::memcpy(&value, &result, sizeof(value));
    return value;
}

bool readInteger(PluginField const& field, int64_t& value) noexcept
{
    if (field.data == nullptr || field.length < 1)
    {
        return false;
    }
    switch (field.type)
    {
    case PluginFieldType::kINT8:
        value = *static_cast<int8_t const*>(field.data);
        return true;
    case PluginFieldType::kINT16:
        value = *static_cast<int16_t const*>(field.data);
        return true;
    case PluginFieldType::kINT32:
        value = *static_cast<int32_t const*>(field.data);
        return true;
    case PluginFieldType::kINT64:
        value = *static_cast<int64_t const*>(field.data);
        return true;
    default:
        return false;
    }
}

bool readFloat(PluginField const& field, float& value) noexcept
{
    if (field.data == nullptr || field.length < 1)
    {
        return false;
    }
    switch (field.type)
    {
    case PluginFieldType::kFLOAT32:
        value = *static_cast<float const*>(field.data);
        return true;
    case PluginFieldType::kFLOAT64:
        value = static_cast<float>(*static_cast<double const*>(field.data));
        return true;
    case PluginFieldType::kFLOAT16:
        value = halfToFloat(*static_cast<uint16_t const*>(field.data));
        return true;
    default:
        return false;
    }
}

bool readString(PluginField const& field, std::string& value)
{
    if (field.type != PluginFieldType::kCHAR || (field.data == nullptr && field.length > 0) || field.length < 0)
    {
        return false;
    }
    value.assign(static_cast<char const*>(field.data), static_cast<size_t>(field.length));
    while (!value.empty() && value.back() == '\0')
    {
        value.pop_back();
    }
    return true;
}

} // namespace

InputRoles resolveInputRoles(Attributes const& attributes, int32_t nbInputs) noexcept
{
    InputRoles roles;
    switch (nbInputs)
    {
    case 3:
        roles.valid = true;
        break;
    case 4:
        roles.valid = true;
        if (attributes.hasScaleInput == 1 || attributes.hasBias == 0)
        {
            roles.scale = 3;
        }
        else
        {
            roles.bias = 3;
        }
        break;
    case 5:
        roles.valid = true;
        roles.bias = 3;
        roles.scale = 4;
        break;
    default:
        break;
    }
    return roles;
}

std::string attributesFromFields(PluginFieldCollection const* fields, Attributes& attributes)
{
    attributes = Attributes{};
    bool outputLayoutGiven = false;
    if (fields != nullptr && fields->fields == nullptr && fields->nbFields > 0)
    {
        return "the plugin field collection has no fields array";
    }
    for (int32_t i = 0; fields != nullptr && i < fields->nbFields; ++i)
    {
        PluginField const& field = fields->fields[i];
        if (field.name == nullptr)
        {
            continue;
        }
        std::string const name = field.name;
        auto integer = [&](int64_t& target)
        { return readInteger(field, target) ? std::string() : "field " + name + " must be an integer"; };
        std::string error;
        if (name == kATTR_SCALE)
        {
            error = readFloat(field, attributes.scale) ? std::string() : "field scale must be a float";
        }
        else if (name == kATTR_NORMALIZE_QK)
        {
            error = integer(attributes.normalizeQk);
        }
        else if (name == kATTR_NUM_HEADS)
        {
            error = integer(attributes.numHeads);
        }
        else if (name == kATTR_HAS_BIAS)
        {
            error = integer(attributes.hasBias);
        }
        else if (name == kATTR_HAS_SCALE_INPUT)
        {
            error = integer(attributes.hasScaleInput);
        }
        else if (name == kATTR_INPUT_LAYOUT || name == kATTR_OUTPUT_LAYOUT)
        {
            std::string text;
            Layout& target = name == kATTR_INPUT_LAYOUT ? attributes.inputLayout : attributes.outputLayout;
            if (!readString(field, text) || !parseLayout(text.c_str(), target))
            {
                error = "field " + name + " must be BHND, BNHD or BNC, got '" + text + "'";
            }
            outputLayoutGiven = outputLayoutGiven || name == kATTR_OUTPUT_LAYOUT;
        }
        if (!error.empty())
        {
            return error;
        }
    }
    if (!outputLayoutGiven)
    {
        attributes.outputLayout = attributes.inputLayout;
    }
    return checkAttributes(attributes);
}

// ---------------------------------------------------------------------------------------------------------------
// FusedAttentionPlugin
// ---------------------------------------------------------------------------------------------------------------

FusedAttentionPlugin::FusedAttentionPlugin(Attributes const& attributes, std::string const& pluginNamespace)
    : mAttributes(attributes), mNamespace(pluginNamespace)
{
}

FusedAttentionPlugin::FusedAttentionPlugin(FusedAttentionPlugin const& other)
    : IPluginV3(), IPluginV3OneCore(), IPluginV3OneBuild(), IPluginV3OneRuntime(), mAttributes(other.mAttributes),
      mNamespace(other.mNamespace), mNbInputs(other.mNbInputs)
{
}

IPluginCapability* FusedAttentionPlugin::getCapabilityInterface(PluginCapabilityType type) noexcept
{
    switch (type)
    {
    case PluginCapabilityType::kCORE:
        return static_cast<nvinfer1::IPluginV3OneCore*>(this);
    case PluginCapabilityType::kBUILD:
        return static_cast<nvinfer1::IPluginV3OneBuild*>(this);
    case PluginCapabilityType::kRUNTIME:
        return static_cast<nvinfer1::IPluginV3OneRuntime*>(this);
    }
    return nullptr;
}

IPluginV3* FusedAttentionPlugin::clone() noexcept
{
    try
    {
        return new FusedAttentionPlugin(*this);
    }
    catch (std::exception const& e)
    {
        logError(std::string("clone failed: ") + e.what());
    }
    catch (...)
    {
        logError("clone failed");
    }
    return nullptr;
}

char const* FusedAttentionPlugin::getPluginName() const noexcept
{
    return kOP_NAME;
}

char const* FusedAttentionPlugin::getPluginVersion() const noexcept
{
    return kOP_VERSION;
}

char const* FusedAttentionPlugin::getPluginNamespace() const noexcept
{
    return mNamespace.c_str();
}

std::string FusedAttentionPlugin::validate(
    PluginTensorDesc const* in, int32_t nbInputs, bool allowUnknown, AttentionProblem& problem) const
{
    InputRoles const roles = resolveInputRoles(mAttributes, nbInputs);
    if (!roles.valid || in == nullptr)
    {
        return "expected 3 to 5 inputs (Q, K, V, [bias], [scale]), got " + std::to_string(nbInputs);
    }
    for (int32_t i = 0; i < nbInputs; ++i)
    {
        if (in[i].dims.nbDims < 0 || in[i].dims.nbDims > 8)
        {
            return "input " + std::to_string(i) + " has rank " + std::to_string(in[i].dims.nbDims);
        }
    }
    InputDescs inputs;
    inputs.q = describe(in[kINPUT_Q]);
    inputs.k = describe(in[kINPUT_K]);
    inputs.v = describe(in[kINPUT_V]);
    if (roles.bias >= 0)
    {
        inputs.bias = describe(in[roles.bias]);
    }
    if (roles.scale >= 0)
    {
        inputs.scale = describe(in[roles.scale]);
    }
    ValidationOptions options;
    options.allowFloat16 = true;
    options.allowUnknownDims = allowUnknown;
    std::string error = describeProblem(mAttributes, inputs, options, problem);
    if (error.empty())
    {
        error = checkCudaSupport(problem); // Unknown (-1) dims pass; known ones must fit the kernels.
    }
    return error;
}

int32_t FusedAttentionPlugin::configurePlugin(DynamicPluginTensorDesc const* in, int32_t nbInputs,
    DynamicPluginTensorDesc const* /*out*/, int32_t nbOutputs) noexcept
{
    try
    {
        if (nbOutputs != 1 || in == nullptr)
        {
            logError("expected one output");
            return -1;
        }
        std::vector<PluginTensorDesc> descs(static_cast<size_t>(nbInputs > 0 ? nbInputs : 0));
        for (int32_t i = 0; i < nbInputs; ++i)
        {
            descs[static_cast<size_t>(i)] = in[i].desc;
        }
        AttentionProblem problem;
        std::string const error = validate(descs.data(), nbInputs, true, problem);
        if (!error.empty())
        {
            logError(error);
            return -1;
        }
        mNbInputs = nbInputs;
        return 0;
    }
    catch (std::exception const& e)
    {
        logError(std::string("configurePlugin: ") + e.what());
    }
    catch (...)
    {
        logError("configurePlugin: unknown exception");
    }
    return -1;
}

int32_t FusedAttentionPlugin::getOutputDataTypes(
    DataType* outputTypes, int32_t nbOutputs, DataType const* inputTypes, int32_t nbInputs) const noexcept
{
    if (outputTypes == nullptr || inputTypes == nullptr || nbOutputs != 1 || nbInputs < 3)
    {
        return -1;
    }
    outputTypes[0] = inputTypes[kINPUT_Q];
    return 0;
}

int32_t FusedAttentionPlugin::getOutputShapes(DimsExprs const* inputs, int32_t nbInputs,
    DimsExprs const* /*shapeInputs*/, int32_t /*nbShapeInputs*/, DimsExprs* outputs, int32_t nbOutputs,
    IExprBuilder& exprBuilder) noexcept
{
    try
    {
        if (inputs == nullptr || outputs == nullptr || nbInputs < 3 || nbOutputs != 1)
        {
            return -1;
        }
        DimsExprs const& q = inputs[kINPUT_Q];
        DimsExprs const& v = inputs[kINPUT_V];
        DimsExprs& out = outputs[0];
        int32_t const rank = q.nbDims;
        if (rank < 3 || v.nbDims != rank)
        {
            logError("Q must have rank 3 to 6 and V the same rank");
            return -1;
        }
        auto product = [&](IDimensionExpr const* a, IDimensionExpr const* b)
        { return exprBuilder.operation(DimensionOperation::kPROD, *a, *b); };
        IDimensionExpr const* one = exprBuilder.constant(1);
        Layout const inLayout = mAttributes.inputLayout;
        Layout const outLayout = mAttributes.outputLayout;
        // Batch, heads, tokens and value width of the input, whatever its layout.
        IDimensionExpr const* batch = q.d[0];
        IDimensionExpr const* heads = nullptr;
        IDimensionExpr const* tokens = nullptr;
        IDimensionExpr const* valueWidth = nullptr;
        switch (inLayout)
        {
        case Layout::kBHND:
            if (outLayout == Layout::kBHND)
            {
                out = q;
                out.d[rank - 1] = v.d[rank - 1];
                return 0;
            }
            if (rank > 4)
            {
                logError("output_layout BNHD/BNC needs Q as [B, H, N, d] or [B, N, d]");
                return -1;
            }
            heads = rank == 4 ? q.d[1] : one;
            tokens = q.d[rank - 2];
            valueWidth = v.d[rank - 1];
            break;
        case Layout::kBNHD:
            if (rank != 4)
            {
                logError("input_layout BNHD needs rank 4");
                return -1;
            }
            heads = q.d[2];
            tokens = q.d[1];
            valueWidth = v.d[3];
            break;
        case Layout::kBNC:
            if (rank != 3 || mAttributes.numHeads < 1)
            {
                logError("input_layout BNC needs rank 3 and num_heads >= 1");
                return -1;
            }
            heads = exprBuilder.constant(mAttributes.numHeads);
            tokens = q.d[1];
            valueWidth = exprBuilder.operation(DimensionOperation::kFLOOR_DIV, *v.d[2], *heads);
            break;
        }
        switch (outLayout)
        {
        case Layout::kBHND:
            out.nbDims = 4;
            out.d[0] = batch;
            out.d[1] = heads;
            out.d[2] = tokens;
            out.d[3] = valueWidth;
            break;
        case Layout::kBNHD:
            out.nbDims = 4;
            out.d[0] = batch;
            out.d[1] = tokens;
            out.d[2] = heads;
            out.d[3] = valueWidth;
            break;
        case Layout::kBNC:
            out.nbDims = 3;
            out.d[0] = batch;
            out.d[1] = tokens;
            out.d[2] = product(heads, valueWidth);
            break;
        }
        return 0;
    }
    catch (std::exception const& e)
    {
        logError(std::string("getOutputShapes: ") + e.what());
    }
    catch (...)
    {
        logError("getOutputShapes: unknown exception");
    }
    return -1;
}

bool FusedAttentionPlugin::supportsFormatCombination(
    int32_t pos, DynamicPluginTensorDesc const* inOut, int32_t nbInputs, int32_t nbOutputs) noexcept
{
    if (inOut == nullptr || pos < 0 || pos >= nbInputs + nbOutputs)
    {
        return false;
    }
    PluginTensorDesc const& desc = inOut[pos].desc;
    if (desc.format != TensorFormat::kLINEAR)
    {
        return false;
    }
    InputRoles const roles = resolveInputRoles(mAttributes, nbInputs);
    if (pos == roles.scale)
    {
        return desc.type == DataType::kFLOAT; // The temperature stays float32 in float16 networks.
    }
    if (pos == kINPUT_Q)
    {
        return desc.type == DataType::kFLOAT || desc.type == DataType::kHALF;
    }
    return desc.type == inOut[kINPUT_Q].desc.type; // K, V, bias and the output follow Q.
}

int32_t FusedAttentionPlugin::getNbOutputs() const noexcept
{
    return 1;
}

size_t FusedAttentionPlugin::getWorkspaceSize(DynamicPluginTensorDesc const* /*inputs*/, int32_t /*nbInputs*/,
    DynamicPluginTensorDesc const* /*outputs*/, int32_t /*nbOutputs*/) const noexcept
{
    return 0; // Tiles live in shared memory and registers.
}

int32_t FusedAttentionPlugin::onShapeChange(
    PluginTensorDesc const* in, int32_t nbInputs, PluginTensorDesc const* /*out*/, int32_t /*nbOutputs*/) noexcept
{
    try
    {
        AttentionProblem problem;
        std::string const error = validate(in, nbInputs, false, problem);
        if (!error.empty())
        {
            logError(error);
            return -1;
        }
        mNbInputs = nbInputs;
        return 0;
    }
    catch (...)
    {
        logError("onShapeChange: unexpected exception");
    }
    return -1;
}

int32_t FusedAttentionPlugin::enqueue(PluginTensorDesc const* inputDesc, PluginTensorDesc const* /*outputDesc*/,
    void const* const* inputs, void* const* outputs, void* /*workspace*/, cudaStream_t stream) noexcept
{
    try
    {
        if (inputs == nullptr || outputs == nullptr)
        {
            logError("enqueue: null input or output array");
            return -1;
        }
        // enqueue gets no input count: it is the one configurePlugin / onShapeChange saw (onShapeChange always runs
        // before the first enqueue of an execution context). Without either, the has_* attributes decide.
        int32_t nbInputs = mNbInputs;
        if (nbInputs == 0)
        {
            nbInputs = 3 + (mAttributes.hasBias == 1 ? 1 : 0) + (mAttributes.hasScaleInput == 1 ? 1 : 0);
        }
        AttentionProblem problem;
        std::string const error = validate(inputDesc, nbInputs, false, problem);
        if (!error.empty())
        {
            logError("enqueue: " + error);
            return -1;
        }
        InputRoles const resolved = resolveInputRoles(mAttributes, nbInputs);
        CudaPointers pointers;
        pointers.q = inputs[kINPUT_Q];
        pointers.k = inputs[kINPUT_K];
        pointers.v = inputs[kINPUT_V];
        pointers.bias = resolved.bias >= 0 ? inputs[resolved.bias] : nullptr;
        pointers.scale = resolved.scale >= 0 ? static_cast<float const*>(inputs[resolved.scale]) : nullptr;
        pointers.out = outputs[0];
        cudaError_t const status = launchFusedAttention(problem, pointers, stream);
        if (status != cudaSuccess)
        {
            logError("enqueue: CUDA launch failed with error " + std::to_string(static_cast<int32_t>(status)));
            return -1;
        }
        return 0;
    }
    catch (std::exception const& e)
    {
        logError(std::string("enqueue: ") + e.what());
    }
    catch (...)
    {
        logError("enqueue: unknown exception");
    }
    return -1;
}

IPluginV3* FusedAttentionPlugin::attachToContext(nvinfer1::IPluginResourceContext* /*context*/) noexcept
{
    return clone(); // No per-context resources.
}

PluginFieldCollection const* FusedAttentionPlugin::getFieldsToSerialize() noexcept
{
    try
    {
        mInputLayoutText = layoutName(mAttributes.inputLayout);
        mOutputLayoutText = layoutName(mAttributes.outputLayout);
        mScaleField = mAttributes.scale;
        mIntFields[0] = static_cast<int32_t>(mAttributes.normalizeQk);
        mIntFields[1] = static_cast<int32_t>(mAttributes.numHeads);
        mIntFields[2] = static_cast<int32_t>(mAttributes.hasBias);
        mIntFields[3] = static_cast<int32_t>(mAttributes.hasScaleInput);
        mFields.clear();
        mFields.emplace_back(kATTR_SCALE, &mScaleField, PluginFieldType::kFLOAT32, 1);
        mFields.emplace_back(kATTR_NORMALIZE_QK, &mIntFields[0], PluginFieldType::kINT32, 1);
        mFields.emplace_back(kATTR_NUM_HEADS, &mIntFields[1], PluginFieldType::kINT32, 1);
        mFields.emplace_back(kATTR_HAS_BIAS, &mIntFields[2], PluginFieldType::kINT32, 1);
        mFields.emplace_back(kATTR_HAS_SCALE_INPUT, &mIntFields[3], PluginFieldType::kINT32, 1);
        mFields.emplace_back(kATTR_INPUT_LAYOUT, mInputLayoutText.c_str(), PluginFieldType::kCHAR,
            static_cast<int32_t>(mInputLayoutText.size() + 1));
        mFields.emplace_back(kATTR_OUTPUT_LAYOUT, mOutputLayoutText.c_str(), PluginFieldType::kCHAR,
            static_cast<int32_t>(mOutputLayoutText.size() + 1));
        mFieldCollection.nbFields = static_cast<int32_t>(mFields.size());
        mFieldCollection.fields = mFields.data();
        return &mFieldCollection;
    }
    catch (...)
    {
        logError("getFieldsToSerialize: out of memory");
    }
    return nullptr;
}

// ---------------------------------------------------------------------------------------------------------------
// FusedAttentionPluginCreator
// ---------------------------------------------------------------------------------------------------------------

FusedAttentionPluginCreator::FusedAttentionPluginCreator()
{
    mFieldNames.emplace_back(kATTR_SCALE, nullptr, PluginFieldType::kFLOAT32, 1);
    mFieldNames.emplace_back(kATTR_NORMALIZE_QK, nullptr, PluginFieldType::kINT32, 1);
    mFieldNames.emplace_back(kATTR_NUM_HEADS, nullptr, PluginFieldType::kINT32, 1);
    mFieldNames.emplace_back(kATTR_HAS_BIAS, nullptr, PluginFieldType::kINT32, 1);
    mFieldNames.emplace_back(kATTR_HAS_SCALE_INPUT, nullptr, PluginFieldType::kINT32, 1);
    mFieldNames.emplace_back(kATTR_INPUT_LAYOUT, nullptr, PluginFieldType::kCHAR, 0);
    mFieldNames.emplace_back(kATTR_OUTPUT_LAYOUT, nullptr, PluginFieldType::kCHAR, 0);
    mFieldCollection.nbFields = static_cast<int32_t>(mFieldNames.size());
    mFieldCollection.fields = mFieldNames.data();
}

char const* FusedAttentionPluginCreator::getPluginName() const noexcept
{
    return kOP_NAME;
}

char const* FusedAttentionPluginCreator::getPluginVersion() const noexcept
{
    return kOP_VERSION;
}

char const* FusedAttentionPluginCreator::getPluginNamespace() const noexcept
{
    return mNamespace.c_str();
}

PluginFieldCollection const* FusedAttentionPluginCreator::getFieldNames() noexcept
{
    return &mFieldCollection;
}

void FusedAttentionPluginCreator::setPluginNamespace(char const* pluginNamespace) noexcept
{
    try
    {
        mNamespace = pluginNamespace != nullptr ? pluginNamespace : "";
    }
    catch (...)
    {
        logError("setPluginNamespace: out of memory");
    }
}

IPluginV3* FusedAttentionPluginCreator::createPlugin(
    char const* name, PluginFieldCollection const* fc, TensorRTPhase /*phase*/) noexcept
{
    try
    {
        Attributes attributes;
        std::string const error = attributesFromFields(fc, attributes);
        if (!error.empty())
        {
            logError(std::string("node '") + (name != nullptr ? name : "") + "': " + error);
            return nullptr;
        }
        return new FusedAttentionPlugin(attributes, mNamespace);
    }
    catch (std::exception const& e)
    {
        logError(std::string("createPlugin: ") + e.what());
    }
    catch (...)
    {
        logError("createPlugin: unknown exception");
    }
    return nullptr;
}

} // namespace srd::fa::trt

// -------------------------------------------------------------------------------------------------------------------
// Entry points of the loadable library (IPluginRegistry::loadLibrary, trtexec --dynamicPlugins).
// -------------------------------------------------------------------------------------------------------------------

extern "C" __attribute__((visibility("default"))) void setLoggerFinder(nvinfer1::ILoggerFinder* finder)
{
    srd::fa::trt::gLoggerFinder.store(finder);
}

extern "C" __attribute__((visibility("default"))) nvinfer1::IPluginCreatorInterface* const* getCreators(
    int32_t& nbCreators)
{
    static srd::fa::trt::FusedAttentionPluginCreator creator;
    static nvinfer1::IPluginCreatorInterface* const creators[] = {&creator};
    nbCreators = 1;
    return creators;
}
