using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using SuperRes.Deploy.Engines.Runtime;

namespace SuperRes.Deploy.Engines.Packaging;

/// <summary>
/// numpy's .npy format, version 1.0 (little endian, C order): what bundles store reference tensors in, readable with
/// <c>numpy.load</c> on the device. Reads back what it writes (and any v1/v2 file of the same element types).
/// </summary>
public static partial class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>numpy's name of an element type (float32, int64, ...), as in the manifest.</summary>
    public static string DtypeName(TensorElementType type) => type switch
    {
        TensorElementType.Float32 => "float32",
        TensorElementType.Float16 => "float16",
        TensorElementType.Float64 => "float64",
        TensorElementType.Int8 => "int8",
        TensorElementType.UInt8 => "uint8",
        TensorElementType.Int32 => "int32",
        TensorElementType.Int64 => "int64",
        TensorElementType.Bool => "bool",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no numpy name"),
    };

    public static void Write(Stream stream, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensor);
        var shape = tensor.Shape.Count switch
        {
            0 => "()",
            1 => $"({tensor.Shape[0].ToString(CultureInfo.InvariantCulture)},)",
            _ => $"({string.Join(", ", tensor.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))})",
        };
        var header = $"{{'descr': '{Descr(tensor.ElementType)}', 'fortran_order': False, 'shape': {shape}, }}";
        var total = Magic.Length + 2 + 2 + header.Length + 1;
        header = header.PadRight(header.Length + ((64 - (total % 64)) % 64)) + "\n";
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> length = stackalloc byte[2];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(length, checked((ushort)header.Length));
        stream.Write(length);
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(Bytes(tensor));
    }

    public static void Write(string path, Tensor tensor)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Write(stream, tensor);
    }

    /// <summary>Reads a .npy file into a tensor; bad input for anything that is not a C-order little-endian array of a supported type.</summary>
    public static Tensor Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw DeployException.BadInput($"{path} is not a .npy file");
        }

        int headerLength, offset;
        if (bytes[6] == 1)
        {
            headerLength = BitConverter.ToUInt16(bytes, 8);
            offset = 10;
        }
        else
        {
            headerLength = checked((int)BitConverter.ToUInt32(bytes, 8));
            offset = 12;
        }

        var header = Encoding.ASCII.GetString(bytes, offset, headerLength);
        var match = HeaderPattern().Match(header);
        if (!match.Success)
        {
            throw DeployException.BadInput($"{path}: unsupported .npy header {header.Trim()}");
        }

        var type = FromDescr(match.Groups["descr"].Value) ?? throw DeployException.BadInput($"{path}: unsupported dtype {match.Groups["descr"].Value}");
        if (match.Groups["fortran"].Value == "True")
        {
            throw DeployException.BadInput($"{path}: Fortran-order arrays are not supported");
        }

        var shape = match.Groups["shape"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var data = bytes.AsSpan(offset + headerLength);
        var tensor = Tensor.Zeros(type, shape);
        var target = MemoryMarshal.AsBytes(AsByteSpanTarget(tensor));
        if (data.Length != target.Length)
        {
            throw DeployException.BadInput($"{path}: {data.Length} data bytes, shape {Tensor.Format(shape)} needs {target.Length}");
        }

        data.CopyTo(target);
        return tensor;
    }

    private static Span<byte> AsByteSpanTarget(Tensor tensor) => tensor.ElementType switch
    {
        TensorElementType.Float32 => MemoryMarshal.AsBytes(tensor.AsSpan<float>()),
        TensorElementType.Float16 => MemoryMarshal.AsBytes(tensor.AsSpan<Half>()),
        TensorElementType.Float64 => MemoryMarshal.AsBytes(tensor.AsSpan<double>()),
        TensorElementType.Int8 => MemoryMarshal.AsBytes(tensor.AsSpan<sbyte>()),
        TensorElementType.UInt8 => tensor.AsSpan<byte>(),
        TensorElementType.Int32 => MemoryMarshal.AsBytes(tensor.AsSpan<int>()),
        TensorElementType.Int64 => MemoryMarshal.AsBytes(tensor.AsSpan<long>()),
        TensorElementType.Bool => MemoryMarshal.AsBytes(tensor.AsSpan<bool>()),
        _ => throw new ArgumentOutOfRangeException(nameof(tensor), tensor.ElementType, "unsupported element type"),
    };

    private static byte[] Bytes(Tensor tensor) => AsByteSpanTarget(tensor).ToArray();

    private static string Descr(TensorElementType type) => type switch
    {
        TensorElementType.Float32 => "<f4",
        TensorElementType.Float16 => "<f2",
        TensorElementType.Float64 => "<f8",
        TensorElementType.Int8 => "|i1",
        TensorElementType.UInt8 => "|u1",
        TensorElementType.Int32 => "<i4",
        TensorElementType.Int64 => "<i8",
        TensorElementType.Bool => "|b1",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no .npy descr"),
    };

    private static TensorElementType? FromDescr(string descr) => descr switch
    {
        "<f4" => TensorElementType.Float32,
        "<f2" => TensorElementType.Float16,
        "<f8" => TensorElementType.Float64,
        "|i1" => TensorElementType.Int8,
        "|u1" => TensorElementType.UInt8,
        "<i4" => TensorElementType.Int32,
        "<i8" => TensorElementType.Int64,
        "|b1" => TensorElementType.Bool,
        _ => null,
    };

    [GeneratedRegex(@"'descr':\s*'(?<descr>[^']+)',\s*'fortran_order':\s*(?<fortran>True|False),\s*'shape':\s*\((?<shape>[^)]*)\)")]
    private static partial Regex HeaderPattern();
}
