using System.Security.Cryptography;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Engines.Validation;

/// <summary>Model files as validation sees them: which format, their digest, the operator domains they import.</summary>
public static class ModelFiles
{
    /// <summary>"onnx".</summary>
    public const string OnnxFormat = "onnx";

    /// <summary>"tensorrt-plan".</summary>
    public const string PlanFormat = "tensorrt-plan";

    /// <summary>
    /// Whether <paramref name="path"/> is a TensorRT plan: by extension (.plan, .engine, .trt), else by the plan header
    /// (see <see cref="TrtPlanHeader"/>); everything else is taken for ONNX.
    /// </summary>
    public static bool IsPlan(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".plan" or ".engine" or ".trt")
        {
            return true;
        }

        if (extension == ".onnx" || !File.Exists(path))
        {
            return false;
        }

        var header = new byte[28];
        using var stream = File.OpenRead(path);
        var read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        return TrtPlanHeader.TryRead(header.AsSpan(0, read)) is not null;
    }

    /// <summary>Path, format, size, SHA-256 (and for plans the TensorRT version in the header).</summary>
    /// <exception cref="DeployException">BadInput: the file is missing or unreadable.</exception>
    public static ModelDescription Describe(string path, string format, string? detail = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            var digest = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (format == PlanFormat && detail is null)
            {
                stream.Position = 0;
                var header = new byte[28];
                var read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
                detail = TrtPlanHeader.TryRead(header.AsSpan(0, read)) is { } h
                    ? $"built by TensorRT {h.Version}"
                    : "no TensorRT plan header recognised";
            }

            return new ModelDescription(path, format, stream.Length, digest, detail);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw DeployException.BadInput($"{(format == PlanFormat ? "engine plan" : "model file")} not found: {path}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DeployException.BadInput($"cannot read {path}: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    /// <summary>The operator domains an ONNX model imports ("" for the default domain).</summary>
    /// <exception cref="DeployException">BadInput: the file is not a readable ONNX model.</exception>
    public static IReadOnlyCollection<string> ImportedDomains(string onnxPath)
    {
        using var model = OnnxModel.Load(onnxPath, new OnnxLoadOptions { VerifyExternalData = false });
        return model.Proto.OpsetImport.Select(o => o.Domain).ToHashSet(StringComparer.Ordinal);
    }
}
