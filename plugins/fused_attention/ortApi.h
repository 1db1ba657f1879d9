/*
 * Our own declarations of the parts of the ONNX Runtime C ABI this project uses (no ONNX Runtime header):
 * opaque handle types, enum values, the OrtCustomOp struct (208 bytes, 26 fields) and OrtApi slot indices with
 * their function types. Facts from the ORT 1.30 fact sheet (docs: shared reference ort-c-api.md sections 3-5).
 *
 * OrtApi is a flat table of function pointers; slot i sits at byte offset i * sizeof(void*). `ortFn<kSLOT>(api)`
 * reads one slot with the matching function type.
 */
#ifndef SRD_FUSED_ATTENTION_ORT_API_H
#define SRD_FUSED_ATTENTION_ORT_API_H

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace srd::ort
{

// Opaque handles (never dereferenced).
struct OrtApi;
struct OrtStatus;
struct OrtEnv;
struct OrtSession;
struct OrtSessionOptions;
struct OrtRunOptions;
struct OrtValue;
struct OrtMemoryInfo;
struct OrtTensorTypeAndShapeInfo;
struct OrtCustomOpDomain;
struct OrtKernelInfo;
struct OrtKernelContext;
struct OrtShapeInferContext;
struct OrtOpAttr;
struct OrtTypeInfo;

struct OrtApiBase
{
    OrtApi const* (*GetApi)(uint32_t version);
    char const* (*GetVersionString)();
};

//! Highest OrtApi version this project was written against (ORT 1.30).
constexpr uint32_t kORT_API_VERSION = 30;
//! Lowest version that has every slot and OrtCustomOp field we use (V2 kernels + shape inference: 17).
constexpr uint32_t kORT_MIN_API_VERSION = 17;

enum OrtErrorCode : int32_t
{
    kORT_OK = 0,
    kORT_FAIL = 1,
    kORT_INVALID_ARGUMENT = 2,
    kORT_RUNTIME_EXCEPTION = 6,
};

enum OnnxElementType : int32_t
{
    kONNX_UNDEFINED = 0,
    kONNX_FLOAT = 1,
    kONNX_UINT8 = 2,
    kONNX_INT8 = 3,
    kONNX_UINT16 = 4,
    kONNX_INT16 = 5,
    kONNX_INT32 = 6,
    kONNX_INT64 = 7,
    kONNX_STRING = 8,
    kONNX_BOOL = 9,
    kONNX_FLOAT16 = 10,
    kONNX_DOUBLE = 11,
    kONNX_UINT32 = 12,
    kONNX_UINT64 = 13,
    kONNX_BFLOAT16 = 16,
};

//! A name for messages ("float32", "float16", "int64" ...).
inline char const* onnxElementTypeName(int32_t type) noexcept
{
    switch (type)
    {
    case kONNX_FLOAT:
        return "float32";
    case kONNX_UINT8:
        return "uint8";
    case kONNX_INT8:
        return "int8";
    case kONNX_UINT16:
        return "uint16";
    case kONNX_INT16:
        return "int16";
    case kONNX_INT32:
        return "int32";
    case kONNX_INT64:
        return "int64";
    case kONNX_STRING:
        return "string";
    case kONNX_BOOL:
        return "bool";
    case kONNX_FLOAT16:
        return "float16";
    case kONNX_DOUBLE:
        return "float64";
    case kONNX_UINT32:
        return "uint32";
    case kONNX_UINT64:
        return "uint64";
    case kONNX_BFLOAT16:
        return "bfloat16";
    default:
        return "an unsupported element type";
    }
}

enum OrtCustomOpCharacteristic : int32_t
{
    kORT_INPUT_OUTPUT_REQUIRED = 0,
    kORT_INPUT_OUTPUT_OPTIONAL = 1,
};

enum OrtOpAttrType : int32_t
{
    kORT_OP_ATTR_INT = 1,
    kORT_OP_ATTR_FLOAT = 3,
    kORT_OP_ATTR_STRING = 5,
};

enum OrtAllocatorType : int32_t
{
    kORT_ARENA_ALLOCATOR = 1,
};

enum OrtMemType : int32_t
{
    kORT_MEM_TYPE_DEFAULT = 0,
};

//! OrtCustomOp as of API 17..30: 26 fields, 208 bytes on 64-bit.
struct OrtCustomOp
{
    uint32_t version;
    void* (*CreateKernel)(OrtCustomOp const* op, OrtApi const* api, OrtKernelInfo const* info);
    char const* (*GetName)(OrtCustomOp const* op);
    char const* (*GetExecutionProviderType)(OrtCustomOp const* op);
    int32_t (*GetInputType)(OrtCustomOp const* op, size_t index);
    size_t (*GetInputTypeCount)(OrtCustomOp const* op);
    int32_t (*GetOutputType)(OrtCustomOp const* op, size_t index);
    size_t (*GetOutputTypeCount)(OrtCustomOp const* op);
    void (*KernelCompute)(void* kernel, OrtKernelContext* context);
    void (*KernelDestroy)(void* kernel);
    int32_t (*GetInputCharacteristic)(OrtCustomOp const* op, size_t index);
    int32_t (*GetOutputCharacteristic)(OrtCustomOp const* op, size_t index);
    int32_t (*GetInputMemoryType)(OrtCustomOp const* op, size_t index);
    int (*GetVariadicInputMinArity)(OrtCustomOp const* op);
    int (*GetVariadicInputHomogeneity)(OrtCustomOp const* op);
    int (*GetVariadicOutputMinArity)(OrtCustomOp const* op);
    int (*GetVariadicOutputHomogeneity)(OrtCustomOp const* op);
    OrtStatus* (*CreateKernelV2)(OrtCustomOp const* op, OrtApi const* api, OrtKernelInfo const* info, void** kernel);
    OrtStatus* (*KernelComputeV2)(void* kernel, OrtKernelContext* context);
    OrtStatus* (*InferOutputShapeFn)(OrtCustomOp const* op, OrtShapeInferContext* context);
    int (*GetStartVersion)(OrtCustomOp const* op);
    int (*GetEndVersion)(OrtCustomOp const* op);
    size_t (*GetMayInplace)(int** inputIndex, int** outputIndex);
    void (*ReleaseMayInplace)(int* inputIndex, int* outputIndex);
    size_t (*GetAliasMap)(int** inputIndex, int** outputIndex);
    void (*ReleaseAliasMap)(int* inputIndex, int* outputIndex);
};
static_assert(sizeof(OrtCustomOp) == 208, "OrtCustomOp must be 208 bytes (26 fields) on 64-bit");
static_assert(offsetof(OrtCustomOp, CreateKernelV2) == 136, "OrtCustomOp.CreateKernelV2 offset");
static_assert(offsetof(OrtCustomOp, InferOutputShapeFn) == 152, "OrtCustomOp.InferOutputShapeFn offset");
static_assert(offsetof(OrtCustomOp, ReleaseAliasMap) == 200, "OrtCustomOp.ReleaseAliasMap offset");

//! Slot index and function type of one OrtApi entry.
template <size_t kINDEX, typename Fn>
struct OrtSlot
{
    static constexpr size_t kSLOT = kINDEX;
    using Type = Fn;
};

//! The slots used in this project (index: name in the ORT C API).
namespace slot
{
using CreateStatus = OrtSlot<0, OrtStatus* (*) (int32_t code, char const* message)>;
using GetErrorCode = OrtSlot<1, int32_t (*)(OrtStatus const* status)>;
using GetErrorMessage = OrtSlot<2, char const* (*) (OrtStatus const* status)>;
using CreateEnv = OrtSlot<3, OrtStatus* (*) (int32_t level, char const* logId, OrtEnv** out)>;
using CreateSessionFromArray = OrtSlot<8, OrtStatus* (*) (OrtEnv const* env, void const* data, size_t length,
                                              OrtSessionOptions const* options, OrtSession** out)>;
using Run = OrtSlot<9, OrtStatus* (*) (OrtSession* session, OrtRunOptions const* runOptions,
                           char const* const* inputNames, OrtValue const* const* inputs, size_t inputCount,
                           char const* const* outputNames, size_t outputCount, OrtValue** outputs)>;
using CreateSessionOptions = OrtSlot<10, OrtStatus* (*) (OrtSessionOptions** out)>;
using DisableCpuMemArena = OrtSlot<19, OrtStatus* (*) (OrtSessionOptions* options)>;
using SetSessionLogSeverityLevel = OrtSlot<22, OrtStatus* (*) (OrtSessionOptions* options, int level)>;
using SetSessionGraphOptimizationLevel = OrtSlot<23, OrtStatus* (*) (OrtSessionOptions* options, int32_t level)>;
using SetIntraOpNumThreads = OrtSlot<24, OrtStatus* (*) (OrtSessionOptions* options, int threads)>;
using SetInterOpNumThreads = OrtSlot<25, OrtStatus* (*) (OrtSessionOptions* options, int threads)>;
using SessionGetOutputTypeInfo =
    OrtSlot<34, OrtStatus* (*) (OrtSession const* session, size_t index, OrtTypeInfo** out)>;
using CastTypeInfoToTensorInfo =
    OrtSlot<55, OrtStatus* (*) (OrtTypeInfo const* info, OrtTensorTypeAndShapeInfo const** out)>;
using CreateCustomOpDomain = OrtSlot<26, OrtStatus* (*) (char const* domain, OrtCustomOpDomain** out)>;
using CustomOpDomainAdd = OrtSlot<27, OrtStatus* (*) (OrtCustomOpDomain* domain, OrtCustomOp const* op)>;
using AddCustomOpDomain = OrtSlot<28, OrtStatus* (*) (OrtSessionOptions* options, OrtCustomOpDomain* domain)>;
using CreateTensorWithDataAsOrtValue =
    OrtSlot<49, OrtStatus* (*) (OrtMemoryInfo const* info, void* data, size_t bytes, int64_t const* shape, size_t rank,
                    int32_t type, OrtValue** out)>;
using GetTensorMutableData = OrtSlot<51, OrtStatus* (*) (OrtValue* value, void** out)>;
using CreateTensorTypeAndShapeInfo = OrtSlot<57, OrtStatus* (*) (OrtTensorTypeAndShapeInfo** out)>;
using SetTensorElementType = OrtSlot<58, OrtStatus* (*) (OrtTensorTypeAndShapeInfo* info, int32_t type)>;
using SetDimensions = OrtSlot<59, OrtStatus* (*) (OrtTensorTypeAndShapeInfo* info, int64_t const* dims, size_t count)>;
using GetTensorElementType = OrtSlot<60, OrtStatus* (*) (OrtTensorTypeAndShapeInfo const* info, int32_t* out)>;
using GetDimensionsCount = OrtSlot<61, OrtStatus* (*) (OrtTensorTypeAndShapeInfo const* info, size_t* out)>;
using GetDimensions = OrtSlot<62, OrtStatus* (*) (OrtTensorTypeAndShapeInfo const* info, int64_t* dims, size_t count)>;
using GetSymbolicDimensions =
    OrtSlot<63, OrtStatus* (*) (OrtTensorTypeAndShapeInfo const* info, char const** names, size_t count)>;
using GetTensorTypeAndShape = OrtSlot<65, OrtStatus* (*) (OrtValue const* value, OrtTensorTypeAndShapeInfo** out)>;
using CreateCpuMemoryInfo = OrtSlot<69, OrtStatus* (*) (int32_t allocator, int32_t memType, OrtMemoryInfo** out)>;
using KernelInfoGetAttributeFloat =
    OrtSlot<85, OrtStatus* (*) (OrtKernelInfo const* info, char const* name, float* out)>;
using KernelInfoGetAttributeInt64 =
    OrtSlot<86, OrtStatus* (*) (OrtKernelInfo const* info, char const* name, int64_t* out)>;
using KernelInfoGetAttributeString =
    OrtSlot<87, OrtStatus* (*) (OrtKernelInfo const* info, char const* name, char* out, size_t* size)>;
using KernelContextGetInputCount = OrtSlot<88, OrtStatus* (*) (OrtKernelContext const* context, size_t* out)>;
using KernelContextGetInput =
    OrtSlot<90, OrtStatus* (*) (OrtKernelContext const* context, size_t index, OrtValue const** out)>;
using KernelContextGetOutput = OrtSlot<91,
    OrtStatus* (*) (OrtKernelContext* context, size_t index, int64_t const* dims, size_t rank, OrtValue** out)>;
using ReleaseEnv = OrtSlot<92, void (*)(OrtEnv*)>;
using ReleaseStatus = OrtSlot<93, void (*)(OrtStatus*)>;
using ReleaseMemoryInfo = OrtSlot<94, void (*)(OrtMemoryInfo*)>;
using ReleaseSession = OrtSlot<95, void (*)(OrtSession*)>;
using ReleaseValue = OrtSlot<96, void (*)(OrtValue*)>;
using ReleaseTypeInfo = OrtSlot<98, void (*)(OrtTypeInfo*)>;
using ReleaseTensorTypeAndShapeInfo = OrtSlot<99, void (*)(OrtTensorTypeAndShapeInfo*)>;
using ReleaseSessionOptions = OrtSlot<100, void (*)(OrtSessionOptions*)>;
using ReleaseCustomOpDomain = OrtSlot<101, void (*)(OrtCustomOpDomain*)>;
using AddSessionConfigEntry =
    OrtSlot<130, OrtStatus* (*) (OrtSessionOptions* options, char const* key, char const* value)>;
using RegisterCustomOpsLibraryV2 = OrtSlot<228, OrtStatus* (*) (OrtSessionOptions* options, char const* path)>;
using KernelInfoGetNodeName = OrtSlot<244, OrtStatus* (*) (OrtKernelInfo const* info, char* out, size_t* size)>;
using ShapeInferContextGetInputCount = OrtSlot<267, OrtStatus* (*) (OrtShapeInferContext const* context, size_t* out)>;
using ShapeInferContextGetInputTypeShape =
    OrtSlot<268, OrtStatus* (*) (OrtShapeInferContext const* context, size_t index, OrtTensorTypeAndShapeInfo** out)>;
using ShapeInferContextGetAttribute =
    OrtSlot<269, OrtStatus* (*) (OrtShapeInferContext const* context, char const* name, OrtOpAttr const** out)>;
using ShapeInferContextSetOutputTypeShape = OrtSlot<270,
    OrtStatus* (*) (OrtShapeInferContext const* context, size_t index, OrtTensorTypeAndShapeInfo const* info)>;
using SetSymbolicDimensions =
    OrtSlot<271, OrtStatus* (*) (OrtTensorTypeAndShapeInfo* info, char const** names, size_t count)>;
using ReadOpAttr =
    OrtSlot<272, OrtStatus* (*) (OrtOpAttr const* attribute, int32_t type, void* data, size_t length, size_t* out)>;
using KernelContextParallelFor =
    OrtSlot<274, OrtStatus* (*) (OrtKernelContext const* context, void (*fn)(void* user, size_t index), size_t total,
                     size_t numBatch, void* user)>;
} // namespace slot

//! Reads one OrtApi slot as its function type (memcpy: the table is an array of function pointers).
template <typename Slot>
typename Slot::Type ortFn(OrtApi const* api) noexcept
{
    typename Slot::Type fn = nullptr;
    std::memcpy(&fn, reinterpret_cast<unsigned char const*>(api) + Slot::kSLOT * sizeof(void*), sizeof(fn));
    return fn;
}

} // namespace srd::ort

#endif // SRD_FUSED_ATTENTION_ORT_API_H
