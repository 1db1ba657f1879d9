using System.Globalization;
using System.Text.Json;
using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>A plan given to <c>srdeploy package --plan</c>: its header version and, when found, its build record.</summary>
public sealed record PlanInput(string PlanPath, TrtPlanHeader Header, string? BuildRecordPath, BundlePlanTarget? BuiltFor, bool VersionCompatible, string HardwareCompatibilityLevel);

/// <summary>
/// Reads plans to ship: the TensorRT version from the plan header (no TensorRT needed) and, from the build record
/// written beside the plan (<c>PLAN.build.json</c> or <c>STEM.build.json</c>), the GPU, compute capability and CUDA
/// version it was built for, whether it is version-compatible and its hardware compatibility level.
/// </summary>
public static class ShippedPlans
{
    /// <summary>The schema of build-engine's build record.</summary>
    public const string BuildRecordSchema = "srdeploy.build-record/1";

    public static PlanInput Read(string planPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(planPath);
        if (!File.Exists(planPath))
        {
            throw DeployException.BadInput($"plan not found: {planPath}");
        }

        var head = new byte[32];
        int read;
        using (var stream = File.OpenRead(planPath))
        {
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        var header = TrtPlanHeader.TryRead(head.AsSpan(0, read))
            ?? throw DeployException.BadInput($"{planPath} is not a TensorRT plan (no plan header: tag 0x74727466, version 0)");
        var record = BuildRecordCandidates(planPath).FirstOrDefault(File.Exists);
        if (record is null)
        {
            return new PlanInput(planPath, header, null, null, false, "none");
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(record));
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("schema", out var schema) && schema.ValueKind == JsonValueKind.String
                && schema.GetString() == BuildRecordSchema)
            {
                // build-engine's record: tensorrt.gpu.{name, computeCapability}, tensorrt.cudaRuntimeVersion, flags.*.
                var tensorrt = Child(root, "tensorrt");
                var gpu = Child(tensorrt, "gpu");
                var flags = Child(root, "flags");
                var fromRecord = new BundlePlanTarget
                {
                    Gpu = Text(gpu, "name"),
                    ComputeCapability = NormalizeComputeCapability(Text(gpu, "computeCapability")),
                    CudaVersion = Text(tensorrt, "cudaRuntimeVersion"),
                };
                return new PlanInput(planPath, header, record, fromRecord, Bool(flags, "versionCompatible") ?? false,
                    Text(flags, "hardwareCompatibilityLevel") ?? "none");
            }

            // Another tool's record: the first matching keys, snake_case or camelCase.
            var gpuObject = BreadthFirst(root).Select(e => Child(e, "gpu")).FirstOrDefault(g => g is not null);
            var target = new BundlePlanTarget
            {
                Gpu = Text(gpuObject, "name") ?? FindString(root, "gpu_name", "gpuName", "device_name"),
                ComputeCapability = NormalizeComputeCapability(FindString(root, "compute_capability", "computeCapability")),
                CudaVersion = FindString(root, "cuda_version", "cudaVersion", "cuda_runtime_version", "cudaRuntimeVersion"),
            };
            var versionCompatible = FindBool(root, "version_compatible") ?? FindBool(root, "versionCompatible") ?? false;
            var level = FindString(root, "hardware_compatibility_level", "hardwareCompatibilityLevel") ?? "none";
            return new PlanInput(planPath, header, record, target, versionCompatible, level);
        }
        catch (JsonException e)
        {
            throw DeployException.BadInput($"build record {record} is not valid JSON: {e.Message.Split('\n')[0]}");
        }
    }

    /// <summary>Where a plan's build record is looked for.</summary>
    public static IEnumerable<string> BuildRecordCandidates(string planPath)
    {
        yield return planPath + ".build.json";
        yield return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(planPath))!, Path.GetFileNameWithoutExtension(planPath) + ".build.json");
    }

    private static string? NormalizeComputeCapability(string? text) =>
        text is not null && PlanFit.TryParseComputeCapability(text, out var major, out var minor)
            ? string.Create(CultureInfo.InvariantCulture, $"{major}.{minor}")
            : text;

    private static JsonElement? Child(JsonElement? element, string key) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    private static string? Text(JsonElement? element, string key) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(key, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;

    private static bool? Bool(JsonElement? element, string key) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(key, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : null;

    /// <summary>The first string (or number, as text) found under one of <paramref name="keys"/>, searched breadth-first.</summary>
    private static string? FindString(JsonElement root, params string[] keys)
    {
        foreach (var element in BreadthFirst(root))
        {
            foreach (var key in keys)
            {
                if (element.TryGetProperty(key, out var value))
                {
                    switch (value.ValueKind)
                    {
                        case JsonValueKind.String:
                            return value.GetString();
                        case JsonValueKind.Number:
                            return value.GetRawText();
                    }
                }
            }
        }

        return null;
    }

    private static bool? FindBool(JsonElement root, string key)
    {
        foreach (var element in BreadthFirst(root))
        {
            if (element.TryGetProperty(key, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                return value.GetBoolean();
            }
        }

        return null;
    }

    private static IEnumerable<JsonElement> BreadthFirst(JsonElement root)
    {
        var queue = new Queue<JsonElement>();
        queue.Enqueue(root);
        while (queue.Count > 0)
        {
            var element = queue.Dequeue();
            if (element.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            yield return element;
            foreach (var property in element.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Object)
                {
                    queue.Enqueue(property.Value);
                }
            }
        }
    }
}
