using Hangfire;
using Hangfire.PostgreSql;

namespace AdapterLab.Web.Jobs;

/// <summary>Hangfire (it only fires scheduled work such as nightly suites) on the platform's PostgreSQL, schema <c>hangfire</c>.</summary>
public static class HangfireExtensions
{
    public static WebApplicationBuilder AddPlatformJobs(this WebApplicationBuilder builder)
    {
        var cs = builder.Configuration.GetConnectionString("Platform")
                 ?? throw new InvalidOperationException("ConnectionStrings:Platform is not configured");
        builder.Services.AddHangfire((sp, c) => c
            .UseLogProvider(new HangfireLogProvider(sp.GetRequiredService<ILoggerFactory>()))
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(o => o.UseNpgsqlConnection(cs), new PostgreSqlStorageOptions
            {
                SchemaName = "hangfire",
                PrepareSchemaIfNecessary = true,
                // Defaults are a 30 min invisibility timeout and a 15 s poll: a crashed job would wait half an hour and
                // an on-demand trigger would wait up to 15 s.
                UseSlidingInvisibilityTimeout = true,
                QueuePollInterval = TimeSpan.FromSeconds(2),
            }));
        builder.Services.AddHangfireServer(o => o.ServerName = $"web-{Environment.MachineName}-{Environment.ProcessId}");
        return builder;
    }

    public static IEndpointRouteBuilder MapPlatformJobsDashboard(this IEndpointRouteBuilder app)
    {
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [new AdminDashboardAuthorizationFilter()],
            DashboardTitle = "Adapter Lab jobs",
        });
        return app;
    }
}
