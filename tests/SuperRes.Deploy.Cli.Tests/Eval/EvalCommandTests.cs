using System.Text.Json;
using SuperRes.Deploy.Tests.Validate;

namespace SuperRes.Deploy.Tests.Eval;

public sealed class EvalCommandTests : IDisposable
{
    private readonly TempFolder _folder = new("srd-eval-cli");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Eval_with_the_default_config_prints_the_table_with_the_published_numbers_and_writes_json_and_markdown()
    {
        var reports = _folder.File("reports");

        var (code, stdout, stderr) = ValidateCommandTests.Run(
            "eval", "--config", RepoPaths.Combine("configs", "ditn_real_x4.yaml"), "--dataset", RepoPaths.Combine("tests", "fixtures", "datasets", "Set5"),
            "--report-dir", reports, "--quiet");

        Assert.True(code == 0, stderr);
        Assert.Matches(@"mean \(5 images\)\s+32\.0\d\d\s+0\.89\d\d\s+28\.\d{3}\s+0\.8\d{3}", stdout);
        Assert.Matches(@"published \(PLKSR README table \(DITN-real x4\)\)\s+32\.10\s+0\.8940", stdout);
        Assert.Matches(@"measured - published\s+-0\.0\d\d\s+[+-]0\.00\d\d", stdout);
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(reports, "eval.json")));
        var root = json.RootElement;
        Assert.Equal("srdeploy.eval/1", root.GetProperty("schema").GetString());
        Assert.Equal("Set5", root.GetProperty("dataset").GetProperty("name").GetString());
        Assert.Equal(4, root.GetProperty("scale").GetInt32());
        Assert.Equal(5, root.GetProperty("images").GetArrayLength());
        var mean = root.GetProperty("mean").GetProperty("psnrY").GetDouble();
        Assert.Equal(mean - 32.10, root.GetProperty("difference").GetProperty("psnrY").GetDouble(), 9);
        Assert.StartsWith("# srdeploy eval: Set5 x4", File.ReadAllText(Path.Combine(reports, "eval.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_dataset_is_a_bad_input_and_an_unknown_scale_a_usage_error()
    {
        using var hrOnly = new TempFolder("srd-eval-hr");
        File.Copy(RepoPaths.Combine("tests", "fixtures", "datasets", "Set5", "GTmod12", "head.png"), hrOnly.File("head.png"));

        var missing = ValidateCommandTests.Run("eval", "--model", RepoPaths.DefaultModel, "--dataset", _folder.File("nowhere"), "--quiet");
        var noScale = ValidateCommandTests.Run("eval", "--model", RepoPaths.DefaultModel, "--dataset", hrOnly.Path, "--quiet");

        Assert.Equal(3, missing.Code);
        Assert.Equal($"srdeploy: error: dataset folder not found: {_folder.File("nowhere")}", missing.Stderr.Trim());
        Assert.Equal(2, noScale.Code);
        Assert.StartsWith("srdeploy: error: cannot tell the scale of dataset", noScale.Stderr.Trim(), StringComparison.Ordinal);
    }
}
