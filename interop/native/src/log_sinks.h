// The process-wide set of log sinks registered through srd_logger_create. TensorRT keeps one logger per process, so
// the shim hands TensorRT a single forwarding logger and fans messages out here; the double uses the same registry.
// Header-only and free of TensorRT.
#ifndef SRD_LOG_SINKS_H
#define SRD_LOG_SINKS_H

#include "srd_trt.h"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace srd
{

class LogSinks
{
public:
    struct Sink
    {
        srd_log_callback callback{nullptr};
        void* user{nullptr};
        int32_t minSeverity{SRD_LOG_SEVERITY_WARNING};
        int32_t inFlight{0}; //!< callbacks running now (guarded by mMutex)
    };

    //! Never destroyed: TensorRT may log while the process exits, after static destructors ran.
    static LogSinks& instance()
    {
        static LogSinks* sInstance = new LogSinks();
        return *sInstance;
    }

    std::shared_ptr<Sink> add(srd_log_callback callback, void* user, int32_t minSeverity)
    {
        auto sink = std::make_shared<Sink>();
        sink->callback = callback;
        sink->user = user;
        sink->minSeverity = minSeverity;
        std::lock_guard<std::mutex> lock(mMutex);
        mSinks.push_back(sink);
        return sink;
    }

    //! After this returns the sink's callback is not running on any other thread and is never called again.
    void remove(Sink* sink)
    {
        std::unique_lock<std::mutex> lock(mMutex);
        mSinks.erase(std::remove_if(mSinks.begin(), mSinks.end(),
                         [sink](std::shared_ptr<Sink> const& s) { return s.get() == sink; }),
            mSinks.end());
        // Calls of this sink on this very thread (destroy from inside the callback) cannot be waited for.
        auto const own =
            static_cast<int32_t>(std::count(activeOnThisThread().begin(), activeOnThisThread().end(), sink));
        mIdle.wait(lock, [sink, own] { return sink->inFlight <= own; });
    }

    void dispatch(int32_t severity, char const* message) noexcept
    {
        try
        {
            std::vector<std::shared_ptr<Sink>> targets;
            {
                std::lock_guard<std::mutex> lock(mMutex);
                for (auto const& sink : mSinks)
                {
                    if (severity <= sink->minSeverity)
                    {
                        ++sink->inFlight;
                        targets.push_back(sink);
                    }
                }
            }
            for (auto const& sink : targets)
            {
                activeOnThisThread().push_back(sink.get());
                try
                {
                    sink->callback(sink->user, severity, message != nullptr ? message : "");
                }
                catch (...)
                {
                    // A C callback cannot throw; a C++ one that does loses only its own message.
                }
                activeOnThisThread().pop_back();
                {
                    std::lock_guard<std::mutex> lock(mMutex);
                    --sink->inFlight;
                }
                mIdle.notify_all();
            }
        }
        catch (...)
        {
            // Logging must never fail the operation that logs.
        }
    }

private:
    LogSinks() = default;

    static std::vector<Sink*>& activeOnThisThread()
    {
        thread_local std::vector<Sink*> tActive;
        return tActive;
    }

    std::mutex mMutex;
    std::condition_variable mIdle;
    std::vector<std::shared_ptr<Sink>> mSinks;
};

} // namespace srd

#endif // SRD_LOG_SINKS_H
