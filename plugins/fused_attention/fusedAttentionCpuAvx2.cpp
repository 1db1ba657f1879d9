/*
 * AVX2 + FMA instantiation of the tile loop. This unit alone is compiled with -mavx2 -mfma; the driver calls it only
 * after __builtin_cpu_supports("avx2") and ("fma") say yes. It includes nothing from the C++ library (see
 * fusedAttentionCpuJob.h).
 */
#include "fusedAttentionCpuTiles.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace srd::fa::cpu
{
namespace
{

#define SRD_FA_INLINE inline __attribute__((always_inline))

SRD_FA_INLINE float horizontalMax(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 0x55));
    return _mm_cvtss_f32(m);
}

SRD_FA_INLINE float horizontalSum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 0x55));
    return _mm_cvtss_f32(s);
}

//! exp(x) to about 2 ulp (Cephes-style range reduction + degree-5 polynomial); exactly 0 below ln(FLT_MIN).
SRD_FA_INLINE __m256 exp256(__m256 x)
{
    __m256 const lowest = _mm256_set1_ps(-87.3365447504F);
    __m256 const underflow = _mm256_cmp_ps(x, lowest, _CMP_LT_OQ);
    x = _mm256_min_ps(x, _mm256_set1_ps(88.3762626647949F));
    x = _mm256_max_ps(x, lowest);
    __m256 n = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341F), _mm256_set1_ps(0.5F));
    n = _mm256_floor_ps(n);
    x = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375F), x);
    x = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4F), x);
    __m256 const x2 = _mm256_mul_ps(x, x);
    __m256 y = _mm256_set1_ps(1.9875691500E-4F);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3F));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3F));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2F));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1F));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1F));
    y = _mm256_fmadd_ps(y, x2, x);
    y = _mm256_add_ps(y, _mm256_set1_ps(1.F));
    __m256i exponent = _mm256_cvttps_epi32(n);
    exponent = _mm256_add_epi32(exponent, _mm256_set1_epi32(127));
    exponent = _mm256_slli_epi32(exponent, 23);
    y = _mm256_mul_ps(y, _mm256_castsi256_ps(exponent));
    return _mm256_andnot_ps(underflow, y);
}

struct Avx2Ops
{
    static constexpr int64_t kROWS = kTILE_ROWS;
    static constexpr int64_t kLANES = 8;
    static_assert(kROWS == 6, "the register tiles below are written out for 6 rows");

    //! C[6][16] (+)= A[6][depth] B[depth][16]: 12 accumulators, 2 B loads and 6 broadcasts per step.
    template <bool kACCUMULATE>
    static SRD_FA_INLINE void gemmWide(
        float const* a, int64_t lda, float const* b, int64_t ldb, float* c, int64_t ldc, int64_t depth)
    {
        __m256 acc[6][2];
        for (int32_t r = 0; r < 6; ++r)
        {
            acc[r][0] = kACCUMULATE ? _mm256_loadu_ps(c + r * ldc) : _mm256_setzero_ps();
            acc[r][1] = kACCUMULATE ? _mm256_loadu_ps(c + r * ldc + 8) : _mm256_setzero_ps();
        }
        for (int64_t k = 0; k < depth; ++k)
        {
            __m256 const b0 = _mm256_loadu_ps(b + k * ldb);
            __m256 const b1 = _mm256_loadu_ps(b + k * ldb + 8);
            for (int32_t r = 0; r < 6; ++r)
            {
                __m256 const s = _mm256_broadcast_ss(a + r * lda + k);
                acc[r][0] = _mm256_fmadd_ps(s, b0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(s, b1, acc[r][1]);
            }
        }
        for (int32_t r = 0; r < 6; ++r)
        {
            _mm256_storeu_ps(c + r * ldc, acc[r][0]);
            _mm256_storeu_ps(c + r * ldc + 8, acc[r][1]);
        }
    }

    //! C[6][8] += A[6][depth] B[depth][8]. Two accumulator sets (even and odd k): 6 chains alone would
    //! leave the FMA units waiting on their latency.
    static SRD_FA_INLINE void gemmNarrow(
        float const* a, int64_t lda, float const* b, int64_t ldb, float* c, int64_t ldc, int64_t depth)
    {
        __m256 even[6];
        __m256 odd[6];
        for (int32_t r = 0; r < 6; ++r)
        {
            even[r] = _mm256_loadu_ps(c + r * ldc);
            odd[r] = _mm256_setzero_ps();
        }
        int64_t k = 0;
        for (; k + 1 < depth; k += 2)
        {
            __m256 const b0 = _mm256_loadu_ps(b + k * ldb);
            __m256 const b1 = _mm256_loadu_ps(b + (k + 1) * ldb);
            for (int32_t r = 0; r < 6; ++r)
            {
                even[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + r * lda + k), b0, even[r]);
                odd[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + r * lda + k + 1), b1, odd[r]);
            }
        }
        if (k < depth)
        {
            __m256 const b0 = _mm256_loadu_ps(b + k * ldb);
            for (int32_t r = 0; r < 6; ++r)
            {
                even[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + r * lda + k), b0, even[r]);
            }
        }
        for (int32_t r = 0; r < 6; ++r)
        {
            _mm256_storeu_ps(c + r * ldc, _mm256_add_ps(even[r], odd[r]));
        }
    }

    //! Sum of a[j] b[j], count a multiple of 16.
    static SRD_FA_INLINE float dot(float const* a, float const* b, int64_t count)
    {
        __m256 s0 = _mm256_setzero_ps();
        __m256 s1 = _mm256_setzero_ps();
        for (int64_t j = 0; j < count; j += 16)
        {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8), s1);
        }
        return horizontalSum(_mm256_add_ps(s0, s1));
    }

    //! Sum of x[j]^2 over any count (two accumulators, scalar tail).
    static SRD_FA_INLINE float sumSquares(float const* x, int64_t count)
    {
        __m256 s0 = _mm256_setzero_ps();
        __m256 s1 = _mm256_setzero_ps();
        int64_t j = 0;
        for (; j + 16 <= count; j += 16)
        {
            __m256 const a = _mm256_loadu_ps(x + j);
            __m256 const b = _mm256_loadu_ps(x + j + 8);
            s0 = _mm256_fmadd_ps(a, a, s0);
            s1 = _mm256_fmadd_ps(b, b, s1);
        }
        for (; j + 8 <= count; j += 8)
        {
            __m256 const a = _mm256_loadu_ps(x + j);
            s0 = _mm256_fmadd_ps(a, a, s0);
        }
        float sum = horizontalSum(_mm256_add_ps(s0, s1));
        for (; j < count; ++j)
        {
            sum += x[j] * x[j];
        }
        return sum;
    }

    //! dst[j] = src[j] * factor for any count (dst and src do not overlap).
    static SRD_FA_INLINE void scaledCopy(float* dst, float const* src, int64_t count, float factor)
    {
        __m256 const f = _mm256_set1_ps(factor);
        int64_t j = 0;
        for (; j + 8 <= count; j += 8)
        {
            _mm256_storeu_ps(dst + j, _mm256_mul_ps(_mm256_loadu_ps(src + j), f));
        }
        for (; j < count; ++j)
        {
            dst[j] = src[j] * factor;
        }
    }

    static SRD_FA_INLINE float rowMax(float const* s, int64_t count)
    {
        __m256 best = _mm256_loadu_ps(s);
        for (int64_t j = 8; j < count; j += 8)
        {
            best = _mm256_max_ps(best, _mm256_loadu_ps(s + j));
        }
        return horizontalMax(best);
    }

    static SRD_FA_INLINE float expRowSum(float* s, int64_t count, float maximum)
    {
        __m256 const m = _mm256_set1_ps(maximum);
        __m256 sum = _mm256_setzero_ps();
        for (int64_t j = 0; j < count; j += 8)
        {
            __m256 const p = exp256(_mm256_sub_ps(_mm256_loadu_ps(s + j), m));
            _mm256_storeu_ps(s + j, p);
            sum = _mm256_add_ps(sum, p);
        }
        return horizontalSum(sum);
    }

    static SRD_FA_INLINE void scaleRow(float* x, int64_t count, float factor)
    {
        __m256 const f = _mm256_set1_ps(factor);
        for (int64_t j = 0; j < count; j += 8)
        {
            _mm256_storeu_ps(x + j, _mm256_mul_ps(_mm256_loadu_ps(x + j), f));
        }
    }
};

#undef SRD_FA_INLINE

} // namespace

void runTilesAvx2(TileJob const& job, int64_t begin, int64_t end, float* scratch) noexcept
{
    runTiles<Avx2Ops>(job, begin, end, scratch);
}

} // namespace srd::fa::cpu

#else // Not an x86 build with -mavx2 -mfma: the driver never selects this path (cpuHasAvx2Fma() is false).

namespace srd::fa::cpu
{
void runTilesAvx2(TileJob const& job, int64_t begin, int64_t end, float* scratch) noexcept
{
    runTilesPortable(job, begin, end, scratch);
}
} // namespace srd::fa::cpu

#endif
