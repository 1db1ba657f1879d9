#include "fusedAttentionCpu.h"
#include "fusedAttentionCpuJob.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

namespace srd::fa
{
namespace
{

//! Upper bound on work items handed to the runner: enough to balance 16 threads, few enough that each item's
//! scratch allocation is amortised over many tiles.
constexpr int64_t kMAX_CHUNKS = 256;

struct ChunkState
{
    cpu::TileJob const* job;
    CpuIsa isa;
    int64_t tasks;
    int64_t tasksPerChunk;
    std::atomic<bool> allocationFailed{false};
};

void runChunk(void* opaque, int64_t chunk) noexcept
{
    auto* state = static_cast<ChunkState*>(opaque);
    int64_t const begin = chunk * state->tasksPerChunk;
    int64_t const end = begin + state->tasksPerChunk < state->tasks ? begin + state->tasksPerChunk : state->tasks;
    if (begin >= end)
    {
        return;
    }
    size_t const bytes = (state->job->scratchFloats * sizeof(float) + 63) / 64 * 64;
    auto* scratch = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (scratch == nullptr)
    {
        state->allocationFailed.store(true);
        return;
    }
    std::memset(scratch, 0, bytes);
    switch (state->isa)
    {
    case CpuIsa::kAVX512:
        cpu::runTilesAvx512(*state->job, begin, end, scratch);
        break;
    case CpuIsa::kAVX2:
        cpu::runTilesAvx2(*state->job, begin, end, scratch);
        break;
    default:
        cpu::runTilesPortable(*state->job, begin, end, scratch);
        break;
    }
    std::free(scratch);
}

struct PackState
{
    cpu::TileJob const* job;
    float* packed;
    int64_t numBatch;
    int64_t batchesPerChunk;
};

void runPackChunk(void* opaque, int64_t chunk) noexcept
{
    auto* state = static_cast<PackState*>(opaque);
    int64_t const begin = chunk * state->batchesPerChunk;
    int64_t const end =
        begin + state->batchesPerChunk < state->numBatch ? begin + state->batchesPerChunk : state->numBatch;
    for (int64_t batch = begin; batch < end; ++batch)
    {
        cpu::packKeysForBatch(*state->job, batch, state->packed + batch * state->job->packedStride);
    }
}

void copyStrides(OperandStrides const& from, cpu::JobStrides& to) noexcept
{
    for (int32_t i = 0; i < kMAX_BATCH_DIMS; ++i)
    {
        to.batch[i] = from.batch[i];
    }
    to.row = from.row;
}

int64_t roundUp(int64_t value, int64_t multiple) noexcept
{
    return (value + multiple - 1) / multiple * multiple;
}

} // namespace

bool cpuHasAvx2Fma() noexcept
{
#if defined(__x86_64__) || defined(__i386__)
    static bool const kHAS = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return kHAS;
#else
    return false;
#endif
}

bool cpuHasAvx512() noexcept
{
#if defined(__x86_64__) || defined(__i386__)
    // libgcc's CPU model also checks that the OS saves the zmm state (XCR0).
    static bool const kHAS = __builtin_cpu_supports("avx512f") && cpuHasAvx2Fma();
    return kHAS;
#else
    return false;
#endif
}

CpuIsa resolveCpuIsa(CpuIsa isa) noexcept
{
    if (isa != CpuIsa::kAUTO)
    {
        return isa;
    }
    return cpuHasAvx512() ? CpuIsa::kAVX512 : (cpuHasAvx2Fma() ? CpuIsa::kAVX2 : CpuIsa::kPORTABLE);
}

char const* cpuIsaName(CpuIsa isa) noexcept
{
    switch (resolveCpuIsa(isa))
    {
    case CpuIsa::kPORTABLE:
        return "portable";
    case CpuIsa::kAVX2:
        return "avx2+fma";
    case CpuIsa::kAVX512:
        return "avx512f";
    case CpuIsa::kAUTO:
        break;
    }
    return "?";
}

std::string ThreadTaskRunner::run(int64_t count, TaskFn fn, void* state)
{
    std::atomic<int64_t> next{0};
    auto work = [&]() noexcept
    {
        for (int64_t index = next.fetch_add(1); index < count; index = next.fetch_add(1))
        {
            fn(state, index);
        }
    };
    std::vector<std::thread> helpers;
    int64_t const wanted = count - 1 < mThreads - 1 ? count - 1 : mThreads - 1;
    try
    {
        helpers.reserve(static_cast<size_t>(wanted > 0 ? wanted : 0));
        for (int64_t i = 0; i < wanted; ++i)
        {
            helpers.emplace_back(work);
        }
    }
    catch (...)
    {
        // Fewer threads than asked for is still correct: the calling thread takes whatever is left.
    }
    work();
    for (std::thread& helper : helpers)
    {
        helper.join();
    }
    return {};
}

CpuResult runFusedAttentionCpu(
    AttentionProblem const& problem, CpuPointers const& pointers, TaskRunner& runner, CpuIsa isa)
{
    if (problem.type != ElementType::kFLOAT32)
    {
        return {CpuFailure::kINVALID_ARGUMENT, "the CPU kernel computes float32 only"};
    }
    if (problem.emptyOutput())
    {
        return {};
    }
    isa = resolveCpuIsa(isa);
    if (isa == CpuIsa::kAVX2 && !cpuHasAvx2Fma())
    {
        return {CpuFailure::kUNSUPPORTED, "this CPU has no AVX2+FMA, which the avx2 kernel was forced to use"};
    }
    if (isa == CpuIsa::kAVX512 && !cpuHasAvx512())
    {
        return {CpuFailure::kUNSUPPORTED, "this CPU has no AVX-512F, which the avx512 kernel was forced to use"};
    }
    int64_t const lanes = isa == CpuIsa::kAVX512 ? 16 : 8;
    if (pointers.q == nullptr || pointers.k == nullptr || pointers.v == nullptr || pointers.out == nullptr ||
        (problem.hasBias && pointers.bias == nullptr) || (problem.hasScaleInput && pointers.scale == nullptr))
    {
        return {CpuFailure::kINVALID_ARGUMENT, "a required tensor pointer is null"};
    }

    cpu::TileJob job{};
    job.nbBatchDims = problem.nbBatchDims;
    for (int32_t i = 0; i < kMAX_BATCH_DIMS; ++i)
    {
        job.batchDims[i] = problem.batchDims[i];
    }
    job.nq = problem.nq;
    job.nk = problem.nk;
    job.d = problem.headDim;
    job.dv = problem.valueDim;
    copyStrides(problem.q, job.q);
    copyStrides(problem.k, job.k);
    copyStrides(problem.v, job.v);
    copyStrides(problem.out, job.out);
    copyStrides(problem.bias, job.bias);
    job.biasKeyStride = problem.biasKeyStride;
    job.hasBias = problem.hasBias;
    job.normalizeQk = problem.normalizeQk;
    job.scale = problem.hasScaleInput ? *pointers.scale : problem.scale;
    job.normalizeEps = kNORMALIZE_EPS;
    job.qData = pointers.q;
    job.kData = pointers.k;
    job.vData = pointers.v;
    job.biasData = pointers.bias;
    job.outData = pointers.out;
    job.rowTile = cpu::kTILE_ROWS;
    job.lanes = lanes;
    job.blockQ = roundUp(problem.nq < cpu::kBLOCK_Q ? problem.nq : cpu::kBLOCK_Q, cpu::kTILE_ROWS);
    job.blockK = roundUp(problem.nk < cpu::kBLOCK_K ? problem.nk : cpu::kBLOCK_K, 2 * lanes);
    job.dvPadded = roundUp(problem.valueDim, lanes);
    job.qBlocks = (problem.nq + job.blockQ - 1) / job.blockQ;
    job.scratchFloats = cpu::tileScratchFloats(job.blockQ, job.blockK, job.d, job.dvPadded);
    int64_t const tail = problem.valueDim % lanes;
    job.valueTail = tail != 0 && tail <= lanes / 2 ? tail : 0;
    job.dvMain = job.valueTail != 0 ? problem.valueDim - tail : job.dvPadded;

    // When several query blocks read the same keys, transpose (and normalise) each batch entry's K once, instead
    // of once per query block. O(N d) extra memory, like K itself; without it the tiles pack K per block.
    std::unique_ptr<float, void (*)(void*)> packed(nullptr, &std::free);
    if (job.qBlocks > 1)
    {
        job.packedKeys = roundUp(problem.nk, 2 * lanes);
        if (job.packedKeys * sizeof(float) % 1024 == 0)
        {
            // Rows 1 KiB apart (ESRT: 1024 and 4096 keys) map to the same few L1 sets; the GEMM reads d of them at
            // once. One extra register-tile width breaks the aliasing.
            job.packedKeys += 2 * lanes;
        }
        job.packedStride = (job.d + job.valueTail) * job.packedKeys;
        size_t const bytes = static_cast<size_t>(problem.numBatch * job.packedStride) * sizeof(float);
        packed.reset(static_cast<float*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64)));
        if (packed)
        {
            PackState pack{&job, packed.get(), problem.numBatch, 1};
            int64_t const packChunks = problem.numBatch < kMAX_CHUNKS ? problem.numBatch : kMAX_CHUNKS;
            pack.batchesPerChunk = (problem.numBatch + packChunks - 1) / packChunks;
            std::string error =
                runner.run((problem.numBatch + pack.batchesPerChunk - 1) / pack.batchesPerChunk, &runPackChunk, &pack);
            if (!error.empty())
            {
                return {CpuFailure::kRUNNER, error};
            }
            job.packedK = packed.get();
        }
    }

    ChunkState state;
    state.job = &job;
    state.isa = isa;
    state.tasks = problem.numBatch * job.qBlocks;
    int64_t const chunks = state.tasks < kMAX_CHUNKS ? state.tasks : kMAX_CHUNKS;
    state.tasksPerChunk = (state.tasks + chunks - 1) / chunks;
    int64_t const usedChunks = (state.tasks + state.tasksPerChunk - 1) / state.tasksPerChunk;
    std::string error = runner.run(usedChunks, &runChunk, &state);
    if (!error.empty())
    {
        return {CpuFailure::kRUNNER, error};
    }
    if (state.allocationFailed.load())
    {
        return {CpuFailure::kOUT_OF_MEMORY, "out of memory allocating " +
                                                std::to_string(job.scratchFloats * sizeof(float)) +
                                                " bytes of per-worker tiles"};
    }
    return {};
}

} // namespace srd::fa
