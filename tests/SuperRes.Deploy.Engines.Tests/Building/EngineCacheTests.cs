using System.Buffers.Binary;
using System.Text.Json.Nodes;
using SuperRes.Deploy.Engines.Building;
using SuperRes.Deploy.Interop.TensorRT;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Building;

public sealed class EngineCacheTests : IDisposable
{
    private static readonly GpuIdentity Orin = new(null, 8, 7, 16, 64UL << 30, true);
    private static readonly EngineProfile Profile = new([new EngineProfileInput("input", [1, 3, 64, 64], [1, 3, 256, 256], [1, 3, 512, 512])]);
    private static readonly PrecisionPlan Fp32 = PrecisionPlan.Resolve(false, true, new Version(10, 16, 0));

    private readonly string _folder = RepoPaths.NewTempDirectory("srd-cache");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static EngineCacheKey Key(
        string onnx = "aa", Version? trt = null, GpuIdentity? gpu = null, PrecisionPlan? precision = null, EngineBuildSettings? settings = null,
        EngineProfile? profile = null, IReadOnlyList<PluginLibraryInfo>? plugins = null) =>
        EngineCacheKey.Compute(onnx, trt ?? new Version(10, 16, 0), gpu ?? Orin, precision ?? Fp32, settings ?? new EngineBuildSettings(),
            [profile ?? Profile], plugins ?? []);

    /// <summary>A plan-shaped byte array: TensorRT's tag, serialization version 0, the version at bytes 24..27.</summary>
    private static byte[] Plan(int major, int minor, int patch, byte fill = 0x5a)
    {
        var plan = new byte[64];
        plan.AsSpan().Fill(fill);
        BinaryPrimitives.WriteUInt32LittleEndian(plan, TrtPlanHeader.Tag);
        BinaryPrimitives.WriteUInt32LittleEndian(plan.AsSpan(4), 0);
        plan[24] = (byte)major;
        plan[25] = (byte)minor;
        plan[26] = (byte)patch;
        plan[27] = 1;
        return plan;
    }

    [Fact]
    public void The_key_is_deterministic_and_independent_of_plugin_paths()
    {
        var a = Key(plugins: [new PluginLibraryInfo("/a/libp.so", "cafe", 10)]);
        var b = Key(plugins: [new PluginLibraryInfo("/elsewhere/libp.so", "cafe", 10)]);

        Assert.Equal(a.Value, b.Value);
        Assert.Equal(64, a.Value.Length);
        Assert.Equal(a.Value, CanonicalJson.Sha256(a.Material));
        Assert.Equal(EngineCacheKey.Schema, (string?)a.Material["schema"]);
    }

    public static TheoryData<string> Changes() => ["onnx", "tensorrt", "gpu-name", "compute-capability", "precision", "pool", "level", "hardware", "profile", "plugin"];

    [Theory]
    [MemberData(nameof(Changes))]
    public void Every_input_that_determines_the_engine_changes_the_key(string change)
    {
        var baseline = Key();
        var changed = change switch
        {
            "onnx" => Key(onnx: "ab"),
            "tensorrt" => Key(trt: new Version(10, 15, 1)),
            "gpu-name" => Key(gpu: Orin with { Name = "NVIDIA Jetson AGX Orin" }),
            "compute-capability" => Key(gpu: Orin with { ComputeCapabilityMinor = 6 }),
            "precision" => Key(precision: PrecisionPlan.Resolve(true, true, new Version(10, 16, 0))),
            "pool" => Key(settings: new EngineBuildSettings { MemoryPools = new Dictionary<TrtMemoryPool, long> { [TrtMemoryPool.Workspace] = 1 << 30 } }),
            "level" => Key(settings: new EngineBuildSettings { BuilderOptimizationLevel = 5 }),
            "hardware" => Key(settings: new EngineBuildSettings { HardwareCompatibility = TrtHardwareCompatibility.AmperePlus }),
            "profile" => Key(profile: new EngineProfile([new EngineProfileInput("input", [1, 3, 64, 64], [1, 3, 256, 256], [1, 3, 520, 512])])),
            "plugin" => Key(plugins: [new PluginLibraryInfo("/a/libp.so", "beef", 10)]),
            _ => throw new ArgumentOutOfRangeException(nameof(change)),
        };

        Assert.NotEqual(baseline.Value, changed.Value);
    }

    [Fact]
    public void The_timing_cache_path_is_not_part_of_the_key()
    {
        Assert.Equal(Key().Value, Key(settings: new EngineBuildSettings { TimingCachePath = "/tmp/x.cache" }).Value);
    }

    [Fact]
    public void A_stored_engine_is_a_hit_with_its_bytes_and_record()
    {
        var cache = new EngineCache(_folder);
        var key = Key();
        Assert.False(cache.TryGet(key, new Version(10, 16, 0)).Hit);
        var plan = Plan(10, 16, 0);

        cache.Store(key, plan, new JsonObject { ["name"] = "m" });
        var hit = cache.TryGet(key, new Version(10, 16, 0));

        Assert.True(hit.Hit, hit.Reason);
        Assert.Equal(plan, hit.Plan);
        Assert.Equal("m", (string?)hit.Record!["name"]);
        Assert.Empty(Directory.GetDirectories(Path.Combine(_folder, "engines"), ".*"));
    }

    [Fact]
    public void An_entry_whose_plan_header_names_another_TensorRT_is_invalidated_and_removed()
    {
        var cache = new EngineCache(_folder);
        var key = Key();
        cache.Store(key, Plan(10, 15, 1), new JsonObject());

        var lookup = cache.TryGet(key, new Version(10, 16, 0));

        Assert.False(lookup.Hit);
        Assert.Contains("built by TensorRT 10.15.1, the runtime is 10.16.0", lookup.Reason);
        Assert.False(Directory.Exists(cache.EntryDirectory(key)));
    }

    [Fact]
    public void A_changed_plan_file_is_invalidated()
    {
        var cache = new EngineCache(_folder);
        var key = Key();
        cache.Store(key, Plan(10, 16, 0), new JsonObject());
        File.WriteAllBytes(Path.Combine(cache.EntryDirectory(key), "engine.plan"), Plan(10, 16, 0, fill: 0x11));

        var lookup = cache.TryGet(key, new Version(10, 16, 0));

        Assert.False(lookup.Hit);
        Assert.Contains("does not match its entry", lookup.Reason);
    }

    [Fact]
    public void A_stored_file_that_is_not_a_plan_is_invalidated()
    {
        var cache = new EngineCache(_folder);
        var key = Key();
        cache.Store(key, new byte[64], new JsonObject());

        var lookup = cache.TryGet(key, new Version(10, 16, 0));

        Assert.False(lookup.Hit);
        Assert.Contains("not a TensorRT plan", lookup.Reason);
    }

    [Fact]
    public void Storing_again_replaces_the_entry()
    {
        var cache = new EngineCache(_folder);
        var key = Key();
        cache.Store(key, Plan(10, 16, 0, fill: 1), new JsonObject { ["n"] = 1 });

        cache.Store(key, Plan(10, 16, 0, fill: 2), new JsonObject { ["n"] = 2 });

        var hit = cache.TryGet(key, new Version(10, 16, 0));
        Assert.True(hit.Hit);
        Assert.Equal(2, hit.Plan![40]);
        Assert.Equal(2, (int)hit.Record!["n"]!);
    }

    [Fact]
    public void Canonical_json_sorts_keys_at_every_level()
    {
        var a = JsonNode.Parse("""{"b":1,"a":{"y":[1,{"z":1,"x":2}],"x":null}}""");
        var b = JsonNode.Parse("""{ "a": { "x": null, "y": [1, {"x": 2, "z": 1}] }, "b": 1 }""");

        Assert.Equal("""{"a":{"x":null,"y":[1,{"x":2,"z":1}]},"b":1}""", CanonicalJson.Serialize(a));
        Assert.Equal(CanonicalJson.Sha256(a), CanonicalJson.Sha256(b));
    }
}
