namespace SuperRes.Deploy.Engines.Runtime;

/// <summary>Checks shared by the runners, so every backend words input mistakes the same way.</summary>
internal static class RuntimeChecks
{
    /// <summary>
    /// Checks <paramref name="inputs"/> against the declared <paramref name="expected"/> inputs: every name known, none
    /// missing, element types, ranks and fixed sizes equal. <paramref name="owner"/> names the model in messages, e.g.
    /// <c>model 'x.onnx'</c>.
    /// </summary>
    public static void CheckInputs(IReadOnlyList<TensorInfo> expected, IReadOnlyDictionary<string, Tensor> inputs, string owner)
    {
        foreach (var name in inputs.Keys)
        {
            if (!expected.Any(i => i.Name == name))
            {
                throw DeployException.BadInput(
                    $"{owner} has no input named '{name}' (inputs: {string.Join(", ", expected.Select(i => i.Name))})");
            }
        }

        foreach (var info in expected)
        {
            if (!inputs.TryGetValue(info.Name, out var tensor) || tensor is null)
            {
                throw DeployException.BadInput($"input '{info.Name}' of {owner} is missing (expected {info.Signature})");
            }

            if (tensor.ElementType != info.ElementType)
            {
                throw DeployException.BadInput(
                    $"input '{info.Name}' of {owner} must be {info.ElementType.Name()}, got {tensor.ElementType.Name()}");
            }

            if (tensor.Rank != info.Rank)
            {
                throw DeployException.BadInput(
                    $"input '{info.Name}' of {owner} must have rank {info.Rank} ({info.Signature}), got shape {Tensor.Format(tensor.Shape)}");
            }

            for (var axis = 0; axis < info.Rank; axis++)
            {
                if (info.Dims[axis].Size is { } size && tensor.Shape[axis] != size)
                {
                    throw DeployException.BadInput(
                        $"input '{info.Name}' of {owner} must have size {size} on axis {axis} ({info.Signature}), got shape {Tensor.Format(tensor.Shape)}");
                }
            }
        }
    }
}
