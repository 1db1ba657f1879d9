// State of the recording double: the call log, handle bookkeeping, injected failures, the simulated TensorRT version,
// and the objects behind each opaque handle. All access happens under State::mutex, taken by run() around an export's
// body; log messages are queued and delivered after the lock is released.
#ifndef SRD_TRT_DOUBLE_STATE_H
#define SRD_TRT_DOUBLE_STATE_H

#include "abi_support.h"
#include "log_sinks.h"
#include "srd_trt.h"
#include "srd_trt_double.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace srd_double
{

std::string jsonString(std::string_view text);
std::string jsonDims(srd_dims const& dims);

//! Builds one JSON object, member by member, in call order.
class JsonObject
{
public:
    JsonObject& raw(char const* key, std::string const& json);
    JsonObject& str(char const* key, char const* value); //!< NULL becomes null
    JsonObject& str(char const* key, std::string const& value);
    JsonObject& num(char const* key, int64_t value);
    JsonObject& unum(char const* key, uint64_t value);
    JsonObject& dims(char const* key, srd_dims const* value); //!< NULL becomes null
    JsonObject& handle(char const* key, void const* value);   //!< the handle's id, e.g. "builder#2"
    std::string text() const;

private:
    std::string mMembers;
};

uint64_t fnv1a64(void const* data, std::size_t size, uint64_t hash = 14695981039346656037ULL);
std::string hex64(uint64_t value);

struct TensorDesc
{
    std::string name;
    srd_tensor_io_mode mode{SRD_TENSOR_IO_MODE_NONE};
    srd_data_type type{SRD_DATA_TYPE_FLOAT};
    srd_dims dims{};
};

struct ProfileDims
{
    srd_dims min{};
    srd_dims opt{};
    srd_dims max{};
};

struct ProfileData
{
    std::map<std::string, ProfileDims> inputs;
    std::map<std::string, std::map<int32_t, std::vector<int64_t>>> shapeValues;
};

struct ParserErrorSpec
{
    int32_t code{0};
    std::string description;
    int32_t nodeIndex{-1};
    std::string nodeName;
    std::string nodeOperator;
};

struct InjectedFailure
{
    srd_status status{SRD_STATUS_OK};
    std::string message;
    int32_t throwKind{-1}; //!< >= 0: throw instead of failing with status
};

struct HandleEntry
{
    std::string type;
    std::string id;
    std::string createdBy;
    bool destroyed{false};
};

class State
{
public:
    static State& instance();

    std::mutex mutex;

    // Settings.
    int32_t version{101600};
    int32_t build{72};
    bool libraryMissing{false};
    std::deque<ParserErrorSpec> queuedParserErrors;

    int32_t major() const
    {
        return version / 10000;
    }
    bool atLeast(int32_t wantedMajor, int32_t wantedMinor) const
    {
        int32_t const minor = (version / 100) % 100;
        return major() > wantedMajor || (major() == wantedMajor && minor >= wantedMinor);
    }

    // Calls.
    std::vector<std::string> calls; //!< finished call records (JSON objects)
    uint64_t nextSequence{1};
    std::map<std::string, std::deque<InjectedFailure>> injections;

    //! Throws the failure injected for `function`, if any (consuming it).
    void injectFailure(char const* function);

    //! Queues a log message for delivery after the call.
    void log(srd_log_severity severity, std::string const& message);
    std::vector<std::pair<int32_t, std::string>> pendingLogs;

    //! LIBRARY_MISSING when the double is told TensorRT is absent.
    void requireTensorRt() const;

    // Handles.
    template <typename T>
    T* adopt(std::unique_ptr<T> object, char const* createdBy)
    {
        T* pointer = object.release();
        auto const number = ++mNextIdPerType[T::kTYPE];
        mHandles[pointer] =
            HandleEntry{T::kTYPE, std::string(T::kTYPE) + "#" + std::to_string(number), createdBy, false};
        mDeleters.emplace_back([pointer] { delete pointer; });
        ++created;
        return pointer;
    }

    //! The live object behind a handle argument; INVALID_ARGUMENT for NULL, unknown, destroyed or mistyped handles.
    template <typename T>
    T& use(T* pointer, char const* name)
    {
        checkLive(pointer, T::kTYPE, name);
        return *pointer;
    }

    //! Marks a handle destroyed (objects are freed only at reset, so a second destroy is always detected).
    template <typename T>
    void destroy(T* pointer, char const* name)
    {
        if (pointer == nullptr)
        {
            return;
        }
        markDestroyed(pointer, T::kTYPE, name);
    }

    std::string handleId(void const* pointer) const;

    int64_t created{0};
    int64_t destroyed{0};
    int64_t doubleDestroys{0};
    int64_t unknownHandles{0};
    int64_t useAfterDestroy{0};

    void reset();
    std::string logJson() const;
    srd_double_handle_counts counts() const;

private:
    State() = default;

    void checkLive(void const* pointer, char const* type, char const* name);
    void markDestroyed(void const* pointer, char const* type, char const* name);

    std::map<void const*, HandleEntry> mHandles;
    std::vector<std::function<void()>> mDeleters;
    std::map<std::string, uint64_t> mNextIdPerType;
};

//! Runs one export: records the call (arguments described by `describe`, then the final status and message), applies
//! injected failures, runs `body` under the state lock inside the catch-everything guard, and delivers log messages
//! after the lock is released.
template <typename Describe, typename Body>
srd_status run(char const* function, Describe&& describe, Body&& body) noexcept
{
    State& state = State::instance();
    std::string args = "{}";
    uint64_t sequence = 0;
    srd_status const status = srd::guarded(function,
        [&]() -> srd_status
        {
            std::lock_guard<std::mutex> lock(state.mutex);
            JsonObject described;
            describe(described);
            args = described.text();
            sequence = state.nextSequence++;
            state.injectFailure(function);
            return body();
        });
    std::vector<std::pair<int32_t, std::string>> logs;
    try
    {
        std::lock_guard<std::mutex> lock(state.mutex);
        if (sequence != 0)
        {
            JsonObject record;
            record.unum("seq", sequence)
                .str("function", std::string(function))
                .raw("args", args)
                .num("status", status)
                .str("message", status == SRD_STATUS_OK ? std::string() : srd::lastErrorMessage());
            state.calls.push_back(record.text());
        }
        logs.swap(state.pendingLogs);
    }
    catch (...)
    {
        // Recording is best effort; the call's status stands.
    }
    for (auto const& entry : logs)
    {
        srd::LogSinks::instance().dispatch(entry.first, entry.second.c_str());
    }
    return status;
}

//! Export with nothing worth recording about its arguments.
inline void noArgs(JsonObject&) {}

} // namespace srd_double

// The objects behind the opaque handles (kTYPE names them in the log).

struct srd_logger
{
    static constexpr char const* kTYPE = "logger";
    std::shared_ptr<srd::LogSinks::Sink> sink;
};

struct srd_plugin_library
{
    static constexpr char const* kTYPE = "plugin_library";
    std::string path;
};

struct srd_builder
{
    static constexpr char const* kTYPE = "builder";
};

struct srd_network
{
    static constexpr char const* kTYPE = "network";
    srd_builder* builder{nullptr};
    bool stronglyTyped{false};
    std::vector<srd_double::TensorDesc> tensors;
    int32_t layers{0};
    std::string sourceJson{"null"}; //!< what was parsed into it
};

struct srd_onnx_parser
{
    static constexpr char const* kTYPE = "onnx_parser";
    srd_network* network{nullptr};
    bool nativeInstanceNorm{true};
    bool pluginOverride{false};
    std::vector<srd_double::ParserErrorSpec> errors;
};

struct srd_builder_config
{
    static constexpr char const* kTYPE = "builder_config";
    srd_builder* builder{nullptr};
    std::map<int32_t, bool> flags{{SRD_BUILDER_FLAG_TF32, true}};
    std::map<int32_t, uint64_t> poolLimits;
    int32_t optimizationLevel{3};
    int32_t hardwareCompatibility{SRD_HARDWARE_COMPATIBILITY_NONE};
    int32_t profilingVerbosity{SRD_PROFILING_VERBOSITY_LAYER_NAMES_ONLY};
    int32_t maxAuxStreams{-1};
    std::vector<std::string> pluginsToSerialize;
    bool hasTimingCache{false};
    std::set<std::string> timingCacheEntries;
    std::vector<srd_double::ProfileData> profiles;
};

struct srd_optimization_profile
{
    static constexpr char const* kTYPE = "optimization_profile";
    srd_builder* builder{nullptr};
    srd_double::ProfileData data;
};

struct srd_host_memory
{
    static constexpr char const* kTYPE = "host_memory";
    std::vector<uint8_t> bytes;
};

struct srd_runtime
{
    static constexpr char const* kTYPE = "runtime";
    bool engineHostCodeAllowed{false};
};

struct srd_engine
{
    static constexpr char const* kTYPE = "engine";
    std::vector<srd_double::TensorDesc> tensors;
    std::vector<std::map<std::string, srd_double::ProfileDims>> profiles;
    uint64_t digest{0};
    std::string buildInputsJson;
};

struct srd_execution_context
{
    static constexpr char const* kTYPE = "execution_context";
    srd_engine* engine{nullptr};
    int32_t profile{0};
    std::map<std::string, srd_dims> inputShapes;
};

#endif // SRD_TRT_DOUBLE_STATE_H
