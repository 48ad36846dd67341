using AdapterLab.Web.Experiments;

namespace AdapterLab.Web.Dashboard;

/// <summary>Wiring of the dashboard's page services, its REST endpoints and the cookie-API antiforgery guard.</summary>
public static class DashboardExtensions
{
    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ExperimentControl>();
        builder.Services.AddSingleton<ExperimentArchive>();
        builder.Services.AddSingleton<ExperimentNotebook>();
        builder.Services.AddSingleton<AdapterLab.Web.Backbones.BackboneDetails>();
        builder.Services.AddSingleton<Runs.RunViewStore>();
        builder.Services.AddSingleton<Runs.RunColumnCatalogue>();
        builder.Services.AddSingleton<Runs.RunGroups>();
        builder.Services.AddSingleton<ExperimentQueries>();
        builder.Services.AddSingleton<ExperimentSearch>();
        builder.Services.AddSingleton<CompareQuery>();
        builder.Services.AddSingleton<PredictionsStore>();
        builder.Services.AddSingleton<GalleryStore>();
        builder.Services.AddSingleton<AgentDirectory>();
        builder.Services.AddSingleton<ImportedData.DatasetCatalogue>();
        return builder;
    }

    /// <summary>Runs after authentication: cookie-authenticated state changes under /api need the antiforgery header.</summary>
    public static WebApplication UseCookieApiAntiforgery(this WebApplication app)
    {
        app.UseMiddleware<CookieApiAntiforgery>();
        return app;
    }

    public static IEndpointRouteBuilder MapDashboardApi(this IEndpointRouteBuilder app)
    {
        app.MapCheckpointsApi();
        app.MapAgentsApi();
        app.MapCompareApi();
        app.MapPredictionsApi();
        Runs.RunsApi.MapRunsApi(app);
        return app;
    }
}
