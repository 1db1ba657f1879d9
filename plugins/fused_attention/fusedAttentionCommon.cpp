#include "fusedAttentionCommon.h"

#include <cmath>
#include <cstring>

namespace srd::fa
{
namespace
{

//! An operand (Q, K, V) split into batch dimensions, tokens and width per the input layout.
struct Operand
{
    int32_t nbBatchDims{0};
    int64_t batchDims[kMAX_BATCH_DIMS]{};
    int64_t tokens{0};
    int64_t width{0};
    OperandStrides strides;
    int32_t batchSource[kMAX_BATCH_DIMS]{-1, -1, -1, -1}; //!< Tensor dim of each batch dim (-1: from num_heads).
    int32_t tokensSource{-1};
    int32_t widthSource{-1}; //!< -1 when derived (BNC: C / num_heads).
};

bool known(int64_t dim) noexcept
{
    return dim >= 0;
}

bool sameDim(int64_t a, int64_t b) noexcept
{
    return !known(a) || !known(b) || a == b;
}

bool allKnown(int64_t const* dims, int32_t rank) noexcept
{
    for (int32_t i = 0; i < rank; ++i)
    {
        if (!known(dims[i]))
        {
            return false;
        }
    }
    return true;
}

//! Product of known dims; false on int64 overflow. Unknown dims count as 1.
bool checkedElementCount(int64_t const* dims, int32_t rank, int64_t& count) noexcept
{
    count = 1;
    for (int32_t i = 0; i < rank; ++i)
    {
        if (known(dims[i]) && __builtin_mul_overflow(count, dims[i], &count))
        {
            return false;
        }
    }
    return true;
}

std::string checkDesc(TensorDesc const& desc, char const* name, ValidationOptions const& options)
{
    if (desc.rank < 0 || desc.rank > 8)
    {
        return std::string(name) + " has rank " + std::to_string(desc.rank) + "; at most " + std::to_string(kMAX_RANK) +
               " is supported";
    }
    for (int32_t i = 0; i < desc.rank; ++i)
    {
        if (desc.dims[i] < 0 && !(options.allowUnknownDims && desc.dims[i] == -1))
        {
            return std::string(name) + " has a negative dimension " + formatDims(desc.dims, desc.rank);
        }
    }
    int64_t count = 0;
    if (!checkedElementCount(desc.dims, desc.rank, count))
    {
        return std::string(name) + " has more elements than fit in 64 bits " + formatDims(desc.dims, desc.rank);
    }
    return {};
}

std::string decompose(TensorDesc const& desc, char const* name, Attributes const& attributes, Operand& operand)
{
    int64_t const* d = desc.dims;
    switch (attributes.inputLayout)
    {
    case Layout::kBHND:
    {
        if (desc.rank < 3 || desc.rank > kMAX_RANK)
        {
            return std::string(name) + " has rank " + std::to_string(desc.rank) +
                   "; input_layout BHND needs rank 3 to 6 ([batch..., N, d]), got " + formatDims(d, desc.rank);
        }
        operand.nbBatchDims = desc.rank - 2;
        for (int32_t i = 0; i < operand.nbBatchDims; ++i)
        {
            operand.batchDims[i] = d[i];
            operand.batchSource[i] = i;
        }
        operand.tokens = d[desc.rank - 2];
        operand.width = d[desc.rank - 1];
        operand.tokensSource = desc.rank - 2;
        operand.widthSource = desc.rank - 1;
        if (allKnown(d, desc.rank))
        {
            operand.strides.row = operand.width;
            int64_t stride = operand.tokens * operand.width;
            for (int32_t i = operand.nbBatchDims - 1; i >= 0; --i)
            {
                operand.strides.batch[i] = stride;
                stride *= d[i];
            }
        }
        return {};
    }
    case Layout::kBNHD:
    {
        if (desc.rank != 4)
        {
            return std::string(name) + " has rank " + std::to_string(desc.rank) +
                   "; input_layout BNHD needs rank 4 ([B, N, H, d]), got " + formatDims(d, desc.rank);
        }
        if (attributes.numHeads > 0 && known(d[2]) && d[2] != attributes.numHeads)
        {
            return std::string(name) + " has " + std::to_string(d[2]) + " heads " + formatDims(d, desc.rank) +
                   " but num_heads is " + std::to_string(attributes.numHeads);
        }
        operand.nbBatchDims = 2;
        operand.batchDims[0] = d[0];
        operand.batchDims[1] = d[2];
        operand.tokens = d[1];
        operand.width = d[3];
        operand.batchSource[0] = 0;
        operand.batchSource[1] = 2;
        operand.tokensSource = 1;
        operand.widthSource = 3;
        if (allKnown(d, 4))
        {
            operand.strides.batch[0] = d[1] * d[2] * d[3];
            operand.strides.batch[1] = d[3];
            operand.strides.row = d[2] * d[3];
        }
        return {};
    }
    case Layout::kBNC:
    {
        if (desc.rank != 3)
        {
            return std::string(name) + " has rank " + std::to_string(desc.rank) +
                   "; input_layout BNC needs rank 3 ([B, N, num_heads*d]), got " + formatDims(d, desc.rank);
        }
        int64_t const heads = attributes.numHeads;
        if (known(d[2]) && d[2] % heads != 0)
        {
            return std::string(name) + " has " + std::to_string(d[2]) + " channels " + formatDims(d, desc.rank) +
                   ", not a multiple of num_heads " + std::to_string(heads);
        }
        operand.nbBatchDims = 2;
        operand.batchDims[0] = d[0];
        operand.batchDims[1] = heads;
        operand.tokens = d[1];
        operand.width = known(d[2]) ? d[2] / heads : -1;
        operand.batchSource[0] = 0;
        operand.tokensSource = 1;
        if (allKnown(d, 3))
        {
            operand.strides.batch[0] = d[1] * d[2];
            operand.strides.batch[1] = operand.width;
            operand.strides.row = d[2];
        }
        return {};
    }
    }
    return std::string("unknown input layout");
}

std::string checkType(TensorDesc const& desc, char const* name, ValidationOptions const& options)
{
    if (desc.type == ElementType::kFLOAT32 || (desc.type == ElementType::kFLOAT16 && options.allowFloat16))
    {
        return {};
    }
    return std::string(name) + " must be " + (options.allowFloat16 ? "float32 or float16" : "float32") + ", got " +
           desc.typeName;
}

} // namespace

bool parseLayout(char const* text, Layout& layout) noexcept
{
    if (text == nullptr)
    {
        return false;
    }
    if (std::strcmp(text, "BHND") == 0)
    {
        layout = Layout::kBHND;
        return true;
    }
    if (std::strcmp(text, "BNHD") == 0)
    {
        layout = Layout::kBNHD;
        return true;
    }
    if (std::strcmp(text, "BNC") == 0)
    {
        layout = Layout::kBNC;
        return true;
    }
    return false;
}

char const* layoutName(Layout layout) noexcept
{
    switch (layout)
    {
    case Layout::kBHND:
        return "BHND";
    case Layout::kBNHD:
        return "BNHD";
    case Layout::kBNC:
        return "BNC";
    }
    return "?";
}

std::string formatDims(int64_t const* dims, int32_t rank)
{
    std::string text = "[";
    for (int32_t i = 0; i < rank; ++i)
    {
        if (i > 0)
        {
            text += ',';
        }
        text += dims[i] < 0 ? std::string("?") : std::to_string(dims[i]);
    }
    return text + "]";
}

std::string checkAttributes(Attributes const& attributes)
{
    if (!std::isfinite(attributes.scale))
    {
        return "attribute scale must be finite";
    }
    if (attributes.normalizeQk != 0 && attributes.normalizeQk != 1)
    {
        return "attribute normalize_qk must be 0 or 1, got " + std::to_string(attributes.normalizeQk);
    }
    if (attributes.numHeads < 0)
    {
        return "attribute num_heads must be >= 0, got " + std::to_string(attributes.numHeads);
    }
    if (attributes.hasBias < -1 || attributes.hasBias > 1)
    {
        return "attribute has_bias must be -1, 0 or 1, got " + std::to_string(attributes.hasBias);
    }
    if (attributes.hasScaleInput < -1 || attributes.hasScaleInput > 1)
    {
        return "attribute has_scale_input must be -1, 0 or 1, got " + std::to_string(attributes.hasScaleInput);
    }
    if (attributes.inputLayout == Layout::kBNC && attributes.numHeads < 1)
    {
        return "input_layout BNC needs the attribute num_heads >= 1";
    }
    return {};
}

std::string describeProblem(
    Attributes const& attributes, InputDescs const& inputs, ValidationOptions const& options, AttentionProblem& problem)
{
    problem = AttentionProblem{};
    std::string error = checkAttributes(attributes);
    if (!error.empty())
    {
        return error;
    }
    if (!inputs.q.present || !inputs.k.present || !inputs.v.present)
    {
        return "Q, K and V are required inputs";
    }
    TensorDesc const* const descs[] = {&inputs.q, &inputs.k, &inputs.v, &inputs.bias, &inputs.scale};
    char const* const names[] = {"Q", "K", "V", "bias", "scale input"};
    for (int32_t i = 0; i < kMAX_INPUTS; ++i)
    {
        if (descs[i]->present && !(error = checkDesc(*descs[i], names[i], options)).empty())
        {
            return error;
        }
    }

    // Types: K, V and the bias follow Q; the scale tensor is always float32.
    if (!(error = checkType(inputs.q, "Q", options)).empty())
    {
        return error;
    }
    for (int32_t i = 1; i < 4; ++i)
    {
        if (descs[i]->present && descs[i]->type != inputs.q.type)
        {
            return std::string(names[i]) + " must have Q's element type " + inputs.q.typeName + ", got " +
                   descs[i]->typeName;
        }
    }

    // Optional inputs against the has_* attributes.
    if (attributes.hasBias >= 0 && (attributes.hasBias == 1) != inputs.bias.present)
    {
        return attributes.hasBias == 1 ? "has_bias is 1 but there is no bias input (input 3)"
                                       : "has_bias is 0 but a bias input (input 3) is given";
    }
    if (attributes.hasScaleInput >= 0 && (attributes.hasScaleInput == 1) != inputs.scale.present)
    {
        return attributes.hasScaleInput == 1 ? "has_scale_input is 1 but there is no scale input (input 4)"
                                             : "has_scale_input is 0 but a scale input (input 4) is given";
    }

    Operand q;
    Operand k;
    Operand v;
    if (!(error = decompose(inputs.q, "Q", attributes, q)).empty() ||
        !(error = decompose(inputs.k, "K", attributes, k)).empty() ||
        !(error = decompose(inputs.v, "V", attributes, v)).empty())
    {
        return error;
    }
    if (inputs.k.rank != inputs.q.rank || inputs.v.rank != inputs.q.rank)
    {
        return "Q, K and V must have the same rank, got Q " + formatDims(inputs.q.dims, inputs.q.rank) + ", K " +
               formatDims(inputs.k.dims, inputs.k.rank) + ", V " + formatDims(inputs.v.dims, inputs.v.rank);
    }
    for (int32_t i = 0; i < q.nbBatchDims; ++i)
    {
        if (!sameDim(q.batchDims[i], k.batchDims[i]) || !sameDim(q.batchDims[i], v.batchDims[i]))
        {
            return std::string("Q, K and V must have the same batch and head dimensions, got Q ") +
                   formatDims(inputs.q.dims, inputs.q.rank) + ", K " + formatDims(inputs.k.dims, inputs.k.rank) +
                   ", V " + formatDims(inputs.v.dims, inputs.v.rank);
        }
    }
    if (!sameDim(q.width, k.width))
    {
        return "K's head dimension " + std::to_string(k.width) + " differs from Q's " + std::to_string(q.width) +
               " (Q " + formatDims(inputs.q.dims, inputs.q.rank) + ", K " + formatDims(inputs.k.dims, inputs.k.rank) +
               ")";
    }
    if (!sameDim(k.tokens, v.tokens))
    {
        return "V has " + std::to_string(v.tokens) + " tokens but K has " + std::to_string(k.tokens) + " (K " +
               formatDims(inputs.k.dims, inputs.k.rank) + ", V " + formatDims(inputs.v.dims, inputs.v.rank) + ")";
    }
    if (k.tokens == 0)
    {
        return "K and V have 0 tokens: softmax over no keys is undefined";
    }
    if (q.width == 0)
    {
        return "the head dimension d of Q and K is 0";
    }

    problem.nbBatchDims = q.nbBatchDims;
    problem.numBatch = 1;
    for (int32_t i = 0; i < q.nbBatchDims; ++i)
    {
        int64_t const dim =
            known(q.batchDims[i]) ? q.batchDims[i] : (known(k.batchDims[i]) ? k.batchDims[i] : v.batchDims[i]);
        problem.batchDims[i] = dim;
        problem.numBatch = known(dim) && known(problem.numBatch) ? problem.numBatch * dim : -1;
    }
    problem.nq = q.tokens;
    problem.nk = known(k.tokens) ? k.tokens : v.tokens;
    problem.headDim = known(q.width) ? q.width : k.width;
    problem.valueDim = v.width;
    problem.q = q.strides;
    problem.k = k.strides;
    problem.v = v.strides;
    problem.type = inputs.q.type;
    problem.normalizeQk = attributes.normalizeQk == 1;

    // Output shape and strides.
    int64_t const dv = problem.valueDim;
    int64_t const nq = problem.nq;
    auto product = [](int64_t a, int64_t b) { return known(a) && known(b) ? a * b : int64_t{-1}; };
    if (attributes.outputLayout == Layout::kBHND)
    {
        problem.outRank = problem.nbBatchDims + 2;
        for (int32_t i = 0; i < problem.nbBatchDims; ++i)
        {
            problem.outDims[i] = problem.batchDims[i];
        }
        problem.outDims[problem.nbBatchDims] = nq;
        problem.outDims[problem.nbBatchDims + 1] = dv;
        for (int32_t i = 0; i < problem.nbBatchDims; ++i)
        {
            problem.outDimSources[i] = {q.batchSource[i] >= 0 ? 0 : -1, q.batchSource[i]};
        }
        problem.outDimSources[problem.nbBatchDims] = {0, q.tokensSource};
        problem.outDimSources[problem.nbBatchDims + 1] = {v.widthSource >= 0 ? 2 : -1, v.widthSource};
        problem.out.row = dv;
        int64_t stride = product(nq, dv);
        for (int32_t i = problem.nbBatchDims - 1; i >= 0; --i)
        {
            problem.out.batch[i] = stride;
            stride = product(stride, problem.batchDims[i]);
        }
    }
    else
    {
        if (problem.nbBatchDims > 2)
        {
            return std::string("output_layout ") + layoutName(attributes.outputLayout) +
                   " needs Q as [B, H, N, d] or [B, N, d]; Q has " + std::to_string(problem.nbBatchDims) +
                   " batch dimensions " + formatDims(inputs.q.dims, inputs.q.rank);
        }
        int64_t const batch = problem.batchDims[0];
        int64_t const heads = problem.nbBatchDims == 2 ? problem.batchDims[1] : 1;
        if (attributes.outputLayout == Layout::kBNHD)
        {
            problem.outRank = 4;
            problem.outDims[0] = batch;
            problem.outDims[1] = nq;
            problem.outDims[2] = heads;
            problem.outDims[3] = dv;
            int32_t const headSource = problem.nbBatchDims == 2 ? q.batchSource[1] : -1;
            problem.outDimSources[2] = {headSource >= 0 ? 0 : -1, headSource};
            problem.outDimSources[3] = {v.widthSource >= 0 ? 2 : -1, v.widthSource};
        }
        else
        {
            problem.outRank = 3;
            problem.outDims[0] = batch;
            problem.outDims[1] = nq;
            problem.outDims[2] = product(heads, dv);
            if (heads == 1 && v.widthSource >= 0)
            {
                problem.outDimSources[2] = {2, v.widthSource};
            }
        }
        problem.outDimSources[0] = {0, q.batchSource[0]};
        problem.outDimSources[1] = {0, q.tokensSource};
        problem.out.row = product(heads, dv);
        problem.out.batch[0] = product(nq, problem.out.row);
        if (problem.nbBatchDims == 2)
        {
            problem.out.batch[1] = dv;
        }
    }
    int64_t outCount = 0;
    if (!checkedElementCount(problem.outDims, problem.outRank, outCount))
    {
        return "the output would have more elements than fit in 64 bits " +
               formatDims(problem.outDims, problem.outRank);
    }

    // Bias: right-aligned broadcast to the scores [batch..., Nq, Nk].
    if (inputs.bias.present)
    {
        TensorDesc const& bias = inputs.bias;
        int32_t const scoreRank = problem.nbBatchDims + 2;
        int64_t scoreDims[kMAX_RANK]{};
        for (int32_t i = 0; i < problem.nbBatchDims; ++i)
        {
            scoreDims[i] = problem.batchDims[i];
        }
        scoreDims[scoreRank - 2] = problem.nq;
        scoreDims[scoreRank - 1] = problem.nk;
        if (bias.rank < 1 || bias.rank > scoreRank)
        {
            return "bias has rank " + std::to_string(bias.rank) + " " + formatDims(bias.dims, bias.rank) +
                   "; it must broadcast to the attention scores " + formatDims(scoreDims, scoreRank);
        }
        int32_t const lead = scoreRank - bias.rank;
        for (int32_t i = 0; i < bias.rank; ++i)
        {
            int64_t const b = bias.dims[i];
            int64_t const s = scoreDims[lead + i];
            if (known(b) && b != 1 && !sameDim(b, s))
            {
                return "bias shape " + formatDims(bias.dims, bias.rank) +
                       " is not broadcastable to the attention scores " + formatDims(scoreDims, scoreRank);
            }
        }
        problem.hasBias = true;
        if (allKnown(bias.dims, bias.rank))
        {
            int64_t stride = 1;
            for (int32_t i = bias.rank - 1; i >= 0; --i)
            {
                int64_t const effective = bias.dims[i] == 1 ? 0 : stride;
                int32_t const s = lead + i;
                if (s < problem.nbBatchDims)
                {
                    problem.bias.batch[s] = effective;
                }
                else if (s == problem.nbBatchDims)
                {
                    problem.bias.row = effective;
                }
                else
                {
                    problem.biasKeyStride = effective;
                }
                stride *= bias.dims[i];
            }
        }
    }

    // Scale: the tensor input, or the attribute, or 1/sqrt(d).
    if (inputs.scale.present)
    {
        if (inputs.scale.type != ElementType::kFLOAT32)
        {
            return std::string("the scale input must be float32, got ") + inputs.scale.typeName;
        }
        int64_t count = 0;
        checkedElementCount(inputs.scale.dims, inputs.scale.rank, count);
        if (allKnown(inputs.scale.dims, inputs.scale.rank) && count != 1)
        {
            return "the scale input must have exactly one element, got shape " +
                   formatDims(inputs.scale.dims, inputs.scale.rank);
        }
        if (attributes.scale != 0.F)
        {
            return "the scale attribute (" + std::to_string(attributes.scale) +
                   ") and the scale input are both given; give only one";
        }
        problem.hasScaleInput = true;
    }
    if (attributes.scale != 0.F)
    {
        problem.scale = attributes.scale;
    }
    else if (known(problem.headDim))
    {
        problem.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(problem.headDim)));
    }
    return {};
}

std::string checkCudaSupport(AttentionProblem const& problem)
{
    if (problem.type != ElementType::kFLOAT32 && problem.type != ElementType::kFLOAT16)
    {
        return "the CUDA kernels take float32 or float16";
    }
    if (problem.headDim > kCUDA_MAX_HEAD_DIM || problem.valueDim > kCUDA_MAX_HEAD_DIM)
    {
        return "the CUDA kernels take head dimensions up to " + std::to_string(kCUDA_MAX_HEAD_DIM) + ", got d " +
               std::to_string(problem.headDim) + " and dv " + std::to_string(problem.valueDim);
    }
    int64_t const rowBlocks = (problem.nq + kCUDA_ROWS_PER_BLOCK - 1) / kCUDA_ROWS_PER_BLOCK;
    if (problem.numBatch > 0 && rowBlocks > (int64_t{1} << 31) / problem.numBatch)
    {
        return "too many (batch, query block) pairs for one CUDA grid";
    }
    return {};
}

} // namespace srd::fa
