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
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = "hangfire",
            PrepareSchemaIfNecessary = true,
            // Defaults are a 30 min invisibility timeout and a 15 s poll: a crashed job would wait half an hour and
            // an on-demand trigger would wait up to 15 s.
            UseSlidingInvisibilityTimeout = true,
            QueuePollInterval = TimeSpan.FromSeconds(2),
        };
        // This host's own storage, registered before AddHangfire (which only adds one if none is there): Hangfire's default
        // registration returns the process-wide JobStorage.Current, so two hosts in one process (the test fixtures start
        // several at once) could end up polling, and triggering into, each other's database.
        builder.Services.AddSingleton<JobStorage>(_ => new PostgreSqlStorage(new Hangfire.PostgreSql.Factories.NpgsqlConnectionFactory(cs, options), options));
        builder.Services.AddHangfire((sp, c) => c
            .UseLogProvider(new HangfireLogProvider(sp.GetRequiredService<ILoggerFactory>()))
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseStorage(sp.GetRequiredService<JobStorage>()));
        // This host's own job activator too: AddHangfire sets the process-wide default activator to the last host built,
        // so in a process with several hosts a job could be resolved from — and run against the database of — another
        // host (seen in tests as scheduled suite runs that failed).
        builder.Services.AddHangfireServer((sp, o) =>
        {
            o.ServerName = $"web-{Environment.MachineName}-{Environment.ProcessId}";
            o.Activator = new Hangfire.AspNetCore.AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>());
        });
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
