/*
 * Syntax-check stand-in for the CUDA runtime (NOT the CUDA toolkit): the few declarations fusedAttentionKernel.cu
 * and fusedAttentionCudaApi.cpp use, so that clang's CUDA front end (clang++ -x cuda -nocudainc -nocudalib) can
 * parse and type-check the kernels on a machine without CUDA. Nothing here is linked or run; see
 * scripts/check-cuda-syntax.sh.
 */
#ifndef SRD_CUDA_SYNTAX_STAND_IN_RUNTIME_API_H
#define SRD_CUDA_SYNTAX_STAND_IN_RUNTIME_API_H

#include <stddef.h>

#define SRD_CUDA_STAND_IN 1

typedef struct CUstream_st* cudaStream_t;
typedef struct CUevent_st* cudaEvent_t;

typedef enum cudaError
{
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorUnknown = 999
} cudaError_t;

enum cudaFuncAttribute
{
    cudaFuncAttributeMaxDynamicSharedMemorySize = 8
};

struct uint3
{
    unsigned int x, y, z;
};

struct dim3
{
    unsigned int x, y, z;
#if defined(__cplusplus)
    constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1)
        : x(vx)
        , y(vy)
        , z(vz)
    {
    }
#endif
};

#if defined(__cplusplus)
extern "C" {
#endif
enum cudaMemcpyKind
{
    cudaMemcpyHostToDevice = 1,
    cudaMemcpyDeviceToHost = 2
};
cudaError_t cudaGetLastError(void);
cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaMalloc(void** pointer, size_t bytes);
cudaError_t cudaFree(void* pointer);
cudaError_t cudaMemcpy(void* dst, void const* src, size_t bytes, enum cudaMemcpyKind kind);
cudaError_t cudaMemset(void* pointer, int value, size_t bytes);
cudaError_t cudaDeviceSynchronize(void);
char const* cudaGetErrorString(cudaError_t error);
cudaError_t cudaFuncSetAttribute(void const* function, enum cudaFuncAttribute attribute, int value);
#if defined(__cplusplus)
}
template <class T>
cudaError_t cudaFuncSetAttribute(T* entry, enum cudaFuncAttribute attribute, int value)
{
    return cudaFuncSetAttribute(reinterpret_cast<void const*>(entry), attribute, value);
}
#endif

#endif
