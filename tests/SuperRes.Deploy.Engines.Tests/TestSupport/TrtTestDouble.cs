using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Engines.Tests.TestSupport;

/// <summary>
/// Plans made by the recording test double of the TensorRT shim (tests/native/trt_double; loaded and controlled through
/// <see cref="SuperRes.Deploy.Tests.TrtDoubleControl"/>, tests in the <see cref="SuperRes.Deploy.Tests.TrtDoubleBuildTests"/>
/// collection): its "network" has input `input` / output `output`, float [-1,3,-1,-1], and its engines compute
/// output = input + 1.
/// </summary>
internal static class TrtTestDouble
{
    /// <summary>
    /// Builds a plan through the double with one optimization profile per (min, opt, max) triple of input `input`.
    /// The double only checks that the model file exists.
    /// </summary>
    public static byte[] BuildPlan(string folder, params (string Min, string Opt, string Max)[] profiles)
    {
        var model = Path.Combine(folder, "double-network.onnx");
        File.WriteAllBytes(model, [0x08, 0x08]);
        using var builder = TrtBuilder.Create();
        using var network = builder.CreateNetwork();
        using (var parser = TrtOnnxParser.Create(network))
        {
            parser.ParseFile(model);
        }

        using var config = builder.CreateConfig();
        foreach (var (min, opt, max) in profiles)
        {
            using var profile = builder.CreateOptimizationProfile();
            profile.SetDimensions("input", TrtDims.Parse(min), TrtDims.Parse(opt), TrtDims.Parse(max));
            config.AddOptimizationProfile(profile);
        }

        return builder.Build(network, config).Bytes.ToArray();
    }
}
