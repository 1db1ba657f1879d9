namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>Handwritten half of the generated bindings (Generated/SrdTrt.Functions.g.cs).</summary>
internal static partial class SrdTrtNative
{
    /// <summary>Runs before the first P/Invoke of the class: the logical library name resolves through
    /// <see cref="TrtShimLibrary"/> (override, environment variable, application folder, system search).</summary>
    static SrdTrtNative() => TrtShimLibrary.RegisterResolver();
}
