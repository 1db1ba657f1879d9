using System.Globalization;
using SuperRes.Deploy.Interop.OnnxRuntime;
using SuperRes.Deploy.Tests;
using Xunit.Abstractions;

namespace SuperRes.Deploy.Interop.Tests.OnnxRuntime;

/// <summary>Tests that measure process-wide memory run alone, after the parallel tests, so other tests do not disturb them.</summary>
[CollectionDefinition(nameof(NativeMemoryTestGroup), DisableParallelization = true)]
public sealed class NativeMemoryTestGroup;

[Collection(nameof(NativeMemoryTestGroup))]
public sealed class OrtNativeMemoryTests(ITestOutputHelper output)
{
    private const int Cycles = 200;
    private const long AllowedGrowthBytes = 20L << 20;

    [SkippableFact]
    public void Two_hundred_create_run_dispose_cycles_keep_resident_memory_growth_under_20_MB()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "resident memory is read from /proc/self/status");
        var model = TestOnnxModels.Bytes(TestOnnxModels.MatMulSoftmax());
        var x = Enumerable.Range(0, 64 * 4).Select(i => (float)Math.Sin(i)).ToArray();
        var expected = TestOnnxModels.MatMulSoftmaxReference(x, 64);

        void Cycle()
        {
            using var options = new OrtSessionOptions();
            options.SetIntraOpThreads(1);
            using var session = OrtSession.FromBytes(model, options);
            _ = session.ReadModelMetadata();
            using var input = OrtValue.CreateTensor<float>(x, [64, 4]);
            var outputs = session.Run(["X"], [input], ["Y"]);
            using var y = outputs[0];
            OrtSessionTests.AssertClose(expected, y.ToArray<float>(), 1e-6f);
        }

        for (var i = 0; i < 20; i++)
        {
            Cycle();
        }

        var before = SettledResidentBytes();
        for (var i = 0; i < Cycles; i++)
        {
            Cycle();
        }

        var after = SettledResidentBytes();
        var growth = after - before;
        output.WriteLine($"VmRSS after warm-up {before / 1024} kB, after {Cycles} cycles {after / 1024} kB, growth {growth / 1024} kB");
        Assert.True(growth < AllowedGrowthBytes, $"resident memory grew by {growth / 1024} kB over {Cycles} cycles");
    }

    [Fact]
    public void Tensors_over_managed_arrays_unpin_them_when_disposed_or_finalized()
    {
        const int count = 200;
        var baseline = PinnedObjectsAfterCollection();

        var values = Enumerable.Range(0, count).Select(_ => OrtValue.CreateTensor<float>(new float[16], [16])).ToList();
        var whilePinned = PinnedObjectsAfterCollection();
        foreach (var value in values)
        {
            value.Dispose();
        }

        var afterDispose = PinnedObjectsAfterCollection();
        CreateAndDrop(count);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var afterFinalization = PinnedObjectsAfterCollection();

        output.WriteLine($"pinned objects: baseline {baseline}, {count} live tensors {whilePinned}, disposed {afterDispose}, finalized {afterFinalization}");
        Assert.True(whilePinned >= baseline + count, $"expected at least {baseline + count} pinned objects, saw {whilePinned}");
        Assert.True(afterDispose < baseline + (count / 2), $"pins survived Dispose: {afterDispose} pinned (baseline {baseline})");
        Assert.True(afterFinalization < baseline + (count / 2), $"pins survived finalization: {afterFinalization} (baseline {baseline})");
    }

    private static void CreateAndDrop(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _ = OrtValue.CreateTensor<float>(new float[16], [16]);
        }
    }

    private static long PinnedObjectsAfterCollection()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
        return GC.GetGCMemoryInfo(GCKind.Any).PinnedObjectsCount;
    }

    private static long SettledResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var kilobytes = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return kilobytes * 1024;
    }
}
