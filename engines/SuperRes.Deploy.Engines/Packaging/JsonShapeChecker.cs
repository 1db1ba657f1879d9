using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>
/// Checks a JSON element against the shape of a C# record type, so the manifest's schema is the record definitions
/// themselves: <c>required</c> members must be present, non-nullable members must not be null, every value has the
/// member's JSON type (string, integer in range, finite number, boolean, ISO 8601 time, array, object), and members
/// the type does not have are reported. One problem per line, named by its JSON path (e.g. <c>profiles[0].inputs[1].min</c>).
/// </summary>
internal static class JsonShapeChecker
{
    private static readonly NullabilityInfoContext Nullability = new();

    public static void Check(JsonElement element, Type type, string path, JsonNamingPolicy naming, List<string> problems)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying == typeof(string))
        {
            Expect(element, JsonValueKind.String, "a string", path, problems);
        }
        else if (underlying == typeof(bool))
        {
            if (element.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                problems.Add($"{Name(path)} must be true or false, got {Describe(element)}");
            }
        }
        else if (underlying == typeof(int) || underlying == typeof(long))
        {
            var fits = element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var value)
                && (underlying == typeof(long) || value is >= int.MinValue and <= int.MaxValue);
            if (!fits)
            {
                problems.Add($"{Name(path)} must be an integer, got {Describe(element)}");
            }
        }
        else if (underlying == typeof(double))
        {
            if (element.ValueKind != JsonValueKind.Number || !double.IsFinite(element.GetDouble()))
            {
                problems.Add($"{Name(path)} must be a number, got {Describe(element)}");
            }
        }
        else if (underlying == typeof(DateTimeOffset))
        {
            if (element.ValueKind != JsonValueKind.String
                || !DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _))
            {
                problems.Add($"{Name(path)} must be an ISO 8601 time, got {Describe(element)}");
            }
        }
        else if (ListElementType(underlying) is { } itemType)
        {
            if (Expect(element, JsonValueKind.Array, "an array", path, problems))
            {
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Check(item, itemType, $"{path}[{i++}]", naming, problems);
                }
            }
        }
        else if (underlying.IsClass)
        {
            if (Expect(element, JsonValueKind.Object, "an object", path, problems))
            {
                CheckObject(element, underlying, path, naming, problems);
            }
        }
        else
        {
            throw new InvalidOperationException($"JsonShapeChecker does not handle {underlying}");
        }
    }

    private static void CheckObject(JsonElement element, Type type, string path, JsonNamingPolicy naming, List<string> problems)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<JsonIgnoreAttribute>() is not null)
            {
                continue;
            }

            var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? naming.ConvertName(property.Name);
            known.Add(name);
            var memberPath = path.Length == 0 ? name : $"{path}.{name}";
            var required = property.GetCustomAttribute<RequiredMemberAttribute>() is not null;
            var nullable = Nullable.GetUnderlyingType(property.PropertyType) is not null
                || (!property.PropertyType.IsValueType && Nullability.Create(property).ReadState == NullabilityState.Nullable);
            if (!element.TryGetProperty(name, out var value))
            {
                if (required)
                {
                    problems.Add($"{memberPath} is missing");
                }

                continue;
            }

            if (value.ValueKind == JsonValueKind.Null)
            {
                if (!nullable)
                {
                    problems.Add($"{memberPath} must not be null");
                }

                continue;
            }

            Check(value, property.PropertyType, memberPath, naming, problems);
        }

        foreach (var member in element.EnumerateObject())
        {
            if (!known.Contains(member.Name))
            {
                problems.Add($"{(path.Length == 0 ? member.Name : $"{path}.{member.Name}")} is not a field of {BundleManifest.SchemaId}");
            }
        }
    }

    private static Type? ListElementType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) ? type.GetGenericArguments()[0] : null;

    private static bool Expect(JsonElement element, JsonValueKind kind, string what, string path, List<string> problems)
    {
        if (element.ValueKind == kind)
        {
            return true;
        }

        problems.Add($"{Name(path)} must be {what}, got {Describe(element)}");
        return false;
    }

    private static string Name(string path) => path.Length == 0 ? "the manifest" : path;

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Truncate(element.GetString() ?? string.Empty)}\"",
        JsonValueKind.Number => $"the number {element.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => element.GetRawText(),
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Null => "null",
        _ => element.ValueKind.ToString(),
    };

    private static string Truncate(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
