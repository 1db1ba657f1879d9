using SuperRes.Deploy.Engines.Validation.Metrics;

namespace SuperRes.Deploy.Engines.Validation;

/// <summary>A model file as the reports identify it.</summary>
/// <param name="Path">The path as given.</param>
/// <param name="Format">"onnx" or "tensorrt-plan".</param>
/// <param name="Bytes">File size (for ONNX: the .onnx file itself, without external data).</param>
/// <param name="Sha256">SHA-256 of the file's bytes, lower-case hex.</param>
/// <param name="Detail">Extra facts: the plan's TensorRT version, the ONNX opset domains that need custom ops.</param>
public sealed record ModelDescription(string Path, string Format, long Bytes, string Sha256, string? Detail = null);

/// <summary>The backend that ran a model.</summary>
/// <param name="Backend">"onnxruntime" or "tensorrt".</param>
/// <param name="Version">The backend's version ("1.30.0").</param>
/// <param name="Detail">How it ran: execution provider, optimization level, threads, custom-op or plugin libraries.</param>
public sealed record RunnerDescription(string Backend, string Version, string Detail);

/// <summary>One pass condition of one output in one case.</summary>
/// <param name="Name">present, shape, dtype, finite, tolerance, psnr, cosine.</param>
/// <param name="Passed">Whether it held.</param>
/// <param name="Detail">One line: what was compared with what.</param>
public sealed record ConditionResult(string Name, bool Passed, string Detail);

/// <summary>Small images of an image-shaped output for the HTML report: reference, candidate, |error| heat map.</summary>
/// <param name="ReferencePng">The reference output of batch element 0 as an 8-bit PNG.</param>
/// <param name="CandidatePng">The candidate output, same size.</param>
/// <param name="HeatMapPng">max over channels of |candidate − reference| per pixel, colour-mapped from 0 to <paramref name="HeatMax"/>.</param>
/// <param name="Width">Width of the images shown.</param>
/// <param name="Height">Height of the images shown.</param>
/// <param name="Downsample">k: the images were reduced k×k → 1 (1 = full size).</param>
/// <param name="HeatMax">The error at the top of the colour scale (the largest finite error shown).</param>
public sealed record OutputPreview(byte[] ReferencePng, byte[] CandidatePng, byte[] HeatMapPng, int Width, int Height, int Downsample, double HeatMax);

/// <summary>One output of one validation case.</summary>
public sealed record OutputResult
{
    /// <summary>The output name.</summary>
    public required string Name { get; init; }

    /// <summary>True when every condition held.</summary>
    public required bool Passed { get; init; }

    /// <summary>One line: the verdict and, on failure, what failed and where the worst element is.</summary>
    public required string Summary { get; init; }

    /// <summary>Reference shape.</summary>
    public required IReadOnlyList<long> ReferenceShape { get; init; }

    /// <summary>Reference element type name.</summary>
    public required string ReferenceType { get; init; }

    /// <summary>Candidate shape; null when the candidate has no such output.</summary>
    public IReadOnlyList<long>? CandidateShape { get; init; }

    /// <summary>Candidate element type name; null when the candidate has no such output.</summary>
    public string? CandidateType { get; init; }

    /// <summary>The tolerance applied to this output.</summary>
    public required Tolerance Tolerance { get; init; }

    /// <summary>Every statistic; null when the shapes differ or the output is missing.</summary>
    public TensorComparison? Comparison { get; init; }

    /// <summary>The conditions, in order; the output passes when all hold.</summary>
    public required IReadOnlyList<ConditionResult> Conditions { get; init; }

    /// <summary>Images for the HTML report (image-shaped outputs with equal shapes only).</summary>
    public OutputPreview? Preview { get; init; }
}

/// <summary>Per-case timings in milliseconds.</summary>
public sealed record CaseTimings(double InputsMs, double ReferenceMs, double CandidateMs, double CompareMs, double PreviewMs);

/// <summary>One set of input shapes, run through both models.</summary>
public sealed record CaseResult
{
    /// <summary>0-based index.</summary>
    public required int Index { get; init; }

    /// <summary>Where the shapes came from.</summary>
    public required string Origin { get; init; }

    /// <summary>Input name → shape.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<long>> Shapes { get; init; }

    /// <summary>How each input was made.</summary>
    public required IReadOnlyList<InputDescription> Inputs { get; init; }

    /// <summary>The TensorRT optimization profile the candidate ran with; null for ONNX candidates.</summary>
    public int? CandidateProfile { get; init; }

    /// <summary>One entry per reference output, in model order.</summary>
    public required IReadOnlyList<OutputResult> Outputs { get; init; }

    /// <summary>Candidate outputs the reference does not have (not compared).</summary>
    public IReadOnlyList<string> ExtraCandidateOutputs { get; init; } = [];

    /// <summary>Timings of this case.</summary>
    public required CaseTimings Timings { get; init; }

    /// <summary>E.g. <c>input:1x3x64x64</c>.</summary>
    public string Label => ValidationShapeCase.Format(Shapes);

    /// <summary>True when every output passed.</summary>
    public bool Passed => Outputs.All(o => o.Passed);
}

/// <summary>Whole-run timings in milliseconds. Overhead is everything validate does besides loading and running the models.</summary>
public sealed record ValidationTimings
{
    public double LoadReferenceMs { get; init; }

    public double LoadCandidateMs { get; init; }

    /// <summary>Making the input tensors (random generation, image decoding and fitting).</summary>
    public double InputsMs { get; init; }

    public double ReferenceRunMs { get; init; }

    public double CandidateRunMs { get; init; }

    /// <summary>The comparison statistics (TensorComparer, SSIM included).</summary>
    public double CompareMs { get; init; }

    /// <summary>Downsampling and PNG-encoding the preview images of image outputs.</summary>
    public double PreviewMs { get; init; }

    /// <summary>Rendering and writing the Markdown, HTML and JUnit reports (the JSON is written last and not counted).</summary>
    public double ReportMs { get; init; }

    /// <summary>Wall time from the start of validation to the end of the last report written before the JSON.</summary>
    public double TotalMs { get; init; }

    /// <summary>Inputs + compare + previews + reports.</summary>
    public double OverheadMs => InputsMs + CompareMs + PreviewMs + ReportMs;

    /// <summary>Overhead / (overhead + reference run + candidate run).</summary>
    public double OverheadFraction
    {
        get
        {
            var denominator = OverheadMs + ReferenceRunMs + CandidateRunMs;
            return denominator > 0 ? OverheadMs / denominator : 0;
        }
    }
}

/// <summary>Everything one validation found: the data behind the JSON, Markdown, HTML and JUnit reports.</summary>
public sealed record ValidationReport
{
    /// <summary>The JSON schema identifier of this report version.</summary>
    public const string Schema = "srdeploy.validation/1";

    /// <summary>The tool version that produced the report.</summary>
    public required string ToolVersion { get; init; }

    /// <summary>When validation started (UTC).</summary>
    public required DateTimeOffset CreatedUtc { get; init; }

    public required ModelDescription Reference { get; init; }

    public required ModelDescription Candidate { get; init; }

    public required RunnerDescription ReferenceRunner { get; init; }

    public required RunnerDescription CandidateRunner { get; init; }

    public required ValidationCriteria Criteria { get; init; }

    public required ValidationInputs Inputs { get; init; }

    /// <summary>What the size advisor knew about the model.</summary>
    public required string SizeConstraints { get; init; }

    public required IReadOnlyList<CaseResult> Cases { get; init; }

    public required ValidationTimings Timings { get; init; }

    /// <summary>Remarks for the reader (e.g. previews downsampled, config targets not expanded).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>True when every output of every case passed.</summary>
    public bool Passed => Cases.Count > 0 && Cases.All(c => c.Passed);

    /// <summary>Number of output × case checks.</summary>
    public int CheckCount => Cases.Sum(c => c.Outputs.Count);

    /// <summary>Number of failed output × case checks.</summary>
    public int FailedCount => Cases.Sum(c => c.Outputs.Count(o => !o.Passed));

    /// <summary>One line: "PASSED 6/6 checks (3 shapes × 2 outputs)" or "FAILED 2 of 6 checks: …".</summary>
    public string Summary
    {
        get
        {
            var outputs = Cases.Count > 0 ? Cases[0].Outputs.Count : 0;
            var shape = $"{Cases.Count} shape{(Cases.Count == 1 ? string.Empty : "s")} × {outputs} output{(outputs == 1 ? string.Empty : "s")}";
            if (Passed)
            {
                return $"PASSED {CheckCount}/{CheckCount} checks ({shape})";
            }

            var first = Cases.SelectMany(c => c.Outputs.Where(o => !o.Passed).Select(o => $"{o.Name} @ {c.Label}: {o.Summary}")).FirstOrDefault();
            return $"FAILED {FailedCount} of {CheckCount} checks ({shape}); first: {first}";
        }
    }
}
