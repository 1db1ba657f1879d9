/*
 * GPU test program (built only with CUDA; skips without a device): the CUDA kernels against the double-precision
 * CPU reference over the same regimes as the CPU tests. Error measure: relative L2,
 * ||gpu - reference||_2 / ||reference||_2, required < 1e-5 for float32 and < 2e-3 for float16 (whose reference is
 * computed from the fp16-rounded inputs, so only the kernel's own error is measured).
 */
#include "fusedAttentionKernel.h"
#include "fusedAttentionReference.h"
#include "testUtil.h"

#include <cuda_fp16.h>
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace srd::fa::testing
{
namespace
{

//! Device memory owned for one test.
class DeviceBuffer
{
public:
    explicit DeviceBuffer(size_t bytes)
    {
        if (bytes > 0 && cudaMalloc(&mPointer, bytes) != cudaSuccess)
        {
            mPointer = nullptr;
        }
    }
    ~DeviceBuffer()
    {
        cudaFree(mPointer);
    }
    DeviceBuffer(DeviceBuffer const&) = delete;
    DeviceBuffer& operator=(DeviceBuffer const&) = delete;
    void* get() const
    {
        return mPointer;
    }

private:
    void* mPointer{nullptr};
};

struct GpuCase
{
    std::string name;
    CaseShapes shapes;
    char const* expectedKernel;
    float scaleValue{1.F};
    float qkRange{1.F};
    double maskFraction{0.0};
};

CaseShapes bhnd(std::vector<int64_t> q, std::vector<int64_t> k, std::vector<int64_t> v)
{
    CaseShapes s;
    s.q = std::move(q);
    s.k = std::move(k);
    s.v = std::move(v);
    return s;
}

void PrintTo(GpuCase const& c, std::ostream* os)
{
    *os << c.name;
}

std::vector<GpuCase> gpuCases()
{
    std::vector<GpuCase> cases;
    {
        GpuCase c{"ditn_512_patches", bhnd({512, 60, 64}, {512, 60, 64}, {512, 60, 64}), "small", 3.7F};
        c.shapes.attributes.normalizeQk = 1;
        c.shapes.scaleInput = true;
        cases.push_back(c);
    }
    {
        GpuCase c{"many_tiny_problems", bhnd({4096, 16, 8}, {4096, 16, 8}, {4096, 16, 8}), "small", 10.F};
        c.shapes.attributes.normalizeQk = 1;
        c.shapes.scaleInput = true;
        cases.push_back(c);
    }
    {
        GpuCase c{"esrt_rank5_segments", bhnd({1, 8, 4, 700, 18}, {1, 8, 4, 700, 18}, {1, 8, 4, 700, 18}), "flash"};
        c.shapes.attributes.scale = 1.F / 6.F;
        c.qkRange = 2.F;
        cases.push_back(c);
    }
    {
        GpuCase c{"esrt_8192_tokens", bhnd({1, 1, 8192, 18}, {1, 1, 8192, 18}, {1, 1, 8192, 18}), "flash"};
        c.shapes.attributes.scale = 1.F / 6.F;
        c.qkRange = 2.F;
        cases.push_back(c);
    }
    {
        GpuCase c{"shvit_single_head", bhnd({1, 1, 2048, 16}, {1, 1, 2048, 16}, {1, 1, 2048, 64}), "flash"};
        c.shapes.attributes.scale = 0.25F;
        cases.push_back(c);
    }
    {
        GpuCase c{"swin_window_relative_bias", bhnd({64, 6, 64, 32}, {64, 6, 64, 32}, {64, 6, 64, 32}), "small"};
        c.shapes.hasBias = true;
        c.shapes.bias = {1, 6, 64, 64};
        cases.push_back(c);
    }
    {
        GpuCase c{"swin_shift_mask", bhnd({16, 3, 49, 32}, {16, 3, 49, 32}, {16, 3, 49, 32}), "small"};
        c.shapes.hasBias = true;
        c.shapes.bias = {16, 1, 49, 49};
        c.maskFraction = 0.3;
        cases.push_back(c);
    }
    {
        GpuCase c{
            "window_256_tokens_small_kernel_limit", bhnd({8, 4, 256, 24}, {8, 4, 256, 24}, {8, 4, 256, 24}), "small"};
        cases.push_back(c);
    }
    {
        GpuCase c{"257_keys_take_the_flash_kernel", bhnd({8, 4, 100, 24}, {8, 4, 257, 24}, {8, 4, 257, 24}), "flash"};
        c.shapes.hasBias = true;
        c.shapes.bias = {8, 1, 1, 257};
        c.maskFraction = 0.2;
        cases.push_back(c);
    }
    {
        CaseShapes s = bhnd({2, 300, 72}, {2, 300, 72}, {2, 300, 72});
        s.attributes.inputLayout = Layout::kBNC;
        s.attributes.outputLayout = Layout::kBNC;
        s.attributes.numHeads = 4;
        cases.push_back({"packed_bnc_4_heads_d18", s, "flash"});
    }
    {
        CaseShapes s = bhnd({2, 77, 3, 24}, {2, 90, 3, 24}, {2, 90, 3, 40});
        s.attributes.inputLayout = Layout::kBNHD;
        s.attributes.outputLayout = Layout::kBHND;
        s.attributes.normalizeQk = 1;
        s.attributes.scale = 6.F;
        cases.push_back({"bnhd_in_bhnd_out_normalized", s, "small"});
    }
    {
        CaseShapes s = bhnd({2, 2, 300, 128}, {2, 2, 400, 128}, {2, 2, 400, 128});
        s.hasBias = true;
        s.bias = {300, 1};
        cases.push_back({"d128_row_constant_bias", s, "flash"});
    }
    {
        CaseShapes s = bhnd({3, 5, 1}, {3, 7, 1}, {3, 7, 3});
        cases.push_back({"d1_tiny", s, "small"});
    }
    return cases;
}

uint16_t halfBits(float x)
{
    __half const h = __float2half(x);
    uint16_t bits = 0;
    std::memcpy(&bits, &h, sizeof(bits));
    return bits;
}

float fromHalfBits(uint16_t bits)
{
    __half h;
    std::memcpy(&h, &bits, sizeof(bits));
    return __half2float(h);
}

double relativeL2(std::vector<float> const& actual, std::vector<float> const& expected)
{
    double error = 0.0;
    double norm = 0.0;
    for (size_t i = 0; i < expected.size(); ++i)
    {
        double const diff = static_cast<double>(actual[i]) - static_cast<double>(expected[i]);
        error += diff * diff;
        norm += static_cast<double>(expected[i]) * static_cast<double>(expected[i]);
    }
    return norm > 0.0 ? std::sqrt(error / norm) : std::sqrt(error);
}

class CudaFusedAttention : public ::testing::TestWithParam<std::tuple<GpuCase, bool>>
{
protected:
    void SetUp() override
    {
        int count = 0;
        if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0)
        {
            GTEST_SKIP() << "no CUDA device";
        }
    }
};

TEST_P(CudaFusedAttention, MatchesTheCpuReference)
{
    auto const& [c, half] = GetParam();
    AttentionProblem problem;
    InputDescs inputs;
    auto desc = [&](std::vector<int64_t> const& dims)
    {
        TensorDesc d = floatDesc(dims);
        if (half)
        {
            d.type = ElementType::kFLOAT16;
            d.typeName = "float16";
        }
        return d;
    };
    inputs.q = desc(c.shapes.q);
    inputs.k = desc(c.shapes.k);
    inputs.v = desc(c.shapes.v);
    if (c.shapes.hasBias)
    {
        inputs.bias = desc(c.shapes.bias);
    }
    if (c.shapes.scaleInput)
    {
        inputs.scale = floatDesc({});
    }
    ValidationOptions options;
    options.allowFloat16 = true;
    ASSERT_EQ(describeProblem(c.shapes.attributes, inputs, options, problem), "");
    ASSERT_EQ(checkCudaSupport(problem), "");
    EXPECT_STREQ(cudaKernelName(problem), c.expectedKernel);

    std::mt19937_64 rng(31);
    std::vector<float> q = randomFloats(static_cast<size_t>(elementCount(c.shapes.q)), rng, -c.qkRange, c.qkRange);
    std::vector<float> k = randomFloats(static_cast<size_t>(elementCount(c.shapes.k)), rng, -c.qkRange, c.qkRange);
    std::vector<float> v = randomFloats(static_cast<size_t>(elementCount(c.shapes.v)), rng, -1.F, 2.F);
    std::vector<float> bias;
    if (c.shapes.hasBias)
    {
        bias = randomFloats(static_cast<size_t>(elementCount(c.shapes.bias)), rng, -2.F, 2.F);
        std::uniform_real_distribution<double> coin(0.0, 1.0);
        for (size_t i = 0; i < bias.size(); ++i)
        {
            if (static_cast<int64_t>(i) % c.shapes.bias.back() != 0 && coin(rng) < c.maskFraction)
            {
                bias[i] = -std::numeric_limits<float>::infinity();
            }
        }
    }
    int64_t outCount = 1;
    for (int32_t i = 0; i < problem.outRank; ++i)
    {
        outCount *= problem.outDims[i];
    }

    // Device copies (fp16: rounded; the reference then uses the rounded values too).
    size_t const elementSize = half ? 2 : 4;
    auto upload = [&](std::vector<float>& host, DeviceBuffer& device)
    {
        if (half)
        {
            std::vector<uint16_t> bits(host.size());
            for (size_t i = 0; i < host.size(); ++i)
            {
                bits[i] = halfBits(host[i]);
                host[i] = fromHalfBits(bits[i]);
            }
            return cudaMemcpy(device.get(), bits.data(), bits.size() * 2, cudaMemcpyHostToDevice);
        }
        return cudaMemcpy(device.get(), host.data(), host.size() * 4, cudaMemcpyHostToDevice);
    };
    DeviceBuffer dq(q.size() * elementSize);
    DeviceBuffer dk(k.size() * elementSize);
    DeviceBuffer dv(v.size() * elementSize);
    DeviceBuffer db(bias.size() * elementSize);
    DeviceBuffer dout(static_cast<size_t>(outCount) * elementSize);
    DeviceBuffer dscale(sizeof(float));
    ASSERT_EQ(upload(q, dq), cudaSuccess);
    ASSERT_EQ(upload(k, dk), cudaSuccess);
    ASSERT_EQ(upload(v, dv), cudaSuccess);
    if (!bias.empty())
    {
        ASSERT_EQ(upload(bias, db), cudaSuccess);
    }
    ASSERT_EQ(cudaMemcpy(dscale.get(), &c.scaleValue, sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);

    CudaPointers pointers;
    pointers.q = dq.get();
    pointers.k = dk.get();
    pointers.v = dv.get();
    pointers.bias = db.get();
    pointers.scale = static_cast<float const*>(dscale.get());
    pointers.out = dout.get();
    ASSERT_EQ(launchFusedAttention(problem, pointers, nullptr), cudaSuccess);
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);

    std::vector<float> gpu(static_cast<size_t>(outCount));
    if (half)
    {
        std::vector<uint16_t> bits(gpu.size());
        ASSERT_EQ(cudaMemcpy(bits.data(), dout.get(), bits.size() * 2, cudaMemcpyDeviceToHost), cudaSuccess);
        for (size_t i = 0; i < gpu.size(); ++i)
        {
            gpu[i] = fromHalfBits(bits[i]);
        }
    }
    else
    {
        ASSERT_EQ(cudaMemcpy(gpu.data(), dout.get(), gpu.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
    }

    AttentionProblem reference = problem;
    reference.type = ElementType::kFLOAT32;
    std::vector<float> expected(static_cast<size_t>(outCount));
    CpuPointers host;
    host.q = q.data();
    host.k = k.data();
    host.v = v.data();
    host.bias = bias.data();
    host.scale = &c.scaleValue;
    host.out = expected.data();
    referenceAttention(reference, host);
    double const error = relativeL2(gpu, expected);
    EXPECT_LT(error, half ? 2e-3 : 1e-5) << c.name << (half ? " float16" : " float32");
}

INSTANTIATE_TEST_SUITE_P(Regimes, CudaFusedAttention,
    ::testing::Combine(::testing::ValuesIn(gpuCases()), ::testing::Bool()),
    [](::testing::TestParamInfo<std::tuple<GpuCase, bool>> const& info)
    { return std::get<0>(info.param).name + (std::get<1>(info.param) ? "_fp16" : "_fp32"); });

TEST(CudaFusedAttentionLimits, HeadDimensionsAbove128AreRefusedWithoutLaunching)
{
    AttentionProblem problem;
    ASSERT_EQ(describe(bhnd({1, 4, 200}, {1, 4, 200}, {1, 4, 200}), problem), "");
    EXPECT_NE(checkCudaSupport(problem).find("up to 128"), std::string::npos);
    EXPECT_EQ(launchFusedAttention(problem, CudaPointers{}, nullptr), cudaErrorInvalidValue);
}

} // namespace
} // namespace srd::fa::testing
