using System.Diagnostics;
using System.Globalization;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Validation;
using SuperRes.Deploy.Engines.Validation.Reports;

namespace SuperRes.Deploy.Benchmarks;

/// <summary>
/// What `srdeploy validate` costs besides the two ONNX Runtime runs, on the default model (models/ditn_real_x4.onnx)
/// validated against itself at one input size: input generation, the comparison statistics (SSIM included), the preview
/// images and writing the four reports, as a fraction of (that overhead + the reference run + the candidate run).
/// The figures come from the report's own timings plus a stopwatch around the report writer (which the report cannot
/// time for its own JSON); model loading is reported apart.
/// </summary>
internal static class ValidationOverheadBenchmark
{
    public static void Run(int size, int runs)
    {
        var root = RepoRoot();
        var model = Path.Combine(root, "models", "ditn_real_x4.onnx");
        var folder = Path.Combine(Path.GetTempPath(), $"srd-bench-validate-{Guid.NewGuid():N}");
        var request = new ValidationRequest
        {
            ReferencePath = model,
            CandidatePath = model,
            Shapes = [ShapeSpec.ParseList($"input:1x3x{size}x{size}")],
        };

        Console.WriteLine($"validate overhead: {Path.GetFileName(model)} against itself at input 1x3x{size}x{size} (output {4 * size}x{4 * size}), {runs} runs after 1 warm-up at 64x64");
        Measure(request with { Shapes = [ShapeSpec.ParseList("input:1x3x64x64")] }, folder);
        var samples = new List<Sample>();
        for (var r = 0; r < runs; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var sample = Measure(request, folder);
            samples.Add(sample);
            Console.WriteLine(FormattableString.Invariant(
                $"  run {r + 1}: reference {sample.Reference:0} ms, candidate {sample.Candidate:0} ms, inputs {sample.Inputs:0.0} ms, compare {sample.Compare:0.0} ms, previews {sample.Preview:0.0} ms, reports {sample.Reports:0.0} ms -> overhead {sample.Overhead:0} ms = {sample.Fraction:P2}"));
        }

        Directory.Delete(folder, recursive: true);
        Console.WriteLine("medians:");
        Print("model loading (both, not part of the overhead)", samples.Select(s => s.Load));
        Print("reference run (ONNX Runtime)", samples.Select(s => s.Reference));
        Print("candidate run (ONNX Runtime)", samples.Select(s => s.Candidate));
        Print("inputs", samples.Select(s => s.Inputs));
        Print("comparison statistics + SSIM", samples.Select(s => s.Compare));
        Print("preview images (downsample + PNG)", samples.Select(s => s.Preview));
        Print("reports (render + write, JSON included)", samples.Select(s => s.Reports));
        Print("overhead", samples.Select(s => s.Overhead));
        Console.WriteLine(FormattableString.Invariant($"  overhead fraction: median {Median(samples.Select(s => s.Fraction)):P2} (min {samples.Min(s => s.Fraction):P2}, max {samples.Max(s => s.Fraction):P2})"));
    }

    private static Sample Measure(ValidationRequest request, string folder)
    {
        var report = ModelValidator.Validate(request);
        if (!report.Passed)
        {
            throw new InvalidOperationException($"the model does not match itself: {report.Summary}");
        }

        var watch = Stopwatch.StartNew();
        var (written, _) = ValidationReportWriter.Write(report, folder);
        var reports = watch.Elapsed.TotalMilliseconds;
        var t = written.Timings;
        return new Sample(t.LoadReferenceMs + t.LoadCandidateMs, t.ReferenceRunMs, t.CandidateRunMs, t.InputsMs, t.CompareMs, t.PreviewMs, reports);
    }

    private static void Print(string what, IEnumerable<double> values) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {what}: {Median(values):0.0} ms"));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SuperRes.Deploy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }

    private sealed record Sample(double Load, double Reference, double Candidate, double Inputs, double Compare, double Preview, double Reports)
    {
        public double Overhead => Inputs + Compare + Preview + Reports;

        public double Fraction => Overhead / (Overhead + Reference + Candidate);
    }
}
