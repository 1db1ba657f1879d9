using System.Text;
using static SuperRes.Deploy.Engines.Validation.Reports.ReportText;

namespace SuperRes.Deploy.Engines.Validation.Reports;

/// <summary>A Markdown summary of a <see cref="ValidationReport"/> (for CI job summaries and pull-request comments).</summary>
public static class ValidationMarkdown
{
    public static string Render(ValidationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder();
        md.AppendLine($"# srdeploy validate: {(report.Passed ? "PASSED" : "FAILED")}");
        md.AppendLine();
        md.AppendLine(Escape(report.Summary));
        md.AppendLine();
        md.AppendLine("| | Reference | Candidate |");
        md.AppendLine("|---|---|---|");
        md.AppendLine($"| model | `{Escape(report.Reference.Path)}` | `{Escape(report.Candidate.Path)}` |");
        md.AppendLine($"| format | {report.Reference.Format} | {report.Candidate.Format}{(report.Candidate.Detail is { } d ? $" ({Escape(d)})" : string.Empty)} |");
        md.AppendLine($"| sha256 | `{report.Reference.Sha256}` | `{report.Candidate.Sha256}` |");
        md.AppendLine($"| runner | {report.ReferenceRunner.Backend} {report.ReferenceRunner.Version} | {report.CandidateRunner.Backend} {report.CandidateRunner.Version} |");
        md.AppendLine($"| how | {Escape(report.ReferenceRunner.Detail)} | {Escape(report.CandidateRunner.Detail)} |");
        md.AppendLine();
        md.AppendLine($"- **Criteria**: {Escape(Criteria(report.Criteria))}");
        md.AppendLine($"- **Inputs**: {Escape(Inputs(report.Inputs))}");
        md.AppendLine($"- **Size constraints**: {Escape(report.SizeConstraints)}");
        md.AppendLine($"- **Tool**: srdeploy {Escape(report.ToolVersion)}, {report.CreatedUtc.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC");
        md.AppendLine();
        md.AppendLine("## Results");
        md.AppendLine();
        md.AppendLine("| Shape | Output | Verdict | max abs | mean abs | p99 abs | max rel | cosine | PSNR dB | SSIM |");
        md.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in report.Cases)
        {
            foreach (var o in c.Outputs)
            {
                var s = o.Comparison;
                md.AppendLine($"| `{c.Label}` ({Escape(c.Origin)}) | {Escape(o.Name)} | {(o.Passed ? "pass" : "**FAIL**")} | {G4(s?.AbsoluteError.Max)} | {G4(s?.AbsoluteError.Mean)} | {G4(s?.AbsoluteError.P99)} | {G4(s?.RelativeError.Max)} | {Fixed(s?.CosineSimilarity, 6)} | {Fixed(s?.Psnr, 2)} | {Fixed(s?.Ssim, 4)} |");
            }
        }

        var failures = report.Cases.SelectMany(c => c.Outputs.Where(o => !o.Passed).Select(o => (c, o))).ToList();
        if (failures.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Failures");
            md.AppendLine();
            foreach (var (c, o) in failures)
            {
                md.AppendLine($"- **{Escape(o.Name)} @ `{c.Label}`**: {Escape(o.Summary)}");
            }
        }

        md.AppendLine();
        md.AppendLine("## Timings");
        md.AppendLine();
        var t = report.Timings;
        md.AppendLine("| Stage | Time |");
        md.AppendLine("|---|---:|");
        md.AppendLine($"| load reference | {Duration(t.LoadReferenceMs)} |");
        md.AppendLine($"| load candidate | {Duration(t.LoadCandidateMs)} |");
        md.AppendLine($"| reference runs | {Duration(t.ReferenceRunMs)} |");
        md.AppendLine($"| candidate runs | {Duration(t.CandidateRunMs)} |");
        md.AppendLine($"| inputs | {Duration(t.InputsMs)} |");
        md.AppendLine($"| comparison | {Duration(t.CompareMs)} |");
        md.AppendLine($"| previews | {Duration(t.PreviewMs)} |");
        var before = t.InputsMs + t.CompareMs + t.PreviewMs;
        var runs = t.ReferenceRunMs + t.CandidateRunMs;
        md.AppendLine(FormattableString.Invariant($"| validate's overhead before the reports (inputs + comparison + previews) | {Duration(before)} ({(before + runs > 0 ? before / (before + runs) : 0):P1} of it + the runs) |"));
        if (report.Notes.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Notes");
            md.AppendLine();
            foreach (var note in report.Notes)
            {
                md.AppendLine($"- {Escape(note)}");
            }
        }

        return md.ToString();
    }

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
}
