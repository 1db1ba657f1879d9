using Onnx;

namespace SuperRes.Deploy.Engines.Onnx;

/// <summary>
/// Cheap structural checks that tell an ONNX model from other protobuf messages. Protobuf parsing accepts any message
/// whose fields happen to decode (a TensorProto parses as a ModelProto with unknown fields), so a model must at least
/// have a graph, an IR version and an operator set.
/// </summary>
internal static class OnnxModelChecks
{
    public static void EnsureLooksLikeOnnx(ModelProto proto, string path)
    {
        if (proto.Graph is null)
        {
            throw DeployException.BadInput($"{path} is not an ONNX model: the protobuf has no graph");
        }

        if (proto.IrVersion <= 0)
        {
            throw DeployException.BadInput($"{path} is not an ONNX model: it has no IR version");
        }

        if (proto.OpsetImport.Count == 0)
        {
            throw DeployException.BadInput($"{path} is not a valid ONNX model: it imports no operator set");
        }
    }
}
