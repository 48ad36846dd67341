namespace AdapterLab.GpuAgent.Running;

/// <summary>
/// A logger provider that copies every record the agent logs while it works on an attempt — on the attempt's own async
/// flow (<see cref="Current"/>, set by the runner for the attempt's duration) — into that attempt's <see cref="AttemptLog"/>,
/// which the reporter ships to the platform. Records outside an attempt (start-up, heartbeats) are not copied.
/// </summary>
public sealed class AttemptLogCapture : ILoggerProvider
{
    private static readonly AsyncLocal<AttemptLog?> CurrentLog = new();

    /// <summary>The attempt log of the code running now; set for an attempt's duration, flows into its awaits and tasks.</summary>
    public static AttemptLog? Current
    {
        get => CurrentLog.Value;
        set => CurrentLog.Value = value;
    }

    public ILogger CreateLogger(string categoryName) => new CapturingLogger();

    public void Dispose() { }

    private sealed class CapturingLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && Current is not null;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel) || Current is not { } log) return;
            var message = formatter(state, exception);
            if (exception is not null) message += Environment.NewLine + exception;
            log.Write(logLevel.ToString(), message);
        }
    }
}
