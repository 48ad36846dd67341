using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace AdapterLab.Web.Hosting;

/// <summary>
/// Request body limits, stated and enforced per endpoint: a spec ≤ 256 KiB, a suite ≤ 1 MiB, any other API body ≤ 1 MiB
/// unless the endpoint says otherwise (uploads set their own). A body past its limit is a 413 ProblemDetails naming the
/// limit, never a 500.
/// </summary>
public static class RequestLimits
{
    public const long SpecBytes = 256 * 1024;
    public const long SuiteBytes = 1024 * 1024;
    public const long DefaultApiBytes = 1024 * 1024;

    /// <summary>Sets this endpoint's body limit (bytes).</summary>
    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestSizeLimitAttribute(bytes));

    /// <summary>Applies the endpoint's limit (or the API default) before anything reads the body.</summary>
    public static WebApplication UseRequestLimits(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
            if (feature is { IsReadOnly: false })
            {
                var declared = http.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>();
                if (declared is not null) feature.MaxRequestBodySize = declared.MaxRequestBodySize;
                else if (http.Request.Path.StartsWithSegments("/api")) feature.MaxRequestBodySize = DefaultApiBytes;
            }
            await next();
        });
        return app;
    }

    /// <summary>Kestrel's "body too large" (and other malformed-request) exceptions as ProblemDetails with their own status.</summary>
    public sealed class BadRequestHandler(IProblemDetailsService problems) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
        {
            if (exception is not BadHttpRequestException bad || http.Response.HasStarted) return false;
            http.Response.StatusCode = bad.StatusCode;
            var limit = http.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? new ProblemDetails { Status = 413, Title = "Request body too large", Detail = limit is { } l ? $"this endpoint accepts at most {l:N0} bytes" : null }
                    : new ProblemDetails { Status = bad.StatusCode, Title = "Bad request", Detail = "the request could not be read" },
            });
        }
    }
}
