namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>
/// TensorRT's ONNX parser, filling one <see cref="TrtNetwork"/>. The weights it reads stay alive with the network, so
/// the parser may be disposed before the build.
/// </summary>
public sealed unsafe class TrtOnnxParser : IDisposable
{
    private readonly TrtOnnxParserHandle _handle;

    private TrtOnnxParser(TrtOnnxParserHandle handle) => _handle = handle;

    public static TrtOnnxParser Create(TrtNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        srd_onnx_parser* parser = null;
        using (var net = network.Handle.Borrow())
        {
            TrtNative.Check(SrdTrtNative.srd_onnx_parser_create(net.Pointer, &parser),
                nameof(SrdTrtNative.srd_onnx_parser_create));
        }

        var handle = new TrtOnnxParserHandle();
        handle.Adopt(parser);
        return new TrtOnnxParser(handle);
    }

    public void SetFlag(TrtOnnxParserFlag flag, bool enabled)
    {
        using var parser = _handle.Borrow();
        TrtNative.Check(SrdTrtNative.srd_onnx_parser_set_flag(parser.Pointer, flag, enabled ? 1 : 0),
            nameof(SrdTrtNative.srd_onnx_parser_set_flag));
    }

    public bool GetFlag(TrtOnnxParserFlag flag)
    {
        var value = 0;
        using var parser = _handle.Borrow();
        TrtNative.Check(SrdTrtNative.srd_onnx_parser_get_flag(parser.Pointer, flag, &value),
            nameof(SrdTrtNative.srd_onnx_parser_get_flag));
        return value != 0;
    }

    /// <summary>Parses an ONNX file (external weights are found relative to it). A model the parser rejects gives
    /// a <see cref="TrtException"/> with status ParseFailed and the parser's errors.</summary>
    public void ParseFile(string path, TrtLogSeverity verbosity = TrtLogSeverity.Warning)
    {
        var utf8Path = TrtNative.Utf8(path, nameof(path));
        using var parser = _handle.Borrow();
        TrtStatus status;
        fixed (byte* p = utf8Path)
        {
            status = SrdTrtNative.srd_onnx_parser_parse_file(parser.Pointer, p, verbosity);
        }

        CheckParse(status, nameof(SrdTrtNative.srd_onnx_parser_parse_file), parser.Pointer);
    }

    /// <summary>Parses an in-memory ONNX model; <paramref name="modelPath"/> locates external weights.</summary>
    public void Parse(ReadOnlySpan<byte> model, string? modelPath = null)
    {
        var utf8Path = modelPath is null ? null : TrtNative.Utf8(modelPath, nameof(modelPath));
        using var parser = _handle.Borrow();
        TrtStatus status;
        fixed (byte* data = model)
        fixed (byte* p = utf8Path)
        {
            status = SrdTrtNative.srd_onnx_parser_parse_bytes(parser.Pointer, data, (ulong)model.Length, p);
        }

        CheckParse(status, nameof(SrdTrtNative.srd_onnx_parser_parse_bytes), parser.Pointer);
    }

    /// <summary>The errors of the last parse.</summary>
    public IReadOnlyList<TrtParserError> GetErrors()
    {
        using var parser = _handle.Borrow();
        return ReadErrors(parser.Pointer);
    }

    public void Dispose() => _handle.Dispose();

    private static void CheckParse(TrtStatus status, string function, srd_onnx_parser* parser)
    {
        if (status == TrtStatus.Ok)
        {
            return;
        }

        // The message first: it is the thread's last error only until the next failing call.
        var message = TrtNative.LastErrorMessage();
        var errors = status == TrtStatus.ParseFailed ? ReadErrors(parser) : [];
        throw new TrtException(status, function, message, errors);
    }

    private static List<TrtParserError> ReadErrors(srd_onnx_parser* parser)
    {
        var count = 0;
        TrtNative.Check(SrdTrtNative.srd_onnx_parser_get_nb_errors(parser, &count),
            nameof(SrdTrtNative.srd_onnx_parser_get_nb_errors));
        var errors = new List<TrtParserError>(count);
        for (var i = 0; i < count; i++)
        {
            srd_parser_error error;
            TrtNative.Check(SrdTrtNative.srd_onnx_parser_get_error(parser, i, &error),
                nameof(SrdTrtNative.srd_onnx_parser_get_error));
            errors.Add(new TrtParserError(
                error.code,
                error.node_index,
                ErrorString(parser, i, TrtParserErrorField.Description),
                ErrorString(parser, i, TrtParserErrorField.NodeName),
                ErrorString(parser, i, TrtParserErrorField.NodeOperator),
                ErrorString(parser, i, TrtParserErrorField.File),
                ErrorString(parser, i, TrtParserErrorField.Function),
                error.line));
        }

        return errors;
    }

    private static string ErrorString(srd_onnx_parser* parser, int index, TrtParserErrorField field) =>
        TrtNative.ReadString(nameof(SrdTrtNative.srd_onnx_parser_get_error_string),
            (buffer, size, required) => SrdTrtNative.srd_onnx_parser_get_error_string(parser, index, field, buffer, size, required));
}
