using Onnx;

namespace SuperRes.Deploy.Engines.Onnx;

/// <summary>Cheap structural checks that tell an ONNX model from other protobuf messages or empty files.</summary>
internal static class OnnxModelChecks
{
    public static void EnsureLooksLikeOnnx(ModelProto proto, string path)
    {
        if (proto.Graph is null)
        {
            throw DeployException.BadInput($"{path} does not contain an ONNX graph (not an ONNX model?)");
        }

        if (proto.IrVersion <= 0)
        {
            throw DeployException.BadInput($"{path} has no ONNX IR version (not an ONNX model?)");
        }

        if (proto.OpsetImport.Count == 0)
        {
            throw DeployException.BadInput($"{path} imports no operator set (not a valid ONNX model)");
        }
    }
}
