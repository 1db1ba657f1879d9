/*
 * The custom-op library inside the real ONNX Runtime: the FusedAttention model against the same computation as an
 * unfused MatMul/Softmax/MatMul subgraph run by ORT's own kernels (relative L-infinity < 1e-5), output shape
 * inference, and bad input arriving through ORT as an error status with our message (never a crash).
 * Skipped, with the reason, when libonnxruntime.so.1 cannot be loaded.
 */
#include "onnxModelBuilder.h"
#include "ortHost.h"
#include "testUtil.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace srd::fa::testing
{
namespace
{

class OrtFusedAttention : public ::testing::Test
{
protected:
    void SetUp() override
    {
        std::string reason;
        mHost = OrtHost::get(reason);
        if (mHost == nullptr)
        {
            GTEST_SKIP() << reason;
        }
    }

    struct Inputs
    {
        HostTensor q, k, v, bias;
        std::vector<std::pair<std::string, HostTensor const*>> named() const
        {
            std::vector<std::pair<std::string, HostTensor const*>> list{{"q", &q}, {"k", &k}, {"v", &v}};
            if (!bias.dims.empty())
            {
                list.emplace_back("bias", &bias);
            }
            return list;
        }
    };

    static Inputs makeInputs(AttentionModelSpec const& spec, uint64_t seed, float qkRange = 1.F)
    {
        std::mt19937_64 rng(seed);
        Inputs inputs;
        inputs.q = HostTensor::fromFloats(
            spec.qDims, randomFloats(static_cast<size_t>(elementCount(spec.qDims)), rng, -qkRange, qkRange));
        inputs.k = HostTensor::fromFloats(
            spec.kDims, randomFloats(static_cast<size_t>(elementCount(spec.kDims)), rng, -qkRange, qkRange));
        inputs.v = HostTensor::fromFloats(
            spec.vDims, randomFloats(static_cast<size_t>(elementCount(spec.vDims)), rng, -1.F, 2.F));
        if (spec.bias)
        {
            inputs.bias = HostTensor::fromFloats(
                spec.biasDims, randomFloats(static_cast<size_t>(elementCount(spec.biasDims)), rng, -2.F, 2.F));
        }
        return inputs;
    }

    //! Runs one model; fails the test on any ORT error.
    std::vector<HostTensor> run(std::string const& model, Inputs const& inputs, SessionConfig const& config)
    {
        OrtOutcome outcome;
        Session session(*mHost, model, config, outcome);
        EXPECT_TRUE(outcome.ok) << "session: " << outcome.message;
        std::vector<HostTensor> outputs;
        if (outcome.ok)
        {
            outcome = session.run(inputs.named(), {"out"}, outputs);
            EXPECT_TRUE(outcome.ok) << "run: " << outcome.message;
        }
        return outputs;
    }

    void expectFusedMatchesUnfused(AttentionModelSpec const& spec, int32_t threads, uint64_t seed, float qkRange = 1.F)
    {
        Inputs const inputs = makeInputs(spec, seed, qkRange);
        SessionConfig fusedConfig;
        fusedConfig.intraOpThreads = threads;
        SessionConfig plainConfig = fusedConfig;
        plainConfig.registerFusedAttention = false;
        std::vector<HostTensor> const fused = run(buildFusedAttentionModel(spec), inputs, fusedConfig);
        std::vector<HostTensor> const plain = run(buildUnfusedAttentionModel(spec), inputs, plainConfig);
        ASSERT_EQ(fused.size(), 1U);
        ASSERT_EQ(plain.size(), 1U);
        EXPECT_EQ(fused[0].dims, plain[0].dims);
        EXPECT_LT(relativeLinf(fused[0].floats(), plain[0].floats()), 1e-5);
    }

    //! Expects session creation or the run to fail with `expected` in ORT's message.
    void expectError(std::string const& model, Inputs const& inputs, std::string const& expected, bool atLoad)
    {
        OrtOutcome outcome;
        Session session(*mHost, model, SessionConfig{}, outcome);
        if (atLoad)
        {
            ASSERT_FALSE(outcome.ok) << "session creation should fail with: " << expected;
        }
        else
        {
            ASSERT_TRUE(outcome.ok) << outcome.message;
            std::vector<HostTensor> outputs;
            outcome = session.run(inputs.named(), {"out"}, outputs);
            ASSERT_FALSE(outcome.ok) << "run should fail with: " << expected;
        }
        EXPECT_NE(outcome.message.find(expected), std::string::npos)
            << "message: '" << outcome.message << "'\nexpected: '" << expected << "'";
    }

    OrtHost* mHost{nullptr};
};

AttentionModelSpec spec(std::vector<int64_t> q, std::vector<int64_t> k, std::vector<int64_t> v)
{
    AttentionModelSpec s;
    s.qDims = std::move(q);
    s.kDims = std::move(k);
    s.vDims = std::move(v);
    return s;
}

TEST_F(OrtFusedAttention, DitnChannelAttentionWithTemperatureInputMatchesUnfusedGraph)
{
    AttentionModelSpec s = spec({64, 60, 64}, {64, 60, 64}, {64, 60, 64});
    s.normalizeQk = true;
    s.scaleAsInput = true; // Input 3 (bias) omitted with an empty name, input 4 = the temperature initializer.
    s.scaleInputValue = 3.7F;
    expectFusedMatchesUnfused(s, 1, 1);
    expectFusedMatchesUnfused(s, 2, 2);
}

TEST_F(OrtFusedAttention, EsrtRank5SegmentsMatchUnfusedGraph)
{
    AttentionModelSpec s = spec({1, 8, 4, 256, 18}, {1, 8, 4, 256, 18}, {1, 8, 4, 256, 18});
    s.scaleAttribute = 1.F / 6.F;
    expectFusedMatchesUnfused(s, 2, 3, 2.F);
}

TEST_F(OrtFusedAttention, EsrtLongSegmentMatchesUnfusedGraph)
{
    AttentionModelSpec s = spec({1, 2, 2048, 18}, {1, 2, 2048, 18}, {1, 2, 2048, 18});
    s.scaleAttribute = 1.F / 6.F;
    expectFusedMatchesUnfused(s, 2, 4, 2.F);
}

TEST_F(OrtFusedAttention, ShvitSingleHeadWithWiderValuesMatchesUnfusedGraph)
{
    AttentionModelSpec s = spec({1, 1, 256, 16}, {1, 1, 256, 16}, {1, 1, 256, 64});
    s.scaleAttribute = 0.25F;
    expectFusedMatchesUnfused(s, 1, 5);
}

TEST_F(OrtFusedAttention, SwinWindowsWithRelativePositionBiasMatchUnfusedGraph)
{
    AttentionModelSpec s = spec({16, 4, 49, 32}, {16, 4, 49, 32}, {16, 4, 49, 32});
    s.bias = true;
    s.biasDims = {1, 4, 49, 49};
    expectFusedMatchesUnfused(s, 2, 6);
    s.symbolicInputs = true;
    expectFusedMatchesUnfused(s, 1, 7);
}

TEST_F(OrtFusedAttention, PackedLayoutWithHeadsMatchesUnfusedReshapeTransposeGraph)
{
    AttentionModelSpec s = spec({2, 100, 72}, {2, 130, 72}, {2, 130, 96});
    s.inputLayout = "BNC";
    s.numHeads = 4;
    s.bias = true;
    s.biasDims = {2, 1, 1, 130};
    expectFusedMatchesUnfused(s, 2, 8);
    s.outputLayout = "BHND";
    expectFusedMatchesUnfused(s, 1, 9);
}

TEST_F(OrtFusedAttention, LayoutConversionsMatchUnfusedTransposes)
{
    AttentionModelSpec s = spec({2, 60, 3, 24}, {2, 60, 3, 24}, {2, 60, 3, 24});
    s.inputLayout = "BNHD";
    s.outputLayout = "BHND";
    s.normalizeQk = true;
    s.scaleAttribute = 8.F;
    expectFusedMatchesUnfused(s, 1, 10);
    AttentionModelSpec t = spec({2, 3, 40, 16}, {2, 3, 40, 16}, {2, 3, 40, 16});
    t.outputLayout = "BNC";
    expectFusedMatchesUnfused(t, 1, 11);
}

TEST_F(OrtFusedAttention, ShapeInferenceGivesTheOutputShapeWithSymbolicNames)
{
    AttentionModelSpec s = spec({2, 3, 40, 16}, {2, 3, 50, 16}, {2, 3, 50, 24});
    s.symbolicInputs = true;
    OrtOutcome outcome;
    Session session(*mHost, buildFusedAttentionModel(s), SessionConfig{}, outcome);
    ASSERT_TRUE(outcome.ok) << outcome.message;
    int32_t type = 0;
    std::vector<int64_t> dims;
    std::vector<std::string> symbols;
    ASSERT_TRUE(session.outputShape(0, type, dims, symbols).ok);
    EXPECT_EQ(type, srd::ort::kONNX_FLOAT);
    EXPECT_EQ(dims, (std::vector<int64_t>{-1, -1, -1, -1}));
    EXPECT_EQ(symbols, (std::vector<std::string>{"q_dim0", "q_dim1", "q_dim2", "v_dim3"}));

    AttentionModelSpec packed = spec({2, 100, 72}, {2, 130, 72}, {2, 130, 96});
    packed.inputLayout = "BNC";
    packed.outputLayout = "BHND";
    packed.numHeads = 4;
    Session fixed(*mHost, buildFusedAttentionModel(packed), SessionConfig{}, outcome);
    ASSERT_TRUE(outcome.ok) << outcome.message;
    ASSERT_TRUE(fixed.outputShape(0, type, dims, symbols).ok);
    EXPECT_EQ(dims, (std::vector<int64_t>{2, 4, 100, 24}));
}

TEST_F(OrtFusedAttention, EmptyQueryGivesAnEmptyOutput)
{
    AttentionModelSpec s = spec({2, 3, 0, 16}, {2, 3, 50, 16}, {2, 3, 50, 24});
    s.symbolicInputs = true;
    Inputs const inputs = makeInputs(s, 12);
    std::vector<HostTensor> const out = run(buildFusedAttentionModel(s), inputs, SessionConfig{});
    ASSERT_EQ(out.size(), 1U);
    EXPECT_EQ(out[0].dims, (std::vector<int64_t>{2, 3, 0, 24}));
}

TEST_F(OrtFusedAttention, BadShapesAtRunTimeGiveAnErrorStatusWithOurMessage)
{
    AttentionModelSpec s = spec({2, 4, 10, 64}, {2, 4, 12, 32}, {2, 4, 12, 64});
    s.symbolicInputs = true;
    expectError(buildFusedAttentionModel(s), makeInputs(s, 13),
        "FusedAttention node 'attention0': K's head dimension 32 differs from Q's 64", false);

    AttentionModelSpec b = spec({4, 2, 60, 16}, {4, 2, 60, 16}, {4, 2, 60, 16});
    b.symbolicInputs = true;
    b.bias = true;
    b.biasDims = {1, 2, 60, 61};
    expectError(buildFusedAttentionModel(b), makeInputs(b, 14),
        "bias shape [1,2,60,61] is not broadcastable to the attention scores [4,2,60,60]", false);

    AttentionModelSpec z = spec({1, 2, 5, 8}, {1, 2, 0, 8}, {1, 2, 0, 8});
    z.symbolicInputs = true;
    expectError(buildFusedAttentionModel(z), makeInputs(z, 15), "softmax over no keys is undefined", false);

    AttentionModelSpec r = spec({5, 8}, {5, 8}, {5, 8});
    r.unrankedInputs = true;
    expectError(buildFusedAttentionModel(r), makeInputs(r, 16), "input_layout BHND needs rank 3 to 6", false);
}

TEST_F(OrtFusedAttention, StaticShapeErrorsAreReportedWhenTheModelRuns)
{
    // ORT discards the status of a custom op's shape inference, so static shape errors surface at Run.
    AttentionModelSpec mismatch = spec({2, 4, 10, 64}, {2, 4, 12, 32}, {2, 4, 12, 64});
    expectError(buildFusedAttentionModel(mismatch), makeInputs(mismatch, 17),
        "K's head dimension 32 differs from Q's 64", false);

    AttentionModelSpec twoScales = spec({1, 2, 8, 16}, {1, 2, 8, 16}, {1, 2, 8, 16});
    twoScales.scaleAsInput = true;
    twoScales.scaleAttribute = 0.5F;
    expectError(buildFusedAttentionModel(twoScales), makeInputs(twoScales, 18),
        "the scale attribute (0.500000) and the scale input are both given", false);
}

TEST_F(OrtFusedAttention, NonFloatInputsGiveATypeError)
{
    // Declared float32 output: the model loads and our kernel names the offending input.
    AttentionModelSpec half = spec({1, 2, 8, 16}, {1, 2, 8, 16}, {1, 2, 8, 16});
    half.elementType = srd::ort::kONNX_FLOAT16;
    half.outputElementType = srd::ort::kONNX_FLOAT;
    Inputs inputs;
    inputs.q = HostTensor::fromRaw(srd::ort::kONNX_FLOAT16, half.qDims, 2, 256);
    inputs.k = HostTensor::fromRaw(srd::ort::kONNX_FLOAT16, half.kDims, 2, 256);
    inputs.v = HostTensor::fromRaw(srd::ort::kONNX_FLOAT16, half.vDims, 2, 256);
    expectError(buildFusedAttentionModel(half), inputs,
        "FusedAttention node 'attention0': Q must be float32, got float16", false);
    // Declared float16 output: ORT's own type check refuses the model (the op's output is float32 on the CPU).
    half.outputElementType = 0;
    expectError(buildFusedAttentionModel(half), {}, "does not match expected type (tensor(float))", true);
}

TEST_F(OrtFusedAttention, BadAttributesAreRejectedWhenTheSessionIsCreated)
{
    AttentionModelSpec layout = spec({1, 2, 8, 16}, {1, 2, 8, 16}, {1, 2, 8, 16});
    layout.inputLayout = "BXYZ";
    expectError(buildFusedAttentionModel(layout), {}, "input_layout must be BHND, BNHD or BNC, got 'BXYZ'", true);

    AttentionModelSpec wrongType = spec({1, 2, 8, 16}, {1, 2, 8, 16}, {1, 2, 8, 16});
    wrongType.extraAttributes.push_back(onnx::Attribute::ofInt("scale", 2));
    expectError(buildFusedAttentionModel(wrongType), {}, "attribute scale must be FLOAT", true);

    AttentionModelSpec packedWithoutHeads = spec({2, 10, 64}, {2, 10, 64}, {2, 10, 64});
    packedWithoutHeads.inputLayout = "BNC";
    expectError(
        buildFusedAttentionModel(packedWithoutHeads), {}, "input_layout BNC needs the attribute num_heads >= 1", true);

    AttentionModelSpec normalize = spec({1, 2, 8, 16}, {1, 2, 8, 16}, {1, 2, 8, 16});
    normalize.extraAttributes.push_back(onnx::Attribute::ofInt("normalize_qk", 3));
    expectError(buildFusedAttentionModel(normalize), {}, "attribute normalize_qk must be 0 or 1, got 3", true);
}

} // namespace
} // namespace srd::fa::testing
