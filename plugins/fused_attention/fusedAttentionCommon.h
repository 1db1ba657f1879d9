/*
 * FusedAttention: the op contract shared by every back end (reference and fast CPU kernels, the ONNX Runtime custom
 * op, the C API, the CUDA launcher and the TensorRT plugin). Attribute parsing, layout decoding and all shape checks
 * live here, once, so the back ends accept and reject exactly the same inputs with the same messages.
 *
 * No CUDA, no ONNX Runtime and no TensorRT types appear in this header.
 */
#ifndef SRD_FUSED_ATTENTION_COMMON_H
#define SRD_FUSED_ATTENTION_COMMON_H

#include <cstdint>
#include <string>

namespace srd::fa
{

//! Batch dimensions in front of [N, d] that one problem may carry (BHND layout allows rank 3 to 6).
constexpr int32_t kMAX_BATCH_DIMS = 4;
//! Highest rank of Q/K/V/bias/output.
constexpr int32_t kMAX_RANK = kMAX_BATCH_DIMS + 2;
//! F.normalize's epsilon: x / max(||x||, eps).
constexpr float kNORMALIZE_EPS = 1e-12F;

constexpr char const* kOP_NAME = "FusedAttention";
constexpr char const* kOP_VERSION = "1";
constexpr char const* kORT_DOMAIN = "com.superres.deploy";

//! Attribute names (ONNX attributes = TensorRT plugin fields).
constexpr char const* kATTR_SCALE = "scale";
constexpr char const* kATTR_NORMALIZE_QK = "normalize_qk";
constexpr char const* kATTR_NUM_HEADS = "num_heads";
constexpr char const* kATTR_INPUT_LAYOUT = "input_layout";
constexpr char const* kATTR_OUTPUT_LAYOUT = "output_layout";
constexpr char const* kATTR_HAS_BIAS = "has_bias";
constexpr char const* kATTR_HAS_SCALE_INPUT = "has_scale_input";

//! Input positions.
constexpr int32_t kINPUT_Q = 0;
constexpr int32_t kINPUT_K = 1;
constexpr int32_t kINPUT_V = 2;
constexpr int32_t kINPUT_BIAS = 3;
constexpr int32_t kINPUT_SCALE = 4;
constexpr int32_t kMAX_INPUTS = 5;

//! Memory layouts of Q, K, V and the output (the bias is always logically [..batch.., Nq, Nk]).
enum class Layout : int32_t
{
    kBHND = 0, //!< [batch..., N, d], rank 3..6; every dimension before N is a batch dimension.
    kBNHD = 1, //!< [B, N, H, d], rank 4.
    kBNC = 2,  //!< [B, N, H*d], rank 3, H from num_heads (packed; same memory as BNHD).
};

//! Parses "BHND" / "BNHD" / "BNC" (exact, upper case). Returns false for anything else.
bool parseLayout(char const* text, Layout& layout) noexcept;
char const* layoutName(Layout layout) noexcept;

enum class ElementType : int32_t
{
    kFLOAT32 = 0,
    kFLOAT16 = 1,
    kOTHER = 2,
};

//! Attribute values after parsing. Defaults are the documented ONNX defaults.
struct Attributes
{
    float scale{0.F};                  //!< 0 = 1/sqrt(d); any other value is used as is.
    int64_t normalizeQk{0};            //!< 0 or 1.
    int64_t numHeads{0};               //!< Required (>= 1) for BNC; if set, checked against BNHD's H.
    Layout inputLayout{Layout::kBHND}; //!< Layout of Q, K and V.
    Layout outputLayout{Layout::kBHND};
    int64_t hasBias{-1};       //!< -1 = decided by the inputs; 0/1 = must match (TensorRT: decides).
    int64_t hasScaleInput{-1}; //!< Same for the scale tensor.
};

//! Checks value ranges of the attributes (not shapes). Returns "" when valid, else a one-line message.
std::string checkAttributes(Attributes const& attributes);

//! A tensor's static description as seen by a back end. Dims of -1 mean "unknown" (shape inference only).
struct TensorDesc
{
    bool present{false};
    ElementType type{ElementType::kOTHER};
    char const* typeName{"unknown"}; //!< For messages, e.g. "float16" or "int64".
    int32_t rank{0};
    int64_t dims[8]{};
};

struct InputDescs
{
    TensorDesc q, k, v, bias, scale;
};

//! Element strides of one operand, the innermost (d) dimension being contiguous.
struct OperandStrides
{
    int64_t batch[kMAX_BATCH_DIMS]{};
    int64_t row{0}; //!< Between consecutive tokens (or query rows for the bias).
};

//! Where an output dimension comes from: dim `dim` of input `input` (0 Q, 1 K, 2 V), or -1 when derived.
struct DimSource
{
    int32_t input{-1};
    int32_t dim{-1};
};

//! One validated attention call: sizes, strides of every operand and the resolved scalar options.
struct AttentionProblem
{
    int32_t nbBatchDims{0};
    int64_t batchDims[kMAX_BATCH_DIMS]{};
    int64_t numBatch{0}; //!< Product of batchDims.
    int64_t nq{0};
    int64_t nk{0};
    int64_t headDim{0};  //!< d of Q and K.
    int64_t valueDim{0}; //!< d of V and the output.
    OperandStrides q, k, v, out;
    bool hasBias{false};
    OperandStrides bias;      //!< batch strides 0 where broadcast; row = stride along Nq.
    int64_t biasKeyStride{0}; //!< 0 (broadcast along Nk) or 1.
    bool hasScaleInput{false};
    float scale{0.F}; //!< Resolved attribute scale (used when hasScaleInput is false).
    bool normalizeQk{false};
    ElementType type{ElementType::kFLOAT32};
    int32_t outRank{0};
    int64_t outDims[kMAX_RANK]{};
    DimSource outDimSources[kMAX_RANK]; //!< For naming unknown output dims in shape inference.

    //! True when the output has no elements (no kernel launch needed).
    bool emptyOutput() const noexcept
    {
        return numBatch == 0 || nq == 0 || valueDim == 0;
    }
};

struct ValidationOptions
{
    bool allowFloat16{false};     //!< CPU paths: float32 only. CUDA/TensorRT: float32 and float16.
    bool allowUnknownDims{false}; //!< Shape inference: -1 dims are skipped in checks and propagate to the output.
};

/*!
 * Validates attributes and inputs against the contract in README.md and fills `problem`.
 * Returns "" on success, else a one-line message naming the problem (no op name prefix).
 */
std::string describeProblem(Attributes const& attributes, InputDescs const& inputs, ValidationOptions const& options,
    AttentionProblem& problem);

//! Offset (elements) of batch `index` (flattened, row-major over batchDims) for an operand's strides.
inline int64_t batchOffset(AttentionProblem const& problem, OperandStrides const& strides, int64_t index) noexcept
{
    int64_t offset = 0;
    for (int32_t i = problem.nbBatchDims - 1; i >= 0; --i)
    {
        int64_t const dim = problem.batchDims[i];
        int64_t const coordinate = index % dim;
        index /= dim;
        offset += coordinate * strides.batch[i];
    }
    return offset;
}

//! Largest head dimension (d and dv) the CUDA kernels take.
constexpr int64_t kCUDA_MAX_HEAD_DIM = 128;
//! Query rows per block of the CUDA flash kernel (bounds the grid size).
constexpr int64_t kCUDA_ROWS_PER_BLOCK = 128;

//! "" when the CUDA kernels can run this (already validated) problem, else a one-line reason (e.g. d > 128). Host
//! code only, so the TensorRT plugin and the CUDA C API check it without the CUDA toolkit.
std::string checkCudaSupport(AttentionProblem const& problem);

//! "[2,8,60,64]" for messages.
std::string formatDims(int64_t const* dims, int32_t rank);

} // namespace srd::fa

#endif // SRD_FUSED_ATTENTION_COMMON_H
