/*
 * Test and benchmark host for ONNX Runtime: dlopens the real libonnxruntime.so.1 (path from the environment variable
 * SRD_ONNXRUNTIME_LIBRARY, else the CMake cache variable of the same name), talks to it through our own declarations
 * (ortApi.h), and runs in-memory models with or without the FusedAttention custom-op library registered.
 */
#ifndef SRD_FUSED_ATTENTION_TESTS_ORT_HOST_H
#define SRD_FUSED_ATTENTION_TESTS_ORT_HOST_H

#include "ortApi.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace srd::fa::testing
{

//! A host-side tensor: element type (ONNX enum), dims and raw little-endian bytes.
struct HostTensor
{
    int32_t type{srd::ort::kONNX_FLOAT};
    std::vector<int64_t> dims;
    std::vector<uint8_t> bytes;

    static HostTensor fromFloats(std::vector<int64_t> dims, std::vector<float> const& values);
    static HostTensor fromRaw(int32_t type, std::vector<int64_t> dims, size_t elementSize, size_t count);
    int64_t elementCount() const;
    std::vector<float> floats() const; //!< Only for float32 tensors.
};

//! The loaded ONNX Runtime (one per process; never unloaded).
class OrtHost
{
public:
    //! Loads the library on first use. Returns nullptr and sets `reason` when it cannot be loaded.
    static OrtHost* get(std::string& reason);
    srd::ort::OrtApi const* api() const
    {
        return mApi;
    }
    srd::ort::OrtEnv* env() const
    {
        return mEnv;
    }
    std::string const& libraryPath() const
    {
        return mPath;
    }
    std::string const& version() const
    {
        return mVersion;
    }

private:
    srd::ort::OrtApi const* mApi{nullptr};
    srd::ort::OrtEnv* mEnv{nullptr};
    std::string mPath;
    std::string mVersion;
};

struct SessionConfig
{
    bool registerFusedAttention{true};
    int32_t intraOpThreads{1};
    int32_t optimizationLevel{99}; //!< ORT_ENABLE_ALL.
    bool cpuArena{true};
    bool allowSpinning{true};    //!< false: session.intra_op.allow_spinning = 0 (idle pool threads sleep).
    std::string customOpLibrary; //!< Empty: the library built next to the tests (SRD_FA_CUSTOM_OP_LIBRARY).
};

//! Outcome of a call into ORT: ok, or the ORT error code and message.
struct OrtOutcome
{
    bool ok{true};
    int32_t code{0};
    std::string message;
};

class Session
{
public:
    //! Creates a session from model bytes. On failure, `outcome` holds ORT's error and the session is unusable.
    Session(OrtHost& host, std::string const& model, SessionConfig const& config, OrtOutcome& outcome);
    ~Session();
    Session(Session const&) = delete;
    Session& operator=(Session const&) = delete;

    //! Runs with named inputs; outputs are copied to host tensors.
    OrtOutcome run(std::vector<std::pair<std::string, HostTensor const*>> const& inputs,
        std::vector<std::string> const& outputNames, std::vector<HostTensor>& outputs);

    //! The session's declared output type and shape (after ORT's shape inference): unknown dims are -1 and named in
    //! `symbols` ("" for fixed dims).
    OrtOutcome outputShape(size_t index, int32_t& type, std::vector<int64_t>& dims, std::vector<std::string>& symbols);

private:
    OrtOutcome take(srd::ort::OrtStatus* status);

    OrtHost& mHost;
    srd::ort::OrtSessionOptions* mOptions{nullptr};
    srd::ort::OrtSession* mSession{nullptr};
};

//! Peak resident set size of this process so far (VmHWM), in bytes; 0 if unknown.
int64_t peakResidentBytes();

} // namespace srd::fa::testing

#endif // SRD_FUSED_ATTENTION_TESTS_ORT_HOST_H
