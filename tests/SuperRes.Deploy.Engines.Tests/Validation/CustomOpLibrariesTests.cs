using SuperRes.Deploy.Engines.Validation;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Engines.Tests.Validation;

public sealed class CustomOpLibrariesTests
{
    [Fact]
    public void A_model_using_the_project_domain_without_its_library_next_to_srdeploy_is_a_missing_component_saying_so()
    {
        using var app = new TempFolder("srd-app");

        var error = Assert.Throws<DeployException>(() =>
            CustomOpLibraries.Resolve("models/fused.onnx", [], new HashSet<string> { string.Empty, "com.superres.deploy" }, app.Path));

        Assert.Equal(FailureKind.MissingComponent, error.Kind);
        Assert.Equal(
            $"model 'fused.onnx' uses custom operators of domain com.superres.deploy, but their ONNX Runtime library libsrd_fused_attention_ort.so is not next to srdeploy ({app.Path}); build it (scripts/setup) or pass --custom-ops LIB",
            error.Message);
    }

    [Fact]
    public void The_library_next_to_srdeploy_is_used_when_present_and_given_libraries_always_win()
    {
        using var app = new TempFolder("srd-app");
        var library = app.File(CustomOpLibraries.FusedAttentionLibrary);
        File.WriteAllBytes(library, [0x7f, 0x45, 0x4c, 0x46]);
        var domains = new HashSet<string> { "com.superres.deploy" };

        Assert.Equal([library], CustomOpLibraries.Resolve("fused.onnx", [], domains, app.Path));
        Assert.Equal(["mine.so"], CustomOpLibraries.Resolve("fused.onnx", ["mine.so"], domains, app.Path));
        Assert.Empty(CustomOpLibraries.Resolve("plain.onnx", [], new HashSet<string> { string.Empty }, app.Path));
    }
}
