// Boundary helpers shared by the TensorRT shim and the tests' recording double (both implement srd_trt.h):
// the catch-everything guard every export runs its body in, the thread-local last-error message, and the two-call
// string copy. Header-only and free of TensorRT, so the double compiles it without TensorRT headers.
#ifndef SRD_ABI_SUPPORT_H
#define SRD_ABI_SUPPORT_H

#include "srd_trt.h"

#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <utility>

namespace srd
{

//! A failure with the status the export returns. Thrown inside export bodies only; never crosses the boundary.
class Error : public std::exception
{
public:
    Error(srd_status status, std::string message) : mStatus(status), mMessage(std::move(message)) {}

    char const* what() const noexcept override
    {
        return mMessage.c_str();
    }

    srd_status status() const noexcept
    {
        return mStatus;
    }

private:
    srd_status mStatus;
    std::string mMessage;
};

[[noreturn]] inline void fail(srd_status status, std::string message)
{
    throw Error(status, std::move(message));
}

//! The calling thread's last failure message. Owned by the library; read through srd_error_get_last_message.
inline std::string& lastErrorMessage() noexcept
{
    thread_local std::string tMessage;
    return tMessage;
}

//! Stores "<function>: <message>" as the thread's last error (newlines folded so the message stays one line).
inline srd_status recordFailure(char const* function, srd_status status, char const* message) noexcept
{
    try
    {
        std::string text = std::string(function) + ": " + (message != nullptr ? message : "(no message)");
        for (char& c : text)
        {
            if (c == '\n' || c == '\r')
            {
                c = ' ';
            }
        }
        lastErrorMessage() = std::move(text);
    }
    catch (...)
    {
        // Out of memory while formatting: keep the status, the previous message stays (better than nothing).
    }
    return status;
}

//! Runs an export's body; every exception becomes a status plus the thread's last-error message.
template <typename Body>
srd_status guarded(char const* function, Body&& body) noexcept
{
    try
    {
        return body();
    }
    catch (Error const& e)
    {
        return recordFailure(function, e.status(), e.what());
    }
    catch (std::bad_alloc const& e)
    {
        return recordFailure(function, SRD_STATUS_OUT_OF_MEMORY, e.what());
    }
    catch (std::exception const& e)
    {
        return recordFailure(function, SRD_STATUS_INTERNAL, e.what());
    }
    catch (...)
    {
        return recordFailure(function, SRD_STATUS_INTERNAL, "unknown exception");
    }
}

//! A non-NULL argument, or an INVALID_ARGUMENT failure naming it.
template <typename T>
T& require(T* pointer, char const* name)
{
    if (pointer == nullptr)
    {
        fail(SRD_STATUS_INVALID_ARGUMENT, std::string(name) + " is NULL");
    }
    return *pointer;
}

//! A non-NULL untyped buffer argument.
inline void const* require(void const* pointer, char const* name)
{
    if (pointer == nullptr)
    {
        fail(SRD_STATUS_INVALID_ARGUMENT, std::string(name) + " is NULL");
    }
    return pointer;
}

//! A non-empty C string argument.
inline std::string_view requireString(char const* value, char const* name)
{
    if (value == nullptr)
    {
        fail(SRD_STATUS_INVALID_ARGUMENT, std::string(name) + " is NULL");
    }
    if (*value == '\0')
    {
        fail(SRD_STATUS_INVALID_ARGUMENT, std::string(name) + " is empty");
    }
    return std::string_view(value);
}

//! Two-call string pattern: *outRequired = size + 1 always; NULL buffer = size query; a short buffer fails with
//! BUFFER_TOO_SMALL (thrown, so it becomes the last error) and the buffer is left untouched.
inline srd_status copyString(std::string_view value, char* buffer, uint64_t bufferSize, uint64_t* outRequired)
{
    require(outRequired, "out_required");
    uint64_t const required = static_cast<uint64_t>(value.size()) + 1U;
    *outRequired = required;
    if (buffer == nullptr)
    {
        return SRD_STATUS_OK;
    }
    if (bufferSize < required)
    {
        fail(SRD_STATUS_BUFFER_TOO_SMALL,
            "buffer of " + std::to_string(bufferSize) + " bytes, " + std::to_string(required) + " required");
    }
    std::memcpy(buffer, value.data(), value.size());
    buffer[value.size()] = '\0';
    return SRD_STATUS_OK;
}

//! srd_error_get_last_message: the same pattern, but a failure must not overwrite the message being read.
inline srd_status copyLastErrorMessage(char* buffer, uint64_t bufferSize, uint64_t* outRequired) noexcept
{
    if (outRequired == nullptr)
    {
        return SRD_STATUS_INVALID_ARGUMENT;
    }
    std::string const& message = lastErrorMessage();
    uint64_t const required = static_cast<uint64_t>(message.size()) + 1U;
    *outRequired = required;
    if (buffer == nullptr)
    {
        return SRD_STATUS_OK;
    }
    if (bufferSize < required)
    {
        return SRD_STATUS_BUFFER_TOO_SMALL;
    }
    std::memcpy(buffer, message.data(), message.size());
    buffer[message.size()] = '\0';
    return SRD_STATUS_OK;
}

} // namespace srd

#endif // SRD_ABI_SUPPORT_H
