/*
 * The fast CPU kernel: blocked, streaming softmax, AVX2/FMA with a runtime check and a portable fallback, parallel
 * over (batch entry, query block) tasks through a caller-supplied task runner (ONNX Runtime's thread pool inside the
 * custom op, a per-call thread group in the C API).
 */
#ifndef SRD_FUSED_ATTENTION_CPU_H
#define SRD_FUSED_ATTENTION_CPU_H

#include "fusedAttentionCommon.h"
#include "fusedAttentionReference.h"

#include <cstdint>
#include <string>

namespace srd::fa
{

enum class CpuIsa : int32_t
{
    kAUTO = 0,     //!< The widest this CPU has: AVX-512F, else AVX2+FMA, else portable.
    kPORTABLE = 1, //!< Baseline instruction set only.
    kAVX2 = 2,     //!< AVX2+FMA; an error if the CPU lacks them.
    kAVX512 = 3,   //!< AVX-512F; an error if the CPU (or OS) lacks it.
};

//! True when this CPU can run the AVX2+FMA path.
bool cpuHasAvx2Fma() noexcept;
//! True when this CPU can run the AVX-512F path.
bool cpuHasAvx512() noexcept;
//! The instruction set kAUTO resolves to on this CPU.
CpuIsa resolveCpuIsa(CpuIsa isa) noexcept;
char const* cpuIsaName(CpuIsa isa) noexcept;

//! Runs count independent tasks; fn must not throw. Implementations may run them in any order and in parallel.
class TaskRunner
{
public:
    using TaskFn = void (*)(void* state, int64_t index) noexcept;
    virtual ~TaskRunner() = default;
    //! Returns "" on success, else a message (the tasks may then not all have run).
    virtual std::string run(int64_t count, TaskFn fn, void* state) = 0;
};

//! Runs tasks on the calling thread plus (threads - 1) threads started for the call.
class ThreadTaskRunner final : public TaskRunner
{
public:
    explicit ThreadTaskRunner(int32_t threads) : mThreads(threads < 1 ? 1 : threads) {}
    std::string run(int64_t count, TaskFn fn, void* state) override;

private:
    int32_t mThreads;
};

enum class CpuFailure : int32_t
{
    kNONE = 0,
    kINVALID_ARGUMENT = 1, //!< Null tensor pointer, non-float32 problem.
    kUNSUPPORTED = 2,      //!< kAVX2 / kAVX512 forced on a CPU without it.
    kOUT_OF_MEMORY = 3,    //!< Per-worker tiles could not be allocated.
    kRUNNER = 4,           //!< The task runner reported an error.
};

struct CpuResult
{
    CpuFailure failure{CpuFailure::kNONE};
    std::string message; //!< One line when failure != kNONE.
    bool ok() const noexcept
    {
        return failure == CpuFailure::kNONE;
    }
};

//! Computes FusedAttention for a problem from describeProblem (float32 only).
CpuResult runFusedAttentionCpu(
    AttentionProblem const& problem, CpuPointers const& pointers, TaskRunner& runner, CpuIsa isa = CpuIsa::kAUTO);

} // namespace srd::fa

#endif // SRD_FUSED_ATTENTION_CPU_H
