using System.Text;
using System.Text.Json.Nodes;
using SuperRes.Deploy.Engines.Packaging;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Packaging;

/// <summary>One real bundle (plain_sr, two profiles) shared by the tests of a class.</summary>
public sealed class PlainSrBundleFixture : IDisposable
{
    public PlainSrBundleFixture()
    {
        Directory = RepoPaths.NewTempDirectory("srd-bundle");
        Result = TestBundles.PlainSr(Directory);
        ManifestBytes = TestBundles.ReadEntries(Result.BundlePath).Single(e => e.Name == BundleLayout.Manifest).Content;
    }

    public string Directory { get; }

    public PackageResult Result { get; }

    public string BundlePath => Result.BundlePath;

    public byte[] ManifestBytes { get; }

    public BundleManifest Manifest => Result.Manifest;

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

public sealed class BundleManifestTests(PlainSrBundleFixture bundle) : IClassFixture<PlainSrBundleFixture>
{
    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private static JsonObject Json(byte[] bytes) => JsonNode.Parse(bytes)!.AsObject();

    /// <summary>Re-serializes edited JSON with a correct self-digest, so only the edit is wrong.</summary>
    private static byte[] Reseal(JsonObject json)
    {
        json["manifest_sha256"] = BundleManifestJson.ZeroDigest;
        var bytes = Encoding.UTF8.GetBytes(json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        var digest = BundleManifestJson.ComputeSelfDigest(bytes)!;
        return Encoding.UTF8.GetBytes(Text(bytes).Replace(BundleManifestJson.ZeroDigest, digest, StringComparison.Ordinal));
    }

    [Fact]
    public void A_written_manifest_parses_back_to_the_same_manifest_without_problems()
    {
        var (manifest, problems) = BundleManifestJson.Parse(bundle.ManifestBytes);
        Assert.Empty(problems);
        Assert.NotNull(manifest);
        Assert.Equal(bundle.ManifestBytes, BundleManifestJson.Serialize(manifest));
        Assert.Equal(BundleManifest.SchemaId, manifest.Schema);
        Assert.Equal("plain_sr_x4", manifest.Model.Name);
        Assert.Equal(4, manifest.Model.Scale);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), manifest.CreatedUtc);
        Assert.Equal(BundleManifest.BuildOnDevice, manifest.Engine);
        Assert.Equal(2, manifest.Profiles.Count);
        Assert.Equal([1L, 3, 16, 16], manifest.Profiles[1].Inputs[0].Min);
        Assert.Equal([1L, 3, 40, 32], manifest.Profiles[1].Inputs[0].Opt);
    }

    [Fact]
    public void The_manifest_is_snake_case_with_the_documented_top_level_fields()
    {
        var json = Json(bundle.ManifestBytes);
        Assert.Equal(
            ["schema", "created_utc", "tool", "model", "io", "precision", "profiles", "build", "plugin", "validation", "references", "engine", "plans", "device", "notes", "files", "manifest_sha256"],
            json.Select(p => p.Key).ToArray());
        Assert.Equal("strongly_typed_fp32", (string?)json["precision"]!["typing"]);
        Assert.Equal("float32", (string?)json["io"]!["inputs"]![0]!["dtype"]);
        Assert.Equal(BundleLayout.MinimumTensorRt, (string?)json["device"]!["minimum_tensorrt"]);
        Assert.Contains("trtexec_arguments", Text(bundle.ManifestBytes), StringComparison.Ordinal);
    }

    [Fact]
    public void Files_list_every_other_file_with_its_size_and_sha256()
    {
        var entries = TestBundles.ReadEntries(bundle.BundlePath).Where(e => e.Name != BundleLayout.Manifest).ToList();
        Assert.Equal(entries.Select(e => e.Name).Order(StringComparer.Ordinal), bundle.Manifest.Files.Select(f => f.Path));
        foreach (var entry in entries)
        {
            var file = bundle.Manifest.Files.Single(f => f.Path == entry.Name);
            Assert.Equal(entry.Content.LongLength, file.Size);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(entry.Content)), file.Sha256);
        }
    }

    [Fact]
    public void The_validation_summary_comes_from_the_validation_engine_at_each_profile_min_opt_max()
    {
        var v = bundle.Manifest.Validation;
        Assert.Equal(BundleValidation.Passed, v.Status);
        Assert.Null(v.Reason);
        Assert.Equal(
            ["input:1x3x8x8", "input:1x3x24x24", "input:1x3x48x48", "input:1x3x16x16", "input:1x3x40x32", "input:1x3x64x64"],
            v.Cases.Select(c => c.Shape));
        Assert.All(v.Cases, c => Assert.True(c.Passed));
        Assert.Equal(0, v.MaxAbsError);
        Assert.Equal(BundleValidation.PsnrCap, v.MinPsnrDb);
        Assert.StartsWith("onnxruntime 1.30.0: plain_sr.onnx (original) vs plain_sr_x4.optimized.onnx (optimized;", v.Comparison, StringComparison.Ordinal);
        Assert.Equal(PackageBuilder.ValidationReportPath, v.Report);
        var report = JsonNode.Parse(TestBundles.ReadEntries(bundle.BundlePath).Single(e => e.Name == v.Report).Content)!;
        Assert.Equal("srdeploy.validation/1", (string?)report["schema"]);
    }

    [Fact]
    public void Every_required_field_left_out_is_reported_by_its_path()
    {
        var paths = RequiredPaths(Json(bundle.ManifestBytes), string.Empty).ToList();
        Assert.Contains("model.source.sha256", paths);
        Assert.Contains("profiles[0].inputs[0].min", paths);
        Assert.Contains("references.cases[0].outputs[0].file", paths);
        foreach (var path in paths.Where(p => p != "schema" && p != "manifest_sha256"))
        {
            var json = Json(bundle.ManifestBytes);
            Remove(json, path);
            var (_, problems) = BundleManifestJson.Parse(Reseal(json));
            Assert.Contains($"manifest.json: {path} is missing", problems);
        }
    }

    [Theory]
    [InlineData("model.scale", "\"4\"", "model.scale must be an integer, got the string \"4\"")]
    [InlineData("files[0].size", "-1.5", "files[0].size must be an integer, got the number -1.5")]
    [InlineData("precision.strongly_typed", "\"yes\"", "precision.strongly_typed must be true or false")]
    [InlineData("profiles", "{}", "profiles must be an array, got an object")]
    [InlineData("created_utc", "\"yesterday\"", "created_utc must be an ISO 8601 time")]
    [InlineData("io.value_range", "[0, \"1\"]", "io.value_range[1] must be a number")]
    [InlineData("model.name", "null", "model.name must not be null")]
    public void A_value_of_the_wrong_type_is_reported(string path, string value, string expected)
    {
        var json = Json(bundle.ManifestBytes);
        Set(json, path, JsonNode.Parse(value));
        var (manifest, problems) = BundleManifestJson.Parse(Reseal(json));
        Assert.Null(manifest);
        Assert.Contains(problems, p => p.StartsWith("manifest.json: " + expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_field_the_schema_does_not_have_is_reported()
    {
        var json = Json(bundle.ManifestBytes);
        json["model"]!["author"] = "someone";
        var (_, problems) = BundleManifestJson.Parse(Reseal(json));
        Assert.Equal(["manifest.json: model.author is not a field of srdeploy.bundle/1"], problems);
    }

    [Fact]
    public void Another_schema_version_is_one_problem_naming_both()
    {
        var json = Json(bundle.ManifestBytes);
        json["schema"] = "srdeploy.bundle/2";
        var (manifest, problems) = BundleManifestJson.Parse(Reseal(json));
        Assert.Null(manifest);
        Assert.Equal(["manifest.json: schema is \"srdeploy.bundle/2\"; this srdeploy reads \"srdeploy.bundle/1\""], problems);
    }

    [Fact]
    public void Any_edit_without_updating_the_self_digest_is_detected()
    {
        var text = Text(bundle.ManifestBytes).Replace("\"scale\": 4", "\"scale\": 3", StringComparison.Ordinal);
        var (_, problems) = BundleManifestJson.Parse(Encoding.UTF8.GetBytes(text));
        Assert.Contains(problems, p => p.StartsWith("manifest.json: content changed: its digest is", StringComparison.Ordinal));
    }

    [Fact]
    public void Rules_between_fields_are_checked()
    {
        var json = Json(bundle.ManifestBytes);
        json["files"]![0]!["path"] = "../outside.txt";
        json["engine"] = BundleManifest.PlansShipped;
        json["profiles"]![0]!["inputs"]![0]!["min"] = new JsonArray(1, 3, 99, 8);
        json["precision"]!["typing"] = "fp8";
        json["model"]!["onnx"] = "model/missing.onnx";
        var (_, problems) = BundleManifestJson.Parse(Reseal(json));
        Assert.Contains("manifest.json: files: '../outside.txt' refused: '..' leads outside the bundle", problems);
        Assert.Contains("manifest.json: engine must be \"build on device\" when 0 plan(s) are shipped, got \"plans shipped\"", problems);
        Assert.Contains("manifest.json: profiles[0] input 'input' axis 2: needs 1 <= min <= opt <= max, got 99, 24, 48", problems);
        Assert.Contains(problems, p => p.StartsWith("manifest.json: precision.typing must be one of strongly_typed_fp32", StringComparison.Ordinal));
        Assert.Contains("manifest.json: model.onnx 'model/missing.onnx' is not one of the bundle's files", problems);
    }

    [Fact]
    public void Not_json_and_not_an_object_are_reported_without_throwing()
    {
        Assert.Single(BundleManifestJson.Parse("{ \"schema\": "u8).Problems, p => p.StartsWith("manifest.json: not valid JSON", StringComparison.Ordinal));
        Assert.Equal(["manifest.json: the top level must be a JSON object"], BundleManifestJson.Parse("[1]"u8).Problems);
        Assert.Equal(["manifest.json: schema is missing (expected \"srdeploy.bundle/1\")"], BundleManifestJson.Parse("{}"u8).Problems);
    }

    /// <summary>JSON paths of every member the records mark required, as they appear in this manifest.</summary>
    private static IEnumerable<string> RequiredPaths(JsonNode node, string path)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    var child = path.Length == 0 ? key : $"{path}.{key}";
                    if (!IsOptional(child))
                    {
                        yield return child;
                    }

                    if (value is not null)
                    {
                        foreach (var p in RequiredPaths(value, child))
                        {
                            yield return p;
                        }
                    }
                }

                break;
            case JsonArray a when a.Count > 0 && a[0] is JsonObject:
                foreach (var p in RequiredPaths(a[0]!, path + "[0]"))
                {
                    yield return p;
                }

                break;
        }
    }

    // Members that may be absent (nullable, not `required`).
    private static bool IsOptional(string path) =>
        path is "model.description" or "plugin" or "build.workspace_bytes" or "validation.reason" or "validation.max_abs_error" or "validation.report" or "model.optimization.report"
            or "validation.min_psnr_db" or "references.tolerance.psnr_min" or "references.tolerance.cosine_min";

    private static (JsonNode Parent, string Key, int Index) Locate(JsonObject root, string path)
    {
        JsonNode current = root;
        var parts = path.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            var (key, index) = Split(parts[i]);
            if (i == parts.Length - 1)
            {
                return index >= 0 ? (current[key]!, key, index) : (current, key, -1);
            }

            current = index >= 0 ? current[key]![index]! : current[key]!;
        }

        throw new InvalidOperationException(path);
    }

    private static (string Key, int Index) Split(string part)
    {
        var bracket = part.IndexOf('[', StringComparison.Ordinal);
        return bracket < 0 ? (part, -1) : (part[..bracket], int.Parse(part[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static void Remove(JsonObject root, string path)
    {
        var (parent, key, index) = Locate(root, path);
        if (index >= 0)
        {
            parent.AsArray().RemoveAt(index);
        }
        else
        {
            parent.AsObject().Remove(key);
        }
    }

    private static void Set(JsonObject root, string path, JsonNode? value)
    {
        var (parent, key, index) = Locate(root, path);
        if (index >= 0)
        {
            parent.AsArray()[index] = value;
        }
        else
        {
            parent[key] = value;
        }
    }
}
