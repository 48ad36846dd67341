namespace AdapterLab.Web.Suites;

/// <summary>Wiring for benchmark suites: catalogue, launcher, tracker, schedules, trigger rate limit.</summary>
public static class SuitesExtensions
{
    public static WebApplicationBuilder AddPlatformSuites(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<SuiteSchedules>();
        services.AddSingleton<SuiteCatalogue>();
        services.AddSingleton<SuiteRunLauncher>();
        services.AddTransient<SuiteTriggerJob>();
        services.AddSingleton<SuiteRunTracker>();
        services.AddHostedService(sp => sp.GetRequiredService<SuiteRunTracker>());
        services.AddHostedService<BuiltInSuites>();
        services.AddSuiteRateLimits(builder.Configuration);
        return builder;
    }
}
