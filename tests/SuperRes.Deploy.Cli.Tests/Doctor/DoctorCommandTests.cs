using System.Text.Json.Nodes;
using SuperRes.Deploy.Cli.Doctor;
using SuperRes.Deploy.Interop.OnnxRuntime;
using SuperRes.Deploy.Tests;
using static SuperRes.Deploy.Cli.Tests.BuildEngine.BuildEngineCli;

namespace SuperRes.Deploy.Cli.Tests.Doctor;

/// <summary>`srdeploy doctor` in-process, with the recording TensorRT double as the shim.</summary>
[Collection(TrtDoubleBuildTests.Name)]
public sealed class DoctorCommandTests
{
    public DoctorCommandTests() => TrtDoubleControl.Reset();

    [Fact]
    public void Json_lists_every_component_with_required_flags_versions_paths_and_traces()
    {
        var (code, stdout, stderr) = Run("doctor", "--json");

        Assert.True(code == 0, stderr);
        var report = (JsonObject)JsonNode.Parse(stdout)!;
        Assert.Equal("srdeploy.doctor/1", (string?)report["schema"]);
        Assert.True((bool)report["ok"]!);
        var components = report["components"]!.AsArray().ToDictionary(c => (string)c!["name"]!, c => c!);
        Assert.Equal(
            ["cuda", "dotnet", "machine", "onnxruntime", "ort-fused-attention", "tensorrt", "tensorrt-onnx-parser", "tensorrt-shim", "trt-fused-attention"],
            components.Keys.Order(StringComparer.Ordinal));
        Assert.All(["dotnet", "machine", "onnxruntime", "ort-fused-attention"], n => Assert.True((bool)components[n]["required"]!));
        Assert.All(["tensorrt-shim", "tensorrt", "tensorrt-onnx-parser", "cuda", "trt-fused-attention"], n => Assert.False((bool)components[n]["required"]!));
        Assert.True((bool)components["onnxruntime"]["found"]!);
        Assert.StartsWith("1.", (string?)components["onnxruntime"]["version"]);
        Assert.NotEmpty(components["onnxruntime"]["trace"]!.AsArray());
        Assert.Matches("^[0-9a-f]{64}$", (string?)components["ort-fused-attention"]["sha256"]);
        Assert.True((bool)components["tensorrt-shim"]["found"]!);
        Assert.Contains("TEST DOUBLE", (string?)components["tensorrt-shim"]["version"]);
        Assert.Equal(TrtDoubleControl.DoublePath, (string?)components["tensorrt-shim"]["path"]);
        Assert.Equal("10.16.0", (string?)components["tensorrt"]["version"]);
        Assert.Contains("sm_87", (string?)components["cuda"]["detail"]);
        Assert.False((bool)components["trt-fused-attention"]["found"]!);
        Assert.Contains("libsrd_fused_attention_trt.so", (string?)components["trt-fused-attention"]["trace"]![0]);
    }

    [Fact]
    public void A_missing_required_component_exits_4_naming_it_after_printing_the_report()
    {
        var saved = DoctorCommand.Probes;
        DoctorCommand.Probes = saved with
        {
            OnnxRuntime = () => new OrtLibraryProbe(false, null, null, null, ["SRDEPLOY_ORT_LIBRARY /x/libonnxruntime.so.1: no such file"]),
        };
        try
        {
            var (code, stdout, stderr) = Run("doctor");

            Assert.Equal(4, code);
            Assert.Contains("[MISSING] ONNX Runtime", stdout);
            Assert.Contains("tried: SRDEPLOY_ORT_LIBRARY /x/libonnxruntime.so.1: no such file", stdout);
            AssertOneErrorLine(stderr, "doctor: required component(s) missing: ONNX Runtime", "run scripts/setup");
        }
        finally
        {
            DoctorCommand.Probes = saved;
        }
    }

    [Fact]
    public void Text_marks_the_TensorRT_parts_optional_and_says_what_is_ready()
    {
        var (code, stdout, _) = Run("doctor");

        Assert.Equal(0, code);
        Assert.Contains("[ok     ] TensorRT shim (libsrd_trt.so) (optional): ABI 1", stdout);
        Assert.Contains("[absent ] FusedAttention TensorRT plugin (optional)", stdout);
        Assert.Contains("ONNX Runtime path: ready. TensorRT path: ready, except engines of models with FusedAttention nodes", stdout);
    }

    [Fact]
    public void Without_the_shim_TensorRT_and_CUDA_are_probed_directly_and_the_missing_shim_is_named()
    {
        var nvidiaDouble = Path.Combine(Path.GetDirectoryName(TrtDoubleControl.DoublePath)!, "libsrd_nvidia_version_double.so");
        var saved = DoctorCommand.Probes;
        DoctorCommand.Probes = saved with
        {
            TensorRt = () => new SuperRes.Deploy.Interop.TensorRT.TrtProbeResult(false, null, ["application folder: libsrd_trt.so: no such file"], null,
                string.Empty, [], "the shim is not loaded"),
            Nvidia = () => SuperRes.Deploy.Interop.TensorRT.NvidiaLibraryProbe.Probe(
                ["libnvinfer.so.99-absent", nvidiaDouble], [nvidiaDouble], [nvidiaDouble], [nvidiaDouble]),
        };
        try
        {
            var (code, stdout, stderr) = Run("doctor", "--json");

            Assert.True(code == 0, stderr);
            var components = ((JsonObject)JsonNode.Parse(stdout)!)["components"]!.AsArray().ToDictionary(c => (string)c!["name"]!, c => c!);
            Assert.False((bool)components["tensorrt-shim"]["found"]!);
            Assert.True((bool)components["tensorrt"]["found"]!);
            Assert.Equal("10.3.0", (string?)components["tensorrt"]["version"]);
            Assert.Contains("the srdeploy shim is not built", (string?)components["tensorrt"]["detail"]);
            Assert.Equal(["libnvinfer.so.99-absent: not found", $"{nvidiaDouble}: loaded, version 10.3.0"],
                components["tensorrt"]["trace"]!.AsArray().Select(n => (string)n!));
            Assert.Equal("runtime 12.6, driver 12.6", (string?)components["cuda"]["version"]);
            Assert.Contains("1 GPU(s)", (string?)components["cuda"]["detail"]);
        }
        finally
        {
            DoctorCommand.Probes = saved;
        }
    }

    [Fact]
    public void Without_the_shim_or_TensorRT_every_library_is_reported_absent_with_the_names_tried()
    {
        var saved = DoctorCommand.Probes;
        DoctorCommand.Probes = saved with
        {
            TensorRt = () => new SuperRes.Deploy.Interop.TensorRT.TrtProbeResult(false, null, [], null, string.Empty, [], "the shim is not loaded"),
            Nvidia = () => SuperRes.Deploy.Interop.TensorRT.NvidiaLibraryProbe.Probe(["libnvinfer.so.99-absent"], ["libnvonnxparser.so.99-absent"],
                ["libcudart.so.99-absent"], ["libcuda.so.99-absent"]),
        };
        try
        {
            var (code, stdout, _) = Run("doctor");

            Assert.Equal(0, code);
            Assert.Contains("not found: install TensorRT 10.x or 11.x (libnvinfer)", stdout);
            Assert.Contains("tried: libnvinfer.so.99-absent: not found", stdout);
            Assert.Contains("CUDA runtime (libcudart) not found", stdout);
        }
        finally
        {
            DoctorCommand.Probes = saved;
        }
    }
}
