namespace SuperRes.Deploy.Engines.Validation;

/// <summary>Chooses the <see cref="IModelSizeAdvisor"/> for a model.</summary>
public static class ModelSizeAdvisors
{
    /// <summary>The advisor for the ONNX model at <paramref name="onnxPath"/>.</summary>
    public static IModelSizeAdvisor ForModel(string onnxPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(onnxPath);
        return new DeclaredShapeAdvisor();
    }
}
