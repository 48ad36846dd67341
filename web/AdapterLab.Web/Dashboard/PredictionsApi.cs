using AdapterLab.Data.Predictions;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Data;
using AdapterLab.Statistics;
using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Dashboard;

/// <summary>A classification experiment's confusion matrix on one split × domain (rows: true class, columns: predicted).</summary>
/// <param name="Collapsed">One class takes more than 90 % of the predictions (a near-constant prediction).</param>
public sealed record ConfusionView(string Split, string Domain, int Examples, long[][] Counts, double?[] PerClassAccuracy,
    double Accuracy, int TopPredictedClass, double TopPredictedShare, bool Collapsed, double? MajorityClassFloor);

/// <summary><c>/api/experiments/{id}/predictions</c> and <c>/confusion</c>: the final evaluation's per-example outcomes, and what they show.</summary>
public static class PredictionsApi
{
    public static IEndpointRouteBuilder MapPredictionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/experiments/{id:guid}").WithTags("Experiments").RequireAuthorization(Scopes.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/predictions", Predictions).WithName("GetPredictions")
            .WithSummary("Per-example predictions of the final evaluation (model and floors) for every split × task × domain")
            .WithDescription("Classification: example id, label, predicted class and class probabilities; dense tasks: per-image metric values. Example ids align across experiments on the same split. 404 when none are stored (an experiment from before they were recorded, or not finished).");
        api.MapGet("/confusion", Confusion).WithName("GetConfusion")
            .WithSummary("Confusion matrix, per-class accuracy and collapse warning per split × domain of a classification experiment");
        return app;
    }

    private static async Task<Results<Ok<PredictionsFile>, ProblemHttpResult>> Predictions(Guid id, PlatformDbContext db, CancellationToken ct)
    {
        if (!await db.Experiments.AnyAsync(e => e.Id == id, ct)) return Missing($"no experiment with id {id}");
        // The full file (class probabilities included), read for this request; the store's cached copies are lean.
        var blob = (await StoredPredictions.LatestBlobsAsync(db, [id], ct)).GetValueOrDefault(id);
        return blob is not null && (await StoredPredictions.ReadAsync(db, blob, ct)).File is { } file ? TypedResults.Ok(file) : Missing(NoneStored(id));
    }

    private static async Task<Results<Ok<List<ConfusionView>>, ProblemHttpResult>> Confusion(Guid id, PlatformDbContext db, PredictionsStore store, CancellationToken ct)
    {
        if (!await db.Experiments.AnyAsync(e => e.Id == id, ct)) return Missing($"no experiment with id {id}");
        if (await store.LoadAsync(db, id, ct) is not { } file) return Missing(NoneStored(id));
        return TypedResults.Ok(Build(file));
    }

    public static List<ConfusionView> Build(PredictionsFile file) =>
        file.Sets.Where(s => !s.IsFloor && s.Labels is not null && s.Predicted is not null).Select(s =>
        {
            int classes = s.Probabilities is { Count: > 0 } p && s.ProbabilityClasses is null ? p[0].Length : 0;
            var m = ConfusionMatrix.From(s.Labels!, s.Predicted!, classes);
            var floor = file.Sets.FirstOrDefault(f => f.IsFloor && f.Split == s.Split && f.Domain == s.Domain && f.Task == s.Task)?.Correct;
            return new ConfusionView(s.Split, s.Domain, s.ExampleIds.Count, m.Counts,
                m.PerClassAccuracy.Select(a => double.IsNaN(a) ? (double?)null : a).ToArray(),
                s.Correct!.DefaultIfEmpty(0).Average(), m.TopPredictedClass, m.TopPredictedShare, m.Collapsed,
                floor is { Length: > 0 } ? floor.Average() : null);
        }).ToList();

    private static string NoneStored(Guid id) =>
        $"experiment {id} has no stored per-example predictions (it ran before they were recorded, or has not finished)";

    private static ProblemHttpResult Missing(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);
}
