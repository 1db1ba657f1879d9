using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Onnx;

namespace SuperRes.Deploy.Engines.Onnx;

/// <summary>One external tensor's validated reference: the file it names (inside the model's folder), offset and length.</summary>
internal sealed class ExternalReference
{
    private ExternalReference(TensorProto tensor, string location, string file, string baseDirectory, long offset, long length, string modelName)
    {
        Tensor = tensor;
        Location = location;
        File = file;
        BaseDirectory = baseDirectory;
        Offset = offset;
        Length = length;
        ModelName = modelName;
    }

    public TensorProto Tensor { get; }

    public string Location { get; }

    public string File { get; }

    public string BaseDirectory { get; }

    public long Offset { get; }

    public long Length { get; }

    public string ModelName { get; }

    public static ExternalReference Parse(TensorProto tensor, string? baseDirectory, string modelName)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        string? location = null;
        long offset = 0;
        long? length = null;
        foreach (var entry in tensor.ExternalData)
        {
            switch (entry.Key)
            {
                case "location":
                    location = entry.Value;
                    break;
                case "offset":
                    offset = ParseNonNegative(entry.Value, "offset");
                    break;
                case "length":
                    length = ParseNonNegative(entry.Value, "length");
                    break;
            }
        }

        if (string.IsNullOrEmpty(location))
        {
            throw DeployException.BadInput($"{modelName}: tensor '{tensor.Name}' is marked external but has no location");
        }

        if (tensor.DataType == (int)TensorProto.Types.DataType.String)
        {
            throw DeployException.BadInput($"{modelName}: string tensor '{tensor.Name}' is marked external; strings can only be stored inline");
        }

        if (!IsContainedRelativePath(location))
        {
            throw DeployException.BadInput($"{modelName}: tensor '{tensor.Name}' has external location '{location}' outside the model's folder");
        }

        if (baseDirectory is null)
        {
            throw DeployException.BadInput($"{modelName}: tensor '{tensor.Name}' uses external data but the model has no folder to resolve '{location}' against");
        }

        var root = Path.GetFullPath(baseDirectory);
        var file = Path.GetFullPath(Path.Combine(root, location));
        if (!file.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw DeployException.BadInput($"{modelName}: tensor '{tensor.Name}' has external location '{location}' outside the model's folder");
        }

        var expected = TensorData.ByteSize(tensor);
        var actualLength = length ?? expected;
        if (expected > 0 && actualLength != expected)
        {
            throw DeployException.BadInput(
                $"{modelName}: tensor '{tensor.Name}' declares {actualLength} external bytes but its shape and type need {expected}");
        }

        return new ExternalReference(tensor, location, file, root, offset, actualLength, modelName);

        long ParseNonNegative(string text, string key)
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                throw DeployException.BadInput($"{modelName}: tensor '{tensor.Name}' has an invalid external-data {key} '{text}'");
            }

            return value;
        }
    }

    /// <summary>A relative path that names something inside its base folder: not rooted, no '..' part, not empty.</summary>
    public static bool IsContainedRelativePath(string location) =>
        !string.IsNullOrWhiteSpace(location)
        && !Path.IsPathRooted(location)
        && !location.Contains('\0', StringComparison.Ordinal)
        && !location.Split('/', '\\').Any(part => part == "..");

    public DeployException NotFound() =>
        DeployException.BadInput($"{ModelName}: external data file '{Location}' (tensor '{Tensor.Name}') not found in {BaseDirectory}");

    /// <summary>Opens the data file for reading, refusing a symbolic link that leads outside the model's folder.</summary>
    public SafeFileHandle OpenHandle()
    {
        CheckLinkTarget();
        try
        {
            return System.IO.File.OpenHandle(File, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw NotFound();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DeployException.BadInput($"{ModelName}: cannot open external data file '{Location}': {e.Message}");
        }
    }

    /// <summary>Checks, without opening the file, that it exists, stays inside the model's folder and covers the tensor.</summary>
    public void Verify()
    {
        var info = new FileInfo(File);
        if (!info.Exists)
        {
            throw NotFound();
        }

        CheckLinkTarget();
        CheckFits(info.Length);
    }

    public void CheckFits(long fileLength)
    {
        if (Offset > fileLength || Length > fileLength - Offset)
        {
            throw DeployException.BadInput(
                $"{ModelName}: external data file '{Location}' is {fileLength} bytes, too short for tensor '{Tensor.Name}' (offset {Offset}, length {Length})");
        }
    }

    private void CheckLinkTarget()
    {
        var info = new FileInfo(File);
        if (info.LinkTarget is null)
        {
            return;
        }

        var target = info.ResolveLinkTarget(returnFinalTarget: true);
        var root = Path.TrimEndingDirectorySeparator(BaseDirectory) + Path.DirectorySeparatorChar;
        if (target is null || !target.FullName.StartsWith(root, StringComparison.Ordinal))
        {
            throw DeployException.BadInput(
                $"{ModelName}: external data file '{Location}' (tensor '{Tensor.Name}') is a link to a file outside the model's folder");
        }
    }

    /// <summary>Reads the whole payload into one array (it must be smaller than 2 GiB).</summary>
    public byte[] ReadAll(SafeFileHandle handle, Action<long>? bytesRead)
    {
        CheckFits(RandomAccess.GetLength(handle));
        if (Length > Array.MaxLength)
        {
            throw DeployException.BadInput(
                $"{ModelName}: tensor '{Tensor.Name}' is {Length} bytes, larger than one in-memory array can hold; read it as a stream");
        }

        var bytes = GC.AllocateUninitializedArray<byte>((int)Length);
        ReadExactly(handle, bytes, Offset);
        bytesRead?.Invoke(Length);
        return bytes;
    }

    public void ReadExactly(SafeFileHandle handle, Span<byte> destination, long fileOffset)
    {
        while (!destination.IsEmpty)
        {
            var n = RandomAccess.Read(handle, destination, fileOffset);
            if (n == 0)
            {
                throw DeployException.BadInput($"{ModelName}: external data file '{Location}' ended while reading tensor '{Tensor.Name}' (was it truncated?)");
            }

            destination = destination[n..];
            fileOffset += n;
        }
    }
}
