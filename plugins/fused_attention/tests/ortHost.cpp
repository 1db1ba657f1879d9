#include "ortHost.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <mutex>
#include <stdexcept>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace srd::fa::testing
{

using namespace srd::ort;

HostTensor HostTensor::fromFloats(std::vector<int64_t> dims, std::vector<float> const& values)
{
    HostTensor tensor;
    tensor.type = kONNX_FLOAT;
    tensor.dims = std::move(dims);
    tensor.bytes.resize(values.size() * sizeof(float));
    if (!values.empty())
    {
        std::memcpy(tensor.bytes.data(), values.data(), tensor.bytes.size());
    }
    if (static_cast<size_t>(tensor.elementCount()) != values.size())
    {
        throw std::invalid_argument("HostTensor::fromFloats: dims do not match the value count");
    }
    return tensor;
}

HostTensor HostTensor::fromRaw(int32_t type, std::vector<int64_t> dims, size_t elementSize, size_t count)
{
    HostTensor tensor;
    tensor.type = type;
    tensor.dims = std::move(dims);
    tensor.bytes.assign(elementSize * count, 0);
    return tensor;
}

int64_t HostTensor::elementCount() const
{
    int64_t count = 1;
    for (int64_t dim : dims)
    {
        count *= dim;
    }
    return count;
}

std::vector<float> HostTensor::floats() const
{
    if (type != kONNX_FLOAT)
    {
        throw std::logic_error("HostTensor::floats on a non-float tensor");
    }
    std::vector<float> values(bytes.size() / sizeof(float));
    if (!values.empty())
    {
        std::memcpy(values.data(), bytes.data(), bytes.size());
    }
    return values;
}

OrtHost* OrtHost::get(std::string& reason)
{
    static std::mutex mutex;
    static std::unique_ptr<OrtHost> host;
    static std::string failure;
    std::lock_guard<std::mutex> lock(mutex);
    if (host)
    {
        return host.get();
    }
    if (!failure.empty())
    {
        reason = failure;
        return nullptr;
    }
    char const* fromEnv = std::getenv("SRD_ONNXRUNTIME_LIBRARY");
    std::string const path = fromEnv != nullptr && *fromEnv != '\0' ? fromEnv : SRD_FA_DEFAULT_ORT_LIBRARY;
    void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr)
    {
        char const* error = dlerror();
        failure = "ONNX Runtime not loadable from " + path + " (" + (error != nullptr ? error : "?") +
                  "); run scripts/setup or set SRD_ONNXRUNTIME_LIBRARY";
        reason = failure;
        return nullptr;
    }
    using GetApiBase = OrtApiBase const* (*) ();
    auto getApiBase = reinterpret_cast<GetApiBase>(dlsym(library, "OrtGetApiBase"));
    OrtApiBase const* base = getApiBase != nullptr ? getApiBase() : nullptr;
    OrtApi const* api = base != nullptr ? base->GetApi(kORT_API_VERSION) : nullptr;
    if (api == nullptr)
    {
        failure = path + " has no OrtGetApiBase or no C API version " + std::to_string(kORT_API_VERSION);
        reason = failure;
        return nullptr;
    }
    auto created = std::make_unique<OrtHost>();
    created->mApi = api;
    created->mPath = path;
    created->mVersion = base->GetVersionString();
#if defined(__SANITIZE_ADDRESS__)
    // ORT 1.30's CreateEnv leaks 14 bytes inside libonnxruntime, even after ReleaseEnv (checked with a probe that
    // does nothing else). Exclude exactly that call from LeakSanitizer, so leaks in our own code still fail the tests.
    __lsan_disable();
#endif
    OrtStatus* status = ortFn<slot::CreateEnv>(api)(3 /* ERROR */, "srd_fa_tests", &created->mEnv);
#if defined(__SANITIZE_ADDRESS__)
    __lsan_enable();
#endif
    if (status != nullptr)
    {
        failure = std::string("CreateEnv failed: ") + ortFn<slot::GetErrorMessage>(api)(status);
        ortFn<slot::ReleaseStatus>(api)(status);
        reason = failure;
        return nullptr;
    }
    host = std::move(created);
    return host.get();
}

OrtOutcome Session::take(OrtStatus* status)
{
    OrtOutcome outcome;
    if (status != nullptr)
    {
        OrtApi const* api = mHost.api();
        outcome.ok = false;
        outcome.code = ortFn<slot::GetErrorCode>(api)(status);
        outcome.message = ortFn<slot::GetErrorMessage>(api)(status);
        ortFn<slot::ReleaseStatus>(api)(status);
    }
    return outcome;
}

Session::Session(OrtHost& host, std::string const& model, SessionConfig const& config, OrtOutcome& outcome)
    : mHost(host)
{
    OrtApi const* api = host.api();
    outcome = take(ortFn<slot::CreateSessionOptions>(api)(&mOptions));
    auto step = [&](OrtStatus* status)
    {
        if (outcome.ok)
        {
            outcome = take(status);
        }
        else if (status != nullptr)
        {
            ortFn<slot::ReleaseStatus>(api)(status);
        }
    };
    if (!outcome.ok)
    {
        return;
    }
    step(ortFn<slot::SetIntraOpNumThreads>(api)(mOptions, config.intraOpThreads));
    step(ortFn<slot::SetInterOpNumThreads>(api)(mOptions, 1));
    step(ortFn<slot::SetSessionGraphOptimizationLevel>(api)(mOptions, config.optimizationLevel));
    step(ortFn<slot::SetSessionLogSeverityLevel>(api)(mOptions, 4)); // Errors come back as statuses.
    if (!config.allowSpinning)
    {
        step(ortFn<slot::AddSessionConfigEntry>(api)(mOptions, "session.intra_op.allow_spinning", "0"));
    }
    if (!config.cpuArena)
    {
        step(ortFn<slot::DisableCpuMemArena>(api)(mOptions));
    }
    if (config.registerFusedAttention)
    {
        std::string const library = config.customOpLibrary.empty() ? SRD_FA_CUSTOM_OP_LIBRARY : config.customOpLibrary;
        step(ortFn<slot::RegisterCustomOpsLibraryV2>(api)(mOptions, library.c_str()));
    }
    if (outcome.ok)
    {
        step(ortFn<slot::CreateSessionFromArray>(api)(host.env(), model.data(), model.size(), mOptions, &mSession));
    }
}

Session::~Session()
{
    OrtApi const* api = mHost.api();
    ortFn<slot::ReleaseSession>(api)(mSession);
    ortFn<slot::ReleaseSessionOptions>(api)(mOptions);
}

OrtOutcome Session::outputShape(
    size_t index, int32_t& type, std::vector<int64_t>& dims, std::vector<std::string>& symbols)
{
    OrtApi const* api = mHost.api();
    OrtTypeInfo* info = nullptr;
    OrtOutcome outcome = take(ortFn<slot::SessionGetOutputTypeInfo>(api)(mSession, index, &info));
    if (!outcome.ok)
    {
        return outcome;
    }
    OrtTensorTypeAndShapeInfo const* tensor = nullptr; // Borrowed from info.
    outcome = take(ortFn<slot::CastTypeInfoToTensorInfo>(api)(info, &tensor));
    if (outcome.ok && tensor != nullptr)
    {
        size_t rank = 0;
        ortFn<slot::GetTensorElementType>(api)(tensor, &type);
        ortFn<slot::GetDimensionsCount>(api)(tensor, &rank);
        dims.resize(rank);
        ortFn<slot::GetDimensions>(api)(tensor, dims.data(), rank);
        std::vector<char const*> names(rank, nullptr);
        ortFn<slot::GetSymbolicDimensions>(api)(tensor, names.data(), rank);
        symbols.clear();
        for (char const* name : names)
        {
            symbols.emplace_back(name != nullptr ? name : "");
        }
    }
    ortFn<slot::ReleaseTypeInfo>(api)(info);
    return outcome;
}

namespace
{
size_t elementSize(int32_t type)
{
    switch (type)
    {
    case kONNX_FLOAT:
    case kONNX_INT32:
    case kONNX_UINT32:
        return 4;
    case kONNX_FLOAT16:
    case kONNX_BFLOAT16:
    case kONNX_INT16:
    case kONNX_UINT16:
        return 2;
    case kONNX_INT64:
    case kONNX_UINT64:
    case kONNX_DOUBLE:
        return 8;
    default:
        return 1;
    }
}
} // namespace

OrtOutcome Session::run(std::vector<std::pair<std::string, HostTensor const*>> const& inputs,
    std::vector<std::string> const& outputNames, std::vector<HostTensor>& outputs)
{
    OrtApi const* api = mHost.api();
    if (mSession == nullptr)
    {
        return OrtOutcome{false, 1, "no session"};
    }
    OrtMemoryInfo* memory = nullptr;
    OrtOutcome outcome =
        take(ortFn<slot::CreateCpuMemoryInfo>(api)(kORT_ARENA_ALLOCATOR, kORT_MEM_TYPE_DEFAULT, &memory));
    if (!outcome.ok)
    {
        return outcome;
    }
    std::vector<OrtValue*> values;
    std::vector<char const*> names;
    for (auto const& [name, tensor] : inputs)
    {
        OrtValue* value = nullptr;
        outcome =
            take(ortFn<slot::CreateTensorWithDataAsOrtValue>(api)(memory, const_cast<uint8_t*>(tensor->bytes.data()),
                tensor->bytes.size(), tensor->dims.data(), tensor->dims.size(), tensor->type, &value));
        if (!outcome.ok)
        {
            break;
        }
        values.push_back(value);
        names.push_back(name.c_str());
    }
    std::vector<OrtValue*> results(outputNames.size(), nullptr);
    if (outcome.ok)
    {
        std::vector<char const*> outNames;
        for (std::string const& name : outputNames)
        {
            outNames.push_back(name.c_str());
        }
        outcome = take(
            ortFn<slot::Run>(api)(mSession, nullptr, names.data(), const_cast<OrtValue const* const*>(values.data()),
                values.size(), outNames.data(), outNames.size(), results.data()));
    }
    outputs.clear();
    for (OrtValue* result : results)
    {
        if (outcome.ok && result != nullptr)
        {
            OrtTensorTypeAndShapeInfo* info = nullptr;
            outcome = take(ortFn<slot::GetTensorTypeAndShape>(api)(result, &info));
            if (outcome.ok)
            {
                HostTensor tensor;
                size_t rank = 0;
                ortFn<slot::GetTensorElementType>(api)(info, &tensor.type);
                ortFn<slot::GetDimensionsCount>(api)(info, &rank);
                tensor.dims.resize(rank);
                ortFn<slot::GetDimensions>(api)(info, tensor.dims.data(), rank);
                ortFn<slot::ReleaseTensorTypeAndShapeInfo>(api)(info);
                void* data = nullptr;
                ortFn<slot::GetTensorMutableData>(api)(result, &data);
                tensor.bytes.resize(static_cast<size_t>(tensor.elementCount()) * elementSize(tensor.type));
                if (!tensor.bytes.empty())
                {
                    std::memcpy(tensor.bytes.data(), data, tensor.bytes.size());
                }
                outputs.push_back(std::move(tensor));
            }
        }
        ortFn<slot::ReleaseValue>(api)(result);
    }
    for (OrtValue* value : values)
    {
        ortFn<slot::ReleaseValue>(api)(value);
    }
    ortFn<slot::ReleaseMemoryInfo>(api)(memory);
    return outcome;
}

int64_t peakResidentBytes()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
    {
        if (line.rfind("VmHWM:", 0) == 0)
        {
            return std::atoll(line.c_str() + 6) * 1024;
        }
    }
    return 0;
}

} // namespace srd::fa::testing
