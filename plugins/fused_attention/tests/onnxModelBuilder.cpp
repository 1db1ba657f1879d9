#include "onnxModelBuilder.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace srd::fa::testing
{
namespace onnx
{
namespace
{

//! Protobuf wire-format writer (varint, fixed32, length-delimited).
class Writer
{
public:
    void varint(uint64_t value)
    {
        while (value >= 0x80)
        {
            mBytes.push_back(static_cast<char>((value & 0x7F) | 0x80));
            value >>= 7;
        }
        mBytes.push_back(static_cast<char>(value));
    }
    void tag(uint32_t field, uint32_t wireType)
    {
        varint((static_cast<uint64_t>(field) << 3) | wireType);
    }
    void int64Field(uint32_t field, int64_t value)
    {
        tag(field, 0);
        varint(static_cast<uint64_t>(value));
    }
    void floatField(uint32_t field, float value)
    {
        tag(field, 5);
        uint32_t bits = 0;
        std::memcpy(&bits, &value, sizeof(bits));
        for (int32_t i = 0; i < 4; ++i)
        {
            mBytes.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
        }
    }
    void bytesField(uint32_t field, std::string const& bytes)
    {
        tag(field, 2);
        varint(bytes.size());
        mBytes += bytes;
    }
    void messageField(uint32_t field, Writer const& message)
    {
        bytesField(field, message.mBytes);
    }
    std::string const& bytes() const
    {
        return mBytes;
    }

private:
    std::string mBytes;
};

// Field numbers from onnx.proto.
namespace model
{
constexpr uint32_t kIR_VERSION = 1, kPRODUCER_NAME = 2, kGRAPH = 7, kOPSET_IMPORT = 8;
}
namespace opset
{
constexpr uint32_t kDOMAIN = 1, kVERSION = 2;
}
namespace graph
{
constexpr uint32_t kNODE = 1, kNAME = 2, kINITIALIZER = 5, kINPUT = 11, kOUTPUT = 12;
}
namespace node
{
constexpr uint32_t kINPUT = 1, kOUTPUT = 2, kNAME = 3, kOP_TYPE = 4, kATTRIBUTE = 5, kDOMAIN = 7;
}
namespace attribute
{
constexpr uint32_t kNAME = 1, kF = 2, kI = 3, kS = 4, kINTS = 8, kTYPE = 20;
constexpr int64_t kTYPE_FLOAT = 1, kTYPE_INT = 2, kTYPE_STRING = 3, kTYPE_INTS = 7;
} // namespace attribute
namespace tensor
{
constexpr uint32_t kDIMS = 1, kDATA_TYPE = 2, kNAME = 8, kRAW_DATA = 9;
}
namespace value_info
{
constexpr uint32_t kNAME = 1, kTYPE = 2;
}
namespace type_proto
{
constexpr uint32_t kTENSOR_TYPE = 1, kELEM_TYPE = 1, kSHAPE = 2, kDIM = 1, kDIM_VALUE = 1, kDIM_PARAM = 2;
}

Writer encodeAttribute(Attribute const& a)
{
    Writer w;
    w.bytesField(attribute::kNAME, a.name);
    switch (a.kind)
    {
    case Attribute::Kind::kFLOAT:
        w.floatField(attribute::kF, a.f);
        w.int64Field(attribute::kTYPE, attribute::kTYPE_FLOAT);
        break;
    case Attribute::Kind::kINT:
        w.int64Field(attribute::kI, a.i);
        w.int64Field(attribute::kTYPE, attribute::kTYPE_INT);
        break;
    case Attribute::Kind::kSTRING:
        w.bytesField(attribute::kS, a.s);
        w.int64Field(attribute::kTYPE, attribute::kTYPE_STRING);
        break;
    case Attribute::Kind::kINTS:
        for (int64_t value : a.ints)
        {
            w.int64Field(attribute::kINTS, value);
        }
        w.int64Field(attribute::kTYPE, attribute::kTYPE_INTS);
        break;
    }
    return w;
}

Writer encodeNode(Node const& n)
{
    Writer w;
    for (std::string const& input : n.inputs)
    {
        w.bytesField(node::kINPUT, input);
    }
    for (std::string const& output : n.outputs)
    {
        w.bytesField(node::kOUTPUT, output);
    }
    if (!n.name.empty())
    {
        w.bytesField(node::kNAME, n.name);
    }
    w.bytesField(node::kOP_TYPE, n.opType);
    for (Attribute const& a : n.attributes)
    {
        w.messageField(node::kATTRIBUTE, encodeAttribute(a));
    }
    if (!n.domain.empty())
    {
        w.bytesField(node::kDOMAIN, n.domain);
    }
    return w;
}

Writer encodeInitializer(Initializer const& t)
{
    Writer w;
    for (int64_t dim : t.dims)
    {
        w.int64Field(tensor::kDIMS, dim);
    }
    w.int64Field(tensor::kDATA_TYPE, t.type);
    w.bytesField(tensor::kNAME, t.name);
    w.bytesField(tensor::kRAW_DATA, t.raw);
    return w;
}

Writer encodeValueInfo(ValueInfo const& v)
{
    Writer tensorType;
    tensorType.int64Field(type_proto::kELEM_TYPE, v.type);
    if (v.hasShape)
    {
        Writer shape;
        for (size_t i = 0; i < v.dims.size(); ++i)
        {
            Writer dim;
            if (v.dims[i] >= 0)
            {
                dim.int64Field(type_proto::kDIM_VALUE, v.dims[i]);
            }
            else
            {
                dim.bytesField(type_proto::kDIM_PARAM,
                    i < v.params.size() && !v.params[i].empty() ? v.params[i] : v.name + "_dim" + std::to_string(i));
            }
            shape.messageField(type_proto::kDIM, dim);
        }
        tensorType.messageField(type_proto::kSHAPE, shape);
    }
    Writer type;
    type.messageField(type_proto::kTENSOR_TYPE, tensorType);
    Writer w;
    w.bytesField(value_info::kNAME, v.name);
    w.messageField(value_info::kTYPE, type);
    return w;
}

} // namespace

Attribute Attribute::ofFloat(std::string name, float value)
{
    Attribute a;
    a.name = std::move(name);
    a.kind = Kind::kFLOAT;
    a.f = value;
    return a;
}

Attribute Attribute::ofInt(std::string name, int64_t value)
{
    Attribute a;
    a.name = std::move(name);
    a.kind = Kind::kINT;
    a.i = value;
    return a;
}

Attribute Attribute::ofString(std::string name, std::string value)
{
    Attribute a;
    a.name = std::move(name);
    a.kind = Kind::kSTRING;
    a.s = std::move(value);
    return a;
}

Attribute Attribute::ofInts(std::string name, std::vector<int64_t> values)
{
    Attribute a;
    a.name = std::move(name);
    a.kind = Kind::kINTS;
    a.ints = std::move(values);
    return a;
}

Initializer Initializer::ofFloats(std::string name, std::vector<int64_t> dims, std::vector<float> const& values)
{
    Initializer t;
    t.name = std::move(name);
    t.type = 1;
    t.dims = std::move(dims);
    t.raw.resize(values.size() * sizeof(float));
    if (!values.empty())
    {
        std::memcpy(&t.raw[0], values.data(), t.raw.size());
    }
    return t;
}

Initializer Initializer::ofInt64s(std::string name, std::vector<int64_t> dims, std::vector<int64_t> const& values)
{
    Initializer t;
    t.name = std::move(name);
    t.type = 7;
    t.dims = std::move(dims);
    t.raw.resize(values.size() * sizeof(int64_t));
    if (!values.empty())
    {
        std::memcpy(&t.raw[0], values.data(), t.raw.size());
    }
    return t;
}

std::string encodeModel(Graph const& g, std::vector<OpsetImport> const& opsets)
{
    Writer graphWriter;
    for (Node const& n : g.nodes)
    {
        graphWriter.messageField(graph::kNODE, encodeNode(n));
    }
    graphWriter.bytesField(graph::kNAME, g.name);
    for (Initializer const& t : g.initializers)
    {
        graphWriter.messageField(graph::kINITIALIZER, encodeInitializer(t));
    }
    for (ValueInfo const& v : g.inputs)
    {
        graphWriter.messageField(graph::kINPUT, encodeValueInfo(v));
    }
    for (ValueInfo const& v : g.outputs)
    {
        graphWriter.messageField(graph::kOUTPUT, encodeValueInfo(v));
    }
    Writer m;
    m.int64Field(model::kIR_VERSION, 8);
    m.bytesField(model::kPRODUCER_NAME, "srd_fa_tests");
    for (OpsetImport const& o : opsets)
    {
        Writer w;
        w.bytesField(opset::kDOMAIN, o.domain);
        w.int64Field(opset::kVERSION, o.version);
        m.messageField(model::kOPSET_IMPORT, w);
    }
    m.messageField(model::kGRAPH, graphWriter);
    return m.bytes();
}

} // namespace onnx

namespace
{

constexpr char const* kDOMAIN = "com.superres.deploy";

onnx::ValueInfo input(
    std::string const& name, int32_t type, std::vector<int64_t> const& dims, bool symbolic, bool unranked = false)
{
    onnx::ValueInfo v;
    v.name = name;
    v.type = type;
    v.dims = dims;
    v.hasShape = !unranked;
    if (symbolic)
    {
        for (int64_t& dim : v.dims)
        {
            dim = -1;
        }
    }
    return v;
}

void addGraphInputs(onnx::Graph& g, AttentionModelSpec const& spec)
{
    g.inputs.push_back(input("q", spec.elementType, spec.qDims, spec.symbolicInputs, spec.unrankedInputs));
    g.inputs.push_back(input("k", spec.elementType, spec.kDims, spec.symbolicInputs, spec.unrankedInputs));
    g.inputs.push_back(input("v", spec.elementType, spec.vDims, spec.symbolicInputs, spec.unrankedInputs));
    if (spec.bias)
    {
        g.inputs.push_back(input("bias", spec.elementType, spec.biasDims, spec.symbolicInputs, spec.unrankedInputs));
    }
    if (spec.scaleAsInput)
    {
        g.initializers.push_back(onnx::Initializer::ofFloats("temperature", {}, {spec.scaleInputValue}));
    }
    onnx::ValueInfo out;
    out.name = "out";
    out.type = spec.outputElementType != 0 ? spec.outputElementType : spec.elementType;
    out.hasShape = false;
    g.outputs.push_back(out);
}

} // namespace

std::string buildFusedAttentionModel(AttentionModelSpec const& spec)
{
    onnx::Graph g;
    g.name = "fused_attention";
    addGraphInputs(g, spec);
    onnx::Node n;
    n.opType = "FusedAttention";
    n.domain = kDOMAIN;
    n.name = "attention0";
    n.inputs = {"q", "k", "v"};
    if (spec.bias || spec.scaleAsInput)
    {
        n.inputs.push_back(spec.bias ? "bias" : "");
    }
    if (spec.scaleAsInput)
    {
        n.inputs.push_back("temperature");
    }
    n.outputs = {"out"};
    n.attributes.push_back(onnx::Attribute::ofString("input_layout", spec.inputLayout));
    if (!spec.outputLayout.empty())
    {
        n.attributes.push_back(onnx::Attribute::ofString("output_layout", spec.outputLayout));
    }
    if (spec.numHeads > 0)
    {
        n.attributes.push_back(onnx::Attribute::ofInt("num_heads", spec.numHeads));
    }
    if (spec.normalizeQk)
    {
        n.attributes.push_back(onnx::Attribute::ofInt("normalize_qk", 1));
    }
    if (spec.scaleAttribute != 0.F)
    {
        n.attributes.push_back(onnx::Attribute::ofFloat("scale", spec.scaleAttribute));
    }
    if (spec.writeHasFlags)
    {
        n.attributes.push_back(onnx::Attribute::ofInt("has_bias", spec.bias ? 1 : 0));
        n.attributes.push_back(onnx::Attribute::ofInt("has_scale_input", spec.scaleAsInput ? 1 : 0));
    }
    if (spec.pluginAttributes)
    {
        n.attributes.push_back(onnx::Attribute::ofString("plugin_version", "1"));
        n.attributes.push_back(onnx::Attribute::ofString("plugin_namespace", ""));
    }
    for (onnx::Attribute const& a : spec.extraAttributes)
    {
        n.attributes.push_back(a);
    }
    g.nodes.push_back(n);
    return onnx::encodeModel(g, {{"", 17}, {kDOMAIN, 1}});
}

std::string buildUnfusedAttentionModel(AttentionModelSpec const& spec)
{
    onnx::Graph g;
    g.name = "unfused_attention";
    addGraphInputs(g, spec);
    int32_t counter = 0;
    auto fresh = [&](char const* stem) { return std::string(stem) + "_" + std::to_string(counter++); };
    auto add = [&](std::string opType, std::vector<std::string> inputs, std::vector<onnx::Attribute> attributes = {})
    {
        onnx::Node n;
        n.opType = std::move(opType);
        n.inputs = std::move(inputs);
        n.outputs = {fresh("t")};
        n.attributes = std::move(attributes);
        g.nodes.push_back(n);
        return n.outputs[0];
    };
    std::string const& layout = spec.inputLayout;
    std::string const outLayout = spec.outputLayout.empty() ? layout : spec.outputLayout;
    size_t const rank = spec.qDims.size();
    int64_t headDim = spec.qDims.back();
    if (layout == "BNC")
    {
        headDim /= spec.numHeads;
        g.initializers.push_back(onnx::Initializer::ofInt64s("split_heads", {4}, {0, 0, spec.numHeads, -1}));
    }
    // To [batch..., N, d].
    auto toBhnd = [&](std::string const& name)
    {
        if (layout == "BHND")
        {
            return name;
        }
        std::string x = name;
        if (layout == "BNC")
        {
            x = add("Reshape", {x, "split_heads"});
        }
        return add("Transpose", {x}, {onnx::Attribute::ofInts("perm", {0, 2, 1, 3})});
    };
    std::string q = toBhnd("q");
    std::string k = toBhnd("k");
    std::string const v = toBhnd("v");
    size_t const workRank = layout == "BHND" ? rank : 4;
    if (spec.normalizeQk)
    {
        g.initializers.push_back(onnx::Initializer::ofFloats("eps", {}, {1e-12F}));
        auto normalize = [&](std::string const& x)
        {
            std::string const norm =
                add("ReduceL2", {x}, {onnx::Attribute::ofInts("axes", {-1}), onnx::Attribute::ofInt("keepdims", 1)});
            std::string const clamped = add("Max", {norm, "eps"});
            return add("Div", {x, clamped});
        };
        q = normalize(q);
        k = normalize(k);
    }
    std::vector<int64_t> perm;
    for (size_t i = 0; i + 2 < workRank; ++i)
    {
        perm.push_back(static_cast<int64_t>(i));
    }
    perm.push_back(static_cast<int64_t>(workRank - 1));
    perm.push_back(static_cast<int64_t>(workRank - 2));
    std::string const kt = add("Transpose", {k}, {onnx::Attribute::ofInts("perm", perm)});
    std::string scores = add("MatMul", {q, kt});
    if (spec.scaleAsInput)
    {
        scores = add("Mul", {scores, "temperature"});
    }
    else
    {
        float const scale = spec.scaleAttribute != 0.F
                                ? spec.scaleAttribute
                                : static_cast<float>(1.0 / std::sqrt(static_cast<double>(headDim)));
        g.initializers.push_back(onnx::Initializer::ofFloats("scale", {}, {scale}));
        scores = add("Mul", {scores, "scale"});
    }
    if (spec.bias)
    {
        scores = add("Add", {scores, "bias"});
    }
    std::string const probabilities = add("Softmax", {scores}, {onnx::Attribute::ofInt("axis", -1)});
    std::string out = add("MatMul", {probabilities, v});
    if (outLayout != "BHND")
    {
        if (workRank == 3)
        {
            if (outLayout == "BNHD")
            {
                g.initializers.push_back(onnx::Initializer::ofInt64s("one_head", {4}, {0, 0, 1, -1}));
                out = add("Reshape", {out, "one_head"});
            }
        }
        else
        {
            out = add("Transpose", {out}, {onnx::Attribute::ofInts("perm", {0, 2, 1, 3})});
            if (outLayout == "BNC")
            {
                g.initializers.push_back(onnx::Initializer::ofInt64s("merge_heads", {3}, {0, 0, -1}));
                out = add("Reshape", {out, "merge_heads"});
            }
        }
    }
    onnx::Node identity;
    identity.opType = "Identity";
    identity.inputs = {out};
    identity.outputs = {"out"};
    g.nodes.push_back(identity);
    return onnx::encodeModel(g, {{"", 17}});
}

} // namespace srd::fa::testing
