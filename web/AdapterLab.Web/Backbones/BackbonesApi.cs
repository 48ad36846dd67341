using AdapterLab.Data;
using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Backbones;

/// <summary><c>/api/backbones</c>: named backbones, ready or still being pretrained.</summary>
public static class BackbonesApi
{
    public static IEndpointRouteBuilder MapBackbonesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/backbones", List).WithName("ListBackbones").WithTags("Backbones")
            .WithSummary("Registered backbones; a backbone is ready once its weights blob exists")
            .RequireAuthorization(Scopes.Read);
        return app;
    }

    private static async Task<Ok<List<BackboneView>>> List(PlatformDbContext db, CancellationToken ct) =>
        TypedResults.Ok(await db.Backbones.AsNoTracking().OrderBy(b => b.Name)
            .Select(b => new BackboneView(b.Name, b.Preset, b.BlobHash != null, b.BlobHash, b.SourceExperimentId, b.Origin, b.CreatedAt, b.ReadyAt))
            .ToListAsync(ct));
}
