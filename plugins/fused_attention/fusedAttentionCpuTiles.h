/*
 * The blocked, streaming-softmax attention loop shared by the instruction-set-specific units. It is a template over
 * `Ops`, a struct of static vector primitives that each unit supplies: kROWS x (2 kLANES) and kROWS x kLANES GEMM
 * register tiles (C = or += A B), row max, exp + row sum, row scaling, with kLANES floats per vector. Everything is in
 * an anonymous namespace and uses no C++ library template (see fusedAttentionCpuJob.h for why): each unit gets its own
 * private copy compiled for its own instruction set.
 *
 * Per task (one batch entry, one block of up to blockQ query rows):
 *   Q tile  <- scale * Q rows (L2-normalised first when normalize_qk)
 *   for each block of up to blockK keys:
 *     Kt tile <- K rows of the block, transposed (normalised when normalize_qk)
 *     S       <- bias (or 0);  S += Q tile * Kt tile          (S is blockQ x blockK, never N x N)
 *     m_new = max(m, rowmax S);  P = exp(S - m_new);  l = l * exp(m - m_new) + rowsum P;  acc *= exp(m - m_new)
 *     acc    += P * V rows of the block
 *   out rows <- acc / l
 */
#ifndef SRD_FUSED_ATTENTION_CPU_TILES_H
#define SRD_FUSED_ATTENTION_CPU_TILES_H

#include "fusedAttentionCpuJob.h"

namespace srd::fa::cpu
{
namespace
{

inline int64_t minI64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

inline int64_t roundUpI64(int64_t value, int64_t multiple)
{
    return (value + multiple - 1) / multiple * multiple;
}

inline int64_t jobBatchOffset(TileJob const& job, JobStrides const& strides, int64_t index)
{
    int64_t offset = 0;
    for (int32_t i = job.nbBatchDims - 1; i >= 0; --i)
    {
        int64_t const dim = job.batchDims[i];
        offset += (index % dim) * strides.batch[i];
        index /= dim;
    }
    return offset;
}

//! Scratch regions of one worker; each starts on a 64-byte boundary.
struct TileScratch
{
    float* q;       //!< blockQ x d, row stride d.
    float* kt;      //!< d x blockK, row stride blockK.
    float* v;       //!< blockK x dvPadded (used only when V rows cannot be read in place).
    float* vTail;   //!< kMAX_LANES x blockK: the last dv % lanes columns of V, transposed (dot-product tail).
    float* s;       //!< blockQ x blockK.
    float* acc;     //!< blockQ x dvPadded.
    float* rowMax;  //!< blockQ.
    float* rowSum;  //!< blockQ.
    float* factors; //!< max(blockQ, blockK): per-row normalisation factors.
};

constexpr int64_t kMAX_LANES = 16;

inline size_t alignFloats(size_t count)
{
    return (count + 15) / 16 * 16;
}

//! Lays the regions out from `base` (or only counts, when base is null); returns the floats needed. The one
//! function both sizes the allocation (scratchFloatsFor) and carves it (carveScratch), so they cannot disagree.
inline size_t layoutScratch(float* base, int64_t blockQ, int64_t blockK, int64_t d, int64_t dvPadded, TileScratch& out)
{
    size_t offset = 0;
    auto take = [&](size_t count)
    {
        float* region = base != nullptr ? base + offset : nullptr;
        offset += alignFloats(count);
        return region;
    };
    out.q = take(static_cast<size_t>(blockQ * d));
    out.kt = take(static_cast<size_t>(d * blockK));
    out.v = take(static_cast<size_t>(blockK * dvPadded));
    out.vTail = take(static_cast<size_t>(kMAX_LANES * blockK));
    out.s = take(static_cast<size_t>(blockQ * blockK));
    out.acc = take(static_cast<size_t>(blockQ * dvPadded));
    out.rowMax = take(static_cast<size_t>(blockQ));
    out.rowSum = take(static_cast<size_t>(blockQ));
    out.factors = take(static_cast<size_t>(blockQ > blockK ? blockQ : blockK));
    return offset;
}

inline TileScratch carveScratch(float* base, int64_t blockQ, int64_t blockK, int64_t d, int64_t dvPadded)
{
    TileScratch scratch{};
    layoutScratch(base, blockQ, blockK, d, dvPadded, scratch);
    return scratch;
}

inline size_t scratchFloatsFor(int64_t blockQ, int64_t blockK, int64_t d, int64_t dvPadded)
{
    TileScratch unused{};
    return layoutScratch(nullptr, blockQ, blockK, d, dvPadded, unused);
}

inline float inverseNorm(float const* row, int64_t d, float eps)
{
    // Eight independent partial sums: one serial chain of d dependent adds would cost d times the add latency
    // (DITN: 120 rows of 64 per patch), and the compiler may not reassociate float sums by itself.
    float partial[8] = {};
    int64_t c = 0;
    for (; c + 8 <= d; c += 8)
    {
        for (int64_t lane = 0; lane < 8; ++lane)
        {
            partial[lane] += row[c + lane] * row[c + lane];
        }
    }
    float sum = 0.F;
    for (; c < d; ++c)
    {
        sum += row[c] * row[c];
    }
    for (int64_t lane = 0; lane < 8; ++lane)
    {
        sum += partial[lane];
    }
    float const norm = __builtin_sqrtf(sum);
    return 1.F / (norm > eps ? norm : eps);
}

//! out[r] = 1 / max(||row r||, eps) for `count` rows `stride` apart; four rows at a time so that their sums are
//! independent chains (a single row's sum is a chain of dependent adds).
inline void inverseNorms(float const* base, int64_t stride, int64_t count, int64_t d, float eps, float* out)
{
    int64_t r = 0;
    for (; r + 4 <= count; r += 4)
    {
        float partial[4][8] = {};
        int64_t c = 0;
        for (; c + 8 <= d; c += 8)
        {
            for (int64_t k = 0; k < 4; ++k)
            {
                float const* row = base + (r + k) * stride + c;
                for (int64_t lane = 0; lane < 8; ++lane)
                {
                    partial[k][lane] += row[lane] * row[lane];
                }
            }
        }
        for (int64_t k = 0; k < 4; ++k)
        {
            float sum = 0.F;
            for (int64_t tail = c; tail < d; ++tail)
            {
                float const x = base[(r + k) * stride + tail];
                sum += x * x;
            }
            for (int64_t lane = 0; lane < 8; ++lane)
            {
                sum += partial[k][lane];
            }
            float const norm = __builtin_sqrtf(sum);
            out[r + k] = 1.F / (norm > eps ? norm : eps);
        }
    }
    for (; r < count; ++r)
    {
        out[r] = inverseNorm(base + r * stride, d, eps);
    }
}

//! inverseNorms with the instruction set's own sum of squares (vector accumulators, no serial chain).
template <typename Ops>
void rowInverseNorms(float const* base, int64_t stride, int64_t count, int64_t d, float eps, float* out)
{
    for (int64_t r = 0; r < count; ++r)
    {
        float const norm = __builtin_sqrtf(Ops::sumSquares(base + r * stride, d));
        out[r] = 1.F / (norm > eps ? norm : eps);
    }
}

template <typename Ops>
void processTask(TileJob const& job, int64_t task, TileScratch const& scratch)
{
    constexpr int64_t kROWS = Ops::kROWS;
    constexpr int64_t kLANES = Ops::kLANES;
    constexpr int64_t kWIDE = 2 * kLANES;
    float const negativeInfinity = -__builtin_inff();
    int64_t const d = job.d;
    int64_t const dv = job.dv;
    int64_t const dvPadded = job.dvPadded;
    int64_t const blockK = job.blockK;
    int64_t const batch = task / job.qBlocks;
    int64_t const q0 = (task % job.qBlocks) * job.blockQ;
    int64_t const rows = minI64(job.blockQ, job.nq - q0);
    int64_t const paddedRows = roundUpI64(rows, kROWS);

    float const* qBase = job.qData + jobBatchOffset(job, job.q, batch);
    float const* kBase = job.kData + jobBatchOffset(job, job.k, batch);
    float const* vBase = job.vData + jobBatchOffset(job, job.v, batch);
    float const* biasBase = job.hasBias ? job.biasData + jobBatchOffset(job, job.bias, batch) : nullptr;
    float* outBase = job.outData + jobBatchOffset(job, job.out, batch);

    // Q tile, scaled (and normalised); padding rows are zero so that kROWS-row GEMM tiles never read garbage.
    if (job.normalizeQk)
    {
        rowInverseNorms<Ops>(qBase + q0 * job.q.row, job.q.row, rows, d, job.normalizeEps, scratch.factors);
    }
    for (int64_t i = 0; i < paddedRows; ++i)
    {
        float* dst = scratch.q + i * d;
        if (i < rows)
        {
            float const* src = qBase + (q0 + i) * job.q.row;
            float const factor = job.normalizeQk ? job.scale * scratch.factors[i] : job.scale;
            for (int64_t c = 0; c < d; ++c)
            {
                dst[c] = src[c] * factor;
            }
        }
        else
        {
            for (int64_t c = 0; c < d; ++c)
            {
                dst[c] = 0.F;
            }
        }
        scratch.rowMax[i] = negativeInfinity;
        scratch.rowSum[i] = 0.F;
        float* acc = scratch.acc + i * dvPadded;
        for (int64_t c = 0; c < dvPadded; ++c)
        {
            acc[c] = 0.F;
        }
    }

    // A narrow remainder of V's columns (ESRT: 18 = 16 + 2) costs a full register tile per key in the GEMM; as dot
    // products over the keys it costs a few vector ops per row instead (the driver decides: job.valueTail).
    int64_t const tail = job.valueTail;
    int64_t const dvMain = job.dvMain;
    // V rows can feed the GEMM in place when the GEMM's columns lie within them.
    bool const vInPlace = dv == dvPadded || tail != 0;
    float const* packed = job.packedK != nullptr ? job.packedK + batch * job.packedStride : nullptr;

    for (int64_t k0 = 0; k0 < job.nk; k0 += blockK)
    {
        int64_t const keys = minI64(blockK, job.nk - k0);
        int64_t const paddedKeys = roundUpI64(keys, kWIDE);

        // Kt tile (column j = key k0 + j) and the transposed V tail: prepacked per batch entry, or packed here.
        float const* kt = scratch.kt;
        int64_t ktStride = blockK;
        float const* vTail = scratch.vTail;
        if (packed != nullptr)
        {
            kt = packed + k0;
            ktStride = job.packedKeys;
            vTail = packed + d * job.packedKeys + k0;
        }
        else
        {
            if (job.normalizeQk)
            {
                rowInverseNorms<Ops>(kBase + k0 * job.k.row, job.k.row, keys, d, job.normalizeEps, scratch.factors);
            }
            if (!job.normalizeQk)
            {
                for (int64_t j = 0; j < keys; ++j)
                {
                    scratch.factors[j] = 1.F;
                }
            }
            // Row by row of Kt: contiguous writes; the strided reads stay within the block's K rows (in L1).
            float const* kBlock = kBase + k0 * job.k.row;
            for (int64_t c = 0; c < d; ++c)
            {
                float* dst = scratch.kt + c * blockK;
                for (int64_t j = 0; j < keys; ++j)
                {
                    dst[j] = kBlock[j * job.k.row + c] * scratch.factors[j];
                }
            }
            for (int64_t t = 0; t < tail; ++t)
            {
                float* dst = scratch.vTail + t * blockK;
                for (int64_t j = 0; j < keys; ++j)
                {
                    dst[j] = vBase[(k0 + j) * job.v.row + dvMain + t];
                }
                for (int64_t j = keys; j < paddedKeys; ++j)
                {
                    dst[j] = 0.F; // P is 0 there too; keep the product finite.
                }
            }
        }
        int64_t const vTailStride = packed != nullptr ? job.packedKeys : blockK;
        float const* vTile = vBase + k0 * job.v.row;
        int64_t vStride = job.v.row;
        if (!vInPlace)
        {
            for (int64_t j = 0; j < keys; ++j)
            {
                __builtin_memcpy(scratch.v + j * dvPadded, vBase + (k0 + j) * job.v.row, static_cast<size_t>(dv) * 4);
            }
            vTile = scratch.v;
            vStride = dvPadded;
        }

        // S = Q * Kt (+ bias). Without a bias the GEMM stores S directly; with one, S starts as the bias.
        if (biasBase != nullptr)
        {
            for (int64_t i = 0; i < paddedRows; ++i)
            {
                float* s = scratch.s + i * blockK;
                if (i < rows)
                {
                    float const* b = biasBase + (q0 + i) * job.bias.row + k0 * job.biasKeyStride;
                    for (int64_t j = 0; j < keys; ++j)
                    {
                        s[j] = b[j * job.biasKeyStride];
                    }
                    for (int64_t j = keys; j < paddedKeys; ++j)
                    {
                        s[j] = 0.F;
                    }
                }
                else
                {
                    for (int64_t j = 0; j < paddedKeys; ++j)
                    {
                        s[j] = 0.F;
                    }
                }
            }
        }
        for (int64_t i = 0; i < paddedRows; i += kROWS)
        {
            for (int64_t j = 0; j < paddedKeys; j += kWIDE)
            {
                float const* a = scratch.q + i * d;
                float* c = scratch.s + i * blockK + j;
                if (biasBase != nullptr)
                {
                    Ops::template gemmWide<true>(a, d, kt + j, ktStride, c, blockK, d);
                }
                else
                {
                    Ops::template gemmWide<false>(a, d, kt + j, ktStride, c, blockK, d);
                }
            }
        }

        // Streaming softmax update, row by row.
        for (int64_t i = 0; i < rows; ++i)
        {
            float* s = scratch.s + i * blockK;
            for (int64_t j = keys; j < paddedKeys; ++j)
            {
                s[j] = negativeInfinity;
            }
            float const blockMax = Ops::rowMax(s, paddedKeys);
            float const oldMax = scratch.rowMax[i];
            float const newMax = blockMax > oldMax ? blockMax : oldMax;
            if (newMax == negativeInfinity)
            {
                // Every key so far is masked out: nothing to accumulate (the row ends as 0/0 = NaN, like the
                // unfused graph, if no later key is finite).
                for (int64_t j = 0; j < paddedKeys; ++j)
                {
                    s[j] = 0.F;
                }
                continue;
            }
            float const alpha = oldMax == negativeInfinity ? 0.F : __builtin_expf(oldMax - newMax);
            float const blockSum = Ops::expRowSum(s, paddedKeys, newMax);
            scratch.rowSum[i] = scratch.rowSum[i] * alpha + blockSum;
            scratch.rowMax[i] = newMax;
            if (alpha != 1.F)
            {
                Ops::scaleRow(scratch.acc + i * dvPadded, dvPadded, alpha);
            }
        }

        // acc += P * V (padding rows of P are finite and only reach padding rows of acc).
        for (int64_t i = 0; i < paddedRows; i += kROWS)
        {
            float const* p = scratch.s + i * blockK;
            float* acc = scratch.acc + i * dvPadded;
            int64_t c = 0;
            for (; c + kWIDE <= dvMain; c += kWIDE)
            {
                Ops::template gemmWide<true>(p, blockK, vTile + c, vStride, acc + c, dvPadded, keys);
            }
            if (c < dvMain)
            {
                Ops::gemmNarrow(p, blockK, vTile + c, vStride, acc + c, dvPadded, keys);
            }
        }
        for (int64_t i = 0; tail != 0 && i < rows; ++i)
        {
            float const* p = scratch.s + i * blockK;
            float* acc = scratch.acc + i * dvPadded + dvMain;
            for (int64_t t = 0; t < tail; ++t)
            {
                acc[t] += Ops::dot(p, vTail + t * vTailStride, paddedKeys);
            }
        }
    }

    for (int64_t i = 0; i < rows; ++i)
    {
        Ops::scaledCopy(outBase + (q0 + i) * job.out.row, scratch.acc + i * dvPadded, dv, 1.F / scratch.rowSum[i]);
    }
}

template <typename Ops>
void runTiles(TileJob const& job, int64_t begin, int64_t end, float* scratchBase)
{
    // The driver sized the tiles for this instruction set (fusedAttentionCpu.cpp, tileShapeFor).
    if (job.rowTile != Ops::kROWS || job.lanes != Ops::kLANES)
    {
        __builtin_trap();
    }
    TileScratch const scratch = carveScratch(scratchBase, job.blockQ, job.blockK, job.d, job.dvPadded);
    for (int64_t task = begin; task < end; ++task)
    {
        processTask<Ops>(job, task, scratch);
    }
}

} // namespace
} // namespace srd::fa::cpu

#endif // SRD_FUSED_ATTENTION_CPU_TILES_H
