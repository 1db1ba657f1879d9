using System.Diagnostics;
using System.Text;

namespace SuperRes.Deploy.Engines.Validation.Reports;

/// <summary>The files one validation wrote.</summary>
public sealed record ValidationReportFiles(string Directory, string Json, string Markdown, string Html, string JUnit);

/// <summary>
/// Writes the four reports of a validation into a folder: <c>validation.md</c>, <c>validation.html</c>,
/// <c>validation.junit.xml</c> and, last, <c>validation.json</c>. Every document is rendered in memory before anything is
/// written, and each file is written atomically (<see cref="AtomicFile"/>), so a failure leaves no half-written report.
/// The JSON records the time the other reports took (<see cref="ValidationTimings.ReportMs"/>).
/// </summary>
public static class ValidationReportWriter
{
    public const string JsonFileName = "validation.json";
    public const string MarkdownFileName = "validation.md";
    public const string HtmlFileName = "validation.html";
    public const string JUnitFileName = "validation.junit.xml";

    /// <summary>Writes the reports; returns the report with its report time and total filled in, and the file paths.</summary>
    public static (ValidationReport Report, ValidationReportFiles Files) Write(ValidationReport report, string directory)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var clock = Stopwatch.StartNew();
        var markdown = Encoding.UTF8.GetBytes(ValidationMarkdown.Render(report));
        var html = Encoding.UTF8.GetBytes(ValidationHtml.Render(report));
        var junit = ValidationJUnit.Render(report);
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DeployException.BadInput($"cannot create report folder '{directory}': {e.Message.ReplaceLineEndings(" ")}");
        }

        var files = new ValidationReportFiles(
            directory,
            Path.Combine(directory, JsonFileName),
            Path.Combine(directory, MarkdownFileName),
            Path.Combine(directory, HtmlFileName),
            Path.Combine(directory, JUnitFileName));
        AtomicFile.WriteAllBytes(files.Markdown, markdown);
        AtomicFile.WriteAllBytes(files.Html, html);
        AtomicFile.WriteAllBytes(files.JUnit, junit);
        var reportMs = clock.Elapsed.TotalMilliseconds;
        var finished = report with
        {
            Timings = report.Timings with { ReportMs = reportMs, TotalMs = report.Timings.TotalMs + reportMs },
        };
        AtomicFile.WriteAllBytes(files.Json, ValidationJson.Render(finished));
        return (finished, files);
    }

    /// <summary>The default report folder: <c>out/validate/yyyyMMdd-HHmmss</c> under <paramref name="root"/> (a suffix keeps it new).</summary>
    public static string DefaultDirectory(string root, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(root);
        var stamp = time.UtcDateTime.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
        var candidate = Path.Combine(root, "out", "validate", stamp);
        for (var i = 2; Directory.Exists(candidate); i++)
        {
            candidate = Path.Combine(root, "out", "validate", $"{stamp}-{i}");
        }

        return candidate;
    }
}
