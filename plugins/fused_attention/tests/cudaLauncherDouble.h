/*
 * Test double of the CUDA launcher (fusedAttentionKernel.h) for the TensorRT plugin tests: it records the launch it
 * is asked for instead of running a kernel, so the plugin's host logic can be tested without a GPU. Linked only into
 * srd_fa_trt_plugin_tests.
 */
#ifndef SRD_FUSED_ATTENTION_TESTS_CUDA_LAUNCHER_DOUBLE_H
#define SRD_FUSED_ATTENTION_TESTS_CUDA_LAUNCHER_DOUBLE_H

#include "fusedAttentionKernel.h"

namespace srd::fa::testing
{

struct LaunchRecord
{
    int32_t launches{0};
    AttentionProblem problem;
    CudaPointers pointers;
    cudaStream_t stream{nullptr};
};

//! What the double saw last; reset by the tests.
extern LaunchRecord gLastLaunch;

} // namespace srd::fa::testing

#endif // SRD_FUSED_ATTENTION_TESTS_CUDA_LAUNCHER_DOUBLE_H
