using System.Globalization;
using System.Net;
using System.Text;
using SuperRes.Deploy.Engines.Validation.Metrics;
using static SuperRes.Deploy.Engines.Validation.Reports.ReportText;

namespace SuperRes.Deploy.Engines.Validation.Reports;

/// <summary>
/// A self-contained HTML page of a <see cref="ValidationReport"/>: inline CSS, inline SVG (error histograms, the heat-map
/// scale) and images as <c>data:</c> URIs (PNG from our encoder), no script and no external reference of any kind, so
/// it can be archived as a CI artifact and opened anywhere offline.
/// </summary>
public static class ValidationHtml
{
    private const string Style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#1b1f24;background:#fff}
        h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
        h3{font-size:15px;margin:18px 0 6px}code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f3f4f6;padding:1px 4px;border-radius:3px}
        table{border-collapse:collapse;margin:6px 0 12px}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
        th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
        .badge{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600}
        .pass{background:#1a7f37}.fail{background:#cf222e}.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}
        details{border:1px solid #d0d7de;border-radius:6px;margin:8px 0;padding:4px 10px}summary{cursor:pointer;font-weight:600;padding:4px 0}
        .row{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}.row figure{margin:0}
        figcaption{font-size:12px;color:#57606a;text-align:center}img.preview{border:1px solid #d0d7de;max-width:100%;height:auto;image-rendering:pixelated}
        .muted{color:#57606a}.small{font-size:12px}
        """;

    public static string Render(ValidationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var h = new StringBuilder(1 << 16);
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.Append(Inv($"<title>srdeploy validate: {(report.Passed ? "PASSED" : "FAILED")} {E(Path.GetFileName(report.Candidate.Path))}</title>\n"));
        h.Append("<style>").Append(Style).Append("</style>\n</head>\n<body>\n");
        h.Append(Inv($"<h1>srdeploy validate <span class=\"badge {(report.Passed ? "pass" : "fail")}\">{(report.Passed ? "PASSED" : "FAILED")}</span></h1>\n"));
        h.Append(Inv($"<p>{E(report.Summary)}</p>\n"));
        Models(h, report);
        SummaryTable(h, report);
        foreach (var c in report.Cases)
        {
            Case(h, c);
        }

        Timings(h, report.Timings);
        if (report.Notes.Count > 0)
        {
            h.Append("<h2>Notes</h2>\n<ul>\n");
            foreach (var note in report.Notes)
            {
                h.Append(Inv($"<li>{E(note)}</li>\n"));
            }

            h.Append("</ul>\n");
        }

        h.Append(Inv($"<p class=\"muted small\">srdeploy {E(report.ToolVersion)} · report schema {ValidationReport.Schema} · {report.CreatedUtc.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC</p>\n"));
        h.Append("</body>\n</html>\n");
        return h.ToString();
    }

    private static void Models(StringBuilder h, ValidationReport report)
    {
        h.Append("<table>\n<tr><th></th><th>Reference</th><th>Candidate</th></tr>\n");
        Row(h, "model", $"<code>{E(report.Reference.Path)}</code>", $"<code>{E(report.Candidate.Path)}</code>");
        Row(h, "format", E(report.Reference.Format + (report.Reference.Detail is { } rd ? $" ({rd})" : string.Empty)),
            E(report.Candidate.Format + (report.Candidate.Detail is { } cd ? $" ({cd})" : string.Empty)));
        Row(h, "bytes", report.Reference.Bytes.ToString("N0", CultureInfo.InvariantCulture), report.Candidate.Bytes.ToString("N0", CultureInfo.InvariantCulture));
        Row(h, "sha256", $"<code>{report.Reference.Sha256}</code>", $"<code>{report.Candidate.Sha256}</code>");
        Row(h, "runner", E($"{report.ReferenceRunner.Backend} {report.ReferenceRunner.Version}"), E($"{report.CandidateRunner.Backend} {report.CandidateRunner.Version}"));
        Row(h, "how", E(report.ReferenceRunner.Detail), E(report.CandidateRunner.Detail));
        h.Append("</table>\n<table>\n");
        Row(h, "criteria", E(Criteria(report.Criteria)));
        Row(h, "inputs", E(Inputs(report.Inputs)));
        Row(h, "size constraints", E(report.SizeConstraints));
        h.Append("</table>\n");
    }

    private static void SummaryTable(StringBuilder h, ValidationReport report)
    {
        h.Append("<h2>Results</h2>\n<table>\n<tr><th>Shape</th><th>Output</th><th>Verdict</th><th>max abs</th><th>mean abs</th><th>p99 abs</th><th>max rel</th><th>cosine</th><th>PSNR dB</th><th>SSIM</th></tr>\n");
        foreach (var c in report.Cases)
        {
            foreach (var o in c.Outputs)
            {
                var s = o.Comparison;
                h.Append(Inv($"<tr><td><a href=\"#{Anchor(c, o)}\"><code>{E(c.Label)}</code></a><br><span class=\"muted small\">{E(c.Origin)}</span></td><td>{E(o.Name)}</td>"));
                h.Append(Inv($"<td class=\"{(o.Passed ? "ok" : "bad")}\">{(o.Passed ? "pass" : "FAIL")}</td>"));
                h.Append(Inv($"<td class=\"num\">{G4(s?.AbsoluteError.Max)}</td><td class=\"num\">{G4(s?.AbsoluteError.Mean)}</td><td class=\"num\">{G4(s?.AbsoluteError.P99)}</td><td class=\"num\">{G4(s?.RelativeError.Max)}</td>"));
                h.Append(Inv($"<td class=\"num\">{Fixed(s?.CosineSimilarity, 6)}</td><td class=\"num\">{Fixed(s?.Psnr, 2)}</td><td class=\"num\">{Fixed(s?.Ssim, 4)}</td></tr>\n"));
            }
        }

        h.Append("</table>\n");
    }

    private static void Case(StringBuilder h, CaseResult c)
    {
        h.Append(Inv($"<h2>Shape <code>{E(c.Label)}</code> <span class=\"muted small\">{E(c.Origin)}</span></h2>\n"));
        h.Append("<table>\n");
        foreach (var input in c.Inputs)
        {
            Row(h, $"input {E(input.Name)}", E($"{input.ElementType}[{string.Join(",", input.Shape)}], {input.Source}: {input.Detail}"));
        }

        if (c.CandidateProfile is { } profile)
        {
            Row(h, "candidate profile", profile.ToString(CultureInfo.InvariantCulture));
        }

        Row(h, "time", E($"reference {Duration(c.Timings.ReferenceMs)}, candidate {Duration(c.Timings.CandidateMs)}, comparison {Duration(c.Timings.CompareMs)}"));
        if (c.ExtraCandidateOutputs.Count > 0)
        {
            Row(h, "not compared", E($"candidate-only outputs: {string.Join(", ", c.ExtraCandidateOutputs)}"));
        }

        h.Append("</table>\n");
        foreach (var o in c.Outputs)
        {
            Output(h, c, o);
        }
    }

    private static void Output(StringBuilder h, CaseResult c, OutputResult o)
    {
        h.Append(Inv($"<details id=\"{Anchor(c, o)}\"{(o.Passed ? string.Empty : " open")}>\n<summary><span class=\"{(o.Passed ? "ok" : "bad")}\">{(o.Passed ? "pass" : "FAIL")}</span> output {E(o.Name)} "));
        h.Append(Inv($"<span class=\"muted\">reference {E(o.ReferenceType)}[{string.Join(",", o.ReferenceShape)}]"));
        h.Append(o.CandidateShape is null ? ", missing in the candidate" : Inv($", candidate {E(o.CandidateType ?? "?")}[{string.Join(",", o.CandidateShape)}]"));
        h.Append("</span></summary>\n");
        h.Append(Inv($"<p>{E(o.Summary)}</p>\n<table>\n<tr><th>Condition</th><th></th><th>Detail</th></tr>\n"));
        foreach (var condition in o.Conditions)
        {
            h.Append(Inv($"<tr><td>{E(condition.Name)}</td><td class=\"{(condition.Passed ? "ok" : "bad")}\">{(condition.Passed ? "ok" : "FAIL")}</td><td>{E(condition.Detail)}</td></tr>\n"));
        }

        h.Append("</table>\n");
        if (o.Comparison is { } s)
        {
            Statistics(h, s, o.Tolerance);
        }

        if (o.Preview is { } p)
        {
            Previews(h, p, c.Index, o.Name);
        }

        h.Append("</details>\n");
    }

    private static void Statistics(StringBuilder h, TensorComparison s, Tolerance tolerance)
    {
        h.Append("<div class=\"row\">\n<table>\n<tr><th>error</th><th>min</th><th>max</th><th>mean</th><th>median</th><th>p90</th><th>p95</th><th>p99</th></tr>\n");
        foreach (var (name, e) in new[] { ("absolute", s.AbsoluteError), ("relative", s.RelativeError) })
        {
            h.Append(Inv($"<tr><td>{name}</td><td class=\"num\">{G4(e.Min)}</td><td class=\"num\">{G4(e.Max)}</td><td class=\"num\">{G4(e.Mean)}</td><td class=\"num\">{G4(e.Median)}</td><td class=\"num\">{G4(e.P90)}</td><td class=\"num\">{G4(e.P95)}</td><td class=\"num\">{G4(e.P99)}</td></tr>\n"));
        }

        h.Append("</table>\n<table>\n");
        Row(h, "elements", s.ElementCount.ToString("N0", CultureInfo.InvariantCulture));
        Row(h, "tolerance", E(Tolerance(tolerance)));
        Row(h, "worst element", s.Worst is { } worst ? E(ModelValidator.DescribeWorst(worst)) : "–");
        Row(h, "cosine similarity", Fixed(s.CosineSimilarity, 8));
        Row(h, "PSNR", Inv($"{Fixed(s.Psnr, 2)} dB (peak {G4(s.PsnrPeak)})"));
        Row(h, "SNR", Inv($"{Fixed(s.Snr, 2)} dB"));
        Row(h, "SSIM", Fixed(s.Ssim, 5));
        Row(h, "reference range", Inv($"[{G4(s.ReferenceMin)}, {G4(s.ReferenceMax)}]"));
        Row(h, "NaN / +inf / -inf", Inv($"candidate {s.CandidateNonFinite.NaN} / {s.CandidateNonFinite.PositiveInfinity} / {s.CandidateNonFinite.NegativeInfinity}; reference {s.ReferenceNonFinite.NaN} / {s.ReferenceNonFinite.PositiveInfinity} / {s.ReferenceNonFinite.NegativeInfinity}"));
        h.Append("</table>\n");
        Histogram(h, s.AbsoluteErrorHistogram);
        h.Append("</div>\n");
    }

    /// <summary>The absolute-error histogram as an inline SVG bar chart (bar height ∝ log(1 + count)).</summary>
    private static void Histogram(StringBuilder h, IReadOnlyList<HistogramBin> bins)
    {
        const int barWidth = 40, chartHeight = 120, top = 18, labelHeight = 34;
        var width = (bins.Count * barWidth) + 20;
        var max = bins.Count == 0 ? 0 : bins.Max(b => b.Count);
        h.Append(Inv($"<figure><svg role=\"img\" aria-label=\"absolute error histogram\" width=\"{width}\" height=\"{top + chartHeight + labelHeight}\" viewBox=\"0 0 {width} {top + chartHeight + labelHeight}\">\n"));
        h.Append(Inv($"<line x1=\"10\" y1=\"{top + chartHeight}\" x2=\"{width - 10}\" y2=\"{top + chartHeight}\" stroke=\"#57606a\"/>\n"));
        for (var i = 0; i < bins.Count; i++)
        {
            var bin = bins[i];
            var barHeight = max == 0 ? 0 : chartHeight * Math.Log10(1 + bin.Count) / Math.Log10(1 + max);
            var x = 10 + (i * barWidth);
            var label = BinLabel(bin);
            h.Append(Inv($"<g><title>{E(Range(bin))}: {bin.Count:N0}</title>"));
            h.Append(Inv($"<rect x=\"{x + 4}\" y=\"{top + chartHeight - barHeight:0.##}\" width=\"{barWidth - 8}\" height=\"{barHeight:0.##}\" fill=\"#0969da\"/>"));
            if (bin.Count > 0)
            {
                h.Append(Inv($"<text x=\"{x + (barWidth / 2)}\" y=\"{top + chartHeight - barHeight - 4:0.##}\" font-size=\"9\" text-anchor=\"middle\" fill=\"#1b1f24\">{Compact(bin.Count)}</text>"));
            }

            h.Append(Inv($"<text x=\"{x + (barWidth / 2)}\" y=\"{top + chartHeight + 14}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#57606a\">{E(label)}</text></g>\n"));
        }

        h.Append(Inv($"<text x=\"{width / 2}\" y=\"{top + chartHeight + 30}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#57606a\">|candidate − reference| (decades; bar height log scale)</text>\n"));
        h.Append("</svg><figcaption>absolute error histogram</figcaption></figure>\n");
    }

    private static void Previews(StringBuilder h, OutputPreview p, int caseIndex, string output)
    {
        var scaleNote = p.Downsample > 1
            ? Inv($"shown at 1/{p.Downsample} ({p.Width}×{p.Height}): images block-averaged, heat map keeps each block's maximum")
            : Inv($"{p.Width}×{p.Height}, full size");
        h.Append(Inv($"<p class=\"muted small\">Batch element 0, {scaleNote}.</p>\n<div class=\"row\">\n"));
        Figure(h, p.ReferencePng, p.Width, p.Height, "reference");
        Figure(h, p.CandidatePng, p.Width, p.Height, "candidate");
        Figure(h, p.HeatMapPng, p.Width, p.Height, "|error| heat map (max over channels)");
        var id = Inv($"ramp{caseIndex}-{Math.Abs(output.GetHashCode(StringComparison.Ordinal))}");
        h.Append(Inv($"<figure><svg role=\"img\" aria-label=\"heat map scale\" width=\"220\" height=\"46\" viewBox=\"0 0 220 46\"><defs><linearGradient id=\"{id}\">"));
        foreach (var (offset, css) in OutputPreviews.RampStops())
        {
            h.Append(Inv($"<stop offset=\"{offset:0.##}\" stop-color=\"{css}\"/>"));
        }

        h.Append(Inv($"</linearGradient></defs><rect x=\"10\" y=\"6\" width=\"200\" height=\"14\" fill=\"url(#{id})\" stroke=\"#57606a\"/>"));
        h.Append(Inv($"<text x=\"10\" y=\"36\" font-size=\"11\" fill=\"#1b1f24\">0</text><text x=\"210\" y=\"36\" font-size=\"11\" text-anchor=\"end\" fill=\"#1b1f24\">{G4(p.HeatMax)}</text></svg>"));
        h.Append("<figcaption>heat map scale (magenta: NaN/inf)</figcaption></figure>\n</div>\n");
    }

    private static void Figure(StringBuilder h, byte[] png, int width, int height, string caption)
    {
        // Small outputs are shown enlarged by a whole factor (pixelated), so single pixels stay visible.
        var zoom = Math.Max(1, 256 / Math.Max(width, height));
        h.Append(Inv($"<figure><img class=\"preview\" width=\"{width * zoom}\" height=\"{height * zoom}\" alt=\"{E(caption)}\" src=\"data:image/png;base64,"));
        h.Append(Convert.ToBase64String(png));
        h.Append(Inv($"\"><figcaption>{E(caption)}</figcaption></figure>\n"));
    }

    private static void Timings(StringBuilder h, ValidationTimings t)
    {
        var before = t.InputsMs + t.CompareMs + t.PreviewMs;
        var runs = t.ReferenceRunMs + t.CandidateRunMs;
        h.Append("<h2>Timings</h2>\n<table>\n");
        Row(h, "load reference / candidate", E($"{Duration(t.LoadReferenceMs)} / {Duration(t.LoadCandidateMs)}"));
        Row(h, "reference runs", Duration(t.ReferenceRunMs));
        Row(h, "candidate runs", Duration(t.CandidateRunMs));
        Row(h, "inputs", Duration(t.InputsMs));
        Row(h, "comparison statistics", Duration(t.CompareMs));
        Row(h, "preview images", Duration(t.PreviewMs));
        Row(h, "validate's overhead before the reports", Inv($"{Duration(before)} ({(before + runs > 0 ? before / (before + runs) : 0):P1} of it + the runs)"));
        h.Append("</table>\n");
    }

    private static void Row(StringBuilder h, string header, params string[] cells)
    {
        h.Append(Inv($"<tr><th>{header}</th>"));
        foreach (var cell in cells)
        {
            h.Append(Inv($"<td>{cell}</td>"));
        }

        h.Append("</tr>\n");
    }

    private static string Anchor(CaseResult c, OutputResult o) =>
        Inv($"case{c.Index}-{string.Concat(o.Name.Select(ch => char.IsAsciiLetterOrDigit(ch) ? ch : '_'))}");

    private static string Range(HistogramBin bin) =>
        bin.Upper == 0 ? "exactly 0"
        : double.IsPositiveInfinity(bin.Upper) ? Inv($"≥ {bin.Lower:g3}")
        : Inv($"[{bin.Lower:g3}, {bin.Upper:g3})");

    private static string Compact(long count) =>
        count >= 1_000_000 ? Inv($"{count / 1e6:0.#}M") : count >= 10_000 ? Inv($"{count / 1e3:0}k") : count.ToString(CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Inv(FormattableString text) => FormattableString.Invariant(text);
}
