using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SuperRes.Deploy.Engines.Validation.Evaluation;

/// <summary>The files one evaluation wrote.</summary>
public sealed record EvaluationReportFiles(string Directory, string Json, string Markdown);

/// <summary>
/// The evaluation table (stdout), and the JSON (schema <see cref="EvaluationReport.Schema"/>, see
/// docs/validation-report.md) and Markdown reports, each rendered in memory and written atomically.
/// </summary>
public static class EvaluationReports
{
    public const string JsonFileName = "eval.json";
    public const string MarkdownFileName = "eval.md";

    private static readonly string[] TableHeader = ["image", "LR", "HR", "PSNR-Y", "SSIM-Y", "bicubic PSNR-Y", "bicubic SSIM-Y"];

    /// <summary>Writes eval.md then eval.json into <paramref name="directory"/>.</summary>
    public static EvaluationReportFiles Write(EvaluationReport report, string directory)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var markdown = Encoding.UTF8.GetBytes(Markdown(report));
        var json = Json(report);
        Directory.CreateDirectory(directory);
        var files = new EvaluationReportFiles(directory, Path.Combine(directory, JsonFileName), Path.Combine(directory, MarkdownFileName));
        AtomicFile.WriteAllBytes(files.Markdown, markdown);
        AtomicFile.WriteAllBytes(files.Json, json);
        return files;
    }

    /// <summary>The per-image table with the mean, bicubic and published rows, as plain aligned text.</summary>
    public static string Table(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var rows = new List<string[]> { TableHeader };
        rows.AddRange(report.Images.Select(i => new[]
        {
            i.Name, Size(i.LowWidth, i.LowHeight), Size(i.HighWidth, i.HighHeight), F(i.PsnrY, 3), F(i.SsimY, 4), F(i.BicubicPsnrY, 3), F(i.BicubicSsimY, 4),
        }));
        rows.Add([$"mean ({report.Images.Count} images)", string.Empty, string.Empty, F(report.MeanPsnrY, 3), F(report.MeanSsimY, 4), F(report.BicubicPsnrY, 3), F(report.BicubicSsimY, 4)]);
        if (report.Published is { } p)
        {
            rows.Add([$"published ({p.Source ?? "config"})", string.Empty, string.Empty, F(p.PsnrY, 2), p.SsimY is { } s ? F(s, 4) : "-", string.Empty, string.Empty]);
            rows.Add(["measured - published", string.Empty, string.Empty, Signed(report.DeltaPsnrY, 3), Signed(report.DeltaSsimY, 4), string.Empty, string.Empty]);
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{report.DatasetName} x{report.Scale}, {Path.GetFileName(report.Model.Path)} on {report.Runner.Backend} {report.Runner.Version}");
        foreach (var row in rows)
        {
            text.AppendLine(string.Join("  ", row.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd());
        }

        return text.ToString();
    }

    public static string Markdown(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# srdeploy eval: {report.DatasetName} x{report.Scale}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- **Model**: `{report.Model.Path}` (sha256 `{report.Model.Sha256}`)");
        md.AppendLine(CultureInfo.InvariantCulture, $"- **Runner**: {report.Runner.Backend} {report.Runner.Version}, {report.Runner.Detail}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- **Dataset**: `{report.Dataset.Root}`: HR `{report.Dataset.HighResolutionFolder}`, LR {report.Dataset.LowResolutionSource}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- **Size constraints**: {report.SizeConstraints}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- **Protocol**: {EvaluationReport.Protocol}");
        md.AppendLine();
        md.AppendLine("| Image | LR | HR | PSNR-Y (dB) | SSIM-Y | Bicubic PSNR-Y | Bicubic SSIM-Y |");
        md.AppendLine("|---|---|---|---:|---:|---:|---:|");
        foreach (var i in report.Images)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {i.Name} | {Size(i.LowWidth, i.LowHeight)} | {Size(i.HighWidth, i.HighHeight)} | {F(i.PsnrY, 3)} | {F(i.SsimY, 4)} | {F(i.BicubicPsnrY, 3)} | {F(i.BicubicSsimY, 4)} |");
        }

        md.AppendLine(CultureInfo.InvariantCulture,
            $"| **mean** | | | **{F(report.MeanPsnrY, 3)}** | **{F(report.MeanSsimY, 4)}** | {F(report.BicubicPsnrY, 3)} | {F(report.BicubicSsimY, 4)} |");
        if (report.Published is { } p)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| published ({p.Source ?? "config"}) | | | {F(p.PsnrY, 2)} | {(p.SsimY is { } s ? F(s, 4) : "–")} | | |");
            md.AppendLine(CultureInfo.InvariantCulture, $"| measured − published | | | {Signed(report.DeltaPsnrY, 3)} | {Signed(report.DeltaSsimY, 4)} | | |");
        }

        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"srdeploy {report.ToolVersion}, {report.CreatedUtc.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC, {report.TotalMs / 1000:0.0} s");
        return md.ToString();
    }

    public static byte[] Json(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("schema", EvaluationReport.Schema);
            w.WriteStartObject("tool");
            w.WriteString("name", "srdeploy");
            w.WriteString("version", report.ToolVersion);
            w.WriteEndObject();
            w.WriteString("createdUtc", report.CreatedUtc.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            w.WriteStartObject("model");
            w.WriteString("path", report.Model.Path);
            w.WriteNumber("bytes", report.Model.Bytes);
            w.WriteString("sha256", report.Model.Sha256);
            w.WriteEndObject();
            w.WriteStartObject("runner");
            w.WriteString("backend", report.Runner.Backend);
            w.WriteString("version", report.Runner.Version);
            w.WriteString("detail", report.Runner.Detail);
            w.WriteEndObject();
            w.WriteStartObject("dataset");
            w.WriteString("name", report.DatasetName);
            w.WriteString("root", report.Dataset.Root);
            w.WriteString("highResolution", report.Dataset.HighResolutionFolder);
            w.WriteString("lowResolution", report.Dataset.LowResolutionFolder);
            w.WriteString("lowResolutionSource", report.Dataset.LowResolutionSource);
            w.WriteEndObject();
            w.WriteNumber("scale", report.Scale);
            w.WriteString("protocol", EvaluationReport.Protocol);
            w.WriteString("sizeConstraints", report.SizeConstraints);
            w.WriteStartArray("images");
            foreach (var i in report.Images)
            {
                w.WriteStartObject();
                w.WriteString("name", i.Name);
                w.WriteStartArray("lowResolutionSize");
                w.WriteNumberValue(i.LowWidth);
                w.WriteNumberValue(i.LowHeight);
                w.WriteEndArray();
                w.WriteStartArray("highResolutionSize");
                w.WriteNumberValue(i.HighWidth);
                w.WriteNumberValue(i.HighHeight);
                w.WriteEndArray();
                Number(w, "psnrY", i.PsnrY);
                Number(w, "ssimY", i.SsimY);
                Number(w, "bicubicPsnrY", i.BicubicPsnrY);
                Number(w, "bicubicSsimY", i.BicubicSsimY);
                w.WriteString("padding", i.Padding);
                Number(w, "runMs", i.RunMs);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("mean");
            Number(w, "psnrY", report.MeanPsnrY);
            Number(w, "ssimY", report.MeanSsimY);
            w.WriteEndObject();
            w.WriteStartObject("bicubic");
            Number(w, "psnrY", report.BicubicPsnrY);
            Number(w, "ssimY", report.BicubicSsimY);
            w.WriteEndObject();
            if (report.Published is { } p)
            {
                w.WriteStartObject("published");
                Number(w, "psnrY", p.PsnrY);
                if (p.SsimY is { } s)
                {
                    Number(w, "ssimY", s);
                }
                else
                {
                    w.WriteNull("ssimY");
                }

                w.WriteString("source", p.Source);
                w.WriteEndObject();
                w.WriteStartObject("difference");
                Number(w, "psnrY", report.DeltaPsnrY!.Value);
                if (report.DeltaSsimY is { } d)
                {
                    Number(w, "ssimY", d);
                }
                else
                {
                    w.WriteNull("ssimY");
                }

                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("published");
                w.WriteNull("difference");
            }

            Number(w, "totalMs", report.TotalMs);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumber(name, value);
        }
        else
        {
            w.WriteString(name, double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    private static string Size(int width, int height) => string.Create(CultureInfo.InvariantCulture, $"{width}x{height}");

    private static string F(double value, int decimals) =>
        double.IsFinite(value) ? value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : ModelValidator.Number(value);

    private static string Signed(double? value, int decimals) =>
        value is { } v ? (v >= 0 ? "+" : "-") + F(Math.Abs(v), decimals) : "–";
}
