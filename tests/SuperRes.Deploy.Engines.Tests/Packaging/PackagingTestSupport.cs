using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using SuperRes.Deploy.Engines.Configuration;
using SuperRes.Deploy.Engines.Packaging;

namespace SuperRes.Deploy.Tests;

/// <summary>Configs for packaging tests, written next to the test's files with absolute model paths.</summary>
internal static class PackagingConfigs
{
    /// <summary>
    /// plain_sr (3 convs + PixelShuffle x4, tests/fixtures/models) with two explicit profiles and no optimize pass:
    /// packages in about a second and needs no component that is not built yet.
    /// </summary>
    public static string PlainSr(string directory, string name = "plain_sr_x4", string extra = "")
    {
        var path = Path.Combine(directory, name + ".yaml");
        File.WriteAllText(path, $$"""
            schema: srdeploy.config/1
            name: {{name}}
            description: plain_sr fixture for packaging tests
            model: {{RepoPaths.FixtureModel("plain_sr.onnx")}}
            scale: 4
            optimize:
              fuse_attention: false
              fp16: false
              fold_constants: false
            profiles:
              - { min: "input:1x3x8x8", opt: "input:1x3x24x24", max: "input:1x3x48x48" }
              - { min: "input:1x3x16x16", opt: "input:1x3x40x32", max: "input:1x3x64x64" }
            validation:
              atol: 1e-4
              rtol: 1e-3
              check: elemwise
              psnr_min: 40
              seed: 7

            """ + extra);
        return path;
    }
}

/// <summary>The DITN-layout fixture with attention fused into the FusedAttention plugin: bundles with plugin sources.</summary>
internal static class FusedConfigs
{
    /// <summary>ditn_small (4 channel-attention blocks, pads to a multiple of 8) with one small explicit profile.</summary>
    public static string DitnSmall(string directory, string name = "ditn_small_x4")
    {
        var path = Path.Combine(directory, name + ".yaml");
        File.WriteAllText(path, $$"""
            schema: srdeploy.config/1
            name: {{name}}
            model: {{RepoPaths.FixtureModel("ditn_small.onnx")}}
            scale: 4
            optimize: { fuse_attention: true, fp16: false, fold_constants: true }
            profiles:
              - { min: "input:1x3x16x16", opt: "input:1x3x32x32", max: "input:1x3x48x48" }
            build: { workspace: 1G }
            validation: { atol: 2e-4, rtol: 1e-3, check: elemwise, psnr_min: 45, cosine_min: 0.9999, seed: 3 }

            """);
        return path;
    }
}

/// <summary>Packaging configs with targets instead of profiles (the profile planner decides).</summary>
internal static class PlannedConfigs
{
    /// <summary>plain_sr with two small landscape targets (the planner's profiles stay small, so do the references).</summary>
    public static string PlainSr(string directory, string name = "plain_sr_planned")
    {
        var path = Path.Combine(directory, name + ".yaml");
        File.WriteAllText(path, $$"""
            schema: srdeploy.config/1
            name: {{name}}
            model: {{RepoPaths.FixtureModel("plain_sr.onnx")}}
            optimize: { fuse_attention: false, fp16: false, fold_constants: false }
            targets:
              sizes: [64x48, 40x32]
              orientations: [landscape]
              max_profiles: 2
            validation: { atol: 1e-4, rtol: 1e-3 }

            """);
        return path;
    }
}

/// <summary>Bundles made for tests, and ways to take them apart and put them back together.</summary>
internal static class TestBundles
{
    /// <summary>Packages the plain_sr config into <paramref name="directory"/>/NAME.tar.gz.</summary>
    /// <param name="engineCache">build-engine's cache to consult; null (default) keeps tests independent of any cache.</param>
    public static PackageResult PlainSr(string directory, IReadOnlyList<string>? plans = null, string? pluginLibrary = null, string? engineCache = null)
    {
        var config = DeployConfigLoader.Load(PackagingConfigs.PlainSr(directory));
        return PackageBuilder.Build(new PackageRequest
        {
            Config = config,
            OutputPath = Path.Combine(directory, config.Name + ".tar.gz"),
            Plans = plans ?? [],
            PluginLibrary = pluginLibrary,
            EngineCacheDirectory = engineCache,
            ToolVersion = "test",
            CreatedUtc = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        });
    }

    /// <summary>Packages the fused ditn_small config into <paramref name="directory"/>/NAME.tar.gz.</summary>
    public static PackageResult DitnSmall(string directory, string? pluginLibrary = null)
    {
        var config = DeployConfigLoader.Load(FusedConfigs.DitnSmall(directory));
        return PackageBuilder.Build(new PackageRequest
        {
            Config = config,
            OutputPath = Path.Combine(directory, config.Name + ".tar.gz"),
            PluginLibrary = pluginLibrary,
            EngineCacheDirectory = null,
            ToolVersion = "test",
            CreatedUtc = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        });
    }

    /// <summary>One archive entry in memory.</summary>
    public sealed record Entry(string Name, byte[] Content, TarEntryType Type = TarEntryType.RegularFile, string? LinkName = null);

    /// <summary>Every entry of a .tar.gz, in order.</summary>
    public static List<Entry> ReadEntries(string bundle)
    {
        var entries = new List<Entry>();
        using var file = File.OpenRead(bundle);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is { } entry)
        {
            using var copy = new MemoryStream();
            entry.DataStream?.CopyTo(copy);
            entries.Add(new Entry(entry.Name, copy.ToArray(), entry.EntryType, entry.LinkName));
        }

        return entries;
    }

    /// <summary>Writes entries as a .tar.gz (what a user re-tarring a bundle would produce).</summary>
    public static void WriteEntries(string bundle, IEnumerable<Entry> entries)
    {
        using var file = File.Create(bundle);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var writer = new TarWriter(gzip, TarEntryFormat.Pax);
        foreach (var e in entries)
        {
            var entry = new PaxTarEntry(e.Type, e.Name);
            if (e.Type == TarEntryType.RegularFile)
            {
                entry.DataStream = new MemoryStream(e.Content);
            }
            else if (e.LinkName is not null)
            {
                entry.LinkName = e.LinkName;
            }

            writer.WriteEntry(entry);
        }
    }

    /// <summary>A copy of <paramref name="bundle"/> with <paramref name="change"/> applied to its entry list.</summary>
    public static string Rewrite(string bundle, string output, Func<List<Entry>, List<Entry>> change)
    {
        WriteEntries(output, change(ReadEntries(bundle)));
        return output;
    }
}

/// <summary>Runs a program for a test and collects its output.</summary>
internal static class TestProcess
{
    public static (int Code, string Stdout, string Stderr) Run(
        string fileName, IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null,
        int timeoutMs = 120_000)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutMs))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} did not finish in {timeoutMs} ms");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The full path of a program on PATH, or null.</summary>
    public static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    /// <summary>Debian's Python with numpy (/usr/bin/python3), or null when it or numpy is missing.</summary>
    public static string? PythonWithNumpy()
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python))
        {
            return null;
        }

        var (code, _, _) = Run(python, ["-c", "import numpy"]);
        return code == 0 ? python : null;
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
