using System.Text.RegularExpressions;
using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>
/// The reference inputs and outputs a bundle ships: ONNX Runtime runs the ORIGINAL model at each profile's opt shape
/// and at one small shape (the smallest profile min), on seeded random inputs uniform in the value range; both sides
/// are written as .npy under reference/CASE/.
/// </summary>
public static partial class ReferenceCases
{
    /// <summary>The shapes to produce references at: (case name, profile index, shape per input).</summary>
    public static IReadOnlyList<(string Name, int Profile, IReadOnlyDictionary<string, long[]> Shapes)> Plan(IReadOnlyList<BundleProfile> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        var cases = new List<(string, int, IReadOnlyDictionary<string, long[]>)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var profile in profiles)
        {
            var shapes = profile.Inputs.ToDictionary(i => i.Name, i => i.Opt.ToArray(), StringComparer.Ordinal);
            if (seen.Add(Key(shapes)))
            {
                cases.Add(($"profile{profile.Index}_opt", profile.Index, shapes));
            }
        }

        var smallest = profiles
            .Select(p => (p.Index, Shapes: p.Inputs.ToDictionary(i => i.Name, i => i.Min.ToArray(), StringComparer.Ordinal)))
            .OrderBy(p => p.Shapes.Values.Sum(s => s.Aggregate(1L, (a, d) => a * d)))
            .ThenBy(p => p.Index)
            .FirstOrDefault();
        if (smallest.Shapes is not null && seen.Add(Key(smallest.Shapes)))
        {
            cases.Add(($"profile{smallest.Index}_small", smallest.Index, smallest.Shapes));
        }

        return cases;
    }

    /// <summary>Runs the original model for every case and writes the .npy files under <paramref name="stagingDirectory"/>.</summary>
    public static IReadOnlyList<BundleReferenceCase> Generate(
        string originalModel, IReadOnlyList<BundleProfile> profiles, (double Min, double Max) valueRange, int seed,
        string stagingDirectory, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        using var runner = new OrtRunner(OrtRunnerOptions.ForFile(originalModel));
        var result = new List<BundleReferenceCase>();
        var index = 0;
        foreach (var (name, profile, shapes) in Plan(profiles))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var info in runner.Inputs)
            {
                var shape = shapes.TryGetValue(info.Name, out var s) ? s
                    : info.Dims.All(d => d.IsFixed) ? info.Dims.Select(d => d.Size!.Value).ToArray()
                    : throw DeployException.BadInput($"input '{info.Name}' has dynamic dims but no profile gives its shape");
                inputs[info.Name] = RandomInput(info, shape, valueRange, seed + index);
            }

            var shapeText = string.Join(",", inputs.Select(kv => $"{kv.Key}:{string.Join('x', kv.Value.Shape)}"));
            log?.Invoke($"reference {name}: ONNX Runtime on the original model at {shapeText}");
            var outputs = runner.Run(inputs, cancellationToken);
            var folder = $"{BundleLayout.ReferenceDirectory}/{name}";
            Directory.CreateDirectory(Path.Combine(stagingDirectory, folder));
            result.Add(new BundleReferenceCase
            {
                Name = name,
                Profile = profile,
                Inputs = [.. runner.Inputs.Select(i => Save(stagingDirectory, $"{folder}/input.{FileName(i.Name)}.npy", i.Name, inputs[i.Name]))],
                Outputs = [.. runner.Outputs.Select(o => Save(stagingDirectory, $"{folder}/output.{FileName(o.Name)}.npy", o.Name, outputs[o.Name]))],
            });
            index++;
        }

        return result;
    }

    private static Tensor RandomInput(TensorInfo info, long[] shape, (double Min, double Max) range, int seed)
    {
        var count = checked((int)shape.Aggregate(1L, (a, d) => checked(a * d)));
        var random = new Random(seed);
        switch (info.ElementType)
        {
            case TensorElementType.Float32:
            {
                var data = new float[count];
                for (var i = 0; i < count; i++)
                {
                    data[i] = (float)(range.Min + (random.NextDouble() * (range.Max - range.Min)));
                }

                return Tensor.FromArray(data, shape);
            }

            case TensorElementType.Float16:
            {
                var data = new Half[count];
                for (var i = 0; i < count; i++)
                {
                    data[i] = (Half)(range.Min + (random.NextDouble() * (range.Max - range.Min)));
                }

                return Tensor.FromArray(data, shape);
            }

            default:
                throw DeployException.BadInput($"input '{info.Name}' is {info.ElementType.Name()}: reference inputs are generated for float inputs only");
        }
    }

    private static BundleReferenceTensor Save(string stagingDirectory, string path, string name, Tensor tensor)
    {
        Npy.Write(Path.Combine(stagingDirectory, path), tensor);
        return new BundleReferenceTensor { Name = name, File = path, Dtype = Npy.DtypeName(tensor.ElementType), Shape = [.. tensor.Shape] };
    }

    private static string Key(IReadOnlyDictionary<string, long[]> shapes) =>
        string.Join(";", shapes.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}:{string.Join('x', kv.Value)}"));

    /// <summary>A tensor name as a file-name part: characters other than letters, digits, '_', '-' and '.' become '_'.</summary>
    private static string FileName(string tensorName) => UnsafeFileCharacters().Replace(tensorName, "_");

    [GeneratedRegex("[^A-Za-z0-9_.-]")]
    private static partial Regex UnsafeFileCharacters();
}
