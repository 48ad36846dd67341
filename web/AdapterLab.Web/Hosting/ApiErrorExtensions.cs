namespace AdapterLab.Web.Hosting;

/// <summary>Every error is ProblemDetails; unhandled exceptions become a 500 without internals.</summary>
public static class ApiErrorExtensions
{
    public static WebApplicationBuilder AddPlatformErrors(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            ctx.ProblemDetails.Extensions["traceId"] = ctx.HttpContext.TraceIdentifier;
            // The developer exception page is never used; make sure no exception text leaks into the body either.
            ctx.ProblemDetails.Extensions.Remove("exception");
        });
        builder.Services.AddExceptionHandler<RequestLimits.BadRequestHandler>();
        return builder;
    }

    public static WebApplication UsePlatformErrors(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseRequestLimits();
        // Empty 4xx answers (401, 403, 404 for unknown routes) get a ProblemDetails body too.
        app.UseStatusCodePages();
        return app;
    }
}
