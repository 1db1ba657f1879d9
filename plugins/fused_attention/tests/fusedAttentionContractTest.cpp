/*
 * The op contract (fusedAttentionCommon): what is accepted, the output shapes per layout, and the one-line messages
 * for everything that is rejected. These are the checks every back end (ORT op, C API, TensorRT enqueue) runs.
 */
#include "fusedAttentionCommon.h"
#include "testUtil.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace srd::fa::testing
{
namespace
{

CaseShapes shapes(std::vector<int64_t> q, std::vector<int64_t> k, std::vector<int64_t> v)
{
    CaseShapes s;
    s.q = std::move(q);
    s.k = std::move(k);
    s.v = std::move(v);
    return s;
}

std::vector<int64_t> outDims(AttentionProblem const& problem)
{
    return std::vector<int64_t>(problem.outDims, problem.outDims + problem.outRank);
}

void expectRejected(CaseShapes const& s, std::string const& expectedText)
{
    AttentionProblem problem;
    std::string const error = describe(s, problem);
    EXPECT_NE(error.find(expectedText), std::string::npos)
        << "message: '" << error << "', expected '" << expectedText << "'";
    EXPECT_EQ(error.find('\n'), std::string::npos) << "messages are one line";
}

TEST(AttentionContract, ParsesTheThreeLayoutNamesExactly)
{
    Layout layout{};
    EXPECT_TRUE(parseLayout("BHND", layout));
    EXPECT_EQ(layout, Layout::kBHND);
    EXPECT_TRUE(parseLayout("BNHD", layout));
    EXPECT_EQ(layout, Layout::kBNHD);
    EXPECT_TRUE(parseLayout("BNC", layout));
    EXPECT_EQ(layout, Layout::kBNC);
    EXPECT_FALSE(parseLayout("bhnd", layout));
    EXPECT_FALSE(parseLayout("", layout));
    EXPECT_FALSE(parseLayout(nullptr, layout));
}

TEST(AttentionContract, BhndOutputKeepsAllBatchDimsAndTakesValueWidth)
{
    AttentionProblem problem;
    ASSERT_EQ(describe(shapes({1, 8, 4, 100, 18}, {1, 8, 4, 120, 18}, {1, 8, 4, 120, 20}), problem), "");
    EXPECT_EQ(outDims(problem), (std::vector<int64_t>{1, 8, 4, 100, 20}));
    EXPECT_EQ(problem.numBatch, 32);
    EXPECT_FLOAT_EQ(problem.scale, 1.F / std::sqrt(18.F));
}

TEST(AttentionContract, PackedInputGivesPackedOutputByDefaultAndBhndOnRequest)
{
    CaseShapes s = shapes({2, 50, 72}, {2, 60, 72}, {2, 60, 96});
    s.attributes.inputLayout = Layout::kBNC;
    s.attributes.outputLayout = Layout::kBNC;
    s.attributes.numHeads = 4;
    AttentionProblem problem;
    ASSERT_EQ(describe(s, problem), "");
    EXPECT_EQ(outDims(problem), (std::vector<int64_t>{2, 50, 96}));
    EXPECT_EQ(problem.headDim, 18);
    EXPECT_EQ(problem.valueDim, 24);
    s.attributes.outputLayout = Layout::kBHND;
    ASSERT_EQ(describe(s, problem), "");
    EXPECT_EQ(outDims(problem), (std::vector<int64_t>{2, 4, 50, 24}));
    s.attributes.outputLayout = Layout::kBNHD;
    ASSERT_EQ(describe(s, problem), "");
    EXPECT_EQ(outDims(problem), (std::vector<int64_t>{2, 50, 4, 24}));
}

TEST(AttentionContract, Rank3BhndIsOneHeadForPackedOutputs)
{
    CaseShapes s = shapes({6, 60, 64}, {6, 60, 64}, {6, 60, 64});
    s.attributes.outputLayout = Layout::kBNHD;
    AttentionProblem problem;
    ASSERT_EQ(describe(s, problem), "");
    EXPECT_EQ(outDims(problem), (std::vector<int64_t>{6, 60, 1, 64}));
}

TEST(AttentionContract, BiasBroadcastStridesAreZeroOnSizeOneDims)
{
    CaseShapes s = shapes({4, 6, 49, 32}, {4, 6, 49, 32}, {4, 6, 49, 32});
    s.hasBias = true;
    s.bias = {6, 1, 49};
    AttentionProblem problem;
    ASSERT_EQ(describe(s, problem), "");
    EXPECT_EQ(problem.bias.batch[0], 0);
    EXPECT_EQ(problem.bias.batch[1], 49);
    EXPECT_EQ(problem.bias.row, 0);
    EXPECT_EQ(problem.biasKeyStride, 1);
}

TEST(AttentionContract, EmptyBatchQueriesOrValueWidthAreValidAndEmpty)
{
    AttentionProblem problem;
    ASSERT_EQ(describe(shapes({0, 2, 5, 8}, {0, 2, 7, 8}, {0, 2, 7, 8}), problem), "");
    EXPECT_TRUE(problem.emptyOutput());
    ASSERT_EQ(describe(shapes({1, 2, 0, 8}, {1, 2, 7, 8}, {1, 2, 7, 8}), problem), "");
    EXPECT_TRUE(problem.emptyOutput());
    EXPECT_EQ(outDims(problem), (std::vector<int64_t>{1, 2, 0, 8}));
}

TEST(AttentionContract, RejectsZeroKeysBecauseSoftmaxOverNothingIsUndefined)
{
    expectRejected(shapes({1, 2, 5, 8}, {1, 2, 0, 8}, {1, 2, 0, 8}), "softmax over no keys is undefined");
}

TEST(AttentionContract, RejectsZeroHeadDimension)
{
    expectRejected(shapes({1, 2, 5, 0}, {1, 2, 5, 0}, {1, 2, 5, 8}), "head dimension d of Q and K is 0");
}

TEST(AttentionContract, RejectsWrongRanks)
{
    expectRejected(shapes({5, 8}, {5, 8}, {5, 8}), "input_layout BHND needs rank 3 to 6");
    expectRejected(shapes({1, 1, 1, 1, 1, 5, 8}, {1, 1, 1, 1, 1, 5, 8}, {1, 1, 1, 1, 1, 5, 8}), "needs rank 3 to 6");
    expectRejected(shapes({2, 5, 8}, {2, 1, 5, 8}, {2, 1, 5, 8}), "same rank");
    CaseShapes s = shapes({2, 5, 3, 8}, {2, 5, 3, 8}, {2, 5, 3, 8});
    s.attributes.inputLayout = Layout::kBNC;
    s.attributes.numHeads = 3;
    expectRejected(s, "input_layout BNC needs rank 3");
}

TEST(AttentionContract, RejectsHeadDimensionAndTokenMismatches)
{
    expectRejected(shapes({2, 4, 10, 64}, {2, 4, 12, 32}, {2, 4, 12, 64}), "K's head dimension 32 differs from Q's 64");
    expectRejected(shapes({2, 4, 10, 64}, {2, 4, 12, 64}, {2, 4, 13, 64}), "V has 13 tokens but K has 12");
    expectRejected(shapes({2, 4, 10, 64}, {2, 3, 12, 64}, {2, 3, 12, 64}), "same batch and head dimensions");
}

TEST(AttentionContract, RejectsHeadCountMismatchesInPackedLayouts)
{
    CaseShapes s = shapes({2, 10, 70}, {2, 10, 70}, {2, 10, 70});
    s.attributes.inputLayout = Layout::kBNC;
    s.attributes.numHeads = 4;
    expectRejected(s, "not a multiple of num_heads 4");
    s.attributes.numHeads = 0;
    expectRejected(s, "input_layout BNC needs the attribute num_heads >= 1");
    CaseShapes t = shapes({2, 10, 4, 8}, {2, 10, 4, 8}, {2, 10, 4, 8});
    t.attributes.inputLayout = Layout::kBNHD;
    t.attributes.numHeads = 3;
    expectRejected(t, "has 4 heads");
}

TEST(AttentionContract, RejectsBiasThatDoesNotBroadcastToTheScores)
{
    CaseShapes s = shapes({4, 2, 60, 16}, {4, 2, 60, 16}, {4, 2, 60, 16});
    s.hasBias = true;
    s.bias = {1, 2, 60, 61};
    expectRejected(s, "bias shape [1,2,60,61] is not broadcastable to the attention scores [4,2,60,60]");
    s.bias = {1, 1, 4, 2, 60, 60};
    expectRejected(s, "bias has rank 6");
}

TEST(AttentionContract, RejectsNonFloatTypesAndMixedTypes)
{
    InputDescs inputs;
    inputs.q = floatDesc({1, 4, 8});
    inputs.k = floatDesc({1, 4, 8});
    inputs.v = floatDesc({1, 4, 8});
    inputs.q.type = ElementType::kOTHER;
    inputs.q.typeName = "int64";
    AttentionProblem problem;
    EXPECT_EQ(describeProblem({}, inputs, {}, problem), "Q must be float32, got int64");
    inputs.q = floatDesc({1, 4, 8});
    inputs.q.type = ElementType::kFLOAT16;
    inputs.q.typeName = "float16";
    EXPECT_EQ(describeProblem({}, inputs, {}, problem), "Q must be float32, got float16");
    ValidationOptions gpu;
    gpu.allowFloat16 = true;
    EXPECT_EQ(describeProblem({}, inputs, gpu, problem), "K must have Q's element type float16, got float32");
}

TEST(AttentionContract, ScaleComesFromExactlyOneSource)
{
    CaseShapes s = shapes({1, 4, 8}, {1, 4, 8}, {1, 4, 8});
    s.scaleInput = true;
    s.attributes.scale = 0.5F;
    expectRejected(s, "the scale attribute (0.500000) and the scale input are both given");
    InputDescs inputs;
    inputs.q = floatDesc({1, 4, 8});
    inputs.k = floatDesc({1, 4, 8});
    inputs.v = floatDesc({1, 4, 8});
    inputs.scale = floatDesc({2});
    AttentionProblem problem;
    EXPECT_EQ(describeProblem({}, inputs, {}, problem), "the scale input must have exactly one element, got shape [2]");
}

TEST(AttentionContract, HasFlagsMustAgreeWithTheInputsGiven)
{
    CaseShapes s = shapes({1, 4, 8}, {1, 4, 8}, {1, 4, 8});
    s.attributes.hasBias = 1;
    expectRejected(s, "has_bias is 1 but there is no bias input");
    s.attributes.hasBias = -1;
    s.attributes.hasScaleInput = 0;
    s.scaleInput = true;
    expectRejected(s, "has_scale_input is 0 but a scale input (input 4) is given");
}

TEST(AttentionContract, RejectsOutOfRangeAttributes)
{
    Attributes a;
    a.normalizeQk = 2;
    EXPECT_EQ(checkAttributes(a), "attribute normalize_qk must be 0 or 1, got 2");
    a = Attributes{};
    a.numHeads = -1;
    EXPECT_EQ(checkAttributes(a), "attribute num_heads must be >= 0, got -1");
    a = Attributes{};
    a.scale = INFINITY;
    EXPECT_EQ(checkAttributes(a), "attribute scale must be finite");
}

TEST(AttentionContract, UnknownDimsPassShapeInferenceAndPropagate)
{
    InputDescs inputs;
    inputs.q = floatDesc({-1, 8, -1, 18});
    inputs.k = floatDesc({-1, 8, -1, 18});
    inputs.v = floatDesc({-1, 8, -1, 18});
    ValidationOptions options;
    options.allowUnknownDims = true;
    AttentionProblem problem;
    ASSERT_EQ(describeProblem({}, inputs, options, problem), "");
    EXPECT_EQ(outDims(problem), (std::vector<int64_t>{-1, 8, -1, 18}));
    EXPECT_EQ(problem.outDimSources[0].input, 0);
    EXPECT_EQ(problem.outDimSources[2].dim, 2);
    ValidationOptions strict;
    EXPECT_NE(describeProblem({}, inputs, strict, problem).find("negative dimension"), std::string::npos);
}

TEST(AttentionContract, RejectsShapesWhoseElementCountOverflows)
{
    int64_t const huge = int64_t{1} << 40;
    expectRejected(
        shapes({huge, huge, 2, 8}, {huge, huge, 2, 8}, {huge, huge, 2, 8}), "more elements than fit in 64 bits");
}

} // namespace
} // namespace srd::fa::testing
