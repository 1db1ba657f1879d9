/*
 * The error plumbing shared by the pure-C libraries (libsrd_fused_attention_cpu.so and
 * libsrd_fused_attention_cuda.so): a thread-local last message, the guard every export runs its body in (so nothing
 * escapes across the C ABI), and the two-call copy-out of the message. Each library includes this from one
 * translation unit; the anonymous namespace keeps every piece internal to it, so nothing here is exported and each
 * library keeps its own message.
 */
#pragma once

#include "srd_fused_attention.h"

#include <cstddef>
#include <cstring>
#include <exception>
#include <new>
#include <string>

namespace
{

thread_local std::string tLastError;

srd_fa_status fail(srd_fa_status status, std::string const& message) noexcept
{
    try
    {
        tLastError = message;
    }
    catch (...)
    {
        tLastError.clear(); // Out of memory for the message itself: the status still says what happened.
    }
    return status;
}

srd_fa_status succeed() noexcept
{
    tLastError.clear();
    return SRD_FA_STATUS_OK;
}

/* Runs an export's body; any exception becomes a status and a message. */
template <typename Body>
srd_fa_status guarded(Body&& body) noexcept
{
    try
    {
        return body();
    }
    catch (std::bad_alloc const&)
    {
        return fail(SRD_FA_STATUS_OUT_OF_MEMORY, "out of memory");
    }
    catch (std::exception const& e)
    {
        return fail(SRD_FA_STATUS_INTERNAL, std::string("internal error: ") + e.what());
    }
    catch (...)
    {
        return fail(SRD_FA_STATUS_INTERNAL, "internal error: unknown exception");
    }
}

/* The last message into a caller's buffer: *required gets its size with the terminator; a NULL buffer only asks. */
srd_fa_status copyLastError(char* buffer, size_t size, size_t* required) noexcept
{
    try
    {
        size_t const needed = tLastError.size() + 1;
        if (required != nullptr)
        {
            *required = needed;
        }
        if (buffer == nullptr)
        {
            return SRD_FA_STATUS_OK;
        }
        if (size < needed)
        {
            return SRD_FA_STATUS_BUFFER_TOO_SMALL;
        }
        std::memcpy(buffer, tLastError.c_str(), needed);
        return SRD_FA_STATUS_OK;
    }
    catch (...)
    {
        return SRD_FA_STATUS_INTERNAL;
    }
}

} // namespace
