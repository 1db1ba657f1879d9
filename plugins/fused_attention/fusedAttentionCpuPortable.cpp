/*
 * Portable instantiation of the tile loop: plain loops that the compiler vectorises for the baseline instruction
 * set (SSE2 on x86-64). Used when the CPU lacks AVX2/FMA, or when asked for explicitly (tests cover both paths).
 */
#include "fusedAttentionCpuTiles.h"

namespace srd::fa::cpu
{
namespace
{

struct PortableOps
{
    static constexpr int64_t kROWS = kTILE_ROWS;
    static constexpr int64_t kLANES = 8;

    template <bool kACCUMULATE, int64_t kWIDTH>
    static void gemm(float const* a, int64_t lda, float const* b, int64_t ldb, float* c, int64_t ldc, int64_t depth)
    {
        for (int64_t r = 0; r < kROWS; ++r)
        {
            float row[kWIDTH];
            for (int64_t w = 0; w < kWIDTH; ++w)
            {
                row[w] = kACCUMULATE ? c[r * ldc + w] : 0.F;
            }
            float const* aRow = a + r * lda;
            for (int64_t k = 0; k < depth; ++k)
            {
                float const scalar = aRow[k];
                float const* bRow = b + k * ldb;
                for (int64_t w = 0; w < kWIDTH; ++w)
                {
                    row[w] += scalar * bRow[w];
                }
            }
            for (int64_t w = 0; w < kWIDTH; ++w)
            {
                c[r * ldc + w] = row[w];
            }
        }
    }

    //! C[kROWS][2 kLANES] (+)= A[kROWS][depth] B[depth][2 kLANES].
    template <bool kACCUMULATE>
    static void gemmWide(float const* a, int64_t lda, float const* b, int64_t ldb, float* c, int64_t ldc, int64_t depth)
    {
        gemm<kACCUMULATE, 2 * kLANES>(a, lda, b, ldb, c, ldc, depth);
    }

    //! C[kROWS][kLANES] += A[kROWS][depth] B[depth][kLANES].
    static void gemmNarrow(
        float const* a, int64_t lda, float const* b, int64_t ldb, float* c, int64_t ldc, int64_t depth)
    {
        gemm<true, kLANES>(a, lda, b, ldb, c, ldc, depth);
    }

    static float dot(float const* a, float const* b, int64_t count)
    {
        float sum = 0.F;
        for (int64_t j = 0; j < count; ++j)
        {
            sum += a[j] * b[j];
        }
        return sum;
    }

    static float sumSquares(float const* x, int64_t count)
    {
        float partial[8] = {};
        int64_t j = 0;
        for (; j + 8 <= count; j += 8)
        {
            for (int64_t lane = 0; lane < 8; ++lane)
            {
                partial[lane] += x[j + lane] * x[j + lane];
            }
        }
        float sum = 0.F;
        for (; j < count; ++j)
        {
            sum += x[j] * x[j];
        }
        for (float const p : partial)
        {
            sum += p;
        }
        return sum;
    }

    static void scaledCopy(float* dst, float const* src, int64_t count, float factor)
    {
        for (int64_t j = 0; j < count; ++j)
        {
            dst[j] = src[j] * factor;
        }
    }

    static float rowMax(float const* s, int64_t count)
    {
        float best = s[0];
        for (int64_t j = 1; j < count; ++j)
        {
            best = s[j] > best ? s[j] : best;
        }
        return best;
    }

    static float expRowSum(float* s, int64_t count, float maximum)
    {
        float sum = 0.F;
        for (int64_t j = 0; j < count; ++j)
        {
            float const p = __builtin_expf(s[j] - maximum);
            s[j] = p;
            sum += p;
        }
        return sum;
    }

    static void scaleRow(float* x, int64_t count, float factor)
    {
        for (int64_t j = 0; j < count; ++j)
        {
            x[j] *= factor;
        }
    }
};

} // namespace

size_t tileScratchFloats(int64_t blockQ, int64_t blockK, int64_t d, int64_t dvPadded)
{
    return scratchFloatsFor(blockQ, blockK, d, dvPadded);
}

void packKeysForBatch(TileJob const& job, int64_t batch, float* destination) noexcept
{
    // Transposed in blocks of keys: each block's rows are read once, each destination row gets a contiguous run.
    constexpr int64_t kKEYS = 64;
    float const* kBase = job.kData + jobBatchOffset(job, job.k, batch);
    float const* vBase = job.vData + jobBatchOffset(job, job.v, batch);
    int64_t const stride = job.packedKeys;
    float factors[kKEYS];
    for (int64_t j0 = 0; j0 < job.nk; j0 += kKEYS)
    {
        int64_t const keys = minI64(kKEYS, job.nk - j0);
        if (job.normalizeQk)
        {
            inverseNorms(kBase + j0 * job.k.row, job.k.row, keys, job.d, job.normalizeEps, factors);
        }
        else
        {
            for (int64_t j = 0; j < keys; ++j)
            {
                factors[j] = 1.F;
            }
        }
        for (int64_t c = 0; c < job.d; ++c)
        {
            float* dst = destination + c * stride + j0;
            float const* src = kBase + j0 * job.k.row + c;
            for (int64_t j = 0; j < keys; ++j)
            {
                dst[j] = src[j * job.k.row] * factors[j];
            }
        }
        for (int64_t t = 0; t < job.valueTail; ++t)
        {
            float* dst = destination + (job.d + t) * stride + j0;
            float const* src = vBase + j0 * job.v.row + job.dvMain + t;
            for (int64_t j = 0; j < keys; ++j)
            {
                dst[j] = src[j * job.v.row];
            }
        }
    }
    for (int64_t row = 0; row < job.d + job.valueTail; ++row)
    {
        for (int64_t j = job.nk; j < stride; ++j)
        {
            destination[row * stride + j] = 0.F;
        }
    }
}

void runTilesPortable(TileJob const& job, int64_t begin, int64_t end, float* scratch) noexcept
{
    runTiles<PortableOps>(job, begin, end, scratch);
}

} // namespace srd::fa::cpu
