using System.Diagnostics;

namespace AdapterLab.ServiceDefaults.Telemetry;

/// <summary>
/// The platform's own trace source and meter name (<c>AdapterLab</c>; each host creates its meter from its
/// <c>IMeterFactory</c>, so it goes with the host); the hosts export them with
/// ASP.NET Core's, HttpClient's, Npgsql's, MassTransit's and the runtime's (see <see cref="TelemetrySetup"/>).
/// </summary>
public static class PlatformTelemetry
{
    public const string Name = "AdapterLab";

    /// <summary>MassTransit 8's activity source and meter.</summary>
    public const string MassTransit = "MassTransit";

    public static readonly ActivitySource Source = new(Name);

    /// <summary>
    /// A span continuing the trace a stored W3C <c>traceparent</c> names (work picked up later from the database: the
    /// outbox relay, a dispatch); a root span when there is none or it does not parse. Null when nothing listens.
    /// </summary>
    public static Activity? StartUnder(string name, string? traceParent, ActivityKind kind = ActivityKind.Producer) =>
        Source.StartActivity(name, kind, ActivityContext.TryParse(traceParent, null, out var parent) ? parent : default);
}
