/*
 * TensorRT IPluginV3 ("FusedAttention", version "1") and its IPluginCreatorV3One. The plugin fields are the ONNX
 * op's attributes (README.md), so the ONNX parser maps a FusedAttention node with plugin_version "1" straight to
 * this plugin. Shapes are validated by the same code as the CPU paths (fusedAttentionCommon); enqueue launches the
 * CUDA kernels of fusedAttentionKernel.cu.
 *
 * Written against TensorRT 10.3 (JetPack 6) through 11.x; version differences are guarded with
 * NV_TENSORRT_MAJOR / NV_TENSORRT_MINOR.
 */
#ifndef SRD_FUSED_ATTENTION_PLUGIN_H
#define SRD_FUSED_ATTENTION_PLUGIN_H

#include "fusedAttentionCommon.h"

#include <NvInferRuntime.h>

#include <string>
#include <vector>

namespace srd::fa::trt
{

//! Roles of the plugin's inputs after the optional ones are resolved (TensorRT drops empty ONNX inputs).
struct InputRoles
{
    int32_t bias{-1};  //!< Input index of the bias, -1 if none.
    int32_t scale{-1}; //!< Input index of the scale tensor, -1 if none.
    bool valid{false};
};

//! Q, K, V, then the bias and/or the scale tensor; with 4 inputs, has_scale_input = 1 or has_bias = 0 make the
//! fourth the scale tensor, otherwise it is the bias.
InputRoles resolveInputRoles(Attributes const& attributes, int32_t nbInputs) noexcept;

class FusedAttentionPlugin : public nvinfer1::IPluginV3,
                             public nvinfer1::IPluginV3OneCore,
                             public nvinfer1::IPluginV3OneBuild,
                             public nvinfer1::IPluginV3OneRuntime
{
public:
    FusedAttentionPlugin(Attributes const& attributes, std::string const& pluginNamespace);
    FusedAttentionPlugin(FusedAttentionPlugin const& other);
    FusedAttentionPlugin& operator=(FusedAttentionPlugin const&) = delete;
    ~FusedAttentionPlugin() override = default;

    // IPluginV3
    nvinfer1::IPluginCapability* getCapabilityInterface(nvinfer1::PluginCapabilityType type) noexcept override;
    nvinfer1::IPluginV3* clone() noexcept override;

    // IPluginV3OneCore
    char const* getPluginName() const noexcept override;
    char const* getPluginVersion() const noexcept override;
    char const* getPluginNamespace() const noexcept override;

    // IPluginV3OneBuild
    int32_t configurePlugin(nvinfer1::DynamicPluginTensorDesc const* in, int32_t nbInputs,
        nvinfer1::DynamicPluginTensorDesc const* out, int32_t nbOutputs) noexcept override;
    int32_t getOutputDataTypes(nvinfer1::DataType* outputTypes, int32_t nbOutputs, nvinfer1::DataType const* inputTypes,
        int32_t nbInputs) const noexcept override;
    int32_t getOutputShapes(nvinfer1::DimsExprs const* inputs, int32_t nbInputs, nvinfer1::DimsExprs const* shapeInputs,
        int32_t nbShapeInputs, nvinfer1::DimsExprs* outputs, int32_t nbOutputs,
        nvinfer1::IExprBuilder& exprBuilder) noexcept override;
    bool supportsFormatCombination(int32_t pos, nvinfer1::DynamicPluginTensorDesc const* inOut, int32_t nbInputs,
        int32_t nbOutputs) noexcept override;
    int32_t getNbOutputs() const noexcept override;
    size_t getWorkspaceSize(nvinfer1::DynamicPluginTensorDesc const* inputs, int32_t nbInputs,
        nvinfer1::DynamicPluginTensorDesc const* outputs, int32_t nbOutputs) const noexcept override;

    // IPluginV3OneRuntime
    int32_t onShapeChange(nvinfer1::PluginTensorDesc const* in, int32_t nbInputs, nvinfer1::PluginTensorDesc const* out,
        int32_t nbOutputs) noexcept override;
    int32_t enqueue(nvinfer1::PluginTensorDesc const* inputDesc, nvinfer1::PluginTensorDesc const* outputDesc,
        void const* const* inputs, void* const* outputs, void* workspace, cudaStream_t stream) noexcept override;
    nvinfer1::IPluginV3* attachToContext(nvinfer1::IPluginResourceContext* context) noexcept override;
    nvinfer1::PluginFieldCollection const* getFieldsToSerialize() noexcept override;

    Attributes const& attributes() const noexcept
    {
        return mAttributes;
    }

private:
    //! Validates concrete (or, with allowUnknown, build-time) descriptions; "" when valid.
    std::string validate(
        nvinfer1::PluginTensorDesc const* in, int32_t nbInputs, bool allowUnknown, AttentionProblem& problem) const;

    Attributes mAttributes;
    std::string mNamespace;
    int32_t mNbInputs{0}; //!< From configurePlugin / onShapeChange; enqueue is not told.
    // Storage behind getFieldsToSerialize (rebuilt on each call; valid until the next call or destruction).
    std::string mInputLayoutText;
    std::string mOutputLayoutText;
    float mScaleField{0.F};
    int32_t mIntFields[4]{};
    std::vector<nvinfer1::PluginField> mFields;
    nvinfer1::PluginFieldCollection mFieldCollection{};
};

class FusedAttentionPluginCreator : public nvinfer1::IPluginCreatorV3One
{
public:
    FusedAttentionPluginCreator();
    ~FusedAttentionPluginCreator() override = default;

    char const* getPluginName() const noexcept override;
    char const* getPluginVersion() const noexcept override;
    char const* getPluginNamespace() const noexcept override;
    nvinfer1::PluginFieldCollection const* getFieldNames() noexcept override;
    nvinfer1::IPluginV3* createPlugin(
        char const* name, nvinfer1::PluginFieldCollection const* fc, nvinfer1::TensorRTPhase phase) noexcept override;

    void setPluginNamespace(char const* pluginNamespace) noexcept;

private:
    std::string mNamespace;
    std::vector<nvinfer1::PluginField> mFieldNames;
    nvinfer1::PluginFieldCollection mFieldCollection{};
};

/*!
 * Attributes from plugin fields (ONNX attributes forwarded by the parser, or getFieldsToSerialize's output at
 * deserialisation). Integers may come as INT8/16/32/64 (the parser narrows ONNX INTs to INT32), floats as
 * FLOAT16/32/64, strings as CHAR with or without a terminating NUL. Returns "" or a one-line error.
 */
std::string attributesFromFields(nvinfer1::PluginFieldCollection const* fields, Attributes& attributes);

} // namespace srd::fa::trt

#endif // SRD_FUSED_ATTENTION_PLUGIN_H
