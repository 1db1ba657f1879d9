/*
 * Helpers shared by the fused-attention tests: seeded random data, the error measure, and building an
 * AttentionProblem from plain shapes through the same validation the back ends use.
 */
#ifndef SRD_FUSED_ATTENTION_TESTS_TEST_UTIL_H
#define SRD_FUSED_ATTENTION_TESTS_TEST_UTIL_H

#include "fusedAttentionCommon.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace srd::fa::testing
{

inline std::vector<float> randomFloats(size_t count, std::mt19937_64& rng, float low = -1.F, float high = 1.F)
{
    std::uniform_real_distribution<float> distribution(low, high);
    std::vector<float> values(count);
    for (float& value : values)
    {
        value = distribution(rng);
    }
    return values;
}

inline int64_t elementCount(std::vector<int64_t> const& dims)
{
    int64_t count = 1;
    for (int64_t dim : dims)
    {
        count *= dim;
    }
    return count;
}

/*!
 * The error measure of every accuracy test: relative L-infinity error,
 *   max_i |actual_i - expected_i| / max_i |expected_i|,
 * i.e. the worst absolute error in units of the output's magnitude. Elements where both are NaN count as equal;
 * a NaN on one side only gives infinity. `rowMask` (optional) limits the comparison to sampled rows.
 */
inline double relativeLinf(
    std::vector<float> const& actual, std::vector<float> const& expected, std::vector<bool> const* mask = nullptr)
{
    double maxError = 0.0;
    double maxMagnitude = 0.0;
    for (size_t i = 0; i < expected.size(); ++i)
    {
        if (mask != nullptr && !(*mask)[i])
        {
            continue;
        }
        bool const actualNan = std::isnan(actual[i]);
        bool const expectedNan = std::isnan(expected[i]);
        if (actualNan || expectedNan)
        {
            if (actualNan != expectedNan)
            {
                return INFINITY;
            }
            continue;
        }
        maxError = std::max(maxError, std::fabs(static_cast<double>(actual[i]) - static_cast<double>(expected[i])));
        maxMagnitude = std::max(maxMagnitude, std::fabs(static_cast<double>(expected[i])));
    }
    return maxMagnitude > 0.0 ? maxError / maxMagnitude : maxError;
}

inline TensorDesc floatDesc(std::vector<int64_t> const& dims)
{
    TensorDesc desc;
    desc.present = true;
    desc.type = ElementType::kFLOAT32;
    desc.typeName = "float32";
    desc.rank = static_cast<int32_t>(dims.size());
    for (size_t i = 0; i < dims.size() && i < 8; ++i)
    {
        desc.dims[i] = dims[i];
    }
    return desc;
}

//! Shapes and options of one test case, in the op's own terms.
struct CaseShapes
{
    std::vector<int64_t> q, k, v, bias;
    bool hasBias{false};
    bool scaleInput{false};
    Attributes attributes;
};

inline std::string describe(CaseShapes const& shapes, AttentionProblem& problem)
{
    InputDescs inputs;
    inputs.q = floatDesc(shapes.q);
    inputs.k = floatDesc(shapes.k);
    inputs.v = floatDesc(shapes.v);
    if (shapes.hasBias)
    {
        inputs.bias = floatDesc(shapes.bias);
    }
    if (shapes.scaleInput)
    {
        inputs.scale = floatDesc({});
    }
    return describeProblem(shapes.attributes, inputs, ValidationOptions{}, problem);
}

} // namespace srd::fa::testing

#endif // SRD_FUSED_ATTENTION_TESTS_TEST_UTIL_H
