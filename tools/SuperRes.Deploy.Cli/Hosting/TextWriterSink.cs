using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace SuperRes.Deploy.Cli.Hosting;

/// <summary>
/// Writes log events to a given <see cref="TextWriter"/> (stderr in production, a buffer in tests), so logs never mix
/// with the results a verb prints on stdout.
/// </summary>
internal sealed class TextWriterSink(TextWriter writer, string outputTemplate) : ILogEventSink
{
    private readonly MessageTemplateTextFormatter _formatter = new(outputTemplate, System.Globalization.CultureInfo.InvariantCulture);
    private readonly Lock _gate = new();

    public void Emit(LogEvent logEvent)
    {
        lock (_gate)
        {
            _formatter.Format(logEvent, writer);
            writer.Flush();
        }
    }
}
