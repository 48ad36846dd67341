using AdapterLab.Data;
using AdapterLab.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Experiments;

/// <summary><c>GET /api/experiments/{id}/affinity</c>: the task-affinity matrices of a multitask experiment.</summary>
public static class AffinityApi
{
    public static IEndpointRouteBuilder MapAffinityApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/experiments").WithTags("Experiments")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .MapGet("/{id:guid}/affinity", Get).WithName("GetExperimentAffinity").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Task-affinity matrices per evaluation step and estimator")
            .WithDescription("Each matrix is N×N, row-major, A[i→j] at i·N+j (row = source task, column = target task, in taskOrder). " +
                             "Estimators: troa, cosine, tag-lookahead, and gradient-cosine (the raw gradient-cosine matrix of that evaluation). " +
                             "Filter with ?estimator=; ordered by step.")
            .RequireAuthorization(Scopes.Read);
        return app;
    }

    private static async Task<Results<Ok<List<AffinityMatrixView>>, ProblemHttpResult>> Get(Guid id, string? estimator, PlatformDbContext db, CancellationToken ct)
    {
        if (!await db.Experiments.AnyAsync(e => e.Id == id, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Experiment not found", detail: $"no experiment {id}");
        var query = db.AffinityMatrices.AsNoTracking().Where(a => a.ExperimentId == id);
        if (estimator is not null) query = query.Where(a => a.Estimator == estimator);
        var rows = await query.OrderBy(a => a.Step).ThenBy(a => a.Estimator).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(a => new AffinityMatrixView(a.Step, a.Estimator, a.TaskOrder, a.Values, Asymmetry(a.TaskOrder.Length, a.Values))).ToList());
    }

    /// <summary>‖A − Aᵀ‖_F / ‖A‖_F (0 for a symmetric matrix).</summary>
    private static double Asymmetry(int n, double[] v)
    {
        if (v.Length != n * n) return double.NaN;
        double diff = 0, norm = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) { diff += Math.Pow(v[i * n + j] - v[j * n + i], 2); norm += v[i * n + j] * v[i * n + j]; }
        return norm == 0 ? 0 : Math.Sqrt(diff / norm);
    }
}

/// <summary>One estimator's matrix at one evaluation step.</summary>
public sealed record AffinityMatrixView(long Step, string Estimator, string[] TaskOrder, double[] Values, double Asymmetry);
