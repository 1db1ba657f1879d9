namespace SuperRes.Deploy.Interop.OnnxRuntime;

/// <summary>
/// No usable ONNX Runtime library was found. The message is one line listing every place tried and why each failed;
/// <see cref="Attempts"/> holds the same list. The CLI reports it as a missing component (exit code 4).
/// </summary>
public class OrtLibraryNotFoundException : Exception
{
    /// <summary>Creates the exception from the trace of places tried.</summary>
    public OrtLibraryNotFoundException(IReadOnlyList<string> attempts)
        : base(Describe(attempts)) => Attempts = attempts;

    /// <summary>Creates the exception with no trace.</summary>
    public OrtLibraryNotFoundException()
        : this(Array.Empty<string>())
    {
    }

    /// <summary>Creates the exception with a message of its own.</summary>
    public OrtLibraryNotFoundException(string message)
        : base(message) => Attempts = [];

    /// <summary>Creates the exception with a message of its own and a cause.</summary>
    public OrtLibraryNotFoundException(string message, Exception innerException)
        : base(message, innerException) => Attempts = [];

    /// <summary>Every place tried, in order, each with the reason it failed.</summary>
    public IReadOnlyList<string> Attempts { get; }

    private static string Describe(IReadOnlyList<string> attempts)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        return $"ONNX Runtime (C API {OrtLibrary.ApiVersion}, version 1.{OrtLibrary.ApiVersion} or later) not found; tried: "
               + (attempts.Count == 0 ? "nothing" : string.Join("; ", attempts))
               + $". Run scripts/setup, or set {OrtLibrary.PathVariable} to the library file";
    }
}
