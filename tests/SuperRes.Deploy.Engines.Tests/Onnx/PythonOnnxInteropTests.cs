using System.Diagnostics;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Tests.Onnx;

/// <summary>
/// External data written here is read by the reference implementation (the `onnx` Python package) and the other way
/// round. Skipped where no Python with `onnx` is installed (Debian: python3-onnx).
/// </summary>
public sealed class PythonOnnxInteropTests
{
    private static readonly Lazy<string?> Python = new(FindPythonWithOnnx);

    [SkippableFact]
    public void Model_saved_with_external_data_loads_in_the_onnx_python_package_with_identical_weights()
    {
        Skip.If(Python.Value is null, "no python3 with the onnx package (install python3-onnx)");
        using var folder = new TempFolder();
        var original = OnnxTestModels.WriteFile(OnnxTestModels.ConvNet(blocks: 3, channels: 32, seed: 3), folder.Path, "original.onnx");
        using (var model = OnnxModel.Load(original))
        {
            model.Save(folder.File("ext.onnx"), new OnnxSaveOptions { ExternalDataThreshold = 1024, ExternalDataFileName = "ext.weights" });
        }

        var output = RunPython(folder.Path, """
            import onnx, sys
            from onnx import numpy_helper
            ext = onnx.load("ext.onnx")
            onnx.checker.check_model("ext.onnx")
            orig = onnx.load("original.onnx")
            a = {t.name: numpy_helper.to_array(t) for t in orig.graph.initializer}
            b = {t.name: numpy_helper.to_array(t) for t in ext.graph.initializer}
            assert a.keys() == b.keys()
            assert all(a[k].tobytes() == b[k].tobytes() and a[k].dtype == b[k].dtype and a[k].shape == b[k].shape for k in a)
            print(sum(1 for t in onnx.load("ext.onnx", load_external_data=False).graph.initializer if t.data_location == 1))
            """);
        Assert.True(int.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture) > 0, "no tensor was external");
    }

    [SkippableFact]
    public void Model_saved_with_external_data_by_the_onnx_python_package_loads_with_identical_weights()
    {
        Skip.If(Python.Value is null, "no python3 with the onnx package (install python3-onnx)");
        using var folder = new TempFolder();
        var original = OnnxTestModels.WriteFile(OnnxTestModels.ConvNet(blocks: 3, channels: 32, seed: 4), folder.Path, "original.onnx");
        RunPython(folder.Path, """
            import onnx
            m = onnx.load("original.onnx")
            onnx.save_model(m, "py.onnx", save_as_external_data=True, all_tensors_to_one_file=True, location="py.data", size_threshold=1024)
            """);

        using var inline = OnnxModel.Load(original);
        using var external = OnnxModel.Load(folder.File("py.onnx"));
        Assert.Contains(external.Proto.Graph.Initializer, TensorData.IsExternal);
        Assert.Equal(inline.Proto, ModelWithInlineData(external));
    }

    private static global::Onnx.ModelProto ModelWithInlineData(OnnxModel model) => global::Onnx.ModelProto.Parser.ParseFrom(model.ToBytesWithInlineData());

    private static string RunPython(string workingDirectory, string script)
    {
        var start = new ProcessStartInfo(Python.Value!, ["-c", script])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"python failed: {stderr}");
        return stdout.Result;
    }

    private static string? FindPythonWithOnnx()
    {
        // Debian's python3-onnx installs for the system interpreter, which a pyenv or venv python3 on PATH may hide.
        foreach (var candidate in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(candidate, ["-c", "import onnx"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
                process.StandardError.ReadToEnd();
                process.WaitForExit();
                if (process.ExitCode == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed under this name; try the next.
            }
        }

        return null;
    }
}
