using System.Diagnostics;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Cli.Tests.BuildEngine;

/// <summary>Runs srdeploy in-process (or as a child process) and checks the one-line error convention.</summary>
internal static class BuildEngineCli
{
    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs the built srdeploy.dll in a child process with extra environment variables.</summary>
    public static (int Code, string Stdout, string Stderr) RunProcess(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoPaths.Root,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "srdeploy.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        var stderrTask = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "srdeploy did not finish within 2 minutes");
        return (process.ExitCode, stdoutTask.Result, stderrTask.Result);
    }

    /// <summary>Asserts stderr has exactly one "srdeploy: error:" line, containing every given text, and no stack trace.</summary>
    public static string AssertOneErrorLine(string stderr, params string[] mustContain)
    {
        var errors = stderr.Split('\n').Where(l => l.StartsWith("srdeploy: error:", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(errors);
        foreach (var text in mustContain)
        {
            Assert.Contains(text, line);
        }

        Assert.DoesNotContain("   at ", stderr);
        return line;
    }

    /// <summary>Every file below a folder (relative paths), hidden ones included.</summary>
    public static List<string> Files(string folder) =>
        Directory.Exists(folder)
            ? [.. Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal)]
            : [];
}
