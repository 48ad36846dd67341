using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AdapterLab.ServiceDefaults.Telemetry;

/// <summary>
/// The platform's own trace source and meter (one of each, named <c>AdapterLab</c>); the hosts export them with
/// ASP.NET Core's, HttpClient's, Npgsql's, MassTransit's and the runtime's (see <see cref="TelemetrySetup"/>).
/// </summary>
public static class PlatformTelemetry
{
    public const string Name = "AdapterLab";

    /// <summary>MassTransit 8's activity source and meter.</summary>
    public const string MassTransit = "MassTransit";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);
}
