using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Configuration;

namespace SuperRes.Deploy.Cli.Inspect;

/// <summary>Parses `--input-shape` values: "NAME:1x3x256x256", or "1x3x256x256" for a model with a single input.</summary>
public static class InputShapeParser
{
    /// <summary>
    /// True when <paramref name="text"/> looks like a shape ("NAME:1x3x64x64" or "1x3x64x64", well formed or not) rather
    /// than a file name: a sequence option swallows the positional MODEL when it follows "--input-shape S".
    /// </summary>
    public static bool LooksLikeShape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var dims = text[(text.LastIndexOf(':') + 1)..];
        return !text.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) && dims.Length > 0 &&
               (char.IsAsciiDigit(dims[0]) || dims.Contains('x', StringComparison.OrdinalIgnoreCase)) && !File.Exists(text);
    }

    /// <summary>One parsed value: the input name (null when left out) and the dims.</summary>
    public sealed record ShapeArgument(string Text, string? Name, long[] Dims);

    /// <summary>
    /// Checks the syntax of every value without knowing the model; malformed text is a usage error naming it. Values may
    /// hold comma-separated lists (trtexec style, <see cref="ShapeSpec.ParseList"/>); a value without "NAME:" is kept
    /// nameless for a single-input model.
    /// </summary>
    public static List<ShapeArgument> ParseSyntax(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new List<ShapeArgument>();
        foreach (var raw in values)
        {
            foreach (var item in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (item.Contains(':', StringComparison.Ordinal))
                {
                    var spec = ShapeSpec.Parse(item);
                    result.Add(new ShapeArgument(item, spec.Name, [.. spec.Dims]));
                }
                else
                {
                    // A bare "1x3x64x64" reads like a spec whose name is filled in later.
                    try
                    {
                        result.Add(new ShapeArgument(item, null, [.. ShapeSpec.Parse("_:" + item).Dims]));
                    }
                    catch (DeployException e)
                    {
                        throw DeployException.Usage(e.Message.Replace($"'_:{item}'", $"'{item}'", StringComparison.Ordinal));
                    }
                }
            }
        }

        return result;
    }

    /// <summary>Input name → dims; a value without a name applies to the model's only input.</summary>
    public static Dictionary<string, long[]> Parse(IEnumerable<string> values, IReadOnlyList<string> inputNames)
    {
        ArgumentNullException.ThrowIfNull(inputNames);
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var argument in ParseSyntax(values))
        {
            var name = argument.Name;
            if (name is null)
            {
                if (inputNames.Count != 1)
                {
                    throw DeployException.Usage(
                        $"--input-shape '{argument.Text}' needs an input name (NAME:1x3x256x256): the model has {inputNames.Count} inputs ({string.Join(", ", inputNames)})");
                }

                name = inputNames[0];
            }

            if (!result.TryAdd(name, argument.Dims))
            {
                throw DeployException.Usage($"--input-shape gives input '{name}' twice");
            }
        }

        return result;
    }
}
