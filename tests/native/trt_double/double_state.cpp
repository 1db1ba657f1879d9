#include "double_state.h"

#include <cstdio>

namespace srd_double
{

std::string jsonString(std::string_view text)
{
    std::string out = "\"";
    for (char const c : text)
    {
        switch (c)
        {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20)
            {
                char escaped[8];
                std::snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned>(c));
                out += escaped;
            }
            else
            {
                out += c;
            }
        }
    }
    return out + "\"";
}

std::string jsonDims(srd_dims const& dims)
{
    std::string out = "[";
    for (int32_t i = 0; i < dims.nb_dims && i < SRD_TRT_MAX_DIMS; ++i)
    {
        out += (i == 0 ? "" : ",") + std::to_string(dims.d[i]);
    }
    return out + "]";
}

JsonObject& JsonObject::raw(char const* key, std::string const& json)
{
    mMembers += (mMembers.empty() ? "" : ",") + jsonString(key) + ":" + json;
    return *this;
}

JsonObject& JsonObject::str(char const* key, char const* value)
{
    return raw(key, value == nullptr ? "null" : jsonString(value));
}

JsonObject& JsonObject::str(char const* key, std::string const& value)
{
    return raw(key, jsonString(value));
}

JsonObject& JsonObject::num(char const* key, int64_t value)
{
    return raw(key, std::to_string(value));
}

JsonObject& JsonObject::unum(char const* key, uint64_t value)
{
    return raw(key, std::to_string(value));
}

JsonObject& JsonObject::dims(char const* key, srd_dims const* value)
{
    return raw(key, value == nullptr ? "null" : jsonDims(*value));
}

JsonObject& JsonObject::handle(char const* key, void const* value)
{
    return raw(key, value == nullptr ? "null" : jsonString(State::instance().handleId(value)));
}

std::string JsonObject::text() const
{
    return "{" + mMembers + "}";
}

uint64_t fnv1a64(void const* data, std::size_t size, uint64_t hash)
{
    auto const* bytes = static_cast<unsigned char const*>(data);
    for (std::size_t i = 0; i < size; ++i)
    {
        hash ^= bytes[i];
        hash *= 1099511628211ULL;
    }
    return hash;
}

std::string hex64(uint64_t value)
{
    char text[17];
    std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(value));
    return text;
}

State& State::instance()
{
    static State* sInstance = new State();
    return *sInstance;
}

void State::injectFailure(char const* function)
{
    auto found = injections.find(function);
    if (found == injections.end() || found->second.empty())
    {
        return;
    }
    InjectedFailure const failure = found->second.front();
    found->second.pop_front();
    switch (failure.throwKind)
    {
    case -1:
        srd::fail(failure.status, failure.message);
    case 0:
        throw std::runtime_error("injected std::runtime_error in " + std::string(function));
    case 1:
        throw std::bad_alloc();
    default:
        throw 42; // not a std::exception: only catch (...) sees it
    }
}

void State::log(srd_log_severity severity, std::string const& message)
{
    pendingLogs.emplace_back(severity, "[srd_trt_test_double] " + message);
}

void State::requireTensorRt() const
{
    if (libraryMissing)
    {
        srd::fail(SRD_STATUS_LIBRARY_MISSING,
            "TensorRT " + std::to_string(major()) +
                ".x runtime (libnvinfer) is not loadable (simulated by the test double): install TensorRT");
    }
}

std::string State::handleId(void const* pointer) const
{
    auto found = mHandles.find(pointer);
    return found == mHandles.end() ? std::string("unknown") : found->second.id;
}

void State::checkLive(void const* pointer, char const* type, char const* name)
{
    if (pointer == nullptr)
    {
        srd::fail(SRD_STATUS_INVALID_ARGUMENT, std::string(name) + " is NULL");
    }
    auto found = mHandles.find(pointer);
    if (found == mHandles.end())
    {
        ++unknownHandles;
        srd::fail(SRD_STATUS_INVALID_ARGUMENT, std::string(name) + " is not a handle of this library");
    }
    if (found->second.destroyed)
    {
        ++useAfterDestroy;
        srd::fail(SRD_STATUS_INVALID_ARGUMENT, std::string(name) + " (" + found->second.id + ") was destroyed");
    }
    if (found->second.type != type)
    {
        srd::fail(SRD_STATUS_INVALID_ARGUMENT,
            std::string(name) + " is a " + found->second.type + " handle, not a " + type + " handle");
    }
}

void State::markDestroyed(void const* pointer, char const* type, char const* name)
{
    auto found = mHandles.find(pointer);
    if (found == mHandles.end())
    {
        ++unknownHandles;
        srd::fail(SRD_STATUS_INVALID_ARGUMENT, std::string(name) + " is not a handle of this library");
    }
    if (found->second.type != type)
    {
        srd::fail(SRD_STATUS_INVALID_ARGUMENT,
            std::string(name) + " is a " + found->second.type + " handle, not a " + type + " handle");
    }
    if (found->second.destroyed)
    {
        ++doubleDestroys;
        srd::fail(SRD_STATUS_INVALID_ARGUMENT, std::string(name) + " (" + found->second.id + ") destroyed twice");
    }
    found->second.destroyed = true;
    ++destroyed;
}

void State::reset()
{
    // Sinks of loggers still alive would call back into callers that no longer expect it.
    for (auto const& entry : mHandles)
    {
        if (entry.second.type == srd_logger::kTYPE && !entry.second.destroyed)
        {
            srd::LogSinks::instance().remove(static_cast<srd_logger const*>(entry.first)->sink.get());
        }
    }
    for (auto& deleter : mDeleters)
    {
        deleter();
    }
    mDeleters.clear();
    mHandles.clear();
    mNextIdPerType.clear();
    calls.clear();
    nextSequence = 1;
    injections.clear();
    pendingLogs.clear();
    queuedParserErrors.clear();
    version = 101600;
    build = 72;
    libraryMissing = false;
    created = 0;
    destroyed = 0;
    doubleDestroys = 0;
    unknownHandles = 0;
    useAfterDestroy = 0;
}

srd_double_handle_counts State::counts() const
{
    srd_double_handle_counts result{};
    result.created = created;
    result.destroyed = destroyed;
    result.live = created - destroyed;
    result.double_destroys = doubleDestroys;
    result.unknown_handles = unknownHandles;
    result.use_after_destroy = useAfterDestroy;
    return result;
}

std::string State::logJson() const
{
    std::string callsJson = "[";
    for (std::size_t i = 0; i < calls.size(); ++i)
    {
        callsJson += (i == 0 ? "" : ",") + calls[i];
    }
    callsJson += "]";
    std::string live = "[";
    bool first = true;
    for (auto const& entry : mHandles)
    {
        if (entry.second.destroyed)
        {
            continue;
        }
        JsonObject handle;
        handle.str("type", entry.second.type).str("id", entry.second.id).str("created_by", entry.second.createdBy);
        live += (first ? "" : ",") + handle.text();
        first = false;
    }
    live += "]";
    auto const c = counts();
    JsonObject handles;
    handles.num("created", c.created)
        .num("destroyed", c.destroyed)
        .num("live", c.live)
        .num("double_destroys", c.double_destroys)
        .num("unknown_handles", c.unknown_handles)
        .num("use_after_destroy", c.use_after_destroy)
        .raw("live_handles", live);
    JsonObject root;
    root.raw("calls", callsJson).raw("handles", handles.text());
    return root.text();
}

} // namespace srd_double
