using SuperRes.Deploy.Engines.Packaging;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Packaging;

public sealed class NpyTests : IDisposable
{
    private readonly TempFolder _temp = new("srd-npy");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Tensors_of_every_supported_type_round_trip()
    {
        var tensors = new[]
        {
            Tensor.FromArray([1.5f, -2, 3, 4, 5, 6], 1, 2, 3),
            Tensor.FromArray([(Half)1.5, (Half)(-2)], 2),
            Tensor.FromArray([1.25, 2.5], 2, 1),
            Tensor.FromArray([1L, -2, long.MaxValue], 3),
            Tensor.FromArray([7], []),
            Tensor.FromArray([true, false, true], 3),
            Tensor.FromArray(new byte[] { 1, 255 }, 2),
        };
        foreach (var (tensor, i) in tensors.Select((t, i) => (t, i)))
        {
            var path = _temp.File($"t{i}.npy");
            Npy.Write(path, tensor);
            var back = Npy.Read(path);
            Assert.Equal(tensor.ElementType, back.ElementType);
            Assert.Equal(tensor.Shape, back.Shape);
            Assert.Equal(tensor.Data, back.Data);
            var header = File.ReadAllBytes(path);
            Assert.Equal(0, (10 + BitConverter.ToUInt16(header, 8)) % 64);
        }
    }

    [SkippableFact]
    public void Numpy_reads_what_Npy_writes()
    {
        var python = TestProcess.PythonWithNumpy();
        Skip.If(python is null, "/usr/bin/python3 with numpy is missing");
        var path = _temp.File("x.npy");
        Npy.Write(path, Tensor.FromArray([0.5f, 1, 2, 3, 4, 5], 1, 3, 2, 1));
        var (code, stdout, stderr) = TestProcess.Run(python!, ["-c", $"import numpy as n; a = n.load('{path}'); print(a.dtype, a.shape, float(a.sum()), a[0, 2, 1, 0])"]);
        Assert.True(code == 0, stderr);
        Assert.Equal("float32 (1, 3, 2, 1) 15.5 5.0", stdout.Trim());
    }

    [Fact]
    public void A_file_that_is_not_npy_is_bad_input()
    {
        File.WriteAllText(_temp.File("bad.npy"), "hello world, not numpy");
        Assert.Equal(FailureKind.BadInput, Assert.Throws<DeployException>(() => Npy.Read(_temp.File("bad.npy"))).Kind);
    }
}
