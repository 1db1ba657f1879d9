/*
 * The pure-C API of libsrd_fused_attention_cpu.so, called through its exported symbols: results against the
 * reference kernel, statuses and messages for bad arguments, and the two-call last-error protocol.
 */
#include "fusedAttentionReference.h"
#include "srd_fused_attention.h"
#include "testUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace srd::fa::testing
{
namespace
{

std::string lastError()
{
    size_t required = 0;
    EXPECT_EQ(srd_fa_last_error(nullptr, 0, &required), SRD_FA_STATUS_OK);
    std::string text(required, '\0');
    EXPECT_EQ(srd_fa_last_error(text.data(), text.size(), &required), SRD_FA_STATUS_OK);
    text.resize(required - 1);
    return text;
}

srd_fa_params baseParams()
{
    srd_fa_params p{};
    p.batch = 2;
    p.heads = 3;
    p.query_len = 50;
    p.key_len = 70;
    p.head_dim = 18;
    p.value_dim = 24;
    p.input_layout = SRD_FA_LAYOUT_BHND;
    p.output_layout = SRD_FA_LAYOUT_BHND;
    return p;
}

struct Buffers
{
    std::vector<float> q, k, v, bias, out;
};

Buffers makeBuffers(srd_fa_params const& p, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    Buffers b;
    b.q = randomFloats(static_cast<size_t>(p.batch * p.heads * p.query_len * p.head_dim), rng);
    b.k = randomFloats(static_cast<size_t>(p.batch * p.heads * p.key_len * p.head_dim), rng);
    b.v = randomFloats(static_cast<size_t>(p.batch * p.heads * p.key_len * p.value_dim), rng);
    if (p.has_bias == 1)
    {
        b.bias =
            randomFloats(static_cast<size_t>(p.bias_dims[0] * p.bias_dims[1] * p.bias_dims[2] * p.bias_dims[3]), rng);
    }
    b.out.assign(static_cast<size_t>(p.batch * p.heads * p.query_len * p.value_dim), 0.F);
    return b;
}

//! The reference through the internal contract, for the same C parameters.
std::vector<float> referenceFor(srd_fa_params const& p, Buffers const& b)
{
    CaseShapes s;
    auto dims = [&](int32_t layout, int64_t tokens, int64_t width)
    {
        return layout == SRD_FA_LAYOUT_BHND ? std::vector<int64_t>{p.batch, p.heads, tokens, width}
                                            : std::vector<int64_t>{p.batch, tokens, p.heads, width};
    };
    s.q = dims(p.input_layout, p.query_len, p.head_dim);
    s.k = dims(p.input_layout, p.key_len, p.head_dim);
    s.v = dims(p.input_layout, p.key_len, p.value_dim);
    s.attributes.inputLayout = p.input_layout == SRD_FA_LAYOUT_BHND ? Layout::kBHND : Layout::kBNHD;
    s.attributes.outputLayout = p.output_layout == SRD_FA_LAYOUT_BHND ? Layout::kBHND : Layout::kBNHD;
    s.attributes.scale = p.scale;
    s.attributes.normalizeQk = (p.flags & SRD_FA_FLAG_NORMALIZE_QK) != 0 ? 1 : 0;
    s.hasBias = p.has_bias == 1;
    s.bias.assign(p.bias_dims, p.bias_dims + 4);
    AttentionProblem problem;
    EXPECT_EQ(describe(s, problem), "");
    std::vector<float> out(b.out.size());
    CpuPointers pointers;
    pointers.q = b.q.data();
    pointers.k = b.k.data();
    pointers.v = b.v.data();
    pointers.bias = b.bias.data();
    pointers.out = out.data();
    referenceAttention(problem, pointers);
    return out;
}

TEST(CpuCApi, ReportsItsVersionAndInstructionSet)
{
    EXPECT_EQ(srd_fa_api_version(), SRD_FA_API_VERSION);
    std::string const isa = srd_fa_cpu_isa();
    EXPECT_TRUE(isa == "avx512f" || isa == "avx2+fma" || isa == "portable") << isa;
}

TEST(CpuCApi, ForwardMatchesTheReferenceInEveryLayoutCombination)
{
    for (int32_t in : {SRD_FA_LAYOUT_BHND, SRD_FA_LAYOUT_BNHD})
    {
        for (int32_t out : {SRD_FA_LAYOUT_BHND, SRD_FA_LAYOUT_BNHD})
        {
            srd_fa_params p = baseParams();
            p.input_layout = in;
            p.output_layout = out;
            p.flags = SRD_FA_FLAG_NORMALIZE_QK;
            p.scale = 5.F;
            p.has_bias = 1;
            int64_t const biasDims[4] = {1, 3, 50, 70};
            std::memcpy(p.bias_dims, biasDims, sizeof(biasDims));
            Buffers b = makeBuffers(p, 11);
            ASSERT_EQ(srd_fa_cpu_forward(&p, b.q.data(), b.k.data(), b.v.data(), b.bias.data(), b.out.data(), 2),
                SRD_FA_STATUS_OK)
                << lastError();
            EXPECT_EQ(lastError(), "");
            EXPECT_LT(relativeLinf(b.out, referenceFor(p, b)), 1e-5) << "layouts " << in << " -> " << out;
        }
    }
}

TEST(CpuCApi, EveryInstructionSetGivesTheSameResultOrSaysItIsUnsupported)
{
    srd_fa_params p = baseParams();
    Buffers b = makeBuffers(p, 12);
    p.flags = SRD_FA_FLAG_FORCE_PORTABLE;
    ASSERT_EQ(srd_fa_cpu_forward(&p, b.q.data(), b.k.data(), b.v.data(), nullptr, b.out.data(), 1), SRD_FA_STATUS_OK);
    std::vector<float> const portable = b.out;
    EXPECT_LT(relativeLinf(portable, referenceFor(p, b)), 1e-5);
    std::string const best = srd_fa_cpu_isa();
    struct Forced
    {
        uint32_t flag;
        bool available;
        char const* missing;
    };
    for (Forced const forced : {Forced{SRD_FA_FLAG_FORCE_AVX2, best != "portable", "no AVX2+FMA"},
             Forced{SRD_FA_FLAG_FORCE_AVX512, best == "avx512f", "no AVX-512F"}})
    {
        p.flags = forced.flag;
        std::fill(b.out.begin(), b.out.end(), 0.F);
        srd_fa_status const status =
            srd_fa_cpu_forward(&p, b.q.data(), b.k.data(), b.v.data(), nullptr, b.out.data(), 0);
        if (!forced.available)
        {
            EXPECT_EQ(status, SRD_FA_STATUS_UNSUPPORTED);
            EXPECT_NE(lastError().find(forced.missing), std::string::npos);
            continue;
        }
        ASSERT_EQ(status, SRD_FA_STATUS_OK) << lastError();
        EXPECT_LT(relativeLinf(b.out, portable), 1e-5) << "flag " << forced.flag;
    }
}

struct BadCall
{
    char const* what;
    srd_fa_status status;
    std::string expected;
};

TEST(CpuCApi, BadArgumentsGiveAStatusAndAOneLineMessageAndLeaveTheOutputAlone)
{
    srd_fa_params const good = baseParams();
    Buffers b = makeBuffers(good, 13);
    std::vector<std::pair<srd_fa_params, BadCall>> calls;
    auto with = [&](auto change, BadCall call)
    {
        srd_fa_params p = good;
        change(p);
        calls.emplace_back(p, call);
    };
    with([](srd_fa_params& p) { p.key_len = 0; },
        {"no keys", SRD_FA_STATUS_INVALID_ARGUMENT, "softmax over no keys is undefined"});
    with([](srd_fa_params& p) { p.head_dim = 0; },
        {"zero d", SRD_FA_STATUS_INVALID_ARGUMENT, "head dimension d of Q and K is 0"});
    with(
        [](srd_fa_params& p) { p.query_len = -3; }, {"negative", SRD_FA_STATUS_INVALID_ARGUMENT, "negative dimension"});
    with(
        [](srd_fa_params& p)
        {
            p.has_bias = 1;
            p.bias_dims[0] = 2;
            p.bias_dims[1] = 2;
            p.bias_dims[2] = 50;
            p.bias_dims[3] = 70;
        },
        {"bias", SRD_FA_STATUS_INVALID_ARGUMENT, "bias shape [2,2,50,70] is not broadcastable"});
    with([](srd_fa_params& p) { p.flags = 0x100; }, {"flags", SRD_FA_STATUS_INVALID_ARGUMENT, "unknown bits"});
    with([](srd_fa_params& p) { p.flags = SRD_FA_FLAG_FORCE_AVX2 | SRD_FA_FLAG_FORCE_PORTABLE; },
        {"two isas", SRD_FA_STATUS_INVALID_ARGUMENT, "forces more than one kernel instruction set"});
    with([](srd_fa_params& p) { p.reserved = 1; }, {"reserved", SRD_FA_STATUS_INVALID_ARGUMENT, "reserved must be 0"});
    with(
        [](srd_fa_params& p) { p.input_layout = 7; }, {"layout", SRD_FA_STATUS_INVALID_ARGUMENT, "SRD_FA_LAYOUT_BHND"});
    with([](srd_fa_params& p) { p.has_bias = 2; },
        {"has_bias", SRD_FA_STATUS_INVALID_ARGUMENT, "has_bias must be 0 or 1"});
    with([](srd_fa_params& p) { p.batch = int64_t{1} << 62; }, {"overflow", SRD_FA_STATUS_INVALID_ARGUMENT, "64 bits"});
    for (auto const& [params, call] : calls)
    {
        std::vector<float> out(b.out.size(), 42.F);
        float const* bias = params.has_bias == 1 ? b.q.data() : nullptr;
        EXPECT_EQ(srd_fa_cpu_forward(&params, b.q.data(), b.k.data(), b.v.data(), bias, out.data(), 1), call.status)
            << call.what;
        std::string const message = lastError();
        EXPECT_NE(message.find(call.expected), std::string::npos) << call.what << ": '" << message << "'";
        EXPECT_EQ(message.find('\n'), std::string::npos);
        EXPECT_EQ(out, std::vector<float>(b.out.size(), 42.F)) << call.what << ": output touched";
    }
    EXPECT_EQ(srd_fa_cpu_forward(nullptr, b.q.data(), b.k.data(), b.v.data(), nullptr, b.out.data(), 1),
        SRD_FA_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(lastError(), "params is NULL");
    EXPECT_EQ(srd_fa_cpu_forward(&good, nullptr, b.k.data(), b.v.data(), nullptr, b.out.data(), 1),
        SRD_FA_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(lastError(), "a required tensor pointer is null");
    EXPECT_EQ(srd_fa_cpu_forward(&good, b.q.data(), b.k.data(), b.v.data(), nullptr, b.out.data(), -1),
        SRD_FA_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(lastError(), "num_threads must be >= 0, got -1");
}

TEST(CpuCApi, EmptyProblemsSucceedWithoutPointers)
{
    srd_fa_params p = baseParams();
    p.query_len = 0;
    EXPECT_EQ(srd_fa_cpu_forward(&p, nullptr, nullptr, nullptr, nullptr, nullptr, 1), SRD_FA_STATUS_OK);
    p = baseParams();
    p.batch = 0;
    EXPECT_EQ(srd_fa_cpu_forward(&p, nullptr, nullptr, nullptr, nullptr, nullptr, 1), SRD_FA_STATUS_OK);
}

TEST(CpuCApi, LastErrorFollowsTheTwoCallProtocolAndIsKeptPerThread)
{
    srd_fa_params p = baseParams();
    p.key_len = 0;
    ASSERT_EQ(srd_fa_cpu_forward(&p, nullptr, nullptr, nullptr, nullptr, nullptr, 1), SRD_FA_STATUS_INVALID_ARGUMENT);
    size_t required = 0;
    ASSERT_EQ(srd_fa_last_error(nullptr, 0, &required), SRD_FA_STATUS_OK);
    std::string const expected = "K and V have 0 tokens: softmax over no keys is undefined";
    EXPECT_EQ(required, expected.size() + 1);
    char small[8] = "unchgd";
    EXPECT_EQ(srd_fa_last_error(small, sizeof(small), &required), SRD_FA_STATUS_BUFFER_TOO_SMALL);
    EXPECT_STREQ(small, "unchgd") << "a too-small buffer is not written";
    EXPECT_EQ(required, expected.size() + 1);
    std::vector<char> exact(required);
    EXPECT_EQ(srd_fa_last_error(exact.data(), exact.size(), nullptr), SRD_FA_STATUS_OK);
    EXPECT_EQ(std::string(exact.data()), expected);
    std::string otherThread = "not run";
    std::thread([&] { otherThread = lastError(); }).join();
    EXPECT_EQ(otherThread, "") << "another thread has its own (empty) last error";
    EXPECT_EQ(lastError(), expected) << "reading the error does not clear it";
}

} // namespace
} // namespace srd::fa::testing
