using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AdapterLab.ServiceDefaults.Logging;

/// <summary>
/// Structured console logging for every host: one line per event with a UTC timestamp; <c>Logging:Json=true</c>
/// switches to one JSON object per line with scopes (for log shippers). HttpClient's per-request lines are left out
/// below Warning (agents stream blobs; traces carry the requests).
/// </summary>
public static class PlatformLogging
{
    public static void Configure(ILoggingBuilder logging, IConfiguration configuration)
    {
        logging.ClearProviders();
        if (configuration.GetValue<bool>("Logging:Json"))
            logging.AddJsonConsole(o => { o.IncludeScopes = true; o.TimestampFormat = "O"; o.UseUtcTimestamp = true; });
        else
            logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; o.UseUtcTimestamp = true; });
        logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
    }

    public static IHostApplicationBuilder AddPlatformLogging(this IHostApplicationBuilder builder)
    {
        Configure(builder.Logging, builder.Configuration);
        return builder;
    }

    /// <summary>A logger factory for the steps before the host exists (the agent's identity and libtorch checks), set up the same way.</summary>
    public static ILoggerFactory BootLoggerFactory(IConfiguration configuration) => LoggerFactory.Create(l => Configure(l, configuration));
}
