/*
 * The TensorRT plugin's host logic against TensorRT's real public headers: plugin fields as the ONNX parser passes
 * them (INT narrowed to int32, strings without a NUL), serialisation round trip, format rules, input roles, shape
 * validation in configurePlugin / onShapeChange / enqueue with the message logged through TensorRT's logger, and the
 * loadable library's entry points. The CUDA launch is a test double (cudaLauncherDouble.h); no GPU or TensorRT
 * library is needed. Built only when SRD_TENSORRT_INCLUDE_DIR is set.
 */
#include "fusedAttentionPlugin.h"
#include "cudaLauncherDouble.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

extern "C" void setLoggerFinder(nvinfer1::ILoggerFinder* finder);
extern "C" nvinfer1::IPluginCreatorInterface* const* getCreators(int32_t& nbCreators);

namespace srd::fa::testing
{
namespace
{

using nvinfer1::DataType;
using nvinfer1::PluginField;
using nvinfer1::PluginFieldCollection;
using nvinfer1::PluginFieldType;
using nvinfer1::PluginTensorDesc;
using nvinfer1::TensorFormat;
using nvinfer1::TensorRTPhase;

class CapturingLogger final : public nvinfer1::ILogger
{
public:
    void log(Severity /*severity*/, nvinfer1::AsciiChar const* message) noexcept override
    {
        mMessages.emplace_back(message);
    }
    std::string all() const
    {
        std::string text;
        for (std::string const& message : mMessages)
        {
            text += message + "\n";
        }
        return text;
    }
    void clear()
    {
        mMessages.clear();
    }

private:
    std::vector<std::string> mMessages;
};

class LoggerFinder final : public nvinfer1::ILoggerFinder
{
public:
    nvinfer1::ILogger* findLogger() override
    {
        return &mLogger;
    }
    CapturingLogger mLogger;
};

class TensorRtPlugin : public ::testing::Test
{
protected:
    void SetUp() override
    {
        static LoggerFinder finder;
        mFinder = &finder;
        mFinder->mLogger.clear();
        setLoggerFinder(mFinder);
        gLastLaunch = LaunchRecord{};
    }
    std::string logged() const
    {
        return mFinder->mLogger.all();
    }
    LoggerFinder* mFinder{nullptr};
    trt::FusedAttentionPluginCreator mCreator;
};

PluginTensorDesc desc(std::vector<int64_t> const& dims, DataType type = DataType::kFLOAT)
{
    PluginTensorDesc d{};
    d.dims.nbDims = static_cast<int32_t>(dims.size());
    for (size_t i = 0; i < dims.size(); ++i)
    {
        d.dims.d[i] = dims[i];
    }
    d.type = type;
    d.format = TensorFormat::kLINEAR;
    d.scale = 1.F;
    return d;
}

std::unique_ptr<trt::FusedAttentionPlugin> create(
    trt::FusedAttentionPluginCreator& creator, std::vector<PluginField> const& fields)
{
    PluginFieldCollection collection{};
    collection.nbFields = static_cast<int32_t>(fields.size());
    collection.fields = fields.data();
    return std::unique_ptr<trt::FusedAttentionPlugin>(
        static_cast<trt::FusedAttentionPlugin*>(creator.createPlugin("attn0", &collection, TensorRTPhase::kBUILD)));
}

TEST_F(TensorRtPlugin, CreatorAdvertisesTheOpNameVersionAndAttributeFields)
{
    EXPECT_STREQ(mCreator.getPluginName(), "FusedAttention");
    EXPECT_STREQ(mCreator.getPluginVersion(), "1");
    EXPECT_STREQ(mCreator.getPluginNamespace(), "");
    PluginFieldCollection const* fields = mCreator.getFieldNames();
    std::vector<std::string> names;
    for (int32_t i = 0; i < fields->nbFields; ++i)
    {
        names.emplace_back(fields->fields[i].name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"scale", "normalize_qk", "num_heads", "has_bias", "has_scale_input",
                         "input_layout", "output_layout"}));
}

TEST_F(TensorRtPlugin, TakesFieldsAsTheOnnxParserPassesThem)
{
    int32_t const heads = 4;
    int32_t const normalize = 1;
    float const scale = 0.25F;
    char const layout[] = {'B', 'N', 'C'}; // kCHAR, length = string size, no NUL.
    auto plugin = create(mCreator, {PluginField("num_heads", &heads, PluginFieldType::kINT32, 1),
                                       PluginField("normalize_qk", &normalize, PluginFieldType::kINT32, 1),
                                       PluginField("scale", &scale, PluginFieldType::kFLOAT32, 1),
                                       PluginField("input_layout", layout, PluginFieldType::kCHAR, 3)});
    ASSERT_NE(plugin, nullptr) << logged();
    EXPECT_EQ(plugin->attributes().numHeads, 4);
    EXPECT_EQ(plugin->attributes().normalizeQk, 1);
    EXPECT_FLOAT_EQ(plugin->attributes().scale, 0.25F);
    EXPECT_EQ(plugin->attributes().inputLayout, Layout::kBNC);
    EXPECT_EQ(plugin->attributes().outputLayout, Layout::kBNC) << "output_layout defaults to input_layout";
}

TEST_F(TensorRtPlugin, AcceptsOtherIntegerAndFloatWidths)
{
    int64_t const heads = 6;
    uint16_t const halfQuarter = 0x3400; // 0.25 in float16.
    int8_t const hasBias = 0;
    auto plugin = create(mCreator, {PluginField("num_heads", &heads, PluginFieldType::kINT64, 1),
                                       PluginField("scale", &halfQuarter, PluginFieldType::kFLOAT16, 1),
                                       PluginField("has_bias", &hasBias, PluginFieldType::kINT8, 1)});
    ASSERT_NE(plugin, nullptr) << logged();
    EXPECT_EQ(plugin->attributes().numHeads, 6);
    EXPECT_FLOAT_EQ(plugin->attributes().scale, 0.25F);
    EXPECT_EQ(plugin->attributes().hasBias, 0);
}

TEST_F(TensorRtPlugin, RejectsBadFieldsAndLogsWhy)
{
    char const layout[] = "XYZ";
    EXPECT_EQ(create(mCreator, {PluginField("input_layout", layout, PluginFieldType::kCHAR, 4)}), nullptr);
    EXPECT_NE(logged().find("node 'attn0': field input_layout must be BHND, BNHD or BNC, got 'XYZ'"), std::string::npos)
        << logged();
    int32_t const normalize = 7;
    EXPECT_EQ(create(mCreator, {PluginField("normalize_qk", &normalize, PluginFieldType::kINT32, 1)}), nullptr);
    EXPECT_NE(logged().find("normalize_qk must be 0 or 1, got 7"), std::string::npos) << logged();
    float const scale = 1.F;
    EXPECT_EQ(create(mCreator, {PluginField("num_heads", &scale, PluginFieldType::kFLOAT32, 1)}), nullptr);
    EXPECT_NE(logged().find("field num_heads must be an integer"), std::string::npos) << logged();
}

TEST_F(TensorRtPlugin, SerializedFieldsRecreateTheSamePlugin)
{
    int32_t const heads = 8;
    int32_t const hasScale = 1;
    char const in[] = "BNHD";
    char const out[] = "BHND";
    auto plugin = create(mCreator, {PluginField("num_heads", &heads, PluginFieldType::kINT32, 1),
                                       PluginField("has_scale_input", &hasScale, PluginFieldType::kINT32, 1),
                                       PluginField("input_layout", in, PluginFieldType::kCHAR, 5),
                                       PluginField("output_layout", out, PluginFieldType::kCHAR, 5)});
    ASSERT_NE(plugin, nullptr);
    PluginFieldCollection const* serialized = plugin->getFieldsToSerialize();
    ASSERT_NE(serialized, nullptr);
    std::unique_ptr<trt::FusedAttentionPlugin> restored(
        static_cast<trt::FusedAttentionPlugin*>(mCreator.createPlugin("attn0", serialized, TensorRTPhase::kRUNTIME)));
    ASSERT_NE(restored, nullptr) << logged();
    Attributes const& a = plugin->attributes();
    Attributes const& b = restored->attributes();
    EXPECT_EQ(a.numHeads, b.numHeads);
    EXPECT_EQ(a.hasScaleInput, b.hasScaleInput);
    EXPECT_EQ(a.inputLayout, b.inputLayout);
    EXPECT_EQ(a.outputLayout, b.outputLayout);
    EXPECT_FLOAT_EQ(a.scale, b.scale);
    std::unique_ptr<nvinfer1::IPluginV3> clone(plugin->clone());
    ASSERT_NE(clone, nullptr);
    EXPECT_EQ(static_cast<trt::FusedAttentionPlugin*>(clone.get())->attributes().outputLayout, Layout::kBHND);
}

TEST_F(TensorRtPlugin, FormatsAreLinearFp32OrFp16WithAFloat32ScaleTensor)
{
    int32_t const hasScale = 1;
    auto plugin = create(mCreator, {PluginField("has_scale_input", &hasScale, PluginFieldType::kINT32, 1)});
    ASSERT_NE(plugin, nullptr);
    std::vector<nvinfer1::DynamicPluginTensorDesc> io(5);
    auto set = [&](int32_t pos, DataType type, TensorFormat format = TensorFormat::kLINEAR)
    {
        io[static_cast<size_t>(pos)].desc.type = type;
        io[static_cast<size_t>(pos)].desc.format = format;
    };
    // Inputs Q, K, V, scale (has_scale_input = 1 with four inputs), then the output.
    set(0, DataType::kHALF);
    EXPECT_TRUE(plugin->supportsFormatCombination(0, io.data(), 4, 1));
    set(0, DataType::kINT8);
    EXPECT_FALSE(plugin->supportsFormatCombination(0, io.data(), 4, 1));
    set(0, DataType::kHALF, TensorFormat::kHWC8);
    EXPECT_FALSE(plugin->supportsFormatCombination(0, io.data(), 4, 1));
    set(0, DataType::kHALF);
    set(1, DataType::kHALF);
    EXPECT_TRUE(plugin->supportsFormatCombination(1, io.data(), 4, 1));
    set(1, DataType::kFLOAT);
    EXPECT_FALSE(plugin->supportsFormatCombination(1, io.data(), 4, 1)) << "K must follow Q's type";
    set(3, DataType::kFLOAT);
    EXPECT_TRUE(plugin->supportsFormatCombination(3, io.data(), 4, 1)) << "the scale tensor is float32";
    set(3, DataType::kHALF);
    EXPECT_FALSE(plugin->supportsFormatCombination(3, io.data(), 4, 1));
    set(4, DataType::kHALF);
    EXPECT_TRUE(plugin->supportsFormatCombination(4, io.data(), 4, 1));
}

TEST_F(TensorRtPlugin, FourthInputIsTheBiasUnlessTheFlagsSayScale)
{
    Attributes a;
    EXPECT_EQ(trt::resolveInputRoles(a, 4).bias, 3);
    a.hasScaleInput = 1;
    EXPECT_EQ(trt::resolveInputRoles(a, 4).scale, 3);
    a = Attributes{};
    a.hasBias = 0;
    EXPECT_EQ(trt::resolveInputRoles(a, 4).scale, 3);
    EXPECT_EQ(trt::resolveInputRoles(a, 5).bias, 3);
    EXPECT_EQ(trt::resolveInputRoles(a, 5).scale, 4);
    EXPECT_FALSE(trt::resolveInputRoles(a, 2).valid);
}

TEST_F(TensorRtPlugin, EnqueueLaunchesWithTheResolvedInputs)
{
    int32_t const hasScale = 1;
    int32_t const hasBias = 0;
    int32_t const normalize = 1;
    auto plugin = create(mCreator, {PluginField("has_scale_input", &hasScale, PluginFieldType::kINT32, 1),
                                       PluginField("has_bias", &hasBias, PluginFieldType::kINT32, 1),
                                       PluginField("normalize_qk", &normalize, PluginFieldType::kINT32, 1)});
    ASSERT_NE(plugin, nullptr);
    std::vector<PluginTensorDesc> in{desc({1024, 60, 64}, DataType::kHALF), desc({1024, 60, 64}, DataType::kHALF),
        desc({1024, 60, 64}, DataType::kHALF), desc({}, DataType::kFLOAT)};
    PluginTensorDesc const out = desc({1024, 60, 64}, DataType::kHALF);
    ASSERT_EQ(plugin->onShapeChange(in.data(), 4, &out, 1), 0) << logged();
    int q = 0, k = 0, v = 0, scale = 0, o = 0;
    void const* inputs[] = {&q, &k, &v, &scale};
    void* outputs[] = {&o};
    ASSERT_EQ(plugin->enqueue(in.data(), &out, inputs, outputs, nullptr, nullptr), 0) << logged();
    EXPECT_EQ(gLastLaunch.launches, 1);
    EXPECT_EQ(gLastLaunch.pointers.q, &q);
    EXPECT_EQ(gLastLaunch.pointers.bias, nullptr);
    EXPECT_EQ(static_cast<void const*>(gLastLaunch.pointers.scale), &scale);
    EXPECT_EQ(gLastLaunch.pointers.out, &o);
    EXPECT_TRUE(gLastLaunch.problem.hasScaleInput);
    EXPECT_TRUE(gLastLaunch.problem.normalizeQk);
    EXPECT_EQ(gLastLaunch.problem.type, ElementType::kFLOAT16);
    EXPECT_EQ(gLastLaunch.problem.numBatch, 1024);
}

TEST_F(TensorRtPlugin, EnqueueRejectsBadShapesWithoutLaunchingAndLogsWhy)
{
    auto plugin = create(mCreator, {});
    ASSERT_NE(plugin, nullptr);
    std::vector<PluginTensorDesc> in{desc({2, 4, 10, 64}), desc({2, 4, 12, 32}), desc({2, 4, 12, 64})};
    PluginTensorDesc const out = desc({2, 4, 10, 64});
    int dummy = 0;
    void const* inputs[] = {&dummy, &dummy, &dummy};
    void* outputs[] = {&dummy};
    EXPECT_EQ(plugin->enqueue(in.data(), &out, inputs, outputs, nullptr, nullptr), -1);
    EXPECT_EQ(gLastLaunch.launches, 0);
    EXPECT_NE(logged().find("K's head dimension 32 differs from Q's 64"), std::string::npos) << logged();

    mFinder->mLogger.clear();
    std::vector<PluginTensorDesc> wide{desc({1, 4, 200}), desc({1, 4, 200}), desc({1, 4, 200})};
    EXPECT_EQ(plugin->onShapeChange(wide.data(), 3, &out, 1), -1);
    EXPECT_NE(logged().find("head dimensions up to 128"), std::string::npos) << logged();

    mFinder->mLogger.clear();
    std::vector<PluginTensorDesc> mixed{desc({1, 4, 8}, DataType::kHALF), desc({1, 4, 8}), desc({1, 4, 8})};
    EXPECT_EQ(plugin->onShapeChange(mixed.data(), 3, &out, 1), -1);
    EXPECT_NE(logged().find("K must have Q's element type float16, got float32"), std::string::npos) << logged();
}

TEST_F(TensorRtPlugin, ConfigureAcceptsDynamicDimsAndRejectsKnownMismatches)
{
    auto plugin = create(mCreator, {});
    ASSERT_NE(plugin, nullptr);
    std::vector<nvinfer1::DynamicPluginTensorDesc> in(3);
    in[0].desc = desc({-1, 8, -1, 18});
    in[1].desc = desc({-1, 8, -1, 18});
    in[2].desc = desc({-1, 8, -1, 18});
    nvinfer1::DynamicPluginTensorDesc out{};
    out.desc = desc({-1, 8, -1, 18});
    EXPECT_EQ(plugin->configurePlugin(in.data(), 3, &out, 1), 0) << logged();
    in[1].desc = desc({-1, 8, -1, 16});
    EXPECT_EQ(plugin->configurePlugin(in.data(), 3, &out, 1), -1);
    EXPECT_NE(logged().find("K's head dimension 16 differs from Q's 18"), std::string::npos) << logged();
}

TEST_F(TensorRtPlugin, LoadableLibraryEntryPointsHandOutOneFusedAttentionCreator)
{
    int32_t count = 0;
    nvinfer1::IPluginCreatorInterface* const* creators = getCreators(count);
    ASSERT_EQ(count, 1);
    auto* creator = dynamic_cast<nvinfer1::IPluginCreatorV3One*>(creators[0]);
    ASSERT_NE(creator, nullptr);
    EXPECT_STREQ(creator->getPluginName(), "FusedAttention");
    EXPECT_STREQ(creator->getPluginVersion(), "1");
}

} // namespace
} // namespace srd::fa::testing
