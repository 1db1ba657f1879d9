/*
 * CPU benchmark: the FusedAttention custom op inside ONNX Runtime against ORT running the equivalent unfused
 * subgraph (ReduceL2/Max/Div, Transpose, MatMul, Mul, Softmax, MatMul), side by side in one run, on the shapes of
 * the project's models; plus the peak resident memory of each path, measured in a fresh child process per
 * configuration so that one configuration's high-water mark cannot hide another's.
 *
 *   srd_fa_ort_bench [--repeats N] [--threads 1,2] [--skip-memory] [--only ditn|esrt1024|esrt4096] [--no-spin]
 *
 * --no-spin sets session.intra_op.allow_spinning = 0 for both sessions (idle pool threads sleep instead of spinning;
 * fairer on a machine shared with other work).
 *   srd_fa_ort_bench --memory-child <fused|unfused> <tokens>      (internal: one ESRT-shaped run, prints peak RSS)
 *
 * Prints Markdown tables (medians over the repeats, ratio = unfused / fused).
 */
#include "fusedAttentionCpu.h"
#include "onnxModelBuilder.h"
#include "ortHost.h"
#include "testUtil.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace srd::fa::testing;

namespace
{

struct Config
{
    std::string key;
    std::string description;
    AttentionModelSpec spec;
};

//! DITN-Real x4 at a 256x256 input: (256/8)^2 = 1024 patches, 60 channel-tokens of d = 64, normalised Q/K, the
//! learnable temperature as a scalar tensor input.
Config ditnConfig()
{
    Config c;
    c.key = "ditn";
    c.description = "DITN-Real, 256x256 input: [1024 patches, 60, 64], normalize_qk, temperature input";
    c.spec.qDims = c.spec.kDims = c.spec.vDims = {1024, 60, 64};
    c.spec.normalizeQk = true;
    c.spec.scaleAsInput = true;
    c.spec.scaleInputValue = 1.F;
    return c;
}

//! ESRT's efficient multi-head attention: 8 heads, 4 segments of H*W/4 tokens, d = 18, scale 1/6. An input of
//! side S gives H*W = S*S tokens (the LTB runs at the input resolution), so `tokens` = S*S/4 per segment.
Config esrtConfig(int64_t tokens)
{
    Config c;
    c.key = "esrt" + std::to_string(tokens);
    int64_t const side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(tokens * 4))));
    c.description = "ESRT, " + std::to_string(side) + "x" + std::to_string(side) + " input: [1, 8 heads, 4 segments, " +
                    std::to_string(tokens) + " tokens, 18]";
    c.spec.qDims = c.spec.kDims = c.spec.vDims = {1, 8, 4, tokens, 18};
    c.spec.scaleAttribute = 1.F / 6.F;
    return c;
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    size_t const n = values.size();
    return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

struct Prepared
{
    std::vector<HostTensor> tensors;
    std::vector<std::pair<std::string, HostTensor const*>> named;
};

Prepared prepareInputs(AttentionModelSpec const& spec)
{
    std::mt19937_64 rng(2024);
    Prepared p;
    p.tensors.push_back(
        HostTensor::fromFloats(spec.qDims, randomFloats(static_cast<size_t>(elementCount(spec.qDims)), rng)));
    p.tensors.push_back(
        HostTensor::fromFloats(spec.kDims, randomFloats(static_cast<size_t>(elementCount(spec.kDims)), rng)));
    p.tensors.push_back(
        HostTensor::fromFloats(spec.vDims, randomFloats(static_cast<size_t>(elementCount(spec.vDims)), rng)));
    p.named = {{"q", &p.tensors[0]}, {"k", &p.tensors[1]}, {"v", &p.tensors[2]}};
    return p;
}

double seconds(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

[[noreturn]] void die(std::string const& message)
{
    std::fprintf(stderr, "srd_fa_ort_bench: %s\n", message.c_str());
    std::exit(1);
}

bool gAllowSpinning = true;

void timeConfig(OrtHost& host, Config const& config, int32_t threads, int32_t repeats)
{
    Prepared const inputs = prepareInputs(config.spec);
    SessionConfig fusedConfig;
    fusedConfig.intraOpThreads = threads;
    fusedConfig.allowSpinning = gAllowSpinning;
    SessionConfig plainConfig = fusedConfig;
    plainConfig.registerFusedAttention = false;
    OrtOutcome outcome;
    Session fused(host, buildFusedAttentionModel(config.spec), fusedConfig, outcome);
    if (!outcome.ok)
    {
        die("fused session: " + outcome.message);
    }
    Session plain(host, buildUnfusedAttentionModel(config.spec), plainConfig, outcome);
    if (!outcome.ok)
    {
        die("unfused session: " + outcome.message);
    }
    std::vector<HostTensor> fusedOut;
    std::vector<HostTensor> plainOut;
    for (int32_t warm = 0; warm < 2; ++warm)
    {
        if (!(outcome = fused.run(inputs.named, {"out"}, fusedOut)).ok ||
            !(outcome = plain.run(inputs.named, {"out"}, plainOut)).ok)
        {
            die("warm-up run: " + outcome.message);
        }
    }
    double const error = relativeLinf(fusedOut[0].floats(), plainOut[0].floats());
    std::vector<double> fusedTimes;
    std::vector<double> plainTimes;
    for (int32_t r = 0; r < repeats; ++r)
    {
        // Alternate the two paths so that drifting machine load affects both alike.
        auto start = std::chrono::steady_clock::now();
        outcome = fused.run(inputs.named, {"out"}, fusedOut);
        fusedTimes.push_back(seconds(start));
        start = std::chrono::steady_clock::now();
        outcome = plain.run(inputs.named, {"out"}, plainOut);
        plainTimes.push_back(seconds(start));
        if (!outcome.ok)
        {
            die("run: " + outcome.message);
        }
    }
    double const fusedMedian = median(fusedTimes);
    double const plainMedian = median(plainTimes);
    std::printf("| %s | %d | %.2f | %.2f | %.2fx | %.1e |\n", config.description.c_str(), threads, fusedMedian * 1e3,
        plainMedian * 1e3, plainMedian / fusedMedian, error);
    std::fflush(stdout);
}

//! Child process: one ESRT-shaped configuration on one path; prints the RSS before the session and the peak.
int memoryChild(std::string const& path, int64_t tokens)
{
    std::string reason;
    OrtHost* host = OrtHost::get(reason);
    if (host == nullptr)
    {
        die(reason);
    }
    Config const config = esrtConfig(tokens);
    Prepared const inputs = prepareInputs(config.spec);
    int64_t const before = peakResidentBytes();
    SessionConfig sessionConfig;
    sessionConfig.intraOpThreads = 1;
    sessionConfig.registerFusedAttention = path == "fused";
    std::string const model =
        path == "fused" ? buildFusedAttentionModel(config.spec) : buildUnfusedAttentionModel(config.spec);
    OrtOutcome outcome;
    Session session(*host, model, sessionConfig, outcome);
    if (!outcome.ok)
    {
        die(outcome.message);
    }
    std::vector<HostTensor> out;
    if (!(outcome = session.run(inputs.named, {"out"}, out)).ok)
    {
        die(outcome.message);
    }
    std::printf("before=%lld peak=%lld\n", static_cast<long long>(before), static_cast<long long>(peakResidentBytes()));
    return 0;
}

//! Runs this program as a child for one memory configuration and parses its line.
bool measureInChild(
    std::string const& self, std::string const& path, int64_t tokens, long long& before, long long& peak)
{
    int pipeFds[2];
    if (pipe(pipeFds) != 0)
    {
        return false;
    }
    pid_t const pid = fork();
    if (pid == 0)
    {
        dup2(pipeFds[1], STDOUT_FILENO);
        close(pipeFds[0]);
        close(pipeFds[1]);
        std::string const tokenText = std::to_string(tokens);
        execl(
            self.c_str(), self.c_str(), "--memory-child", path.c_str(), tokenText.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(pipeFds[1]);
    std::string text;
    char buffer[256];
    ssize_t n = 0;
    while ((n = read(pipeFds[0], buffer, sizeof(buffer))) > 0)
    {
        text.append(buffer, static_cast<size_t>(n));
    }
    close(pipeFds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
           std::sscanf(text.c_str(), "before=%lld peak=%lld", &before, &peak) == 2;
}

std::string cpuModel()
{
    std::ifstream info("/proc/cpuinfo");
    std::string line;
    while (std::getline(info, line))
    {
        if (line.rfind("model name", 0) == 0)
        {
            return line.substr(line.find(':') + 2);
        }
    }
    return "unknown CPU";
}

} // namespace

int main(int argc, char** argv)
{
    if (argc == 4 && std::strcmp(argv[1], "--memory-child") == 0)
    {
        return memoryChild(argv[2], std::atoll(argv[3]));
    }
    int32_t repeats = 7;
    std::vector<int32_t> threadCounts{1, 2};
    bool memory = true;
    std::string only;
    for (int i = 1; i < argc; ++i)
    {
        std::string const arg = argv[i];
        if (arg == "--repeats" && i + 1 < argc)
        {
            repeats = std::max(1, std::atoi(argv[++i]));
        }
        else if (arg == "--threads" && i + 1 < argc)
        {
            threadCounts.clear();
            std::stringstream list(argv[++i]);
            std::string item;
            while (std::getline(list, item, ','))
            {
                threadCounts.push_back(std::max(1, std::atoi(item.c_str())));
            }
        }
        else if (arg == "--no-spin")
        {
            gAllowSpinning = false;
        }
        else if (arg == "--skip-memory")
        {
            memory = false;
        }
        else if (arg == "--only" && i + 1 < argc)
        {
            only = argv[++i];
        }
        else
        {
            die("unknown argument " + arg + " (see the comment at the top of bench/fusedAttentionOrtBench.cpp)");
        }
    }
    std::string reason;
    OrtHost* host = OrtHost::get(reason);
    if (host == nullptr)
    {
        die(reason);
    }
    std::printf("Machine: %s, %ld hardware threads; ONNX Runtime %s; fused kernel ISA: %s; %d repeats (medians); "
                "intra-op spinning %s\n\n",
        cpuModel().c_str(), sysconf(_SC_NPROCESSORS_ONLN), host->version().c_str(),
        srd::fa::cpuIsaName(srd::fa::CpuIsa::kAUTO), repeats, gAllowSpinning ? "on (ORT default)" : "off");
    std::printf("| Shapes | Threads | Fused op (ms) | Unfused ORT graph (ms) | Speed-up | Rel. L-inf diff |\n");
    std::printf("|---|---|---|---|---|---|\n");
    std::vector<Config> const configs{ditnConfig(), esrtConfig(1024), esrtConfig(4096)};
    for (Config const& config : configs)
    {
        if (!only.empty() && only != config.key)
        {
            continue;
        }
        for (int32_t threads : threadCounts)
        {
            timeConfig(*host, config, threads, repeats);
        }
    }
    if (!memory)
    {
        return 0;
    }
    std::printf("\nPeak resident memory, ESRT shapes, 1 thread, one fresh process per cell (MiB: peak VmHWM, and the "
                "growth over the RSS before the session was created):\n\n");
    std::printf(
        "| Tokens per segment (input) | Fused peak | Fused growth | Unfused peak | Unfused growth | One N x N score "
        "tensor |\n|---|---|---|---|---|---|\n");
    char selfPath[4096];
    ssize_t const length = readlink("/proc/self/exe", selfPath, sizeof(selfPath) - 1);
    if (length <= 0)
    {
        die("cannot find /proc/self/exe");
    }
    selfPath[length] = '\0';
    double const mib = 1024.0 * 1024.0;
    for (int64_t tokens : {int64_t{1024}, int64_t{2048}, int64_t{4096}, int64_t{16384}})
    {
        // At a 256x256 input (16 384 tokens per segment) one unfused score tensor alone is 32 GiB: only the fused path
        // runs there.
        bool const unfusedFits = tokens <= 4096;
        long long fusedBefore = 0;
        long long fusedPeak = 0;
        long long plainBefore = 0;
        long long plainPeak = 0;
        auto const start = std::chrono::steady_clock::now();
        bool const fusedOk = measureInChild(selfPath, "fused", tokens, fusedBefore, fusedPeak);
        double const fusedSeconds = seconds(start);
        bool const plainOk = !unfusedFits || measureInChild(selfPath, "unfused", tokens, plainBefore, plainPeak);
        if (!fusedOk || !plainOk)
        {
            die("memory child failed for " + std::to_string(tokens) + " tokens");
        }
        double const scores = 32.0 * static_cast<double>(tokens) * static_cast<double>(tokens) * 4.0 / mib;
        int64_t const side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(tokens * 4))));
        if (unfusedFits)
        {
            std::printf("| %lld (%lldx%lld) | %.0f | %.0f | %.0f | %.0f | %.0f |\n", static_cast<long long>(tokens),
                static_cast<long long>(side), static_cast<long long>(side), fusedPeak / mib,
                (fusedPeak - fusedBefore) / mib, plainPeak / mib, (plainPeak - plainBefore) / mib, scores);
        }
        else
        {
            std::printf("| %lld (%lldx%lld) | %.0f | %.0f | not run | not run | %.0f |\n",
                static_cast<long long>(tokens), static_cast<long long>(side), static_cast<long long>(side),
                fusedPeak / mib, (fusedPeak - fusedBefore) / mib, scores);
            std::printf("\nAt %lld tokens the fused child process (one run, including start-up) took %.1f s.\n",
                static_cast<long long>(tokens), fusedSeconds);
        }
        std::fflush(stdout);
    }
    return 0;
}
