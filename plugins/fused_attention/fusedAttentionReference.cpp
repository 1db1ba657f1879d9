#include "fusedAttentionReference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace srd::fa
{

void referenceAttention(AttentionProblem const& problem, CpuPointers const& pointers, int64_t rowStep, int64_t rowPhase)
{
    if (problem.emptyOutput())
    {
        return;
    }
    int64_t const d = problem.headDim;
    int64_t const dv = problem.valueDim;
    double const scale =
        problem.hasScaleInput ? static_cast<double>(*pointers.scale) : static_cast<double>(problem.scale);
    std::vector<double> query(static_cast<size_t>(d));
    std::vector<double> keyInverseNorm(static_cast<size_t>(problem.nk));
    std::vector<double> scores(static_cast<size_t>(problem.nk));
    std::vector<double> accumulator(static_cast<size_t>(dv));

    auto inverseNorm = [&](float const* row)
    {
        if (!problem.normalizeQk)
        {
            return 1.0;
        }
        double sum = 0.0;
        for (int64_t c = 0; c < d; ++c)
        {
            sum += static_cast<double>(row[c]) * static_cast<double>(row[c]);
        }
        return 1.0 / std::max(std::sqrt(sum), static_cast<double>(kNORMALIZE_EPS));
    };

    for (int64_t b = 0; b < problem.numBatch; ++b)
    {
        float const* q = pointers.q + batchOffset(problem, problem.q, b);
        float const* k = pointers.k + batchOffset(problem, problem.k, b);
        float const* v = pointers.v + batchOffset(problem, problem.v, b);
        float* out = pointers.out + batchOffset(problem, problem.out, b);
        float const* bias = problem.hasBias ? pointers.bias + batchOffset(problem, problem.bias, b) : nullptr;
        for (int64_t j = 0; j < problem.nk; ++j)
        {
            keyInverseNorm[static_cast<size_t>(j)] = inverseNorm(k + j * problem.k.row);
        }
        for (int64_t i = rowPhase; i < problem.nq; i += rowStep)
        {
            float const* qRow = q + i * problem.q.row;
            double const qScale = inverseNorm(qRow) * scale;
            for (int64_t c = 0; c < d; ++c)
            {
                query[static_cast<size_t>(c)] = static_cast<double>(qRow[c]) * qScale;
            }
            double maxScore = -std::numeric_limits<double>::infinity();
            for (int64_t j = 0; j < problem.nk; ++j)
            {
                float const* kRow = k + j * problem.k.row;
                double dot = 0.0;
                for (int64_t c = 0; c < d; ++c)
                {
                    dot += query[static_cast<size_t>(c)] * static_cast<double>(kRow[c]);
                }
                double score = dot * keyInverseNorm[static_cast<size_t>(j)];
                if (bias != nullptr)
                {
                    score += static_cast<double>(bias[i * problem.bias.row + j * problem.biasKeyStride]);
                }
                scores[static_cast<size_t>(j)] = score;
                maxScore = std::max(maxScore, score);
            }
            double sum = 0.0;
            std::fill(accumulator.begin(), accumulator.end(), 0.0);
            for (int64_t j = 0; j < problem.nk; ++j)
            {
                double const weight = std::exp(scores[static_cast<size_t>(j)] - maxScore);
                sum += weight;
                float const* vRow = v + j * problem.v.row;
                for (int64_t c = 0; c < dv; ++c)
                {
                    accumulator[static_cast<size_t>(c)] += weight * static_cast<double>(vRow[c]);
                }
            }
            float* outRow = out + i * problem.out.row;
            for (int64_t c = 0; c < dv; ++c)
            {
                outRow[c] = static_cast<float>(accumulator[static_cast<size_t>(c)] / sum);
            }
        }
    }
}

} // namespace srd::fa
