using System.Globalization;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Tests;
using Xunit.Abstractions;

namespace SuperRes.Deploy.Engines.Tests.Runtime;

/// <summary>Tests that measure process-wide memory run alone, after the parallel tests.</summary>
[CollectionDefinition(nameof(RunnerMemoryTestGroup), DisableParallelization = true)]
public sealed class RunnerMemoryTestGroup;

[Collection(nameof(RunnerMemoryTestGroup))]
public sealed class OrtRunnerMemoryTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void Two_hundred_validation_style_runs_leak_no_native_memory()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "resident memory is read from /proc/self/status");
        const int cycles = 200;
        var model = TestOnnxModels.Bytes(TestOnnxModels.MatMulSoftmax());
        var x = Tensor.FromArray(Enumerable.Range(0, 256 * 4).Select(i => (float)Math.Sin(i)).ToArray(), 256, 4);

        void Cycle()
        {
            using var runner = new OrtRunner(OrtRunnerOptions.ForBytes(model, "leak") with { IntraOpThreads = 1 });
            var y = runner.Run(new Dictionary<string, Tensor> { ["X"] = x })["Y"];
            Assert.Equal(256 * 3, y.ElementCount);
        }

        for (var i = 0; i < 20; i++)
        {
            Cycle();
        }

        var before = SettledResidentKilobytes();
        for (var i = 0; i < cycles; i++)
        {
            Cycle();
        }

        var after = SettledResidentKilobytes();
        output.WriteLine($"VmRSS after warm-up {before} kB, after {cycles} runner cycles {after} kB, growth {after - before} kB");
        Assert.True(after - before < 20 * 1024, $"resident memory grew by {after - before} kB over {cycles} cycles");
    }

    private static long SettledResidentKilobytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
