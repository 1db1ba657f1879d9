using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Interop.Tests.TensorRT;

[Collection(TrtDoubleTests.Name)]
public sealed class TrtErrorTests : IDisposable
{
    private readonly TrtScenario _scenario = new();

    public TrtErrorTests() => TrtDouble.Reset();

    public void Dispose() => _scenario.Dispose();

    [Fact]
    public void Native_failure_becomes_TrtException_with_the_native_status_function_and_message()
    {
        TrtDouble.FailNext("srd_builder_build", TrtStatus.BuildFailed, "no implementation found for node attn_0");

        var error = Assert.Throws<TrtException>(() => _scenario.BuildFull());

        Assert.Equal(TrtStatus.BuildFailed, error.Status);
        Assert.Equal("srd_builder_build", error.Function);
        Assert.Equal("srd_builder_build: no implementation found for node attn_0", error.NativeMessage);
        Assert.Equal("srd_builder_build: no implementation found for node attn_0 (BuildFailed)", error.Message);
        var build = TrtDouble.Calls("srd_builder_build").Single();
        Assert.Equal((int)TrtStatus.BuildFailed, build.GetProperty("status").GetInt32());
    }

    [Fact]
    public void Build_of_a_dynamic_network_without_profiles_fails_with_TensorRTs_reason()
    {
        using var builder = TrtBuilder.Create();
        using var network = builder.CreateNetwork();
        using (var parser = TrtOnnxParser.Create(network))
        {
            parser.ParseFile(_scenario.ModelPath);
        }

        using var config = builder.CreateConfig();

        var error = Assert.Throws<TrtException>(() => builder.Build(network, config));

        Assert.Equal(TrtStatus.BuildFailed, error.Status);
        Assert.Contains("no optimization profile has been defined", error.NativeMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, TrtStatus.Internal, "injected std::runtime_error in srd_builder_create")]
    [InlineData(1, TrtStatus.OutOfMemory, "std::bad_alloc")]
    [InlineData(2, TrtStatus.Internal, "unknown exception")]
    public void Exceptions_thrown_inside_the_native_library_come_back_as_statuses(int kind, TrtStatus status, string message)
    {
        TrtDouble.ThrowNext("srd_builder_create", kind);

        var error = Assert.Throws<TrtException>(TrtBuilder.Create);

        Assert.Equal(status, error.Status);
        Assert.Equal($"srd_builder_create: {message}", error.NativeMessage);
        Assert.Equal(0, TrtDouble.Counts().Created);
    }

    [Fact]
    public void Parse_failure_carries_every_parser_error_with_node_details()
    {
        TrtDouble.AddParserError(8, "No importer registered for op: FusedAttention", 12, "attn_0", "FusedAttention");
        TrtDouble.AddParserError(10, "Unsupported input", 13, "attn_1", "FusedAttention");
        using var builder = TrtBuilder.Create();
        using var network = builder.CreateNetwork();
        using var parser = TrtOnnxParser.Create(network);

        var error = Assert.Throws<TrtException>(() => parser.ParseFile(_scenario.ModelPath));

        Assert.Equal(TrtStatus.ParseFailed, error.Status);
        Assert.Contains("2 error(s); first: No importer registered for op: FusedAttention [node 12 'attn_0' op FusedAttention]",
            error.NativeMessage, StringComparison.Ordinal);
        Assert.Equal(2, error.ParserErrors.Count);
        var first = error.ParserErrors[0];
        Assert.Equal((8, 12, "attn_0", "FusedAttention"), (first.Code, first.NodeIndex, first.NodeName, first.NodeOperator));
        Assert.Equal("No importer registered for op: FusedAttention", first.Description);
        Assert.Equal("attn_1", error.ParserErrors[1].NodeName);
        Assert.Equal(error.ParserErrors, parser.GetErrors());
    }

    [Fact]
    public void Missing_onnx_file_is_reported_as_not_found_with_its_path()
    {
        using var builder = TrtBuilder.Create();
        using var network = builder.CreateNetwork();
        using var parser = TrtOnnxParser.Create(network);
        var missing = Path.Combine(_scenario.Folder, "missing.onnx");

        var error = Assert.Throws<TrtException>(() => parser.ParseFile(missing));

        Assert.Equal(TrtStatus.NotFound, error.Status);
        Assert.Equal($"srd_onnx_parser_parse_file: ONNX file not found: {missing}", error.NativeMessage);
    }

    [Fact]
    public void Missing_plugin_library_is_reported_as_not_found()
    {
        var error = Assert.Throws<TrtException>(() => TrtPluginLibrary.Load(Path.Combine(_scenario.Folder, "libnone.so")));

        Assert.Equal(TrtStatus.NotFound, error.Status);
        Assert.Contains("plugin library not found", error.NativeMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Precision_flags_are_unsupported_on_TensorRT_11()
    {
        TrtDouble.SetTensorRtVersion(110100, 106);
        using var builder = TrtBuilder.Create();
        using var config = builder.CreateConfig();

        var error = Assert.Throws<TrtException>(() => config.SetFlag(TrtBuilderFlag.Fp16));

        Assert.Equal(TrtStatus.Unsupported, error.Status);
        Assert.Contains("removed in TensorRT 11", error.NativeMessage, StringComparison.Ordinal);
        config.SetFlag(TrtBuilderFlag.Tf32);
        Assert.Null(builder.GetPlatformInfo().HasFastFp16);
        using var network = builder.CreateNetwork(stronglyTyped: false);
        Assert.True(network.IsStronglyTyped);
    }

    [Fact]
    public void Precision_flags_work_and_fast_fp16_is_known_on_TensorRT_10()
    {
        using var builder = TrtBuilder.Create();
        using var config = builder.CreateConfig();

        config.SetFlag(TrtBuilderFlag.Fp16);

        Assert.True(config.GetFlag(TrtBuilderFlag.Fp16));
        Assert.True(builder.GetPlatformInfo().HasFastFp16);
        using var network = builder.CreateNetwork(stronglyTyped: false);
        Assert.False(network.IsStronglyTyped);
    }

    [Fact]
    public void Same_compute_capability_needs_TensorRT_10_9()
    {
        TrtDouble.SetTensorRtVersion(100300, 26);
        using var builder = TrtBuilder.Create();
        using var config = builder.CreateConfig();

        var error = Assert.Throws<TrtException>(() => config.SetHardwareCompatibility(TrtHardwareCompatibility.SameComputeCapability));

        Assert.Equal(TrtStatus.Unsupported, error.Status);
        Assert.Contains("needs TensorRT 10.9", error.NativeMessage, StringComparison.Ordinal);
        config.SetHardwareCompatibility(TrtHardwareCompatibility.AmperePlus);
    }

    [Fact]
    public void Plugin_override_parser_flag_needs_TensorRT_10_15()
    {
        TrtDouble.SetTensorRtVersion(100300, 26);
        using var builder = TrtBuilder.Create();
        using var network = builder.CreateNetwork();
        using var parser = TrtOnnxParser.Create(network);

        var error = Assert.Throws<TrtException>(() => parser.SetFlag(TrtOnnxParserFlag.EnablePluginOverride, true));

        Assert.Equal(TrtStatus.Unsupported, error.Status);
        Assert.True(parser.GetFlag(TrtOnnxParserFlag.NativeInstancenorm));
    }

    [Fact]
    public void Without_TensorRT_every_TensorRT_call_reports_library_missing_and_probe_says_so()
    {
        TrtDouble.SetLibraryMissing(true);

        var builder = Assert.Throws<TrtException>(TrtBuilder.Create);
        var runtime = Assert.Throws<TrtException>(TrtRuntime.Create);
        var probe = TrtInfo.Probe();

        Assert.Equal(TrtStatus.LibraryMissing, builder.Status);
        Assert.Equal(TrtStatus.LibraryMissing, runtime.Status);
        Assert.Contains("install TensorRT", builder.NativeMessage, StringComparison.Ordinal);
        Assert.True(probe.ShimLoaded);
        Assert.False(probe.TensorRtUsable);
        Assert.Contains("libnvinfer", probe.Problem, StringComparison.Ordinal);
        Assert.NotNull(probe.Library);
        Assert.False(probe.Library.TensorRtLoaded);
        Assert.Empty(probe.Devices);
    }

    [Fact]
    public void Last_error_message_belongs_to_the_thread_whose_call_failed()
    {
        TrtDouble.FailNext("srd_builder_create", TrtStatus.RuntimeError, "failure on this thread");
        Assert.Throws<TrtException>(TrtBuilder.Create);

        string? otherThread = null;
        var thread = new Thread(() =>
        {
            TrtDouble.FailNext("srd_runtime_create", TrtStatus.RuntimeError, "failure on the other thread");
            otherThread = Assert.Throws<TrtException>(TrtRuntime.Create).NativeMessage;
        });
        thread.Start();
        thread.Join();

        Assert.Equal("srd_runtime_create: failure on the other thread", otherThread);
        Assert.Equal("srd_builder_create: failure on this thread", TrtNative.LastErrorMessage());
    }

    [Fact]
    public void Null_and_foreign_handles_are_refused_by_the_native_side()
    {
        unsafe
        {
            Assert.Equal(TrtStatus.InvalidArgument, SrdTrtNative.srd_builder_create(null));
            srd_network* network = null;
            Assert.Equal(TrtStatus.InvalidArgument, SrdTrtNative.srd_network_create((srd_builder*)0x1234, 1, &network));
            Assert.True(network == null);
            Assert.Contains("is not a handle of this library", TrtNative.LastErrorMessage(), StringComparison.Ordinal);
        }
    }
}
