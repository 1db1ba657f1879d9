using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Engines.Building;

/// <summary>A TensorRT plugin library an engine uses, identified by content.</summary>
public sealed record PluginLibraryInfo(string Path, string Sha256, long Bytes);

/// <summary>
/// The identity of an engine: sha256 of the canonical JSON of everything that determines it — the optimized ONNX
/// (sha256 of its bytes), the TensorRT runtime version, the GPU (name where known, compute capability, multiprocessors,
/// memory, integrated), the precision/typing mode and builder settings, the profiles, and the plugin libraries'
/// hashes. Paths are not part of it (the same inputs elsewhere give the same key); the timing cache is not either (it
/// only speeds the build up).
/// </summary>
public sealed record EngineCacheKey(string Value, JsonObject Material)
{
    public const string Schema = "srdeploy.engine-cache-key/1";

    public static EngineCacheKey Compute(
        string onnxSha256,
        Version tensorRtVersion,
        GpuIdentity gpu,
        PrecisionPlan precision,
        EngineBuildSettings settings,
        IReadOnlyList<EngineProfile> profiles,
        IReadOnlyList<PluginLibraryInfo> plugins)
    {
        ArgumentNullException.ThrowIfNull(tensorRtVersion);
        ArgumentNullException.ThrowIfNull(gpu);
        ArgumentNullException.ThrowIfNull(precision);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(plugins);
        var material = new JsonObject
        {
            ["schema"] = Schema,
            ["onnxSha256"] = onnxSha256,
            ["tensorrt"] = tensorRtVersion.ToString(3),
            ["gpu"] = new JsonObject
            {
                ["name"] = gpu.Name,
                ["computeCapability"] = gpu.ComputeCapability,
                ["multiprocessors"] = gpu.Multiprocessors,
                ["memoryBytes"] = gpu.MemoryBytes,
                ["integrated"] = gpu.Integrated,
            },
            ["flags"] = BuildJson.Flags(precision, settings, includePaths: false),
            ["profiles"] = BuildJson.Profiles(profiles),
            ["plugins"] = new JsonArray([.. plugins.Select(p => (JsonNode)JsonValue.Create(p.Sha256))]),
        };
        return new EngineCacheKey(CanonicalJson.Sha256(material), material);
    }
}

/// <summary>The answer of <see cref="EngineCache.TryGet"/>.</summary>
/// <param name="Plan">The cached engine on a hit.</param>
/// <param name="Record">The build record stored with it on a hit.</param>
/// <param name="Reason">Why it is a miss (or "hit").</param>
public sealed record EngineCacheLookup(bool Hit, byte[]? Plan, JsonObject? Record, string Reason);

/// <summary>
/// A folder of built engines by <see cref="EngineCacheKey"/>: <c>DIR/engines/KEY/engine.plan</c> and
/// <c>entry.json</c> (key material, plan sha256, the build record). An entry is reused only when its plan bytes still
/// hash to what was stored and the plan header's TensorRT version (read without TensorRT, <see cref="TrtPlanHeader"/>)
/// equals the runtime's; otherwise it is removed and the engine rebuilt. Entries are written into a temporary folder
/// and renamed into place, so a reader never sees half an entry.
/// </summary>
public sealed class EngineCache
{
    /// <summary>Environment variable that moves the default cache folder.</summary>
    public const string EnvironmentVariable = "SRDEPLOY_CACHE";

    private const string PlanFile = "engine.plan";
    private const string EntryFile = "entry.json";

    public EngineCache(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = System.IO.Path.GetFullPath(directory);
    }

    public string Directory { get; }

    /// <summary><c>$SRDEPLOY_CACHE</c>, else <c>out/cache</c> under the current folder.</summary>
    public static string DefaultDirectory =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } dir ? dir : System.IO.Path.Combine("out", "cache");

    public string EntryDirectory(EngineCacheKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return System.IO.Path.Combine(Directory, "engines", key.Value);
    }

    public EngineCacheLookup TryGet(EngineCacheKey key, Version runtimeVersion)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(runtimeVersion);
        var entry = EntryDirectory(key);
        if (!System.IO.Directory.Exists(entry))
        {
            return new EngineCacheLookup(false, null, null, "no entry for this key");
        }

        byte[] plan;
        JsonObject stored;
        try
        {
            plan = File.ReadAllBytes(System.IO.Path.Combine(entry, PlanFile));
            stored = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(entry, EntryFile))) as JsonObject
                ?? throw new JsonException("entry.json is not an object");
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return Invalidate(entry, $"the entry is unreadable ({e.Message})");
        }

        if ((string?)stored["key"] != key.Value || (string?)stored["planSha256"] != Hashing.Sha256Hex(plan))
        {
            return Invalidate(entry, "the stored plan does not match its entry (changed or truncated)");
        }

        var header = TrtPlanHeader.TryRead(plan);
        if (header is null)
        {
            return Invalidate(entry, "the stored file is not a TensorRT plan");
        }

        var planVersion = new Version(header.Major, header.Minor, header.Patch);
        var runtime = new Version(runtimeVersion.Major, runtimeVersion.Minor, Math.Max(0, runtimeVersion.Build));
        if (planVersion != runtime)
        {
            return Invalidate(entry, string.Create(CultureInfo.InvariantCulture,
                $"the plan was built by TensorRT {planVersion}, the runtime is {runtime}"));
        }

        return new EngineCacheLookup(true, plan, stored["record"] as JsonObject, "hit");
    }

    /// <summary>Stores an engine and its build record under the key (replacing an existing entry).</summary>
    public void Store(EngineCacheKey key, ReadOnlySpan<byte> plan, JsonObject record)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(record);
        var entry = EntryDirectory(key);
        var parent = System.IO.Path.GetDirectoryName(entry)!;
        System.IO.Directory.CreateDirectory(parent);
        var staging = System.IO.Path.Combine(parent, $".{key.Value}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        System.IO.Directory.CreateDirectory(staging);
        try
        {
            File.WriteAllBytes(System.IO.Path.Combine(staging, PlanFile), plan.ToArray());
            var stored = new JsonObject
            {
                ["schema"] = "srdeploy.engine-cache-entry/1",
                ["key"] = key.Value,
                ["keyMaterial"] = key.Material.DeepClone(),
                ["planSha256"] = Hashing.Sha256Hex(plan),
                ["planBytes"] = plan.Length,
                ["record"] = record.DeepClone(),
            };
            File.WriteAllText(System.IO.Path.Combine(staging, EntryFile), stored.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            if (System.IO.Directory.Exists(entry))
            {
                System.IO.Directory.Delete(entry, recursive: true);
            }

            System.IO.Directory.Move(staging, entry);
        }
        finally
        {
            if (System.IO.Directory.Exists(staging))
            {
                System.IO.Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static EngineCacheLookup Invalidate(string entry, string reason)
    {
        try
        {
            System.IO.Directory.Delete(entry, recursive: true);
        }
        catch (IOException)
        {
            // Another process may be replacing it; the rebuild will overwrite it anyway.
        }

        return new EngineCacheLookup(false, null, null, $"invalidated: {reason}");
    }
}
