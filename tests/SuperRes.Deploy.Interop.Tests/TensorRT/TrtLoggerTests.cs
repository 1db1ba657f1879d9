using System.Collections.Concurrent;
using SuperRes.Deploy.Interop.TensorRT;

namespace SuperRes.Deploy.Interop.Tests.TensorRT;

[Collection(TrtDoubleTests.Name)]
public sealed class TrtLoggerTests : IDisposable
{
    private readonly TrtScenario _scenario = new();

    public TrtLoggerTests() => TrtDouble.Reset();

    public void Dispose() => _scenario.Dispose();

    [Fact]
    public void Logger_receives_messages_at_or_above_its_minimum_severity()
    {
        var info = new ConcurrentQueue<(TrtLogSeverity Severity, string Message)>();
        var verbose = new ConcurrentQueue<(TrtLogSeverity Severity, string Message)>();
        using (new TrtLogger((s, m) => info.Enqueue((s, m)), TrtLogSeverity.Info))
        using (new TrtLogger((s, m) => verbose.Enqueue((s, m)), TrtLogSeverity.Verbose))
        {
            _scenario.BuildFull();
        }

        Assert.Contains(info, e => e.Severity == TrtLogSeverity.Info && e.Message.StartsWith("[srd_trt_test_double] built plan of ", StringComparison.Ordinal));
        Assert.Contains(info, e => e.Severity == TrtLogSeverity.Info && e.Message == $"[srd_trt_test_double] parsed {_scenario.ModelPath}");
        Assert.DoesNotContain(info, e => e.Severity == TrtLogSeverity.Verbose);
        Assert.Contains(verbose, e => e.Severity == TrtLogSeverity.Verbose && e.Message == "[srd_trt_test_double] builder created");
    }

    [Fact]
    public void Messages_logged_on_a_native_worker_thread_arrive()
    {
        var messages = new ConcurrentQueue<(int ThreadId, string Message)>();
        using var logger = new TrtLogger((_, m) => messages.Enqueue((Environment.CurrentManagedThreadId, m)), TrtLogSeverity.Info);

        TrtDouble.LogFromWorkerThread(TrtLogSeverity.Warning, "from a builder thread");

        var message = Assert.Single(messages);
        Assert.Equal("[srd_trt_test_double] from a builder thread", message.Message);
        Assert.NotEqual(Environment.CurrentManagedThreadId, message.ThreadId);
    }

    [Fact]
    public void No_message_arrives_after_the_logger_is_disposed()
    {
        var count = 0;
        var logger = new TrtLogger((_, _) => Interlocked.Increment(ref count), TrtLogSeverity.Verbose);
        TrtDouble.LogFromWorkerThread(TrtLogSeverity.Error, "before");
        logger.Dispose();

        TrtDouble.LogFromWorkerThread(TrtLogSeverity.Error, "after");
        using (TrtBuilder.Create())
        {
        }

        Assert.Equal(1, count);
        Assert.Equal(0, TrtDouble.Counts().Live);
    }

    [Fact]
    public void A_throwing_sink_loses_its_message_but_not_the_native_call()
    {
        var before = TrtLogger.DroppedMessages;
        using var logger = new TrtLogger((_, _) => throw new InvalidOperationException("sink failure"), TrtLogSeverity.Verbose);

        using var builder = TrtBuilder.Create();

        Assert.True(TrtLogger.DroppedMessages > before);
    }
}
