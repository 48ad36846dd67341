using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;

namespace AdapterLab.Web.Dashboard;

/// <summary>
/// Cross-site request forgery guard for the REST API: a state-changing request (POST, PUT, PATCH, DELETE) under
/// <c>/api</c> that is authenticated by the dashboard's sign-in cookie must carry a valid antiforgery token in the
/// <c>RequestVerificationToken</c> header (the token every dashboard page renders). API-key and agent-token clients send no
/// cookie and are unaffected; the dashboard itself changes state through its server-side handlers, not through the API.
/// </summary>
public sealed class CookieApiAntiforgery(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext http, IAntiforgery antiforgery)
    {
        if (http.Request.Path.StartsWithSegments("/api")
            && !(HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method))
            && http.User.Identity is { IsAuthenticated: true, AuthenticationType: var type } && type == IdentityConstants.ApplicationScheme)
        {
            try
            {
                await antiforgery.ValidateRequestAsync(http);
            }
            catch (AntiforgeryValidationException)
            {
                http.Response.StatusCode = StatusCodes.Status400BadRequest;
                await Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Antiforgery token missing or invalid",
                    detail: "a request signed in with the dashboard cookie must send the page's antiforgery token in the RequestVerificationToken header; scripts should use an API key").ExecuteAsync(http);
                return;
            }
        }
        await next(http);
    }
}
