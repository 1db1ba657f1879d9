/*
 * Plain reference of FusedAttention for tests: one query row at a time, scores and sums in double, no blocking and
 * no vector code. Its only job is to be obviously right.
 */
#ifndef SRD_FUSED_ATTENTION_REFERENCE_H
#define SRD_FUSED_ATTENTION_REFERENCE_H

#include "fusedAttentionCommon.h"

namespace srd::fa
{

struct CpuPointers
{
    float const* q{nullptr};
    float const* k{nullptr};
    float const* v{nullptr};
    float const* bias{nullptr};  //!< Required when problem.hasBias.
    float const* scale{nullptr}; //!< One float; required when problem.hasScaleInput.
    float* out{nullptr};
};

/*!
 * Computes the output rows whose query index i satisfies i % rowStep == rowPhase (rowStep 1 = every row), so that
 * tests of long sequences can check a sample of rows without an O(N^2) double-precision pass over all of them. Other
 * output rows are not written.
 */
void referenceAttention(
    AttentionProblem const& problem, CpuPointers const& pointers, int64_t rowStep = 1, int64_t rowPhase = 0);

} // namespace srd::fa

#endif // SRD_FUSED_ATTENTION_REFERENCE_H
