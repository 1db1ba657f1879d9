using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Configuration;

public sealed class DeployConfigLoaderTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDirectory("srd-config");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string yaml)
    {
        File.WriteAllBytes(Path.Combine(_dir, "model.onnx"), [0]);
        var path = Path.Combine(_dir, "c.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private const string Minimal = "schema: srdeploy.config/1\nname: m\nmodel: model.onnx\n";

    [Fact]
    public void The_default_models_config_loads_with_paths_resolved_against_its_folder()
    {
        var config = DeployConfigLoader.Load(RepoPaths.Combine("configs", "ditn_real_x4.yaml"));
        Assert.Equal("ditn_real_x4", config.Name);
        Assert.Equal(RepoPaths.DefaultModel, config.ModelPath);
        Assert.Equal(4, config.Scale);
        Assert.Equal(32.10, config.Published["Set5"].PsnrY);
        Assert.NotNull(config.Targets);
        Assert.Contains((1920, 1080), config.Targets!.Sizes);
        Assert.True(config.Targets.BothOrientations);
        Assert.Equal(4L << 30, config.Targets.ActivationMemoryBudget);
        Assert.Equal(2L << 30, config.Build.Workspace);
        Assert.Equal(1e-3, config.Validation.Atol);
    }

    [Fact]
    public void A_minimal_config_gets_documented_defaults()
    {
        var config = DeployConfigLoader.Load(Write(Minimal));
        Assert.Equal("fp32", config.Build.Precision);
        Assert.True(config.Optimize.FuseAttention);
        Assert.Equal("elemwise", config.Validation.Check);
        Assert.Empty(config.Profiles);
        Assert.Null(config.Targets);
    }

    [Fact]
    public void Explicit_profiles_are_parsed_per_input()
    {
        var config = DeployConfigLoader.Load(Write(Minimal +
            "profiles:\n  - min: input:1x3x64x64\n    opt: input:1x3x256x256\n    max: input:1x3x512x512\n"));
        var profile = Assert.Single(config.Profiles);
        Assert.Equal([1L, 3, 512, 512], profile.Max[0].Dims);
    }

    [Theory]
    [InlineData("build:\n  fp61: true\n", "c.yaml:5:3: unknown key 'fp61' in build")]
    [InlineData("build:\n  precision: int3\n", "build.precision must be fp32 or fp16")]
    [InlineData("targets:\n  sizes: [720q]\n", "target size '720q'")]
    [InlineData("profiles:\n  - min: input:1x3x64x64\n    opt: input:1x3x32x32\n    max: input:1x3x512x512\n", "min ≤ opt ≤ max")]
    [InlineData("validation:\n  atol: -1\n", "'atol' must not be negative")]
    [InlineData("build:\n  workspace: lots\n", "must be a size like 512M")]
    [InlineData("optimize:\n  fp16: maybe\n", "'fp16' must be true or false")]
    public void Bad_configs_fail_with_one_line_naming_position_and_problem(string extra, string expected)
    {
        var error = Assert.Throws<DeployException>(() => DeployConfigLoader.Load(Write(Minimal + extra)));
        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_missing_model_file_is_named_with_its_resolved_path()
    {
        var path = Write("schema: srdeploy.config/1\nname: m\nmodel: nowhere.onnx\n");
        var error = Assert.Throws<DeployException>(() => DeployConfigLoader.Load(path));
        Assert.Contains("'model' file not found: nowhere.onnx", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_schema_and_invalid_yaml_are_reported()
    {
        Assert.Contains("unsupported schema", Assert.Throws<DeployException>(() =>
            DeployConfigLoader.Load(Write("schema: other/2\nname: m\nmodel: model.onnx\n"))).Message, StringComparison.Ordinal);
        Assert.Contains("not valid YAML", Assert.Throws<DeployException>(() =>
            DeployConfigLoader.Load(Write("schema: [unclosed\n"))).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("input:1x3x64x64", "input", new long[] { 1, 3, 64, 64 })]
    [InlineData("'in:0':1x3x8x8", "in:0", new long[] { 1, 3, 8, 8 })]
    public void Shape_specs_parse_trtexec_syntax(string text, string name, long[] dims)
    {
        var spec = ShapeSpec.Parse(text);
        Assert.Equal(name, spec.Name);
        Assert.Equal(dims, spec.Dims);
    }

    [Theory]
    [InlineData("input")]
    [InlineData("input:1x0x3")]
    [InlineData("input:1xax3")]
    public void Bad_shape_specs_are_usage_errors(string text) =>
        Assert.Equal(FailureKind.Usage, Assert.Throws<DeployException>(() => ShapeSpec.Parse(text)).Kind);

    [Theory]
    [InlineData("1024", 1024L)]
    [InlineData("4K", 4096L)]
    [InlineData("2G", 2L << 30)]
    [InlineData("64MiB", 64L << 20)]
    [InlineData("1.5K", 1536L)]
    public void Byte_sizes_parse_binary_suffixes(string text, long expected) => Assert.Equal(expected, ByteSize.Parse(text));

    [Fact]
    public void Memory_pools_aux_streams_and_target_names_are_read()
    {
        var config = DeployConfigLoader.Load(Write(Minimal
            + "targets:\n  sizes: [720p, 4K, 1000x500]\n"
            + "build:\n  memory_pools: {tacticSharedMem: 48K, tacticDRAM: 1G}\n  max_aux_streams: 2\n"));

        Assert.Equal(48L << 10, config.Build.MemoryPools["tacticSharedMem"]);
        Assert.Equal(1L << 30, config.Build.MemoryPools["tacticDRAM"]);
        Assert.Equal(2, config.Build.MaxAuxStreams);
        Assert.Equal(["720p", "4k", "1000x500"], config.Targets!.SizeNames);
    }

    [Theory]
    [InlineData("build:\n  memory_pools: {vram: 1G}\n", "unknown key 'vram' in build.memory_pools")]
    [InlineData("build:\n  memory_pools: {tacticDRAM: lots}\n", "'tacticDRAM' must be a size")]
    [InlineData("build:\n  workspace: 1G\n  memory_pools: {workspace: 2G}\n", "give the workspace limit once")]
    [InlineData("build:\n  max_aux_streams: -1\n", "'max_aux_streams' must be an integer from 0 to 64")]
    public void Memory_pool_and_aux_stream_mistakes_are_positioned_bad_input(string yaml, string message)
    {
        var e = Assert.Throws<DeployException>(() => DeployConfigLoader.Load(Write(Minimal + yaml)));

        Assert.Equal(FailureKind.BadInput, e.Kind);
        Assert.Contains(message, e.Message);
        Assert.Matches(@"c\.yaml:\d+:\d+: ", e.Message);
    }
}
