/*
 * Stand-in for the three CUDA runtime names TensorRT's public headers use (cudaStream_t, cudaEvent_t, cudaError_t),
 * so the TensorRT-facing C++ (the shim in interop/native and the plugin in plugins/fused_attention) can be
 * compile-checked on machines without the CUDA toolkit. Never used when real CUDA headers are given
 * (SRD_CUDA_INCLUDE_DIR). Code that actually launches kernels includes the real CUDA headers and is only built
 * when CUDA is found.
 */
#ifndef SRD_CUDA_STAND_IN_CUDA_RUNTIME_API_H
#define SRD_CUDA_STAND_IN_CUDA_RUNTIME_API_H

#define SRD_CUDA_STAND_IN 1

typedef struct CUstream_st* cudaStream_t;
typedef struct CUevent_st* cudaEvent_t;

typedef enum cudaError
{
    cudaSuccess = 0
} cudaError_t;

#endif /* SRD_CUDA_STAND_IN_CUDA_RUNTIME_API_H */
