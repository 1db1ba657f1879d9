/* Syntax-check stand-in (see cuda_runtime_api.h): CUDA attributes, built-in variables, the device functions and
   intrinsics the kernels use, and what clang needs to lower <<<...>>> launches. */
#ifndef SRD_CUDA_SYNTAX_STAND_IN_RUNTIME_H
#define SRD_CUDA_SYNTAX_STAND_IN_RUNTIME_H

#include "cuda_runtime_api.h"

#include <math.h>

#if defined(__CUDA__) // clang's CUDA mode: the real attributes, built-in variables and launch lowering.
#define __host__ __attribute__((host))
#define __device__ __attribute__((device))
#define __global__ __attribute__((global))
#define __shared__ __attribute__((shared))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))

#include <__clang_cuda_builtin_vars.h>

extern "C" __device__ int printf(char const*, ...);
extern "C" int cudaConfigureCall(dim3 grid, dim3 block, size_t shared = 0, cudaStream_t stream = 0);
extern "C" unsigned __cudaPushCallConfiguration(dim3 grid, dim3 block, size_t shared = 0, void* stream = 0);
#else // A host compiler (g++) checking host code that includes CUDA headers.
#define __host__
#define __device__
#define __global__
#define __shared__
#define __forceinline__ inline
#define __launch_bounds__(...)
#endif

__device__ void __syncthreads();
__device__ void __syncwarp(unsigned mask = 0xffffffffu);
__device__ unsigned __activemask();
__device__ float __shfl_xor_sync(unsigned mask, float value, int laneMask, int width = 32);
__device__ float __expf(float x);
__device__ float fmaf(float a, float b, float c);
__device__ float fmaxf(float a, float b);
__device__ float sqrtf(float x);

#endif
