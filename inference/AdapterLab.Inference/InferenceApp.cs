using AdapterLab.Inference.Api;
using AdapterLab.Inference.Registry;
using AdapterLab.ServiceDefaults;
using AdapterLab.Training.Serving;
using Microsoft.Extensions.Options;

namespace AdapterLab.Inference;

/// <summary>
/// Builds the inference host: one frozen backbone per hash held once, registered adapters in a least-recently-used cache
/// under a memory budget, and one batcher that serves concurrent requests for different adapters on a backbone in one
/// forward pass. It holds no database credential: it reads versions and blobs through the web's serving API with its own
/// <c>models:serve</c> key, and answers only the web (caller token).
/// </summary>
public static class InferenceApp
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.AddServiceDefaults("inference");
        builder.Services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.Section);
        builder.Services.AddHttpClient<RegistryClient>((sp, http) =>
        {
            var o = sp.GetRequiredService<IOptions<InferenceOptions>>().Value;
            http.BaseAddress = new Uri(o.ApiUrl.TrimEnd('/') + "/");
            http.DefaultRequestHeaders.Add("X-Api-Key", o.ApiKey);
            http.Timeout = TimeSpan.FromMinutes(10);
        });
        builder.Services.AddSingleton<ServedModels>();
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<InferenceOptions>>().Value;
            var cache = new AdapterCache(sp.GetRequiredService<ServedModels>(), (long)o.AdapterBudgetMiB * 1024 * 1024);
            return new PredictionBatcher(cache, TimeSpan.FromMilliseconds(o.BatchWindowMilliseconds), o.MaxBatchImages, o.Threads);
        });
        builder.Services.AddProblemDetails();
        // Not ready once images that never finish decoding hold threads: the orchestrator of the deployment replaces it.
        builder.Services.AddHealthChecks().AddCheck("image-decoder", () => Training.Datasets.Folders.ImageResize.StuckDecodes >= 2
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy($"{Training.Datasets.Folders.ImageResize.StuckDecodes} image decodes never finished")
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy(), tags: ["ready"]);
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(f => f.MultipartBodyLengthLimit = 64L * 1024 * 1024);

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapPredict();
        return app;
    }
}
