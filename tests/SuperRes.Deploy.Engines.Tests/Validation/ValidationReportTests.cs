using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Tests.TestSupport;
using SuperRes.Deploy.Engines.Validation;
using SuperRes.Deploy.Engines.Validation.Reports;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Validation;

/// <summary>The four reports of one failing validation (a perturbed copy of plain_sr) at two shapes.</summary>
public sealed partial class ValidationReportTests : IClassFixture<ValidationReportTests.FailingRun>
{
    private readonly FailingRun _run;

    public ValidationReportTests(FailingRun run) => _run = run;

    [Fact]
    public void The_json_report_carries_the_schema_models_runners_settings_statistics_and_timings()
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(_run.Files.Json));
        var root = json.RootElement;

        Assert.Equal("srdeploy.validation/1", root.GetProperty("schema").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("tool").GetProperty("version").GetString()));
        Assert.False(root.GetProperty("passed").GetBoolean());
        Assert.Equal(2, root.GetProperty("counts").GetProperty("checks").GetInt32());
        Assert.Equal(2, root.GetProperty("counts").GetProperty("failed").GetInt32());
        var reference = root.GetProperty("reference");
        Assert.Equal(Sha256(_run.Reference), reference.GetProperty("model").GetProperty("sha256").GetString());
        Assert.Equal(Sha256(_run.Candidate), root.GetProperty("candidate").GetProperty("model").GetProperty("sha256").GetString());
        Assert.Equal("onnxruntime", reference.GetProperty("runner").GetProperty("backend").GetString());
        Assert.Matches(@"^\d+\.\d+\.\d+", reference.GetProperty("runner").GetProperty("version").GetString());
        var criteria = root.GetProperty("criteria");
        Assert.Equal(1e-5, criteria.GetProperty("atol").GetDouble());
        Assert.Equal("elemwise", criteria.GetProperty("check").GetString());
        Assert.Equal(0.99, criteria.GetProperty("cosineMin").GetDouble());
        Assert.Equal(JsonValueKind.Null, criteria.GetProperty("psnrMin").ValueKind);
        Assert.Equal(11, root.GetProperty("inputs").GetProperty("seed").GetInt32());

        var cases = root.GetProperty("cases").EnumerateArray().ToList();
        Assert.Equal(["input:1x3x24x40", "input:1x3x16x16"], cases.Select(c => c.GetProperty("label").GetString()));
        foreach (var c in cases)
        {
            var output = Assert.Single(c.GetProperty("outputs").EnumerateArray().ToList());
            Assert.Equal("output", output.GetProperty("name").GetString());
            Assert.False(output.GetProperty("passed").GetBoolean());
            Assert.Equal(
                ["present", "shape", "dtype", "finite", "tolerance", "cosine"],
                output.GetProperty("conditions").EnumerateArray().Select(x => x.GetProperty("name").GetString()));
            var statistics = output.GetProperty("statistics");
            var elements = statistics.GetProperty("elementCount").GetInt64();
            foreach (var kind in new[] { "absoluteError", "relativeError" })
            {
                var e = statistics.GetProperty(kind);
                Assert.True(e.GetProperty("max").GetDouble() > 0);
                Assert.True(e.GetProperty("max").GetDouble() >= e.GetProperty("p99").GetDouble());
                Assert.True(e.GetProperty("p99").GetDouble() >= e.GetProperty("p95").GetDouble());
                Assert.True(e.GetProperty("p95").GetDouble() >= e.GetProperty("p90").GetDouble());
                Assert.True(e.GetProperty("p90").GetDouble() >= e.GetProperty("median").GetDouble());
                Assert.True(e.TryGetProperty("mean", out _));
            }

            var worst = statistics.GetProperty("worst");
            Assert.Equal(4, worst.GetProperty("coordinates").GetArrayLength());
            Assert.Equal(statistics.GetProperty("absoluteError").GetProperty("max").GetDouble(), worst.GetProperty("absoluteError").GetDouble());
            Assert.Equal(elements, statistics.GetProperty("histogram").EnumerateArray().Sum(b => b.GetProperty("count").GetInt64()));
            Assert.InRange(statistics.GetProperty("cosineSimilarity").GetDouble(), 0.99, 1);
            Assert.True(statistics.GetProperty("psnr").GetDouble() > 20);
            Assert.True(statistics.TryGetProperty("snr", out _));
            Assert.InRange(statistics.GetProperty("ssim").GetDouble(), 0.9, 1);
            Assert.Equal(0, statistics.GetProperty("nonFinite").GetProperty("candidate").GetProperty("nan").GetInt64());
            Assert.True(statistics.GetProperty("check").GetProperty("failingElements").GetInt64() > 0);
            Assert.Equal(JsonValueKind.Object, output.GetProperty("preview").ValueKind);
            Assert.True(c.GetProperty("timingsMs").GetProperty("reference").GetDouble() >= 0);
        }

        var timings = root.GetProperty("timingsMs");
        foreach (var key in new[] { "loadReference", "loadCandidate", "inputs", "referenceRun", "candidateRun", "compare", "preview", "report", "total", "overhead", "overheadFraction" })
        {
            Assert.True(timings.GetProperty(key).GetDouble() >= 0, key);
        }

        Assert.True(timings.GetProperty("report").GetDouble() > 0);
        Assert.Equal(
            timings.GetProperty("inputs").GetDouble() + timings.GetProperty("compare").GetDouble() + timings.GetProperty("preview").GetDouble() + timings.GetProperty("report").GetDouble(),
            timings.GetProperty("overhead").GetDouble(), 6);
    }

    [Fact]
    public void The_junit_report_has_one_testcase_per_output_and_shape_and_failures_carry_the_summary_line()
    {
        var document = XDocument.Load(_run.Files.JUnit);
        var suite = Assert.Single(document.Root!.Elements("testsuite"));
        var cases = suite.Elements("testcase").ToList();

        Assert.Equal("testsuites", document.Root.Name.LocalName);
        Assert.Equal("2", suite.Attribute("tests")!.Value);
        Assert.Equal("2", suite.Attribute("failures")!.Value);
        Assert.Equal(["output @ input:1x3x24x40", "output @ input:1x3x16x16"], cases.Select(c => c.Attribute("name")!.Value));
        for (var i = 0; i < cases.Count; i++)
        {
            var failure = Assert.Single(cases[i].Elements("failure"));
            Assert.Equal(_run.Report.Cases[i].Outputs[0].Summary, failure.Attribute("message")!.Value);
            Assert.Equal("tolerance", failure.Attribute("type")!.Value);
            Assert.Contains("FAIL tolerance", failure.Value, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_html_report_is_self_contained_and_its_images_are_pngs_of_the_outputs()
    {
        var html = File.ReadAllText(_run.Files.Html);

        Assert.DoesNotMatch("(?i)https?:", html);
        Assert.DoesNotMatch("(?i)<script|<link|@import|url\\((?!#)", html);
        var sources = SourcePattern().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(6, sources.Count);
        Assert.All(sources, s => Assert.StartsWith("data:image/png;base64,", s, StringComparison.Ordinal));
        var first = Png.Decode(Convert.FromBase64String(sources[0]["data:image/png;base64,".Length..]), "reference preview");
        Assert.Equal((160, 96), (first.Width, first.Height));
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("absolute error histogram", html, StringComparison.Ordinal);
        Assert.Contains(">FAIL<", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_markdown_summary_has_a_row_per_check_and_the_failures()
    {
        var markdown = File.ReadAllText(_run.Files.Markdown);

        Assert.StartsWith("# srdeploy validate: FAILED", markdown, StringComparison.Ordinal);
        Assert.Contains("| `input:1x3x24x40` (--shape #1) | output | **FAIL** |", markdown, StringComparison.Ordinal);
        Assert.Contains("| `input:1x3x16x16` (--shape #2) | output | **FAIL** |", markdown, StringComparison.Ordinal);
        Assert.Contains($"- **output @ `input:1x3x24x40`**: {_run.Report.Cases[0].Outputs[0].Summary}", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void The_report_folder_holds_exactly_the_four_reports_and_no_temporary_file()
    {
        Assert.Equal(
            ["validation.html", "validation.json", "validation.junit.xml", "validation.md"],
            Directory.EnumerateFileSystemEntries(_run.Files.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [SkippableFact]
    public async Task The_html_report_renders_in_headless_chromium_to_a_non_blank_page()
    {
        const string chromium = "/usr/bin/chromium";
        Skip.IfNot(File.Exists(chromium), "Debian's chromium (/usr/bin/chromium) is not installed; scripts/setup installs it");
        using var profile = new TempFolder("srd-chromium");
        var screenshot = profile.File("report.png");
        var start = new ProcessStartInfo(chromium)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", $"--user-data-dir={profile.File("profile")}",
                     $"--screenshot={screenshot}", "--window-size=1280,2000", new Uri(_run.Files.Html).AbsoluteUri,
                 })
        {
            start.ArgumentList.Add(argument);
        }

        using (var process = Process.Start(start)!)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = await process.StandardError.ReadToEndAsync(timeout.Token);
            await stdout;
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {stderr}");
        }

        var image = Png.Decode(File.ReadAllBytes(screenshot), screenshot);
        Assert.Equal((1280, 2000), (image.Width, image.Height));
        var samples = image.Plane(0).ToArray();
        var mean = samples.Average(v => (double)v);
        var variance = samples.Average(v => (v - mean) * (v - mean));
        Assert.True(variance > 1e-3, $"the screenshot is blank (variance {variance})");
        // The FAILED badge is red (#cf222e): some pixels must be strongly red.
        var red = image.Plane(0).ToArray().Zip(image.Plane(1).ToArray(), (r, g) => r > 0.7 && g < 0.3).Count(x => x);
        Assert.True(red > 100, $"only {red} red pixels: the FAILED badge did not render");
    }

    [SkippableFact]
    public void The_main_jobs_render_script_screenshots_the_report_and_refuses_a_blank_page()
    {
        Skip.IfNot(File.Exists("/usr/bin/chromium") && File.Exists("/usr/bin/convert"),
            "Debian's chromium and ImageMagick are not installed; scripts/setup installs them");
        using var folder = new TempFolder("srd-render-html");
        var script = RepoPaths.Combine("scripts", "render-html");
        File.WriteAllText(folder.File("blank.html"), "<!doctype html><html><body style=\"background:#fff\"></body></html>");

        var report = Run(script, _run.Files.Html, folder.File("report.png"));
        var blank = Run(script, folder.File("blank.html"), folder.File("blank.png"));

        Assert.True(report.Code == 0, report.Stderr);
        Assert.StartsWith(folder.File("report.png"), report.Stdout, StringComparison.Ordinal);
        var shot = Png.Decode(File.ReadAllBytes(folder.File("report.png")), "report.png");
        Assert.Equal((1280, 2000), (shot.Width, shot.Height));
        Assert.Equal(1, blank.Code);
        Assert.Contains("is blank", blank.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(folder.File("blank.png")));
    }

    private static (int Code, string Stdout, string Stderr) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [GeneratedRegex("src=\"([^\"]*)\"")]
    private static partial Regex SourcePattern();

    /// <summary>One validation run shared by the tests: plain_sr against a copy with one weight of its last conv perturbed.</summary>
    public sealed class FailingRun : IDisposable
    {
        private readonly TempFolder _folder = new("srd-report");

        public FailingRun()
        {
            Reference = RepoPaths.FixtureModel("plain_sr.onnx");
            Candidate = _folder.File("perturbed.onnx");
            ValidationModels.SavePerturbed(Reference, Candidate, "body.4.weight", 5, 0.05f);
            var report = ModelValidator.Validate(new ValidationRequest
            {
                ReferencePath = Reference,
                CandidatePath = Candidate,
                Shapes = [ShapeSpec.ParseList("input:1x3x24x40"), ShapeSpec.ParseList("input:1x3x16x16")],
                Inputs = ValidationInputs.Random(11),
                Criteria = new ValidationCriteria { CosineMin = 0.99 },
            });
            (Report, Files) = ValidationReportWriter.Write(report, Path.Combine(_folder.Path, "reports"));
        }

        public string Reference { get; }

        public string Candidate { get; }

        public ValidationReport Report { get; }

        public ValidationReportFiles Files { get; }

        public void Dispose() => _folder.Dispose();
    }
}
