/*
 * SuperRes.Deploy FusedAttention: pure-C interface to the fast CPU kernel (libsrd_fused_attention_cpu.so).
 *
 *   out = softmax(scale * norm(Q) * norm(K)^T + bias) * V      per (batch, head)
 *
 * Every function returns a srd_fa_status and never lets an exception cross this boundary: bad arguments give
 * SRD_FA_STATUS_INVALID_ARGUMENT and a one-line message from srd_fa_last_error. The message is kept per thread and
 * owned by the library; it stays valid until the next srd_fa_* call on the same thread. Outputs are written only when
 * the call succeeds. The library allocates nothing the caller must free.
 */
#ifndef SRD_FUSED_ATTENTION_H
#define SRD_FUSED_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

#if defined(_WIN32)
#define SRD_FA_API __declspec(dllexport)
#else
#define SRD_FA_API __attribute__((visibility("default")))
#endif

/** Version of this interface (struct layouts and function set). */
#define SRD_FA_API_VERSION 1

    typedef enum srd_fa_status
    {
        SRD_FA_STATUS_OK = 0,
        SRD_FA_STATUS_INVALID_ARGUMENT = 1, /**< Bad shape, layout, pointer or option; see srd_fa_last_error. */
        SRD_FA_STATUS_OUT_OF_MEMORY = 2,
        SRD_FA_STATUS_BUFFER_TOO_SMALL = 3, /**< srd_fa_last_error: the buffer cannot hold the message. */
        SRD_FA_STATUS_UNSUPPORTED = 4,      /**< E.g. SRD_FA_FLAG_FORCE_AVX512 on a CPU without AVX-512F. */
        SRD_FA_STATUS_INTERNAL = 5
    } srd_fa_status;

    /** Memory layout of Q, K, V or the output (the op's input_layout / output_layout attributes). */
    typedef enum srd_fa_layout
    {
        SRD_FA_LAYOUT_BHND = 0, /**< [batch, heads, tokens, width], contiguous. */
        SRD_FA_LAYOUT_BNHD = 1, /**< [batch, tokens, heads, width]; also the packed [batch, tokens, heads*width]. */
    } srd_fa_layout;

/** srd_fa_params.flags */
#define SRD_FA_FLAG_NORMALIZE_QK 0x1u   /**< L2-normalise Q and K rows first: x / max(||x||, 1e-12). */
#define SRD_FA_FLAG_FORCE_PORTABLE 0x2u /**< Use the baseline-ISA kernel even on an AVX2 CPU (testing). */
#define SRD_FA_FLAG_FORCE_AVX2 0x4u     /**< Use the AVX2+FMA kernel; SRD_FA_STATUS_UNSUPPORTED without it. */
#define SRD_FA_FLAG_FORCE_AVX512 0x8u   /**< Use the AVX-512F kernel; SRD_FA_STATUS_UNSUPPORTED without it. */

    /**
     * One attention call. Q is [batch, heads, query_len, head_dim], K [batch, heads, key_len, head_dim],
     * V [batch, heads, key_len, value_dim] and the output [batch, heads, query_len, value_dim], each stored in
     * input_layout / output_layout order. The bias, when has_bias is 1, is a contiguous float32 tensor of shape
     * bias_dims, each entry 1 (broadcast) or equal to [batch, heads, query_len, key_len] respectively.
     */
    typedef struct srd_fa_params
    {
        int64_t batch;
        int64_t heads;
        int64_t query_len;
        int64_t key_len;  /**< >= 1: softmax over no keys is undefined. */
        int64_t head_dim; /**< >= 1 */
        int64_t value_dim;
        int32_t input_layout;  /**< srd_fa_layout */
        int32_t output_layout; /**< srd_fa_layout */
        float scale;           /**< 0 = 1/sqrt(head_dim). */
        uint32_t flags;        /**< SRD_FA_FLAG_* */
        int32_t has_bias;      /**< 0 or 1 */
        int32_t reserved;      /**< Must be 0. */
        int64_t bias_dims[4];
    } srd_fa_params;

    /** Returns SRD_FA_API_VERSION of the loaded library. */
    SRD_FA_API int32_t srd_fa_api_version(void);

    /**
     * Computes the attention output on the CPU with num_threads threads (1 = the calling thread only; 0 = one per
     * hardware thread). Tensors are float32, host memory, non-overlapping with out. Empty problems (batch, heads,
     * query_len or value_dim 0) succeed without touching out.
     */
    SRD_FA_API srd_fa_status srd_fa_cpu_forward(srd_fa_params const* params, float const* q, float const* k,
        float const* v, float const* bias, float* out, int32_t num_threads);

    /**
     * Copies the calling thread's last error message (UTF-8, NUL-terminated; "" after a successful call) into buffer.
     * required (if not NULL) receives the size including the NUL. buffer NULL: only required is set, returns OK.
     * size < required: nothing is written, returns SRD_FA_STATUS_BUFFER_TOO_SMALL. Does not change the last error.
     */
    SRD_FA_API srd_fa_status srd_fa_last_error(char* buffer, size_t size, size_t* required);

    /** Name of the instruction set the kernel uses on this CPU without flags ("avx512f", "avx2+fma" or "portable"). */
    SRD_FA_API char const* srd_fa_cpu_isa(void);

#ifdef __cplusplus
}
#endif

#endif /* SRD_FUSED_ATTENTION_H */
