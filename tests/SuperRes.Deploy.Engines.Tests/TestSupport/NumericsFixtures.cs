using System.Text.Json;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.TestSupport;

/// <summary>
/// The expected values of tests/fixtures/numerics, computed with numpy by make_expected.py there (independently of
/// the C# code), and the float32 tensors it wrote.
/// </summary>
internal static class NumericsFixtures
{
    private static readonly Lazy<JsonElement> LazyExpected = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, "expected.json"))).RootElement);

    public static string Folder => RepoPaths.Combine("tests", "fixtures", "numerics");

    public static JsonElement Expected => LazyExpected.Value;

    public static float[] ReadFloats(string fileName)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Folder, fileName));
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }

    public static double[] Doubles(this JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();
}
