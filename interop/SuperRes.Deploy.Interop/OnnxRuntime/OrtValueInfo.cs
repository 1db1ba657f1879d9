using System.Runtime.InteropServices;

namespace SuperRes.Deploy.Interop.OnnxRuntime;

/// <summary>A model input or output as the session sees it.</summary>
/// <param name="Name">The graph input or output name.</param>
/// <param name="ValueType">Tensor, sequence, map...</param>
/// <param name="ElementType">The tensor element type; <see cref="OrtElementType.Undefined"/> for a non-tensor.</param>
/// <param name="Dimensions">One entry per axis: the size, or -1 when it is symbolic or unknown. Empty for a non-tensor.</param>
/// <param name="SymbolicDimensions">One entry per axis: the symbolic name (e.g. "batch"), or "" for a fixed or unnamed axis.</param>
public sealed record OrtValueInfo(
    string Name,
    OrtValueType ValueType,
    OrtElementType ElementType,
    IReadOnlyList<long> Dimensions,
    IReadOnlyList<string> SymbolicDimensions)
{
    /// <summary>The shape in a readable form, e.g. <c>float[batch,3,?,?]</c>.</summary>
    public override string ToString()
    {
        var axes = Dimensions.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture)
                                                : SymbolicDimensions[i].Length > 0 ? SymbolicDimensions[i] : "?");
        return $"{Name}: {ElementType}[{string.Join(",", axes)}]";
    }

    /// <summary>Reads element type and dimensions from a tensor type-and-shape info (borrowed or owned; not released here).</summary>
    internal static unsafe (OrtElementType Type, long[] Dims, string[] Symbols) ReadTensorShape(nint tensorInfo)
    {
        var api = OrtLibrary.Api;
        int type;
        nuint rank;
        OrtStatus.Check(api.GetTensorElementType(tensorInfo, &type));
        OrtStatus.Check(api.GetDimensionsCount(tensorInfo, &rank));
        var dims = new long[(int)rank];
        var symbols = new string[(int)rank];
        if (rank > 0)
        {
            fixed (long* dimsPointer = dims)
            {
                OrtStatus.Check(api.GetDimensions(tensorInfo, dimsPointer, rank));
            }

            // The names are borrowed from the info: copied here, never freed.
            var names = new nint[(int)rank];
            fixed (nint* namesPointer = names)
            {
                OrtStatus.Check(api.GetSymbolicDimensions(tensorInfo, (byte**)namesPointer, rank));
            }

            for (var i = 0; i < symbols.Length; i++)
            {
                symbols[i] = Marshal.PtrToStringUTF8(names[i]) ?? string.Empty;
            }
        }

        return ((OrtElementType)type, dims, symbols);
    }

    /// <summary>Builds the info for a session input or output from its type info (owned by the caller).</summary>
    internal static unsafe OrtValueInfo FromTypeInfo(string name, nint typeInfo)
    {
        var api = OrtLibrary.Api;
        int onnxType;
        OrtStatus.Check(api.GetOnnxTypeFromTypeInfo(typeInfo, &onnxType));
        if ((OrtValueType)onnxType != OrtValueType.Tensor)
        {
            return new OrtValueInfo(name, (OrtValueType)onnxType, OrtElementType.Undefined, [], []);
        }

        nint tensorInfo = 0; // borrowed from typeInfo
        OrtStatus.Check(api.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo));
        var (type, dims, symbols) = ReadTensorShape(tensorInfo);
        return new OrtValueInfo(name, OrtValueType.Tensor, type, dims, symbols);
    }
}

/// <summary>The model-level metadata ORT reads from the ONNX file.</summary>
/// <param name="ProducerName">ModelProto.producer_name.</param>
/// <param name="GraphName">GraphProto.name.</param>
/// <param name="Domain">ModelProto.domain.</param>
/// <param name="Description">ModelProto.doc_string.</param>
/// <param name="Version">ModelProto.model_version.</param>
/// <param name="CustomMetadata">ModelProto.metadata_props.</param>
public sealed record OrtModelMetadata(
    string ProducerName,
    string GraphName,
    string Domain,
    string Description,
    long Version,
    IReadOnlyDictionary<string, string> CustomMetadata);
