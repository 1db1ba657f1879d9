/*
 * FusedAttention CUDA kernels: softmax(scale * norm(Q) norm(K)^T + bias) V with fp32 accumulation, for float and
 * half inputs. See fusedAttentionKernel.h for when each kernel is used. Kept deliberately plain (no tensor cores,
 * no inline PTX): one code path that is easy to check against the CPU reference.
 */
#include "fusedAttentionKernel.h"

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace srd::fa
{
namespace
{

constexpr int32_t kWARP = 32;
constexpr int32_t kSMALL_WARPS = 4;
constexpr int32_t kSMALL_THREADS = kSMALL_WARPS * kWARP;
constexpr int64_t kSMALL_MAX_KEYS = 256;
constexpr int32_t kSMALL_ROWS_PER_BLOCK = 64;
//! Shared memory for the K/V tiles of the problems one small-kernel block holds (the warp scratch comes on top).
constexpr size_t kSMALL_TILE_BYTES = 40 * 1024;
constexpr int32_t kFLASH_THREADS = static_cast<int32_t>(kCUDA_ROWS_PER_BLOCK);
constexpr int32_t kFLASH_KEYS = 64;
constexpr int32_t kFLASH_CHUNK = 16;

//! Everything a kernel needs, passed by value (well under the 4 KiB parameter limit).
struct Params
{
    int32_t nbBatchDims;
    int64_t batchDims[kMAX_BATCH_DIMS];
    int64_t numBatch;
    int64_t nq;
    int64_t nk;
    int32_t d;
    int32_t dv;
    int64_t qBatch[kMAX_BATCH_DIMS];
    int64_t kBatch[kMAX_BATCH_DIMS];
    int64_t vBatch[kMAX_BATCH_DIMS];
    int64_t oBatch[kMAX_BATCH_DIMS];
    int64_t bBatch[kMAX_BATCH_DIMS];
    int64_t qRow;
    int64_t kRow;
    int64_t vRow;
    int64_t oRow;
    int64_t bRow;
    int64_t bKey;
    int32_t hasBias;
    int32_t normalize;
    float scale;
    float eps;
    float const* scalePtr;
    void const* q;
    void const* k;
    void const* v;
    void const* bias;
    void* out;
};

__device__ __forceinline__ float toFloat(float x)
{
    return x;
}

__device__ __forceinline__ float toFloat(__half x)
{
    return __half2float(x);
}

__device__ __forceinline__ void store(float* p, float x)
{
    *p = x;
}

__device__ __forceinline__ void store(__half* p, float x)
{
    *p = __float2half(x);
}

__host__ __device__ __forceinline__ int64_t minI64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

__device__ __forceinline__ int64_t offsetOf(Params const& p, int64_t const* strides, int64_t index)
{
    int64_t offset = 0;
    for (int32_t i = p.nbBatchDims - 1; i >= 0; --i)
    {
        int64_t const dim = p.batchDims[i];
        offset += (index % dim) * strides[i];
        index /= dim;
    }
    return offset;
}

__device__ __forceinline__ float warpMax(float x)
{
    for (int32_t delta = kWARP / 2; delta > 0; delta /= 2)
    {
        x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, delta));
    }
    return x;
}

__device__ __forceinline__ float warpSum(float x)
{
    for (int32_t delta = kWARP / 2; delta > 0; delta /= 2)
    {
        x += __shfl_xor_sync(0xffffffffu, x, delta);
    }
    return x;
}

__device__ __forceinline__ float resolvedScale(Params const& p)
{
    return p.scalePtr != nullptr ? *p.scalePtr : p.scale;
}

template <typename T>
__device__ __forceinline__ float loadBias(Params const& p, int64_t batchOffset, int64_t i, int64_t j)
{
    T const* bias = static_cast<T const*>(p.bias);
    return toFloat(bias[batchOffset + i * p.bRow + j * p.bKey]);
}

// -------------------------------------------------------------------------------------------------------------------
// Small kernel: a group of problems per block, K/V in shared memory, one warp per query row.
// -------------------------------------------------------------------------------------------------------------------

/*
 * Shared memory layout (floats): for each of the block's `group` problems, K as [nk][d + 1] (already normalised)
 * then V as [nk][dv + 1]; the +1 keeps lanes that walk different keys on different banks. After the tiles, per warp:
 * the scaled query row [d] and the probabilities [nk].
 */
template <typename T, int32_t kKEYS_PER_LANE>
__global__ void __launch_bounds__(kSMALL_THREADS) smallAttentionKernel(Params p, int32_t group)
{
    extern __shared__ float shared[];
    int32_t const d = p.d;
    int32_t const dv = p.dv;
    int32_t const nk = static_cast<int32_t>(p.nk);
    int32_t const kStride = d + 1;
    int32_t const vStride = dv + 1;
    int32_t const tileFloats = nk * (kStride + vStride);
    int32_t const warp = threadIdx.x / kWARP;
    int32_t const lane = threadIdx.x % kWARP;
    float* const warpQuery = shared + group * tileFloats + warp * (d + nk);
    float* const warpProb = warpQuery + d;

    int64_t const firstProblem = static_cast<int64_t>(blockIdx.x) * group;
    int32_t const problems = static_cast<int32_t>(minI64(group, p.numBatch - firstProblem));
    float const scale = resolvedScale(p);

    // Stage K (normalised) and V of every problem of the group; one warp per key row.
    for (int32_t row = warp; row < problems * nk; row += kSMALL_WARPS)
    {
        int32_t const local = row / nk;
        int32_t const j = row % nk;
        int64_t const batch = firstProblem + local;
        T const* kRow = static_cast<T const*>(p.k) + offsetOf(p, p.kBatch, batch) + j * p.kRow;
        T const* vRow = static_cast<T const*>(p.v) + offsetOf(p, p.vBatch, batch) + j * p.vRow;
        float* kTile = shared + local * tileFloats + j * kStride;
        float* vTile = shared + local * tileFloats + nk * kStride + j * vStride;
        float sumSquares = 0.F;
        for (int32_t c = lane; c < d; c += kWARP)
        {
            float const x = toFloat(kRow[c]);
            kTile[c] = x;
            sumSquares += x * x;
        }
        if (p.normalize)
        {
            float const inverse = 1.F / fmaxf(sqrtf(warpSum(sumSquares)), p.eps);
            __syncwarp();
            for (int32_t c = lane; c < d; c += kWARP)
            {
                kTile[c] *= inverse;
            }
        }
        for (int32_t c = lane; c < dv; c += kWARP)
        {
            vTile[c] = toFloat(vRow[c]);
        }
    }
    __syncthreads();

    // Query rows of this block: rows [blockIdx.y * kSMALL_ROWS_PER_BLOCK, ...) of every problem in the group.
    int64_t const rowBegin = static_cast<int64_t>(blockIdx.y) * kSMALL_ROWS_PER_BLOCK;
    int64_t const rowEnd = minI64(rowBegin + kSMALL_ROWS_PER_BLOCK, p.nq);
    int64_t const rowsPerProblem = rowEnd - rowBegin;
    for (int64_t item = warp; item < problems * rowsPerProblem; item += kSMALL_WARPS)
    {
        int32_t const local = static_cast<int32_t>(item / rowsPerProblem);
        int64_t const i = rowBegin + item % rowsPerProblem;
        int64_t const batch = firstProblem + local;
        float const* kTile = shared + local * tileFloats;
        float const* vTile = kTile + nk * kStride;

        // Scaled (normalised) query row into the warp's scratch.
        T const* qRow = static_cast<T const*>(p.q) + offsetOf(p, p.qBatch, batch) + i * p.qRow;
        float sumSquares = 0.F;
        for (int32_t c = lane; c < d; c += kWARP)
        {
            float const x = toFloat(qRow[c]);
            warpQuery[c] = x;
            sumSquares += x * x;
        }
        float const factor = p.normalize ? scale / fmaxf(sqrtf(warpSum(sumSquares)), p.eps) : scale;
        __syncwarp();
        for (int32_t c = lane; c < d; c += kWARP)
        {
            warpQuery[c] *= factor;
        }
        __syncwarp();

        // Scores: lane handles keys lane, lane + 32, ...
        int64_t const biasOffset = p.hasBias ? offsetOf(p, p.bBatch, batch) : 0;
        float scores[kKEYS_PER_LANE];
        float rowMax = -INFINITY;
#pragma unroll
        for (int32_t t = 0; t < kKEYS_PER_LANE; ++t)
        {
            int32_t const j = lane + t * kWARP;
            float s = -INFINITY;
            if (j < nk)
            {
                float const* kRow = kTile + j * kStride;
                float dot = 0.F;
                for (int32_t c = 0; c < d; ++c)
                {
                    dot = fmaf(warpQuery[c], kRow[c], dot);
                }
                s = dot;
                if (p.hasBias)
                {
                    s += loadBias<T>(p, biasOffset, i, j);
                }
            }
            scores[t] = s;
            rowMax = fmaxf(rowMax, s);
        }
        rowMax = warpMax(rowMax);
        float rowSum = 0.F;
#pragma unroll
        for (int32_t t = 0; t < kKEYS_PER_LANE; ++t)
        {
            int32_t const j = lane + t * kWARP;
            // A row whose keys are all -inf has rowMax -inf: the weights are NaN and so is the row, as in the unfused
            // graph.
            float const weight = j < nk ? __expf(scores[t] - rowMax) : 0.F;
            if (j < nk)
            {
                warpProb[j] = weight;
            }
            rowSum += weight;
        }
        rowSum = warpSum(rowSum);
        __syncwarp();

        // Output: lane handles columns lane, lane + 32, ...
        T* outRow = static_cast<T*>(p.out) + offsetOf(p, p.oBatch, batch) + i * p.oRow;
        float const inverse = 1.F / rowSum;
        for (int32_t c = lane; c < dv; c += kWARP)
        {
            float acc = 0.F;
            for (int32_t j = 0; j < nk; ++j)
            {
                acc = fmaf(warpProb[j], vTile[j * vStride + c], acc);
            }
            store(outRow + c, acc * inverse);
        }
        __syncwarp();
    }
}

// -------------------------------------------------------------------------------------------------------------------
// Flash kernel: one thread per query row, K/V blocks streamed through shared memory, online softmax.
// -------------------------------------------------------------------------------------------------------------------

template <typename T, int32_t kHEAD>
__global__ void __launch_bounds__(kFLASH_THREADS) flashAttentionKernel(Params p, int64_t rowBlocks)
{
    __shared__ float kTile[kFLASH_KEYS][kHEAD];
    __shared__ float vTile[kFLASH_KEYS][kHEAD];
    int32_t const d = p.d;
    int32_t const dv = p.dv;
    int64_t const batch = static_cast<int64_t>(blockIdx.x) / rowBlocks;
    int64_t const i = (static_cast<int64_t>(blockIdx.x) % rowBlocks) * kFLASH_THREADS + threadIdx.x;
    bool const active = i < p.nq;
    float const scale = resolvedScale(p);

    // Columns d..kHEAD of kTile are read by the unrolled dot product (times a zero query entry): they must hold
    // zeros, not whatever shared memory contained (0 * NaN = NaN). Staging never writes them.
    for (int32_t index = threadIdx.x; index < kFLASH_KEYS * kHEAD; index += kFLASH_THREADS)
    {
        kTile[index / kHEAD][index % kHEAD] = 0.F;
        vTile[index / kHEAD][index % kHEAD] = 0.F;
    }

    float query[kHEAD];
    float acc[kHEAD];
#pragma unroll
    for (int32_t c = 0; c < kHEAD; ++c)
    {
        query[c] = 0.F;
        acc[c] = 0.F;
    }
    if (active)
    {
        T const* qRow = static_cast<T const*>(p.q) + offsetOf(p, p.qBatch, batch) + i * p.qRow;
        float sumSquares = 0.F;
#pragma unroll
        for (int32_t c = 0; c < kHEAD; ++c)
        {
            if (c < d)
            {
                query[c] = toFloat(qRow[c]);
                sumSquares += query[c] * query[c];
            }
        }
        float const factor = p.normalize ? scale / fmaxf(sqrtf(sumSquares), p.eps) : scale;
#pragma unroll
        for (int32_t c = 0; c < kHEAD; ++c)
        {
            query[c] *= factor;
        }
    }
    T const* kBase = static_cast<T const*>(p.k) + offsetOf(p, p.kBatch, batch);
    T const* vBase = static_cast<T const*>(p.v) + offsetOf(p, p.vBatch, batch);
    int64_t const biasOffset = p.hasBias ? offsetOf(p, p.bBatch, batch) : 0;
    float rowMax = -INFINITY;
    float rowSum = 0.F;

    for (int64_t k0 = 0; k0 < p.nk; k0 += kFLASH_KEYS)
    {
        int32_t const keys = static_cast<int32_t>(minI64(kFLASH_KEYS, p.nk - k0));
        __syncthreads(); // The previous block's tiles are no longer read.
        // One thread per key row (no cross-thread reduction needed for the norm).
        for (int32_t row = threadIdx.x; row < keys; row += kFLASH_THREADS)
        {
            T const* kRow = kBase + (k0 + row) * p.kRow;
            T const* vRow = vBase + (k0 + row) * p.vRow;
            float sumSquares = 0.F;
            for (int32_t c = 0; c < d; ++c)
            {
                float const x = toFloat(kRow[c]);
                kTile[row][c] = x;
                sumSquares += x * x;
            }
            if (p.normalize)
            {
                float const inverse = 1.F / fmaxf(sqrtf(sumSquares), p.eps);
                for (int32_t c = 0; c < d; ++c)
                {
                    kTile[row][c] *= inverse;
                }
            }
            for (int32_t c = 0; c < dv; ++c)
            {
                vTile[row][c] = toFloat(vRow[c]);
            }
        }
        __syncthreads();
        if (!active)
        {
            continue;
        }
        for (int32_t j0 = 0; j0 < keys; j0 += kFLASH_CHUNK)
        {
            float scores[kFLASH_CHUNK];
            float chunkMax = -INFINITY;
#pragma unroll
            for (int32_t t = 0; t < kFLASH_CHUNK; ++t)
            {
                int32_t const j = j0 + t;
                float s = -INFINITY;
                if (j < keys)
                {
                    float dot = 0.F;
#pragma unroll
                    for (int32_t c = 0; c < kHEAD; ++c)
                    {
                        dot = fmaf(query[c], kTile[j][c], dot); // query[c] is 0 for c >= d.
                    }
                    s = dot;
                    if (p.hasBias)
                    {
                        s += loadBias<T>(p, biasOffset, i, k0 + j);
                    }
                }
                scores[t] = s;
                chunkMax = fmaxf(chunkMax, s);
            }
            float const newMax = fmaxf(rowMax, chunkMax);
            if (newMax == -INFINITY)
            {
                continue; // Every key so far is masked out.
            }
            float const alpha = rowMax == -INFINITY ? 0.F : __expf(rowMax - newMax);
            rowSum *= alpha;
#pragma unroll
            for (int32_t c = 0; c < kHEAD; ++c)
            {
                acc[c] *= alpha;
            }
#pragma unroll
            for (int32_t t = 0; t < kFLASH_CHUNK; ++t)
            {
                int32_t const j = j0 + t;
                if (j < keys)
                {
                    float const weight = __expf(scores[t] - newMax);
                    rowSum += weight;
#pragma unroll
                    for (int32_t c = 0; c < kHEAD; ++c)
                    {
                        if (c < dv)
                        {
                            acc[c] = fmaf(weight, vTile[j][c], acc[c]);
                        }
                    }
                }
            }
            rowMax = newMax;
        }
    }
    if (active)
    {
        T* outRow = static_cast<T*>(p.out) + offsetOf(p, p.oBatch, batch) + i * p.oRow;
        float const inverse = 1.F / rowSum; // rowSum 0 (all keys masked): 0 * inf = NaN, as in the unfused graph.
#pragma unroll
        for (int32_t c = 0; c < kHEAD; ++c)
        {
            if (c < dv)
            {
                store(outRow + c, acc[c] * inverse);
            }
        }
    }
}

// -------------------------------------------------------------------------------------------------------------------
// Launch
// -------------------------------------------------------------------------------------------------------------------

Params makeParams(AttentionProblem const& problem, CudaPointers const& pointers)
{
    Params p{};
    p.nbBatchDims = problem.nbBatchDims;
    for (int32_t i = 0; i < kMAX_BATCH_DIMS; ++i)
    {
        p.batchDims[i] = problem.batchDims[i];
        p.qBatch[i] = problem.q.batch[i];
        p.kBatch[i] = problem.k.batch[i];
        p.vBatch[i] = problem.v.batch[i];
        p.oBatch[i] = problem.out.batch[i];
        p.bBatch[i] = problem.bias.batch[i];
    }
    p.numBatch = problem.numBatch;
    p.nq = problem.nq;
    p.nk = problem.nk;
    p.d = static_cast<int32_t>(problem.headDim);
    p.dv = static_cast<int32_t>(problem.valueDim);
    p.qRow = problem.q.row;
    p.kRow = problem.k.row;
    p.vRow = problem.v.row;
    p.oRow = problem.out.row;
    p.bRow = problem.bias.row;
    p.bKey = problem.biasKeyStride;
    p.hasBias = problem.hasBias ? 1 : 0;
    p.normalize = problem.normalizeQk ? 1 : 0;
    p.scale = problem.scale;
    p.eps = kNORMALIZE_EPS;
    p.scalePtr = problem.hasScaleInput ? pointers.scale : nullptr;
    p.q = pointers.q;
    p.k = pointers.k;
    p.v = pointers.v;
    p.bias = pointers.bias;
    p.out = pointers.out;
    return p;
}

size_t smallTileBytes(AttentionProblem const& problem)
{
    return static_cast<size_t>(problem.nk) * static_cast<size_t>(problem.headDim + 1 + problem.valueDim + 1) *
           sizeof(float);
}

bool useSmallKernel(AttentionProblem const& problem)
{
    return problem.nk <= kSMALL_MAX_KEYS && smallTileBytes(problem) <= kSMALL_TILE_BYTES &&
           problem.nq <= int64_t{65535} * kSMALL_ROWS_PER_BLOCK;
}

template <typename T, int32_t kKEYS_PER_LANE>
cudaError_t launchSmall(Params const& p, AttentionProblem const& problem, cudaStream_t stream)
{
    size_t const tile = smallTileBytes(problem);
    int64_t group = static_cast<int64_t>(kSMALL_TILE_BYTES / tile);
    group = group < 1 ? 1 : group;
    group = group > problem.numBatch ? problem.numBatch : group;
    // Keep enough blocks to fill the GPU before packing problems together.
    if (problem.numBatch / group < 1024 && group > 1)
    {
        group = problem.numBatch / 1024 > 1 ? problem.numBatch / 1024 : 1;
    }
    size_t const warpScratch =
        static_cast<size_t>(kSMALL_WARPS) * static_cast<size_t>(problem.headDim + problem.nk) * sizeof(float);
    size_t const bytes = static_cast<size_t>(group) * tile + warpScratch;
    dim3 const grid(static_cast<unsigned>((problem.numBatch + group - 1) / group),
        static_cast<unsigned>((problem.nq + kSMALL_ROWS_PER_BLOCK - 1) / kSMALL_ROWS_PER_BLOCK));
    cudaError_t status = cudaSuccess;
    if (bytes > 48 * 1024)
    {
        status = cudaFuncSetAttribute(smallAttentionKernel<T, kKEYS_PER_LANE>,
            cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
        if (status != cudaSuccess)
        {
            return status;
        }
    }
    smallAttentionKernel<T, kKEYS_PER_LANE><<<grid, kSMALL_THREADS, bytes, stream>>>(p, static_cast<int32_t>(group));
    return cudaGetLastError();
}

template <typename T>
cudaError_t launchSmallFor(Params const& p, AttentionProblem const& problem, cudaStream_t stream)
{
    if (problem.nk <= 32)
    {
        return launchSmall<T, 1>(p, problem, stream);
    }
    if (problem.nk <= 64)
    {
        return launchSmall<T, 2>(p, problem, stream);
    }
    if (problem.nk <= 128)
    {
        return launchSmall<T, 4>(p, problem, stream);
    }
    return launchSmall<T, 8>(p, problem, stream);
}

template <typename T>
cudaError_t launchFlashFor(Params const& p, AttentionProblem const& problem, cudaStream_t stream)
{
    int64_t const rowBlocks = (problem.nq + kFLASH_THREADS - 1) / kFLASH_THREADS;
    dim3 const grid(static_cast<unsigned>(problem.numBatch * rowBlocks));
    int64_t const head = problem.headDim > problem.valueDim ? problem.headDim : problem.valueDim;
    if (head <= 32)
    {
        flashAttentionKernel<T, 32><<<grid, kFLASH_THREADS, 0, stream>>>(p, rowBlocks);
    }
    else if (head <= 64)
    {
        flashAttentionKernel<T, 64><<<grid, kFLASH_THREADS, 0, stream>>>(p, rowBlocks);
    }
    else
    {
        flashAttentionKernel<T, 128><<<grid, kFLASH_THREADS, 0, stream>>>(p, rowBlocks);
    }
    return cudaGetLastError();
}

} // namespace

char const* cudaKernelName(AttentionProblem const& problem) noexcept
{
    return useSmallKernel(problem) ? "small" : "flash";
}

cudaError_t launchFusedAttention(
    AttentionProblem const& problem, CudaPointers const& pointers, cudaStream_t stream) noexcept
{
    try
    {
        if (!checkCudaSupport(problem).empty())
        {
            return cudaErrorInvalidValue;
        }
        if (problem.emptyOutput())
        {
            return cudaSuccess;
        }
        Params const p = makeParams(problem, pointers);
        bool const half = problem.type == ElementType::kFLOAT16;
        if (useSmallKernel(problem))
        {
            return half ? launchSmallFor<__half>(p, problem, stream) : launchSmallFor<float>(p, problem, stream);
        }
        return half ? launchFlashFor<__half>(p, problem, stream) : launchFlashFor<float>(p, problem, stream);
    }
    catch (...)
    {
        return cudaErrorUnknown;
    }
}

} // namespace srd::fa
