using System.Diagnostics;

namespace SuperRes.Deploy.Engines.Tests.TestSupport;

/// <summary>
/// Runs ImageMagick (<c>magick</c> for version 7, else <c>convert</c> for version 6) from PATH as an independent PNG
/// encoder/decoder. Tests that need it skip with <see cref="SkipReason"/> when it is absent.
/// </summary>
internal static class ImageMagick
{
    private static readonly Lazy<string?> LazyExecutable = new(Find);

    /// <summary>The executable, or null when ImageMagick is not installed.</summary>
    public static string? Executable => LazyExecutable.Value;

    public static bool IsAvailable => Executable is not null;

    public const string SkipReason = "ImageMagick (magick or convert) is not on PATH; apt-get install imagemagick";

    /// <summary>Runs ImageMagick with <paramref name="arguments"/> and returns its standard output; throws on failure.</summary>
    public static byte[] Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Executable ?? throw new InvalidOperationException(SkipReason))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        using var output = new MemoryStream();
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ImageMagick {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Result}");
        }

        return output.ToArray();
    }

    /// <summary>ImageMagick's decoding of <paramref name="path"/> as 16-bit RGBA samples (grey expanded, opaque alpha = 65535).</summary>
    public static ushort[] ReadRgba16(string path) => Rgba16.FromBigEndian(Run(path, "-depth", "16", "-endian", "MSB", "rgba:-"));

    private static string? Find()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var name in new[] { "magick", "convert" })
        {
            foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = Path.Combine(directory, name);
                if (File.Exists(candidate) && Works(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static bool Works(string executable)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(executable, "-version")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var text = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 && text.Contains("ImageMagick", StringComparison.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
