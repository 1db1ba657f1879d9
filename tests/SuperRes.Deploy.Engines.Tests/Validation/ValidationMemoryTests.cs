using System.Globalization;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Tests.Runtime;
using SuperRes.Deploy.Engines.Validation;
using SuperRes.Deploy.Engines.Validation.Reports;
using SuperRes.Deploy.Tests;
using Xunit.Abstractions;

namespace SuperRes.Deploy.Engines.Tests.Validation;

[Collection(nameof(RunnerMemoryTestGroup))]
public sealed class ValidationMemoryTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void Two_hundred_validation_runs_in_one_process_leak_no_native_memory()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "resident memory is read from /proc/self/status");
        const int runs = 200;
        var model = RepoPaths.FixtureModel("plain_sr.onnx");
        var request = new ValidationRequest
        {
            ReferencePath = model,
            CandidatePath = model,
            Shapes = [ShapeSpec.ParseList("input:1x3x16x16")],
            Threads = 1,
        };
        long reportBytes = 0;

        void Run()
        {
            // A whole validation: two ONNX Runtime sessions loaded and run, comparison, previews, all four reports rendered.
            var report = ModelValidator.Validate(request);
            Assert.True(report.Passed, report.Summary);
            reportBytes = ValidationJson.Render(report).Length + ValidationHtml.Render(report).Length
                          + ValidationMarkdown.Render(report).Length + ValidationJUnit.Render(report).Length;
        }

        for (var i = 0; i < 20; i++)
        {
            Run();
        }

        var before = SettledResidentKilobytes();
        for (var i = 0; i < runs; i++)
        {
            Run();
        }

        var after = SettledResidentKilobytes();
        output.WriteLine($"VmRSS after warm-up {before} kB, after {runs} validations {after} kB, growth {after - before} kB; last reports {reportBytes} bytes");
        Assert.True(reportBytes > 10_000);
        Assert.True(after - before < 20 * 1024, $"resident memory grew by {after - before} kB over {runs} validations");
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
