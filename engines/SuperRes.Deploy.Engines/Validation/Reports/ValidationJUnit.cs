using System.Globalization;
using System.Text;
using System.Xml;

namespace SuperRes.Deploy.Engines.Validation.Reports;

/// <summary>
/// A <see cref="ValidationReport"/> as JUnit XML, the format CI systems (GitHub Actions reporters, GitLab, Jenkins,
/// Azure Pipelines) display: one testsuite, one testcase per output × shape, a failure element carrying the one-line
/// summary as its message and the conditions and statistics as its text.
/// </summary>
public static class ValidationJUnit
{
    public static byte[] Render(ValidationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        using var buffer = new MemoryStream();
        using (var w = XmlWriter.Create(buffer, settings))
        {
            var seconds = Seconds((report.Timings.ReferenceRunMs + report.Timings.CandidateRunMs + report.Timings.CompareMs + report.Timings.InputsMs + report.Timings.PreviewMs) / 1000);
            var suiteName = $"{Path.GetFileName(report.Candidate.Path)} vs {Path.GetFileName(report.Reference.Path)}";
            w.WriteStartDocument();
            w.WriteStartElement("testsuites");
            w.WriteAttributeString("name", "srdeploy validate");
            w.WriteAttributeString("tests", Count(report.CheckCount));
            w.WriteAttributeString("failures", Count(report.FailedCount));
            w.WriteAttributeString("errors", "0");
            w.WriteAttributeString("time", seconds);
            w.WriteStartElement("testsuite");
            w.WriteAttributeString("name", suiteName);
            w.WriteAttributeString("tests", Count(report.CheckCount));
            w.WriteAttributeString("failures", Count(report.FailedCount));
            w.WriteAttributeString("errors", "0");
            w.WriteAttributeString("skipped", "0");
            w.WriteAttributeString("time", seconds);
            w.WriteAttributeString("timestamp", report.CreatedUtc.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
            w.WriteStartElement("properties");
            Property(w, "tool", $"srdeploy {report.ToolVersion}");
            Property(w, "reference", $"{report.Reference.Path} sha256:{report.Reference.Sha256}");
            Property(w, "candidate", $"{report.Candidate.Path} sha256:{report.Candidate.Sha256}");
            Property(w, "reference.runner", $"{report.ReferenceRunner.Backend} {report.ReferenceRunner.Version}");
            Property(w, "candidate.runner", $"{report.CandidateRunner.Backend} {report.CandidateRunner.Version}");
            Property(w, "criteria", ReportText.Criteria(report.Criteria));
            Property(w, "inputs", ReportText.Inputs(report.Inputs));
            w.WriteEndElement();
            var className = $"srdeploy.validate.{Path.GetFileNameWithoutExtension(report.Candidate.Path)}";
            foreach (var c in report.Cases)
            {
                var perOutput = (c.Timings.ReferenceMs + c.Timings.CandidateMs + c.Timings.CompareMs + c.Timings.InputsMs + c.Timings.PreviewMs) / 1000 / Math.Max(1, c.Outputs.Count);
                foreach (var o in c.Outputs)
                {
                    w.WriteStartElement("testcase");
                    w.WriteAttributeString("classname", className);
                    w.WriteAttributeString("name", $"{o.Name} @ {c.Label}");
                    w.WriteAttributeString("time", Seconds(perOutput));
                    if (!o.Passed)
                    {
                        w.WriteStartElement("failure");
                        w.WriteAttributeString("message", o.Summary);
                        w.WriteAttributeString("type", string.Join(",", o.Conditions.Where(x => !x.Passed).Select(x => x.Name)));
                        w.WriteString(Details(c, o));
                        w.WriteEndElement();
                    }

                    w.WriteStartElement("system-out");
                    w.WriteString($"{o.Summary}\nshape origin: {c.Origin}\n");
                    w.WriteEndElement();
                    w.WriteEndElement();
                }
            }

            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndDocument();
        }

        return buffer.ToArray();
    }

    private static string Details(CaseResult c, OutputResult o)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"output {o.Name} at {c.Label} ({c.Origin})");
        foreach (var condition in o.Conditions)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {(condition.Passed ? "ok  " : "FAIL")} {condition.Name}: {condition.Detail}");
        }

        if (o.Comparison is { } s)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  abs error: max {ReportText.G4(s.AbsoluteError.Max)}, mean {ReportText.G4(s.AbsoluteError.Mean)}, median {ReportText.G4(s.AbsoluteError.Median)}, p90 {ReportText.G4(s.AbsoluteError.P90)}, p95 {ReportText.G4(s.AbsoluteError.P95)}, p99 {ReportText.G4(s.AbsoluteError.P99)}");
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  rel error: max {ReportText.G4(s.RelativeError.Max)}, mean {ReportText.G4(s.RelativeError.Mean)}, median {ReportText.G4(s.RelativeError.Median)}, p99 {ReportText.G4(s.RelativeError.P99)}");
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  cosine {ReportText.Fixed(s.CosineSimilarity, 6)}, PSNR {ReportText.Fixed(s.Psnr, 2)} dB, SNR {ReportText.Fixed(s.Snr, 2)} dB, SSIM {ReportText.Fixed(s.Ssim, 4)}");
            if (s.Worst is { } worst)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {ModelValidator.DescribeWorst(worst)}");
            }
        }

        return text.ToString();
    }

    private static void Property(XmlWriter w, string name, string value)
    {
        w.WriteStartElement("property");
        w.WriteAttributeString("name", name);
        w.WriteAttributeString("value", value);
        w.WriteEndElement();
    }

    private static string Count(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);
}
