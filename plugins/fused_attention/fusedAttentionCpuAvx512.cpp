/*
 * AVX-512F instantiation of the tile loop (16 floats per vector). This unit alone is compiled with
 * -mavx512f -mavx2 -mfma; the driver calls it only after __builtin_cpu_supports("avx512f") says yes. On CPUs with
 * full-width 512-bit pipes (e.g. AMD Zen 5, Intel server cores) it does twice the work per instruction of the AVX2
 * unit. It includes nothing from the C++ library (see fusedAttentionCpuJob.h).
 */
#include "fusedAttentionCpuTiles.h"

#if defined(__AVX512F__)
// GCC 12's AVX-512 intrinsics initialise their pass-through operand with _mm512_undefined_ps(), which trips
// -Wmaybe-uninitialized inside the header (GCC bug 105593, fixed in GCC 13). Nothing in this file is affected.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

namespace srd::fa::cpu
{
namespace
{

#define SRD_FA_INLINE inline __attribute__((always_inline))

//! exp(x) to about 2 ulp (same reduction and polynomial as the AVX2 unit); exactly 0 below ln(FLT_MIN).
SRD_FA_INLINE __m512 exp512(__m512 x)
{
    __m512 const lowest = _mm512_set1_ps(-87.3365447504F);
    __mmask16 const underflow = _mm512_cmp_ps_mask(x, lowest, _CMP_LT_OQ);
    x = _mm512_min_ps(x, _mm512_set1_ps(88.3762626647949F));
    x = _mm512_max_ps(x, lowest);
    __m512 n = _mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341F), _mm512_set1_ps(0.5F));
    n = _mm512_roundscale_ps(n, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    x = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375F), x);
    x = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4F), x);
    __m512 const x2 = _mm512_mul_ps(x, x);
    __m512 y = _mm512_set1_ps(1.9875691500E-4F);
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.3981999507E-3F));
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(8.3334519073E-3F));
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(4.1665795894E-2F));
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.6666665459E-1F));
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(5.0000001201E-1F));
    y = _mm512_fmadd_ps(y, x2, x);
    y = _mm512_add_ps(y, _mm512_set1_ps(1.F));
    __m512i exponent = _mm512_cvttps_epi32(n);
    exponent = _mm512_add_epi32(exponent, _mm512_set1_epi32(127));
    exponent = _mm512_slli_epi32(exponent, 23);
    y = _mm512_mul_ps(y, _mm512_castsi512_ps(exponent));
    return _mm512_maskz_mov_ps(static_cast<__mmask16>(~underflow), y);
}

struct Avx512Ops
{
    static constexpr int64_t kROWS = kTILE_ROWS;
    static constexpr int64_t kLANES = 16;
    static_assert(kROWS == 6, "the register tiles below are written out for 6 rows");

    //! C[6][32] (+)= A[6][depth] B[depth][32]: 12 accumulators, 2 B loads and 6 broadcasts per step.
    template <bool kACCUMULATE>
    static SRD_FA_INLINE void gemmWide(
        float const* a, int64_t lda, float const* b, int64_t ldb, float* c, int64_t ldc, int64_t depth)
    {
        __m512 acc[6][2];
        for (int32_t r = 0; r < 6; ++r)
        {
            acc[r][0] = kACCUMULATE ? _mm512_loadu_ps(c + r * ldc) : _mm512_setzero_ps();
            acc[r][1] = kACCUMULATE ? _mm512_loadu_ps(c + r * ldc + 16) : _mm512_setzero_ps();
        }
        for (int64_t k = 0; k < depth; ++k)
        {
            __m512 const b0 = _mm512_loadu_ps(b + k * ldb);
            __m512 const b1 = _mm512_loadu_ps(b + k * ldb + 16);
            for (int32_t r = 0; r < 6; ++r)
            {
                __m512 const s = _mm512_set1_ps(a[r * lda + k]);
                acc[r][0] = _mm512_fmadd_ps(s, b0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(s, b1, acc[r][1]);
            }
        }
        for (int32_t r = 0; r < 6; ++r)
        {
            _mm512_storeu_ps(c + r * ldc, acc[r][0]);
            _mm512_storeu_ps(c + r * ldc + 16, acc[r][1]);
        }
    }

    //! C[6][16] += A[6][depth] B[depth][16]. Two accumulator sets (even and odd k): 6 chains alone would
    //! leave the FMA units waiting on their latency.
    static SRD_FA_INLINE void gemmNarrow(
        float const* a, int64_t lda, float const* b, int64_t ldb, float* c, int64_t ldc, int64_t depth)
    {
        __m512 even[6];
        __m512 odd[6];
        for (int32_t r = 0; r < 6; ++r)
        {
            even[r] = _mm512_loadu_ps(c + r * ldc);
            odd[r] = _mm512_setzero_ps();
        }
        int64_t k = 0;
        for (; k + 1 < depth; k += 2)
        {
            __m512 const b0 = _mm512_loadu_ps(b + k * ldb);
            __m512 const b1 = _mm512_loadu_ps(b + (k + 1) * ldb);
            for (int32_t r = 0; r < 6; ++r)
            {
                even[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r * lda + k]), b0, even[r]);
                odd[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r * lda + k + 1]), b1, odd[r]);
            }
        }
        if (k < depth)
        {
            __m512 const b0 = _mm512_loadu_ps(b + k * ldb);
            for (int32_t r = 0; r < 6; ++r)
            {
                even[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r * lda + k]), b0, even[r]);
            }
        }
        for (int32_t r = 0; r < 6; ++r)
        {
            _mm512_storeu_ps(c + r * ldc, _mm512_add_ps(even[r], odd[r]));
        }
    }

    //! Sum of a[j] b[j], count a multiple of 32.
    static SRD_FA_INLINE float dot(float const* a, float const* b, int64_t count)
    {
        __m512 s0 = _mm512_setzero_ps();
        __m512 s1 = _mm512_setzero_ps();
        for (int64_t j = 0; j < count; j += 32)
        {
            s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j), s0);
            s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j + 16), _mm512_loadu_ps(b + j + 16), s1);
        }
        return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    }

    //! Sum of x[j]^2 over any count (two accumulators, masked tail).
    static SRD_FA_INLINE float sumSquares(float const* x, int64_t count)
    {
        __m512 s0 = _mm512_setzero_ps();
        __m512 s1 = _mm512_setzero_ps();
        int64_t j = 0;
        for (; j + 32 <= count; j += 32)
        {
            __m512 const a = _mm512_loadu_ps(x + j);
            __m512 const b = _mm512_loadu_ps(x + j + 16);
            s0 = _mm512_fmadd_ps(a, a, s0);
            s1 = _mm512_fmadd_ps(b, b, s1);
        }
        for (; j < count; j += 16)
        {
            int64_t const left = count - j;
            __mmask16 const mask =
                left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1U << left) - 1U);
            __m512 const a = _mm512_maskz_loadu_ps(mask, x + j);
            s0 = _mm512_fmadd_ps(a, a, s0);
        }
        return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    }

    //! dst[j] = src[j] * factor for any count (dst and src do not overlap; masked tail).
    static SRD_FA_INLINE void scaledCopy(float* dst, float const* src, int64_t count, float factor)
    {
        __m512 const f = _mm512_set1_ps(factor);
        for (int64_t j = 0; j < count; j += 16)
        {
            int64_t const left = count - j;
            __mmask16 const mask =
                left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1U << left) - 1U);
            _mm512_mask_storeu_ps(dst + j, mask, _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, src + j), f));
        }
    }

    static SRD_FA_INLINE float rowMax(float const* s, int64_t count)
    {
        __m512 best = _mm512_loadu_ps(s);
        for (int64_t j = 16; j < count; j += 16)
        {
            best = _mm512_max_ps(best, _mm512_loadu_ps(s + j));
        }
        return _mm512_reduce_max_ps(best);
    }

    static SRD_FA_INLINE float expRowSum(float* s, int64_t count, float maximum)
    {
        __m512 const m = _mm512_set1_ps(maximum);
        __m512 sum = _mm512_setzero_ps();
        for (int64_t j = 0; j < count; j += 16)
        {
            __m512 const p = exp512(_mm512_sub_ps(_mm512_loadu_ps(s + j), m));
            _mm512_storeu_ps(s + j, p);
            sum = _mm512_add_ps(sum, p);
        }
        return _mm512_reduce_add_ps(sum);
    }

    static SRD_FA_INLINE void scaleRow(float* x, int64_t count, float factor)
    {
        __m512 const f = _mm512_set1_ps(factor);
        for (int64_t j = 0; j < count; j += 16)
        {
            _mm512_storeu_ps(x + j, _mm512_mul_ps(_mm512_loadu_ps(x + j), f));
        }
    }
};

#undef SRD_FA_INLINE

} // namespace

void runTilesAvx512(TileJob const& job, int64_t begin, int64_t end, float* scratch) noexcept
{
    runTiles<Avx512Ops>(job, begin, end, scratch);
}

} // namespace srd::fa::cpu

#else // Not an x86 build with -mavx512f: the driver never selects this path (cpuHasAvx512() is false).

namespace srd::fa::cpu
{
void runTilesAvx512(TileJob const& job, int64_t begin, int64_t end, float* scratch) noexcept
{
    runTilesPortable(job, begin, end, scratch);
}
} // namespace srd::fa::cpu

#endif
