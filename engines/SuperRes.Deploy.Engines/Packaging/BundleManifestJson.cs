using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>
/// Writes and reads manifest.json: snake_case JSON of <see cref="BundleManifest"/>, with a self-digest
/// (<c>manifest_sha256</c>: sha256 of the file with that value replaced by 64 '0's) so that a change anywhere in the
/// manifest is detected, and a strict check of the schema (required fields, types, no unknown fields) plus the rules
/// between fields (<see cref="BundleManifestRules"/>).
/// </summary>
public static class BundleManifestJson
{
    /// <summary>The placeholder the self-digest is computed over.</summary>
    public static readonly string ZeroDigest = new('0', 64);

    private static readonly byte[] DigestKey = "\"manifest_sha256\""u8.ToArray();

    /// <summary>The serializer settings of manifest.json (snake_case, indented, strict numbers).</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,

        // A file for people and scripts, never embedded in HTML: '+' and non-ASCII stay readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>The manifest's bytes, with <see cref="BundleManifest.ManifestSha256"/> set to their self-digest.</summary>
    public static byte[] Serialize(BundleManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(manifest with { ManifestSha256 = ZeroDigest }, Options);
        var at = FindDigestValue(bytes) ?? throw new InvalidOperationException("manifest_sha256 not found in the serialized manifest");
        var digest = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(bytes)));
        digest.CopyTo(bytes.AsSpan(at, 64));
        return bytes;
    }

    /// <summary>
    /// The self-digest of manifest bytes: sha256 with the 64 characters of the manifest_sha256 value replaced by '0';
    /// null when the bytes have no single well-formed manifest_sha256 member.
    /// </summary>
    public static string? ComputeSelfDigest(ReadOnlySpan<byte> manifestBytes)
    {
        var copy = manifestBytes.ToArray();
        if (FindDigestValue(copy) is not { } at)
        {
            return null;
        }

        copy.AsSpan(at, 64).Fill((byte)'0');
        return Convert.ToHexStringLower(SHA256.HashData(copy));
    }

    /// <summary>
    /// Parses and checks manifest bytes. Every problem is one line starting with "manifest.json: ". The manifest is
    /// returned when it could be read into <see cref="BundleManifest"/> (it may still have rule problems).
    /// </summary>
    public static (BundleManifest? Manifest, IReadOnlyList<string> Problems) Parse(ReadOnlySpan<byte> bytes)
    {
        var problems = new List<string>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.ToArray());
        }
        catch (JsonException e)
        {
            return (null, [$"manifest.json: not valid JSON ({OneLine(e.Message)})"]);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, ["manifest.json: the top level must be a JSON object"]);
            }

            if (!root.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.String)
            {
                return (null, [$"manifest.json: schema is missing (expected \"{BundleManifest.SchemaId}\")"]);
            }

            if (schema.GetString() != BundleManifest.SchemaId)
            {
                return (null, [$"manifest.json: schema is \"{schema.GetString()}\"; this srdeploy reads \"{BundleManifest.SchemaId}\""]);
            }

            JsonShapeChecker.Check(root, typeof(BundleManifest), string.Empty, Options.PropertyNamingPolicy!, problems);
            if (problems.Count > 0)
            {
                return (null, problems.Select(p => "manifest.json: " + p).ToList());
            }

            BundleManifest? manifest;
            try
            {
                manifest = root.Deserialize<BundleManifest>(Options);
            }
            catch (JsonException e)
            {
                return (null, [$"manifest.json: {OneLine(e.Message)}"]);
            }

            if (manifest is null)
            {
                return (null, ["manifest.json: empty manifest"]);
            }

            var selfDigest = ComputeSelfDigest(bytes);
            if (selfDigest is null)
            {
                problems.Add("manifest.json: manifest_sha256 must appear once, as 64 lowercase hex digits");
            }
            else if (!string.Equals(selfDigest, manifest.ManifestSha256, StringComparison.Ordinal))
            {
                problems.Add($"manifest.json: content changed: its digest is {selfDigest[..12]}…, manifest_sha256 says {Short(manifest.ManifestSha256)}");
            }

            problems.AddRange(BundleManifestRules.Check(manifest).Select(p => "manifest.json: " + p));
            return (manifest, problems);
        }
    }

    /// <summary>Parses manifest bytes or throws a BadInput <see cref="DeployException"/> naming the first problem.</summary>
    public static BundleManifest ParseOrThrow(ReadOnlySpan<byte> bytes, string bundleName)
    {
        var (manifest, problems) = Parse(bytes);
        if (manifest is null || problems.Count > 0)
        {
            var more = problems.Count > 1 ? $" (and {problems.Count - 1} more problem(s); run `srdeploy package verify`)" : string.Empty;
            throw DeployException.BadInput($"bundle {bundleName}: {problems[0]}{more}");
        }

        return manifest;
    }

    private static int? FindDigestValue(byte[] bytes)
    {
        var span = bytes.AsSpan();
        var first = span.IndexOf(DigestKey);
        if (first < 0 || span[(first + DigestKey.Length)..].IndexOf(DigestKey) >= 0)
        {
            return null;
        }

        var i = first + DigestKey.Length;
        i = SkipWhitespace(span, i);
        if (i >= span.Length || span[i] != (byte)':')
        {
            return null;
        }

        i = SkipWhitespace(span, i + 1);
        if (i + 66 > span.Length || span[i] != (byte)'"' || span[i + 65] != (byte)'"')
        {
            return null;
        }

        foreach (var b in span.Slice(i + 1, 64))
        {
            if (!char.IsAsciiHexDigitLower((char)b) && !char.IsAsciiDigit((char)b))
            {
                return null;
            }
        }

        return i + 1;
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> span, int i)
    {
        while (i < span.Length && span[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            i++;
        }

        return i;
    }

    private static string Short(string digest) => digest.Length > 12 ? digest[..12] + "…" : digest;

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
