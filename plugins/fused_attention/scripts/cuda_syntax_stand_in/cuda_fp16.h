/* Syntax-check stand-in (see cuda_runtime_api.h): the half type and the two conversions the kernels use. */
#ifndef SRD_CUDA_SYNTAX_STAND_IN_FP16_H
#define SRD_CUDA_SYNTAX_STAND_IN_FP16_H

#include "cuda_runtime.h"

struct __half
{
    unsigned short bits;
};

__host__ __device__ float __half2float(__half x);
__host__ __device__ __half __float2half(float x);

#endif
