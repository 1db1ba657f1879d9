/*
 * Launcher of the FusedAttention CUDA kernels (fusedAttentionKernel.cu). Only this header is seen by the TensorRT
 * plugin and the CUDA C API; it needs from CUDA only cudaStream_t and cudaError_t (cuda_runtime_api.h, or the
 * stand-in used for compile checks without the toolkit).
 *
 * Two kernels, chosen per call:
 *   - "small": K and V of several (batch, head) problems staged in shared memory, one warp per query row, one lane
 *     per key for the scores and per output column for P V. For the patch/window regimes (DITN 60x60 with d = 64,
 *     Swin windows of 49..256 tokens): Nk <= 256 and the tiles of one problem fit in 40 KiB.
 *   - "flash": one thread per query row, K/V streamed through shared memory in blocks of 64 keys with an online
 *     softmax; the N x N matrix never exists. For long sequences (ESRT segments, SHViT maps).
 * Both accumulate in fp32 (fp16 inputs are converted on load) and support d, dv <= 128, odd sizes included.
 */
#ifndef SRD_FUSED_ATTENTION_KERNEL_H
#define SRD_FUSED_ATTENTION_KERNEL_H

#include "fusedAttentionCommon.h"

#include <cuda_runtime_api.h>

namespace srd::fa
{

//! Device pointers of one call. `scale` (device, one float) is read when problem.hasScaleInput.
struct CudaPointers
{
    void const* q{nullptr};
    void const* k{nullptr};
    void const* v{nullptr};
    void const* bias{nullptr};
    float const* scale{nullptr};
    void* out{nullptr};
};

//! Name of the kernel the launcher picks for this problem ("small" or "flash").
char const* cudaKernelName(AttentionProblem const& problem) noexcept;

/*!
 * Enqueues FusedAttention on `stream` (float32 or float16, per problem.type) and returns the launch status. Does
 * not synchronise. Returns cudaErrorInvalidValue if checkCudaSupport fails; an empty output launches nothing.
 */
cudaError_t launchFusedAttention(
    AttentionProblem const& problem, CudaPointers const& pointers, cudaStream_t stream) noexcept;

} // namespace srd::fa

#endif // SRD_FUSED_ATTENTION_KERNEL_H
