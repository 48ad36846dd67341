using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AdapterLab.Web.ImportedData;

/// <summary><c>GET /api/datasets</c>: imported datasets with their provenance, licence and counts.</summary>
public static class DatasetsApi
{
    public static IEndpointRouteBuilder MapDatasetsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/datasets", List).WithName("ListDatasets").WithTags("Datasets")
            .WithSummary("Imported datasets under the data root (./platform data import): source package, version, integrity, licence, classes and split counts; use one with data.dataset 'folder' and data.path = its path")
            .RequireAuthorization(Scopes.Read);
        return app;
    }

    private static Ok<IReadOnlyList<DatasetView>> List(DatasetCatalogue catalogue) => TypedResults.Ok(catalogue.List());
}
