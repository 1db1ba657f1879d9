/*
 * The plain-data description of one fast-CPU attention call, shared by the driver (fusedAttentionCpu.cpp) and the
 * instruction-set-specific translation units (fusedAttentionCpuAvx2.cpp compiled with -mavx2 -mfma, and
 * fusedAttentionCpuPortable.cpp). It deliberately includes no C++ library header and declares no inline function:
 * an inline function or template instantiated in the AVX2 unit could be chosen by the linker for the whole library
 * and then run on a CPU without AVX2.
 */
#ifndef SRD_FUSED_ATTENTION_CPU_JOB_H
#define SRD_FUSED_ATTENTION_CPU_JOB_H

#include <stddef.h>
#include <stdint.h>

namespace srd::fa::cpu
{

constexpr int32_t kJOB_MAX_BATCH_DIMS = 4;
//! Rows of Q per tile (upper bound, multiple of every register-tile row count) and keys per tile (upper bound,
//! multiple of every wide register tile: 2 x 16 lanes).
constexpr int64_t kBLOCK_Q = 60;
constexpr int64_t kBLOCK_K = 128;
//! Rows of every register tile (all instruction sets).
constexpr int64_t kTILE_ROWS = 6;

struct JobStrides
{
    int64_t batch[kJOB_MAX_BATCH_DIMS];
    int64_t row;
};

struct TileJob
{
    int32_t nbBatchDims;
    int64_t batchDims[kJOB_MAX_BATCH_DIMS];
    int64_t nq;
    int64_t nk;
    int64_t d;
    int64_t dv;
    JobStrides q;
    JobStrides k;
    JobStrides v;
    JobStrides out;
    JobStrides bias;
    int64_t biasKeyStride;
    bool hasBias;
    bool normalizeQk;
    float scale;
    float normalizeEps;
    float const* qData;
    float const* kData;
    float const* vData;
    float const* biasData;
    float* outData;
    int64_t rowTile;   //!< Register-tile rows of the chosen instruction set (kTILE_ROWS).
    int64_t lanes;     //!< Floats per vector of the chosen instruction set (8 AVX2/portable, 16 AVX-512).
    int64_t blockQ;    //!< Multiple of rowTile, <= kBLOCK_Q.
    int64_t blockK;    //!< Multiple of 2 * lanes, <= kBLOCK_K.
    int64_t dvPadded;  //!< dv rounded up to lanes.
    int64_t qBlocks;   //!< ceil(nq / blockQ); task t = batch * qBlocks + qBlock.
    int64_t dvMain;    //!< Columns of V the GEMM covers: dvPadded, or dv - valueTail.
    int64_t valueTail; //!< Last columns of V done as dot products over the keys (0, or dv % lanes <= lanes / 2).
    //! Optional (when several query blocks share one batch entry's keys): per batch entry, K transposed and
    //! normalised as [d][packedKeys], then the V tail transposed as [valueTail][packedKeys], zero-padded.
    float const* packedK;
    int64_t packedKeys;   //!< nk rounded up to 2 * lanes.
    int64_t packedStride; //!< Floats per batch entry in packedK.
    size_t scratchFloats;
};

//! Fills one batch entry of job.packedK layout into `destination` (job.packedStride floats).
void packKeysForBatch(TileJob const& job, int64_t batch, float* destination) noexcept;

//! Scratch floats one worker needs for `job` (the driver allocates it 64-byte aligned and zero-filled).
size_t tileScratchFloats(int64_t blockQ, int64_t blockK, int64_t d, int64_t dvPadded);

//! Processes tasks [begin, end). Never throws; touches only the job's tensors and `scratch`.
void runTilesPortable(TileJob const& job, int64_t begin, int64_t end, float* scratch) noexcept;
void runTilesAvx2(TileJob const& job, int64_t begin, int64_t end, float* scratch) noexcept;
void runTilesAvx512(TileJob const& job, int64_t begin, int64_t end, float* scratch) noexcept;

} // namespace srd::fa::cpu

#endif // SRD_FUSED_ATTENTION_CPU_JOB_H
