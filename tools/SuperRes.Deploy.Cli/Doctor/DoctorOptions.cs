using CommandLine;
using SuperRes.Deploy.Cli.Hosting;

namespace SuperRes.Deploy.Cli.Doctor;

/// <summary>What `srdeploy doctor` takes.</summary>
[Verb("doctor", HelpText = "Check this machine: .NET, ONNX Runtime, the FusedAttention plugin libraries, the TensorRT shim, TensorRT and its ONNX parser, CUDA driver and GPUs; each found or not, with the paths tried. Exit 0 when the ONNX Runtime path works (TensorRT is optional), 4 when a required component is missing.")]
public sealed class DoctorOptions : CommonOptions
{
    [Option("json", HelpText = "Write the report as JSON (schema srdeploy.doctor/1, see docs/cli.md).")]
    public bool Json { get; set; }
}
