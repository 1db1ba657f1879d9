/*
 * libsrd_fused_attention_cpu.so: the pure-C entry points of include/srd_fused_attention.h. Each export catches
 * everything and turns it into a status plus a thread-local message.
 */
#include "fusedAttentionCStatus.h"
#include "fusedAttentionCommon.h"
#include "fusedAttentionCpu.h"
#include "srd_fused_attention.h"

#include <cstddef>
#include <string>
#include <thread>

static_assert(sizeof(srd_fa_params) == 104 && offsetof(srd_fa_params, bias_dims) == 72,
    "srd_fa_params is part of the ABI (C# and the GPU benchmark's ctypes mirror it)");

namespace
{

bool parseCLayout(int32_t value, srd::fa::Layout& layout) noexcept
{
    switch (value)
    {
    case SRD_FA_LAYOUT_BHND:
        layout = srd::fa::Layout::kBHND;
        return true;
    case SRD_FA_LAYOUT_BNHD:
        layout = srd::fa::Layout::kBNHD;
        return true;
    default:
        return false;
    }
}

void fillDesc(srd::fa::TensorDesc& desc, srd::fa::Layout layout, int64_t batch, int64_t heads, int64_t tokens,
    int64_t width) noexcept
{
    desc.present = true;
    desc.type = srd::fa::ElementType::kFLOAT32;
    desc.typeName = "float32";
    desc.rank = 4;
    desc.dims[0] = batch;
    if (layout == srd::fa::Layout::kBHND)
    {
        desc.dims[1] = heads;
        desc.dims[2] = tokens;
    }
    else
    {
        desc.dims[1] = tokens;
        desc.dims[2] = heads;
    }
    desc.dims[3] = width;
}

srd_fa_status forward(srd_fa_params const* params, float const* q, float const* k, float const* v, float const* bias,
    float* out, int32_t numThreads)
{
    using namespace srd::fa;
    if (params == nullptr)
    {
        return fail(SRD_FA_STATUS_INVALID_ARGUMENT, "params is NULL");
    }
    uint32_t const knownFlags =
        SRD_FA_FLAG_NORMALIZE_QK | SRD_FA_FLAG_FORCE_PORTABLE | SRD_FA_FLAG_FORCE_AVX2 | SRD_FA_FLAG_FORCE_AVX512;
    if ((params->flags & ~knownFlags) != 0)
    {
        return fail(SRD_FA_STATUS_INVALID_ARGUMENT, "params.flags has unknown bits " + std::to_string(params->flags));
    }
    uint32_t const forced =
        params->flags & (SRD_FA_FLAG_FORCE_PORTABLE | SRD_FA_FLAG_FORCE_AVX2 | SRD_FA_FLAG_FORCE_AVX512);
    if ((forced & (forced - 1)) != 0)
    {
        return fail(SRD_FA_STATUS_INVALID_ARGUMENT, "params.flags forces more than one kernel instruction set");
    }
    if (params->reserved != 0)
    {
        return fail(SRD_FA_STATUS_INVALID_ARGUMENT, "params.reserved must be 0");
    }
    if (params->has_bias != 0 && params->has_bias != 1)
    {
        return fail(SRD_FA_STATUS_INVALID_ARGUMENT, "params.has_bias must be 0 or 1");
    }
    if (numThreads < 0)
    {
        return fail(SRD_FA_STATUS_INVALID_ARGUMENT, "num_threads must be >= 0, got " + std::to_string(numThreads));
    }
    Attributes attributes;
    if (!parseCLayout(params->input_layout, attributes.inputLayout) ||
        !parseCLayout(params->output_layout, attributes.outputLayout))
    {
        return fail(SRD_FA_STATUS_INVALID_ARGUMENT,
            "params.input_layout and output_layout must be SRD_FA_LAYOUT_BHND (0) or SRD_FA_LAYOUT_BNHD (1)");
    }
    attributes.scale = params->scale;
    attributes.normalizeQk = (params->flags & SRD_FA_FLAG_NORMALIZE_QK) != 0 ? 1 : 0;
    attributes.numHeads = attributes.inputLayout == Layout::kBNHD ? params->heads : 0;

    InputDescs inputs;
    fillDesc(inputs.q, attributes.inputLayout, params->batch, params->heads, params->query_len, params->head_dim);
    fillDesc(inputs.k, attributes.inputLayout, params->batch, params->heads, params->key_len, params->head_dim);
    fillDesc(inputs.v, attributes.inputLayout, params->batch, params->heads, params->key_len, params->value_dim);
    if (params->has_bias == 1)
    {
        inputs.bias.present = true;
        inputs.bias.type = ElementType::kFLOAT32;
        inputs.bias.typeName = "float32";
        inputs.bias.rank = 4;
        for (int32_t i = 0; i < 4; ++i)
        {
            inputs.bias.dims[i] = params->bias_dims[i];
        }
    }
    AttentionProblem problem;
    std::string error = describeProblem(attributes, inputs, ValidationOptions{}, problem);
    if (!error.empty())
    {
        return fail(SRD_FA_STATUS_INVALID_ARGUMENT, error);
    }
    CpuPointers pointers;
    pointers.q = q;
    pointers.k = k;
    pointers.v = v;
    pointers.bias = bias;
    pointers.out = out;
    CpuIsa isa = CpuIsa::kAUTO;
    if ((params->flags & SRD_FA_FLAG_FORCE_PORTABLE) != 0)
    {
        isa = CpuIsa::kPORTABLE;
    }
    else if ((params->flags & SRD_FA_FLAG_FORCE_AVX2) != 0)
    {
        isa = CpuIsa::kAVX2;
    }
    else if ((params->flags & SRD_FA_FLAG_FORCE_AVX512) != 0)
    {
        isa = CpuIsa::kAVX512;
    }
    int32_t threads = numThreads;
    if (threads == 0)
    {
        unsigned const hardware = std::thread::hardware_concurrency();
        threads = hardware == 0 ? 1 : static_cast<int32_t>(hardware);
    }
    ThreadTaskRunner runner(threads);
    CpuResult const result = runFusedAttentionCpu(problem, pointers, runner, isa);
    switch (result.failure)
    {
    case CpuFailure::kNONE:
        return succeed();
    case CpuFailure::kINVALID_ARGUMENT:
        return fail(SRD_FA_STATUS_INVALID_ARGUMENT, result.message);
    case CpuFailure::kUNSUPPORTED:
        return fail(SRD_FA_STATUS_UNSUPPORTED, result.message);
    case CpuFailure::kOUT_OF_MEMORY:
        return fail(SRD_FA_STATUS_OUT_OF_MEMORY, result.message);
    case CpuFailure::kRUNNER:
        break;
    }
    return fail(SRD_FA_STATUS_INTERNAL, result.message);
}

} // namespace

extern "C" SRD_FA_API int32_t srd_fa_api_version(void)
{
    return SRD_FA_API_VERSION;
}

extern "C" SRD_FA_API srd_fa_status srd_fa_cpu_forward(srd_fa_params const* params, float const* q, float const* k,
    float const* v, float const* bias, float* out, int32_t num_threads)
{
    return guarded([&] { return forward(params, q, k, v, bias, out, num_threads); });
}

extern "C" SRD_FA_API srd_fa_status srd_fa_last_error(char* buffer, size_t size, size_t* required)
{
    return copyLastError(buffer, size, required);
}

extern "C" SRD_FA_API char const* srd_fa_cpu_isa(void)
{
    return srd::fa::cpuIsaName(srd::fa::CpuIsa::kAUTO);
}
