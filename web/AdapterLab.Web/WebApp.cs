using AdapterLab.ServiceDefaults;
using AdapterLab.Data;
using AdapterLab.Data.Blobs;
using AdapterLab.Messaging;
using AdapterLab.Web.Agents;
using AdapterLab.Web.ApiKeys;
using AdapterLab.Web.Auth;
using AdapterLab.Web.Projects;
using AdapterLab.Web.Users;
using AdapterLab.Web.Backbones;
using AdapterLab.Web.ImportedData;
using AdapterLab.Web.Components;
using AdapterLab.Web.Dashboard;
using AdapterLab.Web.Experiments;
using AdapterLab.Web.Hosting;
using AdapterLab.Web.Jobs;
using AdapterLab.Web.Leaderboards;
using AdapterLab.Web.Notifications;
using AdapterLab.Web.Registry;
using AdapterLab.Web.Suites;
using AdapterLab.Web.Sweeps;
using MudBlazor.Services;

namespace AdapterLab.Web;

/// <summary>Builds the web service: REST API, dashboard, auth, outbox relay, Hangfire. Tests host it in-process.</summary>
public static class WebApp
{
    /// <param name="configure">Runs right after the builder is created (tests add in-memory configuration here).</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // The application name is pinned so that a host started from a test assembly still finds this project's
        // components, static asset manifest and data-protection keys.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ApplicationName = typeof(WebApp).Assembly.GetName().Name });
        configure?.Invoke(builder);

        builder.AddServiceDefaults("web");
        builder.Services.AddPlatformData(builder.Configuration);
        builder.Services.AddSingleton<BlobStore>();
        builder.Services.AddSingleton<AdapterLab.Web.Leaderboards.LeaderboardBoundsCache>();
        builder.Services.AddSingleton<ExperimentSubmission>();
        builder.Services.AddSingleton<AdapterLab.Web.Projects.ProjectDirectory>();
        builder.Services.AddSingleton<AdapterLab.Web.Projects.ProjectGate>();
        builder.Services.AddScoped<AdapterLab.Web.Projects.ProjectAdministration>();
        builder.Services.AddScoped<AdapterLab.Web.Projects.CurrentProject>();
        builder.Services.AddSingleton<AdapterLab.Web.Sweeps.SweepCatalogue>();
        builder.Services.AddSingleton<AdapterLab.Web.Registry.ModelRegistry>();
        builder.Services.AddHttpClient(InferenceGateway.HttpClientName, http => http.Timeout = TimeSpan.FromMinutes(2));
        builder.Services.AddSingleton<InferenceGateway>();
        builder.Services.AddScoped<AdapterLab.Web.Users.UserAdministration>();
        builder.Services.AddScoped<AdapterLab.Web.ApiKeys.ApiKeyIssuer>();
        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: ["ready"]);
        builder.AddPlatformErrors();
        builder.AddPlatformAuth();
        builder.AddPlatformMessaging();
        builder.AddPlatformJobs();
        builder.AddPlatformSuites();
        builder.AddPlatformOpenApi();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.AddDashboard();

        var app = builder.Build();
        app.UsePlatformErrors();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UsePasswordChangeRequirement();
        app.UseProjectGate();
        app.UseRateLimiter();
        app.UseCookieApiAntiforgery();
        app.UseAntiforgery();

        app.MapServiceDefaults();
        app.MapPlatformOpenApi();
        app.MapExperimentsApi();
        app.MapAffinityApi();
        app.MapBackbonesApi();
        app.MapRegistryApi();
        app.MapServingApi();
        app.MapPredictApi();
        app.MapDatasetsApi();
        app.MapSuitesApi();
        app.MapSweepsApi();
        app.MapLeaderboardsApi();
        app.MapApiKeysApi();
        app.MapUsersApi();
        app.MapProjectsApi();
        app.MapDashboardApi();
        app.MapAgentBlobsApi();
        app.MapAgentTokensApi();
        app.MapAgentEnrolmentApi();
        app.MapBrokerAuthApi();
        app.MapAccountEndpoints();
        app.MapSsoEndpoints();
        app.MapPlatformJobsDashboard();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
