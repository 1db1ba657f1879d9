/*
 * The fast CPU kernel against the double-precision reference, over every attention regime the project serves and
 * a few hundred random shapes, on both instruction-set paths. Error measure: relative L-infinity (testUtil.h),
 * required < 1e-5.
 */
#include "fusedAttentionCpu.h"
#include "fusedAttentionReference.h"
#include "testUtil.h"

#include <gtest/gtest.h>

#include <limits>
#include <ostream>
#include <string>
#include <vector>

namespace srd::fa::testing
{
namespace
{

constexpr double kTOLERANCE = 1e-5;
constexpr float kNOT_WRITTEN = 1.0e30F;

struct CpuCase
{
    std::string name;
    CaseShapes shapes;
    float scaleInputValue{1.F};
    int64_t rowStep{1};      //!< Reference computes every rowStep-th query row (long sequences).
    float qkRange{1.F};      //!< Q and K uniform in [-qkRange, qkRange]: larger = peakier softmax.
    double maskFraction{0.}; //!< Fraction of bias entries set to -inf (never a whole row).
};

//! Test names and failure messages show the case by name.
void PrintTo(CpuCase const& c, std::ostream* os)
{
    *os << c.name;
}

CaseShapes bhnd(std::vector<int64_t> q, std::vector<int64_t> k, std::vector<int64_t> v)
{
    CaseShapes shapes;
    shapes.q = std::move(q);
    shapes.k = std::move(k);
    shapes.v = std::move(v);
    return shapes;
}

struct CaseData
{
    AttentionProblem problem;
    std::vector<float> q, k, v, bias;
    float scale{1.F};
    CpuPointers pointers(float* out) const
    {
        CpuPointers p;
        p.q = q.data();
        p.k = k.data();
        p.v = v.data();
        p.bias = problem.hasBias ? bias.data() : nullptr;
        p.scale = problem.hasScaleInput ? &scale : nullptr;
        p.out = out;
        return p;
    }
};

CaseData makeData(CpuCase const& c, uint64_t seed)
{
    CaseData data;
    std::string const error = describe(c.shapes, data.problem);
    EXPECT_EQ(error, "") << c.name;
    std::mt19937_64 rng(seed);
    data.q = randomFloats(static_cast<size_t>(elementCount(c.shapes.q)), rng, -c.qkRange, c.qkRange);
    data.k = randomFloats(static_cast<size_t>(elementCount(c.shapes.k)), rng, -c.qkRange, c.qkRange);
    data.v = randomFloats(static_cast<size_t>(elementCount(c.shapes.v)), rng, -1.F, 2.F);
    if (c.shapes.hasBias)
    {
        data.bias = randomFloats(static_cast<size_t>(elementCount(c.shapes.bias)), rng, -2.F, 2.F);
        if (c.maskFraction > 0.0)
        {
            // Mask random entries but keep key 0 of every bias row finite, so no row is masked entirely.
            std::uniform_real_distribution<double> coin(0.0, 1.0);
            int64_t const lastDim = c.shapes.bias.back();
            for (size_t i = 0; i < data.bias.size(); ++i)
            {
                if (static_cast<int64_t>(i) % lastDim != 0 && coin(rng) < c.maskFraction)
                {
                    data.bias[i] = -std::numeric_limits<float>::infinity();
                }
            }
        }
    }
    data.scale = c.scaleInputValue;
    return data;
}

int64_t outputCount(AttentionProblem const& problem)
{
    int64_t count = 1;
    for (int32_t i = 0; i < problem.outRank; ++i)
    {
        count *= problem.outDims[i];
    }
    return count;
}

void expectMatchesReference(CpuCase const& c, CpuIsa isa, int32_t threads, uint64_t seed = 7)
{
    CaseData const data = makeData(c, seed);
    int64_t const count = outputCount(data.problem);
    std::vector<float> fast(static_cast<size_t>(count), kNOT_WRITTEN);
    std::vector<float> reference(static_cast<size_t>(count), kNOT_WRITTEN);
    ThreadTaskRunner runner(threads);
    CpuResult const result = runFusedAttentionCpu(data.problem, data.pointers(fast.data()), runner, isa);
    ASSERT_TRUE(result.ok()) << c.name << ": " << result.message;
    referenceAttention(data.problem, data.pointers(reference.data()), c.rowStep, 0);
    std::vector<bool> sampled(reference.size());
    for (size_t i = 0; i < reference.size(); ++i)
    {
        sampled[i] = reference[i] != kNOT_WRITTEN;
        ASSERT_NE(fast[i], kNOT_WRITTEN) << c.name << ": output element " << i << " was not written";
    }
    double const error = relativeLinf(fast, reference, &sampled);
    EXPECT_LT(error, kTOLERANCE) << c.name << " (" << cpuIsaName(isa) << ", " << threads << " threads)";
}

std::vector<CpuCase> regimeCases()
{
    std::vector<CpuCase> cases;
    {
        // DITN-Real channel attention: per 8x8 patch, 60 "tokens" (channels) of d = 64 pixels, normalised Q/K,
        // learnable temperature as a tensor input.
        CpuCase c{"ditn_256_patches", bhnd({256, 60, 64}, {256, 60, 64}, {256, 60, 64})};
        c.shapes.attributes.normalizeQk = 1;
        c.shapes.scaleInput = true;
        c.scaleInputValue = 3.7F;
        cases.push_back(c);
    }
    {
        CpuCase c{"ditn_shape_4096_problems", bhnd({4096, 16, 8}, {4096, 16, 8}, {4096, 16, 8})};
        c.shapes.attributes.normalizeQk = 1;
        c.shapes.scaleInput = true;
        c.scaleInputValue = 10.F;
        cases.push_back(c);
    }
    {
        // ESRT feature-split attention: (B, 8 heads, 4 segments, N/4 tokens, d = 18), scale (288/8)^-0.5 = 1/6.
        CpuCase c{"esrt_rank5_segments", bhnd({1, 8, 4, 500, 18}, {1, 8, 4, 500, 18}, {1, 8, 4, 500, 18})};
        c.shapes.attributes.scale = 1.F / 6.F;
        c.qkRange = 2.F;
        cases.push_back(c);
    }
    {
        CpuCase c{"esrt_4096_tokens", bhnd({1, 2, 4096, 18}, {1, 2, 4096, 18}, {1, 2, 4096, 18})};
        c.shapes.attributes.scale = 1.F / 6.F;
        c.rowStep = 7;
        c.qkRange = 2.F;
        cases.push_back(c);
    }
    {
        // 256x256 input: 16 384 tokens per segment; rows sampled for the reference.
        CpuCase c{"esrt_16384_tokens", bhnd({1, 1, 16384, 18}, {1, 1, 16384, 18}, {1, 1, 16384, 18})};
        c.shapes.attributes.scale = 1.F / 6.F;
        c.rowStep = 127;
        c.qkRange = 2.F;
        cases.push_back(c);
    }
    {
        // SHViT single-head attention: d = 16 for Q/K, V carries the partial channels.
        CpuCase c{"shvit_single_head", bhnd({1, 1, 1024, 16}, {1, 1, 1024, 16}, {1, 1, 1024, 64})};
        c.shapes.attributes.scale = 0.25F;
        c.rowStep = 3;
        cases.push_back(c);
    }
    {
        // Swin window attention: 8x8 windows, 6 heads, relative-position bias shared by all windows.
        CpuCase c{"swin_window_relative_bias", bhnd({64, 6, 64, 32}, {64, 6, 64, 32}, {64, 6, 64, 32})};
        c.shapes.hasBias = true;
        c.shapes.bias = {1, 6, 64, 64};
        cases.push_back(c);
    }
    {
        // Shifted windows: per-window mask (-inf) broadcast over heads, 7x7 windows.
        CpuCase c{"swin_shift_mask", bhnd({16, 3, 49, 32}, {16, 3, 49, 32}, {16, 3, 49, 32})};
        c.shapes.hasBias = true;
        c.shapes.bias = {16, 1, 49, 49};
        c.maskFraction = 0.3;
        cases.push_back(c);
    }
    {
        CpuCase c{"swin_256_tokens_two_heads", bhnd({4, 2, 256, 16}, {4, 2, 256, 16}, {4, 2, 256, 16})};
        c.shapes.hasBias = true;
        c.shapes.bias = {2, 256, 256};
        cases.push_back(c);
    }
    {
        CaseShapes s = bhnd({2, 300, 72}, {2, 300, 72}, {2, 300, 72});
        s.attributes.inputLayout = Layout::kBNC;
        s.attributes.outputLayout = Layout::kBNC;
        s.attributes.numHeads = 4;
        cases.push_back({"packed_bnc_4_heads_d18", s});
    }
    {
        CaseShapes s = bhnd({2, 77, 3, 24}, {2, 90, 3, 24}, {2, 90, 3, 40});
        s.attributes.inputLayout = Layout::kBNHD;
        s.attributes.outputLayout = Layout::kBHND;
        s.hasBias = true;
        s.bias = {2, 1, 1, 90};
        CpuCase c{"bnhd_in_bhnd_out_key_padding_bias", s};
        c.maskFraction = 0.2;
        cases.push_back(c);
    }
    {
        CaseShapes s = bhnd({3, 2, 70, 24}, {3, 2, 333, 24}, {3, 2, 333, 40});
        s.attributes.outputLayout = Layout::kBNC;
        s.hasBias = true;
        s.bias = {70, 1};
        cases.push_back({"cross_attention_row_constant_bias_bnc_out", s});
    }
    {
        CaseShapes s = bhnd({5, 1, 1}, {5, 1, 1}, {5, 1, 1});
        s.hasBias = true;
        s.bias = {1};
        cases.push_back({"single_token_d1", s});
    }
    {
        CaseShapes s = bhnd({2, 3, 129, 96}, {2, 3, 257, 96}, {2, 3, 257, 33});
        s.attributes.normalizeQk = 1;
        s.attributes.scale = 12.F;
        cases.push_back({"d96_dv33_tile_edges", s});
    }
    return cases;
}

//! Random small problems over every layout, bias broadcast pattern, scale source and size edge.
std::vector<CpuCase> randomCases(int32_t count, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    auto pick = [&](int64_t low, int64_t high) { return std::uniform_int_distribution<int64_t>(low, high)(rng); };
    std::vector<CpuCase> cases;
    for (int32_t n = 0; n < count; ++n)
    {
        CpuCase c;
        c.name = "random_" + std::to_string(n);
        CaseShapes& s = c.shapes;
        int64_t const layout = pick(0, 2);
        int64_t const batch = pick(1, 3);
        int64_t const heads = pick(1, 4);
        int64_t const nq = pick(0, 10) == 0 ? pick(1, 3) : pick(1, 300);
        int64_t const nk = pick(0, 10) == 0 ? pick(1, 3) : pick(1, 300);
        int64_t const d = pick(0, 3) == 0 ? 18 : pick(1, 64);
        int64_t const dv = pick(0, 2) == 0 ? d : pick(1, 70);
        int32_t nbBatch = 2;
        std::vector<int64_t> batchDims{batch, heads};
        if (layout == 0)
        {
            s.attributes.inputLayout = Layout::kBHND;
            nbBatch = static_cast<int32_t>(pick(1, 3));
            batchDims = nbBatch == 1 ? std::vector<int64_t>{batch * heads}
                                     : (nbBatch == 2 ? std::vector<int64_t>{batch, heads}
                                                     : std::vector<int64_t>{batch, heads, pick(1, 2)});
            auto make = [&](int64_t tokens, int64_t width)
            {
                std::vector<int64_t> dims = batchDims;
                dims.push_back(tokens);
                dims.push_back(width);
                return dims;
            };
            s.q = make(nq, d);
            s.k = make(nk, d);
            s.v = make(nk, dv);
        }
        else if (layout == 1)
        {
            s.attributes.inputLayout = Layout::kBNHD;
            s.q = {batch, nq, heads, d};
            s.k = {batch, nk, heads, d};
            s.v = {batch, nk, heads, dv};
        }
        else
        {
            s.attributes.inputLayout = Layout::kBNC;
            s.attributes.numHeads = heads;
            s.q = {batch, nq, heads * d};
            s.k = {batch, nk, heads * d};
            s.v = {batch, nk, heads * dv};
        }
        s.attributes.outputLayout = s.attributes.inputLayout;
        if (nbBatch <= 2 && pick(0, 1) == 1)
        {
            s.attributes.outputLayout = static_cast<Layout>(pick(0, 2));
        }
        // Logits of the size real models produce (|s| up to ~10-20): with normalised Q/K the scale is a temperature
        // up to 10; otherwise scale ~ 1/sqrt(d) times 0.1..2. (fp32 logits of magnitude ~1000 lose absolute precision
        // in any fp32 implementation, fused or not; that is not what these tests measure.)
        s.attributes.normalizeQk = pick(0, 2) == 0 ? 1 : 0;
        float const temperature = s.attributes.normalizeQk == 1
                                      ? static_cast<float>(pick(1, 100)) / 10.F
                                      : static_cast<float>(pick(1, 20)) / 10.F / std::sqrt(static_cast<float>(d));
        int64_t const scaleMode = pick(0, 2);
        if (scaleMode == 1)
        {
            s.attributes.scale = temperature;
        }
        else if (scaleMode == 2)
        {
            s.scaleInput = true;
            c.scaleInputValue = temperature;
        }
        if (pick(0, 1) == 1)
        {
            s.hasBias = true;
            std::vector<int64_t> scores = batchDims;
            scores.push_back(nq);
            scores.push_back(nk);
            int64_t const rank = pick(1, static_cast<int64_t>(scores.size()));
            s.bias.assign(scores.end() - rank, scores.end());
            for (int64_t& dim : s.bias)
            {
                if (pick(0, 2) == 0)
                {
                    dim = 1;
                }
            }
            c.maskFraction = pick(0, 3) == 0 ? 0.25 : 0.0;
        }
        c.qkRange = s.attributes.normalizeQk == 1 ? 1.F : static_cast<float>(pick(1, 2));
        cases.push_back(c);
    }
    return cases;
}

bool available(CpuIsa isa)
{
    return isa == CpuIsa::kPORTABLE || (isa == CpuIsa::kAVX2 && cpuHasAvx2Fma()) ||
           (isa == CpuIsa::kAVX512 && cpuHasAvx512());
}

std::vector<CpuIsa> isasToTest()
{
    std::vector<CpuIsa> isas;
    for (CpuIsa isa : {CpuIsa::kPORTABLE, CpuIsa::kAVX2, CpuIsa::kAVX512})
    {
        if (available(isa))
        {
            isas.push_back(isa);
        }
    }
    return isas;
}

char const* isaSuffix(CpuIsa isa)
{
    return isa == CpuIsa::kAVX512 ? "avx512" : (isa == CpuIsa::kAVX2 ? "avx2" : "portable");
}

class FastCpuKernelRegime : public ::testing::TestWithParam<std::tuple<CpuCase, CpuIsa>>
{
};

TEST_P(FastCpuKernelRegime, MatchesDoublePrecisionReference)
{
    auto const& [c, isa] = GetParam();
    if (!available(isa))
    {
        GTEST_SKIP() << "this CPU lacks " << isaSuffix(isa);
    }
    expectMatchesReference(c, isa, 2);
}

INSTANTIATE_TEST_SUITE_P(Regimes, FastCpuKernelRegime,
    ::testing::Combine(
        ::testing::ValuesIn(regimeCases()), ::testing::Values(CpuIsa::kPORTABLE, CpuIsa::kAVX2, CpuIsa::kAVX512)),
    [](::testing::TestParamInfo<std::tuple<CpuCase, CpuIsa>> const& info)
    { return std::get<0>(info.param).name + "_" + isaSuffix(std::get<1>(info.param)); });

TEST(FastCpuKernel, MatchesReferenceOnRandomShapesWithThePortablePath)
{
    for (CpuCase const& c : randomCases(150, 1234))
    {
        expectMatchesReference(c, CpuIsa::kPORTABLE, 2, 99);
    }
}

TEST(FastCpuKernel, MatchesReferenceOnRandomShapesWithTheAvx2Path)
{
    if (!available(CpuIsa::kAVX2))
    {
        GTEST_SKIP() << "this CPU has no AVX2+FMA";
    }
    for (CpuCase const& c : randomCases(150, 5678))
    {
        expectMatchesReference(c, CpuIsa::kAVX2, 2, 98);
    }
}

TEST(FastCpuKernel, MatchesReferenceOnRandomShapesWithTheAvx512Path)
{
    if (!available(CpuIsa::kAVX512))
    {
        GTEST_SKIP() << "this CPU has no AVX-512F";
    }
    for (CpuCase const& c : randomCases(150, 9012))
    {
        expectMatchesReference(c, CpuIsa::kAVX512, 2, 97);
    }
}

TEST(FastCpuKernel, GivesBitwiseIdenticalResultsForAnyThreadCount)
{
    CpuCase c{"threads", bhnd({7, 3, 150, 18}, {7, 3, 200, 18}, {7, 3, 200, 18})};
    CaseData const data = makeData(c, 3);
    int64_t const count = outputCount(data.problem);
    for (CpuIsa isa : isasToTest())
    {
        std::vector<float> reference;
        for (int32_t threads : {1, 2, 3, 8})
        {
            std::vector<float> out(static_cast<size_t>(count));
            ThreadTaskRunner runner(threads);
            ASSERT_TRUE(runFusedAttentionCpu(data.problem, data.pointers(out.data()), runner, isa).ok());
            if (reference.empty())
            {
                reference = out;
            }
            else
            {
                EXPECT_EQ(out, reference) << threads << " threads, " << cpuIsaName(isa);
            }
        }
    }
}

TEST(FastCpuKernel, FullyMaskedRowIsNaNLikeTheUnfusedSoftmax)
{
    CaseShapes s = bhnd({1, 1, 3, 8}, {1, 1, 20, 8}, {1, 1, 20, 8});
    s.hasBias = true;
    s.bias = {1, 1, 3, 20};
    CaseData data = makeData({"masked", s}, 5);
    for (int64_t j = 0; j < 20; ++j)
    {
        data.bias[static_cast<size_t>(20 + j)] = -std::numeric_limits<float>::infinity(); // Row 1 entirely masked.
    }
    for (CpuIsa isa : isasToTest())
    {
        std::vector<float> out(3 * 8);
        std::vector<float> reference(3 * 8);
        ThreadTaskRunner runner(1);
        ASSERT_TRUE(runFusedAttentionCpu(data.problem, data.pointers(out.data()), runner, isa).ok());
        referenceAttention(data.problem, data.pointers(reference.data()));
        for (int64_t c = 0; c < 8; ++c)
        {
            EXPECT_TRUE(std::isnan(out[static_cast<size_t>(8 + c)])) << cpuIsaName(isa);
            EXPECT_TRUE(std::isnan(reference[static_cast<size_t>(8 + c)]));
        }
        EXPECT_LT(relativeLinf(out, reference), kTOLERANCE) << "rows 0 and 2 are unaffected";
    }
}

TEST(FastCpuKernel, EmptyBatchOrQueryWritesNothingAndSucceeds)
{
    for (CaseShapes const& s : {bhnd({0, 4, 10, 8}, {0, 4, 10, 8}, {0, 4, 10, 8}),
             bhnd({2, 4, 0, 8}, {2, 4, 10, 8}, {2, 4, 10, 8}), bhnd({2, 4, 5, 8}, {2, 4, 10, 8}, {2, 4, 10, 0})})
    {
        AttentionProblem problem;
        ASSERT_EQ(describe(s, problem), "");
        EXPECT_TRUE(problem.emptyOutput());
        CpuPointers pointers; // All null: nothing may be read or written.
        ThreadTaskRunner runner(2);
        EXPECT_TRUE(runFusedAttentionCpu(problem, pointers, runner).ok());
    }
}

TEST(FastCpuKernel, RejectsNullTensorPointers)
{
    CaseData const data = makeData({"null", bhnd({1, 4, 8}, {1, 4, 8}, {1, 4, 8})}, 1);
    CpuPointers pointers = data.pointers(nullptr);
    ThreadTaskRunner runner(1);
    CpuResult const result = runFusedAttentionCpu(data.problem, pointers, runner);
    EXPECT_EQ(result.failure, CpuFailure::kINVALID_ARGUMENT);
    EXPECT_NE(result.message.find("pointer is null"), std::string::npos) << result.message;
}

} // namespace
} // namespace srd::fa::testing
