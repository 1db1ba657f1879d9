/*
 * A tiny ONNX model encoder for tests and benchmarks: writes ModelProto bytes directly in protobuf wire format
 * (field numbers from onnx.proto), so that test models are built in memory from code instead of being checked in.
 * On top of it, builders for the two models the fused-attention tests compare: one FusedAttention node, and the
 * equivalent unfused subgraph (ReduceL2/Max/Div normalisation, Transpose, MatMul, Mul, Add, Softmax, MatMul).
 */
#ifndef SRD_FUSED_ATTENTION_TESTS_ONNX_MODEL_BUILDER_H
#define SRD_FUSED_ATTENTION_TESTS_ONNX_MODEL_BUILDER_H

#include <cstdint>
#include <string>
#include <vector>

namespace srd::fa::testing
{

namespace onnx
{

struct Attribute
{
    enum class Kind
    {
        kFLOAT,
        kINT,
        kSTRING,
        kINTS,
    };
    std::string name;
    Kind kind{Kind::kINT};
    float f{0.F};
    int64_t i{0};
    std::string s;
    std::vector<int64_t> ints;

    static Attribute ofFloat(std::string name, float value);
    static Attribute ofInt(std::string name, int64_t value);
    static Attribute ofString(std::string name, std::string value);
    static Attribute ofInts(std::string name, std::vector<int64_t> values);
};

struct Node
{
    std::string opType;
    std::vector<std::string> inputs;
    std::vector<std::string> outputs;
    std::vector<Attribute> attributes;
    std::string domain;
    std::string name;
};

struct Initializer
{
    std::string name;
    int32_t type{1};
    std::vector<int64_t> dims;
    std::string raw; //!< Little-endian element bytes.

    static Initializer ofFloats(std::string name, std::vector<int64_t> dims, std::vector<float> const& values);
    static Initializer ofInt64s(std::string name, std::vector<int64_t> dims, std::vector<int64_t> const& values);
};

//! A graph input or output. A dim < 0 is written as a symbolic dim named by `params` (or "dim<i>").
struct ValueInfo
{
    std::string name;
    int32_t type{1};
    std::vector<int64_t> dims;
    std::vector<std::string> params;
    bool hasShape{true};
};

struct Graph
{
    std::string name{"graph"};
    std::vector<Node> nodes;
    std::vector<Initializer> initializers;
    std::vector<ValueInfo> inputs;
    std::vector<ValueInfo> outputs;
};

struct OpsetImport
{
    std::string domain;
    int64_t version;
};

//! ModelProto bytes (IR version 8).
std::string encodeModel(Graph const& graph, std::vector<OpsetImport> const& opsets);

} // namespace onnx

//! One attention configuration, expressed the way the FusedAttention node sees it.
struct AttentionModelSpec
{
    std::string inputLayout{"BHND"};
    std::string outputLayout; //!< Empty: not written (defaults to inputLayout).
    int64_t numHeads{0};      //!< Written when > 0.
    bool normalizeQk{false};
    float scaleAttribute{0.F}; //!< Written when != 0.
    bool scaleAsInput{false};  //!< A float32 scalar initializer "temperature" as input 4.
    float scaleInputValue{1.F};
    bool bias{false};            //!< Graph input "bias" of biasDims as input 3.
    bool writeHasFlags{false};   //!< Also write has_bias / has_scale_input.
    bool pluginAttributes{true}; //!< Write plugin_version / plugin_namespace (ignored by ORT, read by TensorRT).
    std::vector<int64_t> qDims, kDims, vDims, biasDims;
    bool symbolicInputs{false}; //!< Graph inputs declared with symbolic dims, shapes known only at run time.
    bool unrankedInputs{false}; //!< Graph inputs declared without any shape (any rank reaches the kernel).
    std::vector<onnx::Attribute> extraAttributes; //!< Appended to the FusedAttention node as is.
    int32_t elementType{1};                       //!< ONNX element type of Q/K/V/bias (1 float32).
    int32_t outputElementType{0};                 //!< Declared type of "out"; 0 = elementType.
};

//! Graph inputs are "q", "k", "v" (+ "bias"); the output is "out".
std::string buildFusedAttentionModel(AttentionModelSpec const& spec);
//! The same computation with standard ONNX ops (opset 17), for ORT's own kernels.
std::string buildUnfusedAttentionModel(AttentionModelSpec const& spec);

} // namespace srd::fa::testing

#endif // SRD_FUSED_ATTENTION_TESTS_ONNX_MODEL_BUILDER_H
