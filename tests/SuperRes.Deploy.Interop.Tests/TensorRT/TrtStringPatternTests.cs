using System.Text;
using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Interop.Tests.TensorRT;

[Collection(TrtDoubleTests.Name)]
public sealed unsafe class TrtStringPatternTests
{
    public TrtStringPatternTests() => TrtDouble.Reset();

    [Fact]
    public void Null_buffer_asks_the_size_including_the_terminating_NUL()
    {
        ulong required = 0;

        Assert.Equal(TrtStatus.Ok, SrdTrtNative.srd_library_get_load_trace(null, 0, &required));

        var expected = TrtNative.ReadString("trace", (b, s, r) => SrdTrtNative.srd_library_get_load_trace(b, s, r));
        Assert.Equal((ulong)Encoding.UTF8.GetByteCount(expected) + 1, required);
    }

    [Fact]
    public void Buffer_too_small_reports_the_required_size_and_leaves_the_buffer_untouched()
    {
        var buffer = Enumerable.Repeat((byte)0xAA, 8).ToArray();
        ulong required = 0;

        TrtStatus status;
        fixed (byte* p = buffer)
        {
            status = SrdTrtNative.srd_library_get_load_trace(p, (ulong)buffer.Length, &required);
        }

        Assert.Equal(TrtStatus.BufferTooSmall, status);
        Assert.True(required > (ulong)buffer.Length);
        Assert.All(buffer, b => Assert.Equal(0xAA, b));
        Assert.Equal($"srd_library_get_load_trace: buffer of 8 bytes, {required} required", TrtNative.LastErrorMessage());
    }

    [Fact]
    public void Exact_buffer_receives_the_string_and_its_terminating_NUL()
    {
        ulong required = 0;
        Assert.Equal(TrtStatus.Ok, SrdTrtNative.srd_library_get_load_trace(null, 0, &required));
        var buffer = new byte[required];

        fixed (byte* p = buffer)
        {
            Assert.Equal(TrtStatus.Ok, SrdTrtNative.srd_library_get_load_trace(p, required, &required));
        }

        Assert.Equal(0, buffer[^1]);
        Assert.StartsWith("libnvinfer (test double)", Encoding.UTF8.GetString(buffer, 0, buffer.Length - 1), StringComparison.Ordinal);
    }

    [Fact]
    public void Reading_the_last_error_with_a_short_buffer_does_not_replace_it()
    {
        TrtDouble.FailNext("srd_runtime_create", TrtStatus.RuntimeError, "the message being read");
        Assert.Throws<TrtException>(TrtRuntime.Create);
        var small = new byte[4];
        ulong required = 0;

        fixed (byte* p = small)
        {
            Assert.Equal(TrtStatus.BufferTooSmall, SrdTrtNative.srd_error_get_last_message(p, 4, &required));
        }

        Assert.Equal("srd_runtime_create: the message being read", TrtNative.LastErrorMessage());
        Assert.Equal((ulong)"srd_runtime_create: the message being read".Length + 1, required);
    }

    [Fact]
    public void Two_call_strings_with_multibyte_UTF8_round_trip()
    {
        TrtDouble.AddParserError(4, "Ungültiger Wert für Knoten ✓", 1, "knoten_ä", "Conv");
        using var scenario = new TrtScenario();
        using var builder = TrtBuilder.Create();
        using var network = builder.CreateNetwork();
        using var parser = TrtOnnxParser.Create(network);

        var error = Assert.Throws<TrtException>(() => parser.ParseFile(scenario.ModelPath));

        Assert.Equal("Ungültiger Wert für Knoten ✓", error.ParserErrors[0].Description);
        Assert.Equal("knoten_ä", error.ParserErrors[0].NodeName);
    }
}
