/*
 * SuperRes.Deploy FusedAttention: pure-C interface to the CUDA kernels (libsrd_fused_attention_cuda.so, built only
 * where a CUDA compiler is found). Same conventions as srd_fused_attention.h: a status per call, the message of the
 * calling thread's last failure through srd_fa_cuda_last_error, nothing allocated for the caller, no exception
 * crosses the boundary. Used by the GPU benchmark script (ctypes) and available to the C# side.
 */
#ifndef SRD_FUSED_ATTENTION_CUDA_H
#define SRD_FUSED_ATTENTION_CUDA_H

#include "srd_fused_attention.h"

#ifdef __cplusplus
extern "C"
{
#endif

    typedef enum srd_fa_dtype
    {
        SRD_FA_DTYPE_FLOAT32 = 0,
        SRD_FA_DTYPE_FLOAT16 = 1
    } srd_fa_dtype;

    /**
     * Enqueues the attention on `stream` (a cudaStream_t; NULL = the legacy default stream) and returns without
     * synchronising. q, k, v, bias and out are device pointers of `dtype` laid out as in srd_fa_cpu_forward (the bias,
     * when params->has_bias, has the same dtype). params->flags may hold SRD_FA_FLAG_NORMALIZE_QK only. Errors of the
     * launch (not of the kernel's later execution) are reported: SRD_FA_STATUS_INTERNAL with the CUDA error text.
     */
    SRD_FA_API srd_fa_status srd_fa_cuda_forward(srd_fa_params const* params, int32_t dtype, void const* q,
        void const* k, void const* v, void const* bias, void* out, void* stream);

    /** As srd_fa_last_error, for this library's calls. */
    SRD_FA_API srd_fa_status srd_fa_cuda_last_error(char* buffer, size_t size, size_t* required);

#ifdef __cplusplus
}
#endif

#endif /* SRD_FUSED_ATTENTION_CUDA_H */
