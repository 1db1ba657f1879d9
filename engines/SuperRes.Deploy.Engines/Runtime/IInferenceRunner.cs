namespace SuperRes.Deploy.Engines.Runtime;

/// <summary>
/// A loaded model that maps named input tensors to named output tensors, whatever the backend (ONNX Runtime on the CPU,
/// a TensorRT engine...). Validation compares runners through this interface only.
/// </summary>
public interface IInferenceRunner : IDisposable
{
    /// <summary>The backend's name for reports (e.g. "onnxruntime").</summary>
    string BackendName { get; }

    /// <summary>The model's inputs, in model order.</summary>
    IReadOnlyList<TensorInfo> Inputs { get; }

    /// <summary>The model's outputs, in model order.</summary>
    IReadOnlyList<TensorInfo> Outputs { get; }

    /// <summary>
    /// Runs the model on <paramref name="inputs"/> (one tensor per model input, by name) and returns every output by name.
    /// </summary>
    /// <exception cref="DeployException">The inputs do not match the model (kind BadInput), or the backend failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, CancellationToken cancellationToken = default);
}
