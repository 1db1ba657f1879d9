using System.Reflection;
using CommandLine;
using CommandLine.Text;
using Serilog;
using Serilog.Events;
using SuperRes.Deploy.Cli.Hosting;
using SuperRes.Deploy.Engines;

namespace SuperRes.Deploy.Cli;

/// <summary>Entry point of `srdeploy`: parses the verb, sets up logging, runs the command and maps failures to exit codes.</summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the CLI with explicit output writers (used by the tests to run verbs in-process).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        args = RewriteNestedVerbs(args);
        var commands = DiscoverCommands();
        using var parser = new Parser(settings =>
        {
            settings.HelpWriter = null;
            settings.CaseInsensitiveEnumValues = true;
            settings.AllowMultiInstance = true;
        });
        var result = parser.ParseArguments(args, commands.Keys.OrderBy(t => t.Name, StringComparer.Ordinal).ToArray());
        if (result is NotParsed<object> notParsed)
        {
            return ReportParseErrors(notParsed, stdout, stderr);
        }

        var options = (CommonOptions)((Parsed<object>)result).Value;
        using var log = CreateLogger(options, stderr);
        try
        {
            var command = Activator.CreateInstance(commands[options.GetType()])!;
            var run = command.GetType().GetMethod(nameof(VerbCommand<CommonOptions>.Run))!;
            return (int)run.Invoke(command, [options, log, stdout])!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            return ReportFailure(e.InnerException, options, log, stderr);
        }
    }

    /// <summary>
    /// CommandLineParser has no nested verbs: `srdeploy package verify BUNDLE` is rewritten to the verb
    /// `package-verify BUNDLE` (which can also be typed as such).
    /// </summary>
    public static string[] RewriteNestedVerbs(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return args is ["package", "verify", .. var rest] ? ["package-verify", .. rest] : args;
    }

    private static Dictionary<Type, Type> DiscoverCommands()
    {
        var map = new Dictionary<Type, Type>();
        foreach (var type in typeof(Program).Assembly.GetTypes())
        {
            if (type.IsAbstract || type.BaseType is not { IsGenericType: true } baseType ||
                baseType.GetGenericTypeDefinition() != typeof(VerbCommand<>))
            {
                continue;
            }

            map.Add(baseType.GetGenericArguments()[0], type);
        }

        return map;
    }

    private static int ReportParseErrors(NotParsed<object> notParsed, TextWriter stdout, TextWriter stderr)
    {
        var errors = notParsed.Errors.ToList();
        var helpText = HelpText.AutoBuild(notParsed, h =>
        {
            h.AdditionalNewLineAfterOption = false;
            h.Heading = "srdeploy: ONNX super-resolution models to TensorRT engines";
            h.Copyright = string.Empty;
            return h;
        }, e => e, verbsIndex: true);

        if (errors.All(e => e.Tag is ErrorType.HelpRequestedError or ErrorType.HelpVerbRequestedError or ErrorType.VersionRequestedError))
        {
            stdout.WriteLine(helpText);
            return (int)ExitCode.Ok;
        }

        stderr.WriteLine(helpText);
        return (int)ExitCode.Usage;
    }

    private static Serilog.Core.Logger CreateLogger(CommonOptions options, TextWriter stderr)
    {
        var level = options.Verbose ? LogEventLevel.Debug : options.Quiet ? LogEventLevel.Warning : LogEventLevel.Information;
        var config = new LoggerConfiguration()
            .MinimumLevel.Debug()
            // Logs go to stderr so that stdout carries only the verb's result (e.g. `inspect --json`).
            .WriteTo.Sink(new TextWriterSink(stderr, "{Level:u3} {Message:lj}{NewLine}"), level);
        if (!string.IsNullOrEmpty(options.LogFile))
        {
            config = config.WriteTo.File(options.LogFile, restrictedToMinimumLevel: LogEventLevel.Debug,
                outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}");
        }

        return config.CreateLogger();
    }

    private static int ReportFailure(Exception error, CommonOptions options, ILogger log, TextWriter stderr)
    {
        var code = ExitCodes.For(error);
        var message = error is DeployException || code != ExitCode.InternalError
            ? error.Message
            : $"internal error: {error.GetType().Name}: {error.Message}";
        stderr.WriteLine($"srdeploy: error: {OneLine(message)}");
        if (options.Verbose)
        {
            stderr.WriteLine(error.ToString());
        }

        log.Debug(error, "failed with exit code {Code}", (int)code);
        return (int)code;
    }

    private static string OneLine(string message) =>
        string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
