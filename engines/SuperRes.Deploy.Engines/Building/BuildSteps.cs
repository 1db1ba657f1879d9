using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Engines.Building;

/// <summary>Messages of a build as they happen (the CLI logs them; tests collect them).</summary>
public interface IBuildLog
{
    void Info(string message);

    void Warning(string message);

    void Debug(string message);
}

/// <summary>An <see cref="IBuildLog"/> that keeps every message (for tests and the build record).</summary>
public sealed class CollectingBuildLog : IBuildLog
{
    private readonly List<string> _lines = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    public void Info(string message) => Add("info", message);

    public void Warning(string message) => Add("warn", message);

    public void Debug(string message) => Add("debug", message);

    private void Add(string level, string message)
    {
        lock (_gate)
        {
            _lines.Add($"{level}: {message}");
        }
    }
}

/// <summary>What the optimize step is asked to do.</summary>
/// <param name="Settings">The config's optimize section.</param>
/// <param name="ConvertToFp16">Convert the model to fp16 for a strongly-typed fp16 build (decided by <see cref="PrecisionPlan"/>).</param>
public sealed record ModelOptimizeRequest(OptimizeSettings Settings, bool ConvertToFp16);

/// <summary>The optimize step's result: the rewritten model and what was done to it.</summary>
/// <param name="Model">The optimized model (may be the input when nothing applied).</param>
/// <param name="AppliedPasses">Passes that changed the graph, in order.</param>
/// <param name="Notes">One line per noteworthy decision (nodes kept in fp32, attention blocks not fused and why...).</param>
/// <param name="ConvertedToFp16">True when the model's compute is now fp16.</param>
public sealed record OptimizedModel(OnnxModel Model, IReadOnlyList<string> AppliedPasses, IReadOnlyList<string> Notes, bool ConvertedToFp16);

/// <summary>
/// The optimize step of build-engine: the graph passes (attention fusion into the FusedAttention plugin, fp16
/// conversion, cleanup). Implemented by the passes of engines/Passes; <see cref="EngineBuildSteps.Optimizer"/> is null
/// while those are not part of the build, and the pipeline then builds the model unchanged and says so.
/// </summary>
public interface IModelOptimizer
{
    OptimizedModel Optimize(OnnxModel model, ModelOptimizeRequest request, IBuildLog log);
}

/// <summary>What the validate step compares: a TensorRT engine against ONNX Runtime on the original model.</summary>
/// <param name="ReferenceModelPath">The original (unoptimized) ONNX model, run with ONNX Runtime.</param>
/// <param name="Plan">The engine.</param>
/// <param name="PlanName">The engine's name in messages.</param>
/// <param name="PluginLibraries">TensorRT plugin libraries the engine needs at load time.</param>
/// <param name="Shapes">The input shapes to compare at (each profile's min, opt and max unless the config lists shapes).</param>
/// <param name="Settings">Tolerances and inputs (the config's validation section).</param>
/// <param name="ReportDirectory">Where the validation report may be written (published with the engine).</param>
/// <param name="ValueRange">The inputs' value range (the config's <c>io.value_range</c>).</param>
public sealed record EngineValidationRequest(
    string ReferenceModelPath,
    ReadOnlyMemory<byte> Plan,
    string PlanName,
    IReadOnlyList<string> PluginLibraries,
    IReadOnlyList<IReadOnlyList<ShapeSpec>> Shapes,
    ValidationSettings Settings,
    string ReportDirectory,
    (double Min, double Max) ValueRange);

/// <summary>One compared shape.</summary>
public sealed record EngineValidationCase(string Shape, bool Passed, double MaxAbsError, double? PsnrDb, string Detail);

/// <summary>The validate step's verdict.</summary>
/// <param name="ReportFiles">Files the validator wrote under the report directory (published with the engine).</param>
public sealed record EngineValidationSummary(bool Passed, string Summary, IReadOnlyList<EngineValidationCase> Cases, IReadOnlyList<string> ReportFiles);

/// <summary>
/// The validate step of build-engine: runs the engine with TensorRT and the original model with ONNX Runtime on the same
/// inputs and applies the config's tolerances. Implemented by the validation engine (engines/Validation);
/// <see cref="EngineBuildSteps.Validator"/> is null while it is not part of the build, and the build record then says
/// validation did not run.
/// </summary>
public interface IEngineValidator
{
    EngineValidationSummary Validate(EngineValidationRequest request, IBuildLog log, CancellationToken cancellationToken);
}

/// <summary>The pluggable steps of <see cref="EngineBuildPipeline"/>.</summary>
public sealed record EngineBuildSteps
{
    /// <summary>The graph passes; null = not available in this build (the model is built unchanged).</summary>
    public IModelOptimizer? Optimizer { get; init; }

    /// <summary>The TensorRT build through the shim.</summary>
    public IEngineCompiler Compiler { get; init; } = new TrtEngineCompiler();

    /// <summary>TensorRT vs ONNX Runtime comparison; null = not available in this build (the record says so).</summary>
    public IEngineValidator? Validator { get; init; }

    /// <summary>Reads the TensorRT environment (the shim's probe).</summary>
    public Func<TensorRtEnvironment> ProbeTensorRt { get; init; } = TensorRtEnvironment.Probe;

    /// <summary>
    /// The steps this build of srdeploy has: the graph passes (engines/Passes) at the optimize seam and the validation
    /// engine (engines/Validation, TensorRT runner vs ONNX Runtime) at the validate seam.
    /// </summary>
    public static EngineBuildSteps Default { get; } = new()
    {
        Optimizer = new Passes.PassesModelOptimizer(),
        Validator = new Validation.EngineValidator(),
    };
}
