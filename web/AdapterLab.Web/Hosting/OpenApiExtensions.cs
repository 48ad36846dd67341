using AdapterLab.Web.Auth;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace AdapterLab.Web.Hosting;

/// <summary>OpenAPI document at <c>/openapi/v1.json</c> and the Scalar browser at <c>/scalar</c>.</summary>
public static class OpenApiExtensions
{
    public static WebApplicationBuilder AddPlatformOpenApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info = new OpenApiInfo
            {
                Title = "Adapter Lab API",
                Version = "v1",
                Description = "Submit and follow experiments; agents exchange checkpoints through the agent endpoints.",
            };
            doc.Components ??= new OpenApiComponents();
            doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            doc.Components.SecuritySchemes[AuthSchemes.ApiKey] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = AuthSchemes.ApiKeyHeader,
                Description = "API key with scopes read, experiments:write, suites:trigger or admin.",
            };
            doc.Components.SecuritySchemes[AuthSchemes.AgentToken] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "Agent token (agent endpoints only).",
            };
            return Task.CompletedTask;
        }));
        return builder;
    }

    public static WebApplication MapPlatformOpenApi(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference().AllowAnonymous();
        return app;
    }
}
