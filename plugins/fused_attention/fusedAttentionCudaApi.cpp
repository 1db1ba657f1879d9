/*
 * libsrd_fused_attention_cuda.so: the pure-C entry points of include/srd_fused_attention_cuda.h. Validation is the
 * shared contract (fusedAttentionCommon); the launch is fusedAttentionKernel.cu.
 */
#include "fusedAttentionCStatus.h"
#include "fusedAttentionCommon.h"
#include "fusedAttentionKernel.h"
#include "srd_fused_attention_cuda.h"

#include <cuda_runtime_api.h>

#include <cstring>
#include <string>

namespace
{

srd_fa_status forward(srd_fa_params const* params, int32_t dtype, void const* q, void const* k, void const* v,
    void const* bias, void* out, void* stream)
{
    using namespace srd::fa;
    if (params == nullptr)
    {
        return fail(SRD_FA_STATUS_INVALID_ARGUMENT, "params is NULL");
    }
    if ((params->flags & ~SRD_FA_FLAG_NORMALIZE_QK) != 0)
    {
        return fail(SRD_FA_STATUS_INVALID_ARGUMENT, "params.flags may only hold SRD_FA_FLAG_NORMALIZE_QK on the GPU");
    }
    if (dtype != SRD_FA_DTYPE_FLOAT32 && dtype != SRD_FA_DTYPE_FLOAT16)
    {
        return fail(
            SRD_FA_STATUS_INVALID_ARGUMENT, "dtype must be SRD_FA_DTYPE_FLOAT32 (0) or SRD_FA_DTYPE_FLOAT16 (1)");
    }
    if (params->reserved != 0 || (params->has_bias != 0 && params->has_bias != 1))
    {
        return fail(SRD_FA_STATUS_INVALID_ARGUMENT, "params.reserved must be 0 and params.has_bias 0 or 1");
    }
    Attributes attributes;
    if ((params->input_layout != SRD_FA_LAYOUT_BHND && params->input_layout != SRD_FA_LAYOUT_BNHD) ||
        (params->output_layout != SRD_FA_LAYOUT_BHND && params->output_layout != SRD_FA_LAYOUT_BNHD))
    {
        return fail(
            SRD_FA_STATUS_INVALID_ARGUMENT, "params.input_layout and output_layout must be 0 (BHND) or 1 (BNHD)");
    }
    attributes.inputLayout = params->input_layout == SRD_FA_LAYOUT_BHND ? Layout::kBHND : Layout::kBNHD;
    attributes.outputLayout = params->output_layout == SRD_FA_LAYOUT_BHND ? Layout::kBHND : Layout::kBNHD;
    attributes.scale = params->scale;
    attributes.normalizeQk = (params->flags & SRD_FA_FLAG_NORMALIZE_QK) != 0 ? 1 : 0;
    attributes.numHeads = attributes.inputLayout == Layout::kBNHD ? params->heads : 0;

    ElementType const type = dtype == SRD_FA_DTYPE_FLOAT16 ? ElementType::kFLOAT16 : ElementType::kFLOAT32;
    char const* const typeName = dtype == SRD_FA_DTYPE_FLOAT16 ? "float16" : "float32";
    auto fill = [&](TensorDesc& desc, int64_t tokens, int64_t width)
    {
        desc.present = true;
        desc.type = type;
        desc.typeName = typeName;
        desc.rank = 4;
        desc.dims[0] = params->batch;
        desc.dims[1] = attributes.inputLayout == Layout::kBHND ? params->heads : tokens;
        desc.dims[2] = attributes.inputLayout == Layout::kBHND ? tokens : params->heads;
        desc.dims[3] = width;
    };
    InputDescs inputs;
    fill(inputs.q, params->query_len, params->head_dim);
    fill(inputs.k, params->key_len, params->head_dim);
    fill(inputs.v, params->key_len, params->value_dim);
    if (params->has_bias == 1)
    {
        inputs.bias.present = true;
        inputs.bias.type = type;
        inputs.bias.typeName = typeName;
        inputs.bias.rank = 4;
        std::memcpy(inputs.bias.dims, params->bias_dims, sizeof(params->bias_dims));
    }
    ValidationOptions options;
    options.allowFloat16 = true;
    AttentionProblem problem;
    std::string error = describeProblem(attributes, inputs, options, problem);
    if (error.empty())
    {
        error = checkCudaSupport(problem);
    }
    if (!error.empty())
    {
        return fail(SRD_FA_STATUS_INVALID_ARGUMENT, error);
    }
    if (!problem.emptyOutput() &&
        (q == nullptr || k == nullptr || v == nullptr || out == nullptr || (problem.hasBias && bias == nullptr)))
    {
        return fail(SRD_FA_STATUS_INVALID_ARGUMENT, "a required tensor pointer is null");
    }
    CudaPointers pointers;
    pointers.q = q;
    pointers.k = k;
    pointers.v = v;
    pointers.bias = bias;
    pointers.out = out;
    cudaError_t const status = launchFusedAttention(problem, pointers, static_cast<cudaStream_t>(stream));
    if (status != cudaSuccess)
    {
        return fail(SRD_FA_STATUS_INTERNAL, std::string("CUDA launch failed: ") + cudaGetErrorString(status));
    }
    return succeed();
}

} // namespace

extern "C" SRD_FA_API srd_fa_status srd_fa_cuda_forward(srd_fa_params const* params, int32_t dtype, void const* q,
    void const* k, void const* v, void const* bias, void* out, void* stream)
{
    return guarded([&] { return forward(params, dtype, q, k, v, bias, out, stream); });
}

extern "C" SRD_FA_API srd_fa_status srd_fa_cuda_last_error(char* buffer, size_t size, size_t* required)
{
    return copyLastError(buffer, size, required);
}
