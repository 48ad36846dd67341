using System.Security.Claims;
using System.Threading.RateLimiting;

namespace AdapterLab.Web.Suites;

/// <summary>Trigger rate limit: a fixed window per API key id (per user for dashboard sessions); 429 ProblemDetails beyond it.</summary>
public static class SuiteRateLimits
{
    public const string TriggerPolicy = "suite-trigger";

    public static IServiceCollection AddSuiteRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        int permits = configuration.GetValue("Suites:TriggersPerMinute", 20);
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(TriggerPolicy, ctx => RateLimitPartition.GetFixedWindowLimiter(
                ctx.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? ctx.User.Identity?.Name ?? "anonymous",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = async (ctx, ct) =>
            {
                var http = ctx.HttpContext;
                if (ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry))
                    http.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString();
                var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Title = "Too many suite triggers",
                        Detail = $"at most {permits} triggers per minute per API key" },
                });
            };
        });
        return services;
    }
}
