using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Validation.Metrics;
using SuperRes.Deploy.Engines.Validation.Reports;

namespace SuperRes.Deploy.Engines.Validation;

/// <summary>What to validate: a reference ONNX model against a candidate (ONNX model or TensorRT plan), and how.</summary>
public sealed record ValidationRequest
{
    /// <summary>The reference ONNX model (ground truth, run by ONNX Runtime without custom ops).</summary>
    public required string ReferencePath { get; init; }

    /// <summary>The candidate: an ONNX model (run by ONNX Runtime) or a TensorRT plan (run by TensorRT).</summary>
    public required string CandidatePath { get; init; }

    /// <summary>The build config, when one is used (validation shapes, profiles, value range).</summary>
    public DeployConfig? Config { get; init; }

    /// <summary>Explicit shape cases (each a list of <c>name:dims</c>); empty = planned (see <see cref="ValidationShapePlanner"/>).</summary>
    public IReadOnlyList<IReadOnlyList<ShapeSpec>> Shapes { get; init; } = [];

    public ValidationInputs Inputs { get; init; } = ValidationInputs.Random(0);

    public ValidationCriteria Criteria { get; init; } = new();

    /// <summary>ONNX Runtime custom-op libraries for an ONNX candidate (default: the project's, when the model needs it).</summary>
    public IReadOnlyList<string> CustomOpLibraries { get; init; } = [];

    /// <summary>TensorRT plugin libraries for a plan candidate.</summary>
    public IReadOnlyList<string> PluginLibraries { get; init; } = [];

    /// <summary>ONNX Runtime intra-op threads for both ONNX runs (0 = ONNX Runtime's default).</summary>
    public int Threads { get; init; }

    /// <summary>Make preview images of image outputs for the HTML report.</summary>
    public bool Previews { get; init; } = true;

    /// <summary>The tool version recorded in the report (default: this assembly's informational version).</summary>
    public string? ToolVersion { get; init; }

    /// <summary>Where the default custom-op library is looked for (default: the application folder).</summary>
    public string? CustomOpSearchFolder { get; init; }

    /// <summary>What is known about the model's valid sizes (default: <see cref="ModelSizeAdvisors.ForModel"/> of the reference).</summary>
    public IModelSizeAdvisor? SizeAdvisor { get; init; }

    /// <summary>
    /// For a plan candidate validated at explicit shapes: run a shape that is exactly some profile's min, opt or max
    /// with that profile (the first such), so every profile is exercised, instead of the runtime's choice. build-engine
    /// passes its profiles' shapes this way.
    /// </summary>
    public bool ExerciseEveryProfile { get; init; }
}

/// <summary>The settings of a comparison between two runners that are already loaded (see <see cref="ModelValidator.Compare"/>).</summary>
public sealed record ComparisonPlan
{
    /// <summary>The shape cases, already planned and checked.</summary>
    public required IReadOnlyList<ValidationShapeCase> Cases { get; init; }

    public ValidationInputs Inputs { get; init; } = ValidationInputs.Random(0);

    public ValidationCriteria Criteria { get; init; } = new();

    public bool Previews { get; init; } = true;
}

/// <summary>The per-case results of <see cref="ModelValidator.Compare"/> with their summed timings.</summary>
public sealed record ComparisonResult(IReadOnlyList<CaseResult> Cases, double InputsMs, double ReferenceRunMs, double CandidateRunMs, double CompareMs, double PreviewMs);

/// <summary>
/// Validation against ONNX Runtime, the project's ground truth: runs a reference and a candidate on the same inputs at
/// each planned shape and compares every output (Polygraphy's tolerance semantics plus error statistics, cosine, PSNR,
/// SNR, SSIM, NaN/∞ counts). <see cref="Validate"/> is what <c>srdeploy validate</c> runs; build-engine's validate step
/// calls it with the reference ONNX and the plan it built (or <see cref="Compare"/> with runners it already holds).
/// Reports are written separately by <see cref="ValidationReportWriter"/>.
/// </summary>
public static class ModelValidator
{
    /// <summary>Loads both models, plans the shapes and compares. Failed checks are in the report, not exceptions.</summary>
    /// <exception cref="DeployException">
    /// Usage/BadInput: missing or malformed models, images or shapes; models with different inputs; a run failing.
    /// MissingComponent: ONNX Runtime, TensorRT or a custom-op/plugin library is missing.
    /// </exception>
    public static ValidationReport Validate(ValidationRequest request, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        log ??= _ => { };
        var created = DateTimeOffset.UtcNow;
        var total = Stopwatch.StartNew();
        var referenceModel = ModelFiles.Describe(request.ReferencePath, ModelFiles.OnnxFormat);
        var candidateIsPlan = ModelFiles.IsPlan(request.CandidatePath);
        var candidateModel = ModelFiles.Describe(request.CandidatePath, candidateIsPlan ? ModelFiles.PlanFormat : ModelFiles.OnnxFormat);
        if (candidateIsPlan && request.CustomOpLibraries.Count > 0)
        {
            throw DeployException.Usage("--custom-ops applies to an ONNX candidate; a TensorRT plan takes --plugins");
        }

        if (!candidateIsPlan && request.PluginLibraries.Count > 0)
        {
            throw DeployException.Usage("--plugins applies to a TensorRT plan candidate; an ONNX candidate takes --custom-ops");
        }

        var clock = Stopwatch.StartNew();
        using var reference = new OrtRunner(new OrtRunnerOptions
        {
            ModelPath = request.ReferencePath,
            ModelName = $"{Path.GetFileName(request.ReferencePath)} (reference)",
            IntraOpThreads = request.Threads,
        });
        var loadReference = clock.Elapsed.TotalMilliseconds;
        var referenceRunner = new RunnerDescription("onnxruntime", OrtRunner.RuntimeVersion, OrtDetail(request.Threads, []));

        clock.Restart();
        IInferenceRunner candidate;
        RunnerDescription candidateRunner;
        IReadOnlyList<OptimizationProfile>? profiles = null;
        if (candidateIsPlan)
        {
            var trt = new TrtRunner(new TrtRunnerOptions
            {
                PlanPath = request.CandidatePath,
                PlanName = $"{Path.GetFileName(request.CandidatePath)} (candidate)",
                PluginLibraries = request.PluginLibraries,
            });
            candidate = trt;
            profiles = trt.Profiles;
            candidateRunner = new RunnerDescription("tensorrt", trt.RuntimeVersion, TrtDetail(trt, request.PluginLibraries));
        }
        else
        {
            var domains = ModelFiles.ImportedDomains(request.CandidatePath);
            var customOps = CustomOpLibraries.Resolve(request.CandidatePath, request.CustomOpLibraries, domains, request.CustomOpSearchFolder);
            candidate = new OrtRunner(new OrtRunnerOptions
            {
                ModelPath = request.CandidatePath,
                ModelName = $"{Path.GetFileName(request.CandidatePath)} (candidate)",
                IntraOpThreads = request.Threads,
                CustomOpLibraries = customOps,
            });
            candidateRunner = new RunnerDescription("onnxruntime", OrtRunner.RuntimeVersion, OrtDetail(request.Threads, customOps));
        }

        using (candidate)
        {
            var loadCandidate = clock.Elapsed.TotalMilliseconds;
            log($"loaded reference {referenceModel.Path} ({loadReference:0} ms) and candidate {candidateModel.Path} ({loadCandidate:0} ms)");
            CheckSameInputs(reference, candidate, request.ReferencePath, request.CandidatePath);

            var advisor = request.SizeAdvisor ?? ModelSizeAdvisors.ForModel(request.ReferencePath);
            var cases = ValidationShapePlanner.Plan(reference.Inputs, request.Shapes, request.Config, profiles, advisor);
            if (request.ExerciseEveryProfile && profiles is { Count: > 0 })
            {
                cases = [.. cases.Select(c => c.Profile is null && DeclaringProfile(profiles, c) is { } p ? c with { Profile = p } : c)];
            }
            log($"validating at {cases.Count} shape{(cases.Count == 1 ? string.Empty : "s")}: {string.Join("; ", cases.Select(c => c.Label))}");

            var notes = new List<string>();
            if (request.Shapes.Count == 0 && request.Config is { Targets: not null, Profiles.Count: 0, Validation.Shapes.Count: 0 } && profiles is null)
            {
                notes.Add("the config's targets are turned into optimization profiles at build time; validating an ONNX candidate uses the model's default shapes (validate the built engine to cover its profiles)");
            }

            var comparison = Compare(reference, candidate, new ComparisonPlan
            {
                Cases = cases,
                Inputs = request.Inputs,
                Criteria = request.Criteria,
                Previews = request.Previews,
            }, log, cancellationToken);
            if (comparison.Cases.Any(c => c.Outputs.Any(o => o.Preview is { Downsample: > 1 })))
            {
                notes.Add($"preview images larger than {OutputPreviews.MaxSide} pixels on a side are shown downsampled (block average; the heat map keeps each block's maximum error); the statistics use every element");
            }

            return new ValidationReport
            {
                ToolVersion = request.ToolVersion ?? DefaultToolVersion,
                CreatedUtc = created,
                Reference = referenceModel,
                Candidate = candidateModel,
                ReferenceRunner = referenceRunner,
                CandidateRunner = candidateRunner,
                Criteria = request.Criteria,
                Inputs = request.Inputs,
                SizeConstraints = advisor.Description,
                Cases = comparison.Cases,
                Notes = notes,
                Timings = new ValidationTimings
                {
                    LoadReferenceMs = loadReference,
                    LoadCandidateMs = loadCandidate,
                    InputsMs = comparison.InputsMs,
                    ReferenceRunMs = comparison.ReferenceRunMs,
                    CandidateRunMs = comparison.CandidateRunMs,
                    CompareMs = comparison.CompareMs,
                    PreviewMs = comparison.PreviewMs,
                    TotalMs = total.Elapsed.TotalMilliseconds,
                },
            };
        }
    }

    /// <summary>
    /// Runs both runners at every case of <paramref name="plan"/> and compares every reference output with the
    /// candidate's output of the same name. The runners must take the same inputs (see <see cref="CheckSameInputs"/>);
    /// inputs are made for the reference's element types and converted where the candidate's differ.
    /// </summary>
    public static ComparisonResult Compare(
        IInferenceRunner reference, IInferenceRunner candidate, ComparisonPlan plan, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(plan);
        log ??= _ => { };
        var generator = new InputGenerator(reference.Inputs, plan.Inputs);
        var results = new List<CaseResult>(plan.Cases.Count);
        double inputsTotal = 0, referenceTotal = 0, candidateTotal = 0, compareTotal = 0, previewTotal = 0;
        for (var k = 0; k < plan.Cases.Count; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var shapeCase = plan.Cases[k];
            var clock = Stopwatch.StartNew();
            var (inputs, descriptions) = generator.Create(shapeCase.Shapes, k);
            var candidateInputs = candidate.Inputs.ToDictionary(
                i => i.Name, i => InputGenerator.Convert(inputs[i.Name], i.ElementType), StringComparer.Ordinal);
            var inputsMs = clock.Elapsed.TotalMilliseconds;

            clock.Restart();
            var referenceOutputs = reference.Run(inputs, cancellationToken);
            var referenceMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            var candidateOutputs = candidate is TrtRunner engine && shapeCase.Profile is { } profile
                ? engine.Run(candidateInputs, profile, cancellationToken)
                : candidate.Run(candidateInputs, cancellationToken);
            var candidateMs = clock.Elapsed.TotalMilliseconds;

            double compareMs = 0, previewMs = 0;
            var outputs = new List<OutputResult>(reference.Outputs.Count);
            foreach (var output in reference.Outputs)
            {
                candidateOutputs.TryGetValue(output.Name, out var candidateTensor);
                outputs.Add(CompareOutput(
                    output.Name, referenceOutputs[output.Name], candidateTensor, candidateOutputs.Keys, plan, ref compareMs, ref previewMs));
            }

            var result = new CaseResult
            {
                Index = k,
                Origin = shapeCase.Origin,
                Shapes = shapeCase.Shapes,
                Inputs = descriptions,
                CandidateProfile = candidate is TrtRunner trt ? trt.LastProfile : null,
                Outputs = outputs,
                ExtraCandidateOutputs = candidateOutputs.Keys.Where(n => !referenceOutputs.ContainsKey(n)).ToArray(),
                Timings = new CaseTimings(inputsMs, referenceMs, candidateMs, compareMs, previewMs),
            };
            results.Add(result);
            log(string.Create(CultureInfo.InvariantCulture,
                $"{shapeCase.Label}: reference {referenceMs:0} ms, candidate {candidateMs:0} ms: {(result.Passed ? "passed" : "FAILED")}"));
            inputsTotal += inputsMs;
            referenceTotal += referenceMs;
            candidateTotal += candidateMs;
            compareTotal += compareMs;
            previewTotal += previewMs;
        }

        return new ComparisonResult(results, inputsTotal, referenceTotal, candidateTotal, compareTotal, previewTotal);
    }

    /// <summary>
    /// Refuses a reference and a candidate whose inputs differ in names or ranks (element types may differ: inputs
    /// are converted).
    /// </summary>
    public static void CheckSameInputs(IInferenceRunner reference, IInferenceRunner candidate, string referenceName, string candidateName)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(candidate);
        var referenceNames = reference.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var candidateNames = candidate.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        if (!referenceNames.SetEquals(candidateNames))
        {
            throw DeployException.BadInput(
                $"reference '{Path.GetFileName(referenceName)}' and candidate '{Path.GetFileName(candidateName)}' have different inputs: reference {string.Join(", ", reference.Inputs)}; candidate {string.Join(", ", candidate.Inputs)}");
        }

        foreach (var input in reference.Inputs)
        {
            var other = candidate.Inputs.First(i => i.Name == input.Name);
            if (other.Rank != input.Rank)
            {
                throw DeployException.BadInput(
                    $"input '{input.Name}' has rank {input.Rank} in reference '{Path.GetFileName(referenceName)}' ({input.Signature}) but rank {other.Rank} in candidate '{Path.GetFileName(candidateName)}' ({other.Signature})");
            }
        }
    }

    /// <summary>The first profile whose min, opt or max is exactly the case's shapes, or null.</summary>
    private static int? DeclaringProfile(IReadOnlyList<OptimizationProfile> profiles, ValidationShapeCase shapeCase)
    {
        foreach (var profile in profiles)
        {
            foreach (var pick in new Func<ProfileRange, IReadOnlyList<long>>[] { r => r.Min, r => r.Opt, r => r.Max })
            {
                if (profile.Inputs.Count > 0 && profile.Inputs.All(i => shapeCase.Shapes.TryGetValue(i.Key, out var shape) && shape.SequenceEqual(pick(i.Value))))
                {
                    return profile.Index;
                }
            }
        }

        return null;
    }

    /// <summary>This assembly's informational version (e.g. "1.0.0+abc123").</summary>
    public static string DefaultToolVersion =>
        typeof(ModelValidator).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ModelValidator).Assembly.GetName().Version?.ToString() ?? "unknown";

    private static OutputResult CompareOutput(
        string name, Tensor reference, Tensor? candidate, IEnumerable<string> candidateNames, ComparisonPlan plan, ref double compareMs, ref double previewMs)
    {
        var tolerance = plan.Criteria.For(name);
        var conditions = new List<ConditionResult>();
        var result = new OutputResult
        {
            Name = name,
            Passed = false,
            Summary = string.Empty,
            ReferenceShape = reference.Shape,
            ReferenceType = reference.ElementType.Name(),
            CandidateShape = candidate?.Shape,
            CandidateType = candidate?.ElementType.Name(),
            Tolerance = tolerance,
            Conditions = conditions,
        };
        if (candidate is null)
        {
            conditions.Add(new ConditionResult("present", false, $"the candidate has no output '{name}' (its outputs: {string.Join(", ", candidateNames)})"));
            return Finish(result, conditions);
        }

        conditions.Add(new ConditionResult("present", true, $"output '{name}' exists in both"));
        var sameShape = candidate.Shape.SequenceEqual(reference.Shape);
        conditions.Add(new ConditionResult("shape", sameShape,
            sameShape ? $"both {Tensor.Format(reference.Shape)}" : $"candidate {Tensor.Format(candidate.Shape)} vs reference {Tensor.Format(reference.Shape)}"));
        var sameType = candidate.ElementType == reference.ElementType;
        conditions.Add(new ConditionResult("dtype", sameType,
            sameType ? $"both {reference.ElementType.Name()}" : $"candidate {candidate.ElementType.Name()} vs reference {reference.ElementType.Name()}"));
        if (!sameShape)
        {
            return Finish(result, conditions);
        }

        var clock = Stopwatch.StartNew();
        var referenceValues = TensorValues.ToFloat(reference);
        var candidateValues = TensorValues.ToFloat(candidate);
        var shape = reference.Shape.Select(d => checked((int)d)).ToArray();
        var imageShaped = TensorComparer.IsImageShaped(shape);
        var range = plan.Inputs.ValueRange;
        var comparison = TensorComparer.Compare(candidateValues, referenceValues, shape, new ComparisonOptions
        {
            Tolerance = tolerance,
            PsnrPeak = plan.Criteria.PsnrPeak ?? (imageShaped ? range.Max - range.Min : null),
        });
        compareMs += clock.Elapsed.TotalMilliseconds;

        var c = comparison.CandidateNonFinite;
        var r = comparison.ReferenceNonFinite;
        var finite = c.NaN <= r.NaN && c.PositiveInfinity <= r.PositiveInfinity && c.NegativeInfinity <= r.NegativeInfinity;
        conditions.Add(new ConditionResult("finite", finite, c.Total == 0 && r.Total == 0
            ? "no NaN or infinity on either side"
            : $"candidate {c.NaN} NaN, {c.PositiveInfinity} +inf, {c.NegativeInfinity} -inf; reference {r.NaN} NaN, {r.PositiveInfinity} +inf, {r.NegativeInfinity} -inf"));
        conditions.Add(new ConditionResult("tolerance", comparison.Check.Passed, comparison.Check.Summary));
        if (plan.Criteria.PsnrMin is { } psnrMin)
        {
            conditions.Add(new ConditionResult("psnr", comparison.Psnr >= psnrMin,
                Invariant($"PSNR {Number(comparison.Psnr)} dB (peak {comparison.PsnrPeak:g4}) against minimum {psnrMin:g6} dB")));
        }

        if (plan.Criteria.CosineMin is { } cosineMin)
        {
            conditions.Add(new ConditionResult("cosine", comparison.CosineSimilarity >= cosineMin,
                Invariant($"cosine similarity {Number(comparison.CosineSimilarity, "0.########")} against minimum {cosineMin:g8}")));
        }

        OutputPreview? preview = null;
        if (plan.Previews && OutputPreviews.Supports(reference.Shape))
        {
            clock.Restart();
            preview = OutputPreviews.Create(referenceValues, candidateValues, reference.Shape, range);
            previewMs += clock.Elapsed.TotalMilliseconds;
        }

        return Finish(result with { Comparison = comparison, Preview = preview }, conditions);
    }

    private static OutputResult Finish(OutputResult result, List<ConditionResult> conditions)
    {
        var passed = conditions.All(c => c.Passed);
        string summary;
        var comparison = result.Comparison;
        if (passed && comparison is not null)
        {
            summary = Invariant(
                $"PASSED: max abs {comparison.AbsoluteError.Max:g4}, p99 abs {comparison.AbsoluteError.P99:g4}, max rel {comparison.RelativeError.Max:g4}, cosine {Number(comparison.CosineSimilarity, "0.######")}, PSNR {Number(comparison.Psnr)} dB");
        }
        else
        {
            var failed = conditions.Where(c => !c.Passed).ToList();
            summary = $"FAILED {string.Join(", ", failed.Select(f => f.Name))}: {string.Join("; ", failed.Select(f => f.Detail))}";
            if (comparison?.Worst is { } worst)
            {
                summary += "; " + DescribeWorst(worst);
            }
        }

        return result with { Passed = passed, Summary = summary, Conditions = conditions };
    }

    /// <summary>E.g. "worst at [0,1,17,33] (N,C,H,W): candidate 0.5123 vs reference 0.4987 (abs 0.0136, rel 0.0273)".</summary>
    public static string DescribeWorst(ElementLocation worst)
    {
        ArgumentNullException.ThrowIfNull(worst);
        var axes = worst.Coordinates.Count == 4 ? " (N,C,H,W)" : string.Empty;
        return Invariant(
            $"worst at [{string.Join(",", worst.Coordinates)}]{axes}: candidate {worst.Candidate:g7} vs reference {worst.Reference:g7} (abs {worst.AbsoluteError:g4}, rel {worst.RelativeError:g4})");
    }

    /// <summary>A double for messages: "inf", "-inf", "nan" or the number with <paramref name="format"/>.</summary>
    public static string Number(double value, string format = "0.00") =>
        double.IsNaN(value) ? "nan"
        : double.IsPositiveInfinity(value) ? "inf"
        : double.IsNegativeInfinity(value) ? "-inf"
        : value.ToString(format, CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    private static string OrtDetail(int threads, IReadOnlyList<string> customOps)
    {
        var detail = $"CPU execution provider, graph optimization level all, intra-op threads {(threads > 0 ? threads.ToString(CultureInfo.InvariantCulture) : "default")}";
        return customOps.Count == 0 ? detail : $"{detail}, custom ops {string.Join(", ", customOps)}";
    }

    private static string TrtDetail(TrtRunner runner, IReadOnlyList<string> plugins)
    {
        var detail = $"host buffers through the srdeploy TensorRT shim, {runner.Profiles.Count} optimization profile{(runner.Profiles.Count == 1 ? string.Empty : "s")}";
        if (plugins.Count > 0)
        {
            detail += $", plugins {string.Join(", ", plugins)}";
        }

        return runner.IsTestDouble ? $"{detail} (TEST DOUBLE, not TensorRT)" : detail;
    }
}
