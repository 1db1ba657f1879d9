using System.Text.Encodings.Web;
using System.Text.Json;
using SuperRes.Deploy.Engines.Validation.Metrics;

namespace SuperRes.Deploy.Engines.Validation.Reports;

/// <summary>
/// Writes a <see cref="ValidationReport"/> as JSON, schema <see cref="ValidationReport.Schema"/> (documented field by
/// field in docs/validation-report.md). Non-finite numbers, which JSON cannot hold, are the strings "NaN", "Infinity"
/// and "-Infinity" (as .NET's named floating-point literals); absent values are null.
/// </summary>
public static class ValidationJson
{
    /// <summary>The report as indented UTF-8 JSON.</summary>
    public static byte[] Render(ValidationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("schema", ValidationReport.Schema);
            w.WriteStartObject("tool");
            w.WriteString("name", "srdeploy");
            w.WriteString("version", report.ToolVersion);
            w.WriteEndObject();
            w.WriteString("createdUtc", report.CreatedUtc.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteBoolean("passed", report.Passed);
            w.WriteString("summary", report.Summary);
            w.WriteStartObject("counts");
            w.WriteNumber("cases", report.Cases.Count);
            w.WriteNumber("checks", report.CheckCount);
            w.WriteNumber("passed", report.CheckCount - report.FailedCount);
            w.WriteNumber("failed", report.FailedCount);
            w.WriteEndObject();
            Side(w, "reference", report.Reference, report.ReferenceRunner);
            Side(w, "candidate", report.Candidate, report.CandidateRunner);
            Criteria(w, report.Criteria);
            Inputs(w, report.Inputs);
            w.WriteString("sizeConstraints", report.SizeConstraints);
            w.WriteStartArray("cases");
            foreach (var c in report.Cases)
            {
                Case(w, c);
            }

            w.WriteEndArray();
            Timings(w, report.Timings);
            w.WriteStartArray("notes");
            foreach (var note in report.Notes)
            {
                w.WriteStringValue(note);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void Side(Utf8JsonWriter w, string name, ModelDescription model, RunnerDescription runner)
    {
        w.WriteStartObject(name);
        w.WriteStartObject("model");
        w.WriteString("path", model.Path);
        w.WriteString("format", model.Format);
        w.WriteNumber("bytes", model.Bytes);
        w.WriteString("sha256", model.Sha256);
        w.WriteString("detail", model.Detail);
        w.WriteEndObject();
        w.WriteStartObject("runner");
        w.WriteString("backend", runner.Backend);
        w.WriteString("version", runner.Version);
        w.WriteString("detail", runner.Detail);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Criteria(Utf8JsonWriter w, ValidationCriteria criteria)
    {
        w.WriteStartObject("criteria");
        Tolerance(w, null, criteria.Tolerance);
        w.WriteStartObject("perOutput");
        foreach (var (output, o) in criteria.PerOutput.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            w.WriteStartObject(output);
            NullableNumber(w, "atol", o.Absolute);
            NullableNumber(w, "rtol", o.Relative);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        NullableNumber(w, "psnrMin", criteria.PsnrMin);
        NullableNumber(w, "cosineMin", criteria.CosineMin);
        NullableNumber(w, "psnrPeak", criteria.PsnrPeak);
        w.WriteEndObject();
    }

    private static void Tolerance(Utf8JsonWriter w, string? name, Tolerance tolerance)
    {
        if (name is not null)
        {
            w.WriteStartObject(name);
        }

        Number(w, "atol", tolerance.Absolute);
        Number(w, "rtol", tolerance.Relative);
        w.WriteString("check", ValidationCriteria.FormatCheck(tolerance.Statistic, tolerance.Quantile));
        Number(w, "quantile", tolerance.Quantile);
        if (name is not null)
        {
            w.WriteEndObject();
        }
    }

    private static void Inputs(Utf8JsonWriter w, ValidationInputs inputs)
    {
        w.WriteStartObject("inputs");
        w.WriteString("source", inputs.UsesImages ? "images" : "random");
        w.WriteString("path", inputs.ImagePath);
        w.WriteNumber("seed", inputs.Seed);
        w.WriteStartArray("valueRange");
        NumberValue(w, inputs.ValueRange.Min);
        NumberValue(w, inputs.ValueRange.Max);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Case(Utf8JsonWriter w, CaseResult c)
    {
        w.WriteStartObject();
        w.WriteNumber("index", c.Index);
        w.WriteString("origin", c.Origin);
        w.WriteString("label", c.Label);
        w.WriteBoolean("passed", c.Passed);
        w.WriteStartObject("shapes");
        foreach (var (name, shape) in c.Shapes)
        {
            Dims(w, name, shape);
        }

        w.WriteEndObject();
        if (c.CandidateProfile is { } profile)
        {
            w.WriteNumber("candidateProfile", profile);
        }
        else
        {
            w.WriteNull("candidateProfile");
        }

        w.WriteStartArray("inputs");
        foreach (var input in c.Inputs)
        {
            w.WriteStartObject();
            w.WriteString("name", input.Name);
            Dims(w, "shape", input.Shape);
            w.WriteString("dtype", input.ElementType);
            w.WriteString("source", input.Source);
            w.WriteString("detail", input.Detail);
            w.WriteStartArray("files");
            foreach (var file in input.Files)
            {
                w.WriteStringValue(file);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject("timingsMs");
        Number(w, "inputs", c.Timings.InputsMs);
        Number(w, "reference", c.Timings.ReferenceMs);
        Number(w, "candidate", c.Timings.CandidateMs);
        Number(w, "compare", c.Timings.CompareMs);
        Number(w, "preview", c.Timings.PreviewMs);
        w.WriteEndObject();
        w.WriteStartArray("extraCandidateOutputs");
        foreach (var extra in c.ExtraCandidateOutputs)
        {
            w.WriteStringValue(extra);
        }

        w.WriteEndArray();
        w.WriteStartArray("outputs");
        foreach (var output in c.Outputs)
        {
            Output(w, output);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Output(Utf8JsonWriter w, OutputResult o)
    {
        w.WriteStartObject();
        w.WriteString("name", o.Name);
        w.WriteBoolean("passed", o.Passed);
        w.WriteString("summary", o.Summary);
        w.WriteStartObject("reference");
        Dims(w, "shape", o.ReferenceShape);
        w.WriteString("dtype", o.ReferenceType);
        w.WriteEndObject();
        if (o.CandidateShape is null)
        {
            w.WriteNull("candidate");
        }
        else
        {
            w.WriteStartObject("candidate");
            Dims(w, "shape", o.CandidateShape);
            w.WriteString("dtype", o.CandidateType);
            w.WriteEndObject();
        }

        Tolerance(w, "tolerance", o.Tolerance);
        w.WriteStartArray("conditions");
        foreach (var condition in o.Conditions)
        {
            w.WriteStartObject();
            w.WriteString("name", condition.Name);
            w.WriteBoolean("passed", condition.Passed);
            w.WriteString("detail", condition.Detail);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (o.Comparison is { } s)
        {
            Statistics(w, s);
        }
        else
        {
            w.WriteNull("statistics");
        }

        if (o.Preview is { } p)
        {
            w.WriteStartObject("preview");
            w.WriteNumber("width", p.Width);
            w.WriteNumber("height", p.Height);
            w.WriteNumber("downsample", p.Downsample);
            Number(w, "heatMax", p.HeatMax);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("preview");
        }

        w.WriteEndObject();
    }

    private static void Statistics(Utf8JsonWriter w, TensorComparison s)
    {
        w.WriteStartObject("statistics");
        w.WriteNumber("elementCount", s.ElementCount);
        Summary(w, "absoluteError", s.AbsoluteError);
        Summary(w, "relativeError", s.RelativeError);
        w.WriteStartObject("check");
        w.WriteBoolean("passed", s.Check.Passed);
        w.WriteString("statistic", ValidationCriteria.FormatCheck(s.Check.Tolerance.Statistic, s.Check.Tolerance.Quantile));
        Number(w, "absoluteValue", s.Check.AbsoluteValue);
        Number(w, "relativeValue", s.Check.RelativeValue);
        w.WriteNumber("failingElements", s.Check.FailingElements);
        Location(w, "firstFailing", s.Check.FirstFailing);
        w.WriteString("summary", s.Check.Summary);
        w.WriteEndObject();
        Location(w, "worst", s.Worst);
        Location(w, "firstNaN", s.FirstNaNError);
        w.WriteStartArray("histogram");
        foreach (var bin in s.AbsoluteErrorHistogram)
        {
            w.WriteStartObject();
            Number(w, "lower", bin.Lower);
            Number(w, "upper", bin.Upper);
            w.WriteNumber("count", bin.Count);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        Number(w, "cosineSimilarity", s.CosineSimilarity);
        Number(w, "psnr", s.Psnr);
        Number(w, "psnrPeak", s.PsnrPeak);
        Number(w, "snr", s.Snr);
        NullableNumber(w, "ssim", s.Ssim);
        w.WriteStartObject("referenceRange");
        Number(w, "min", s.ReferenceMin);
        Number(w, "max", s.ReferenceMax);
        w.WriteEndObject();
        w.WriteStartObject("nonFinite");
        NonFinite(w, "candidate", s.CandidateNonFinite);
        NonFinite(w, "reference", s.ReferenceNonFinite);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Summary(Utf8JsonWriter w, string name, ErrorSummary e)
    {
        w.WriteStartObject(name);
        Number(w, "min", e.Min);
        Number(w, "max", e.Max);
        Number(w, "mean", e.Mean);
        Number(w, "median", e.Median);
        Number(w, "p90", e.P90);
        Number(w, "p95", e.P95);
        Number(w, "p99", e.P99);
        w.WriteNumber("count", e.Count);
        w.WriteNumber("nanCount", e.NaNCount);
        w.WriteEndObject();
    }

    private static void NonFinite(Utf8JsonWriter w, string name, NonFiniteCounts counts)
    {
        w.WriteStartObject(name);
        w.WriteNumber("nan", counts.NaN);
        w.WriteNumber("positiveInfinity", counts.PositiveInfinity);
        w.WriteNumber("negativeInfinity", counts.NegativeInfinity);
        w.WriteEndObject();
    }

    private static void Location(Utf8JsonWriter w, string name, ElementLocation? location)
    {
        if (location is null)
        {
            w.WriteNull(name);
            return;
        }

        w.WriteStartObject(name);
        w.WriteNumber("index", location.Index);
        w.WriteStartArray("coordinates");
        foreach (var c in location.Coordinates)
        {
            w.WriteNumberValue(c);
        }

        w.WriteEndArray();
        Number(w, "candidate", location.Candidate);
        Number(w, "reference", location.Reference);
        Number(w, "absoluteError", location.AbsoluteError);
        Number(w, "relativeError", location.RelativeError);
        w.WriteEndObject();
    }

    private static void Timings(Utf8JsonWriter w, ValidationTimings t)
    {
        w.WriteStartObject("timingsMs");
        Number(w, "loadReference", t.LoadReferenceMs);
        Number(w, "loadCandidate", t.LoadCandidateMs);
        Number(w, "inputs", t.InputsMs);
        Number(w, "referenceRun", t.ReferenceRunMs);
        Number(w, "candidateRun", t.CandidateRunMs);
        Number(w, "compare", t.CompareMs);
        Number(w, "preview", t.PreviewMs);
        Number(w, "report", t.ReportMs);
        Number(w, "total", t.TotalMs);
        Number(w, "overhead", t.OverheadMs);
        Number(w, "overheadFraction", t.OverheadFraction);
        w.WriteEndObject();
    }

    private static void Dims(Utf8JsonWriter w, string name, IReadOnlyList<long> dims)
    {
        w.WriteStartArray(name);
        foreach (var d in dims)
        {
            w.WriteNumberValue(d);
        }

        w.WriteEndArray();
    }

    private static void NullableNumber(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            Number(w, name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        w.WritePropertyName(name);
        NumberValue(w, value);
    }

    private static void NumberValue(Utf8JsonWriter w, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumberValue(value);
        }
        else
        {
            w.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }
}
