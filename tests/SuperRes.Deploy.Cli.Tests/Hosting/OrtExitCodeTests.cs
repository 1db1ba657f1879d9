using SuperRes.Deploy.Cli.Hosting;
using SuperRes.Deploy.Interop.OnnxRuntime;

namespace SuperRes.Deploy.Cli.Tests.Hosting;

public sealed class OrtExitCodeTests
{
    [Fact]
    public void A_missing_onnx_runtime_exits_with_the_missing_component_code_4()
    {
        var error = new OrtLibraryNotFoundException(["system libonnxruntime.so.1: cannot open shared object file"]);

        Assert.Equal(ExitCode.MissingComponent, ExitCodes.For(error));
        Assert.Equal(4, (int)ExitCodes.For(error));
    }

    [Fact]
    public void Other_onnx_runtime_errors_reaching_the_host_are_internal_errors()
    {
        Assert.Equal(ExitCode.InternalError, ExitCodes.For(new OrtException(OrtErrorCode.Fail, "unexpected")));
    }
}
