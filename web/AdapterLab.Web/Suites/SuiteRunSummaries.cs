using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Suites;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Data.Predictions;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Suites;

/// <summary>The summary written when a suite run ends (stored as <c>suite_runs.summary_json</c>).</summary>
public sealed record SuiteRunSummary
{
    public Guid RunId { get; init; }
    public string Suite { get; init; } = "";
    public int SuiteVersion { get; init; }
    public string Status { get; init; } = "";
    public bool Regressed { get; init; }
    public bool Improved { get; init; }
    public IReadOnlyList<SummaryExperiment> Experiments { get; init; } = [];
    public IReadOnlyList<SummaryExperiment> Failures { get; init; } = [];
    /// <summary>Per configuration × domain × metric, test split, mean over seeds.</summary>
    public IReadOnlyList<ConfigurationScore> Configurations { get; init; } = [];
    public SummaryComparison? Previous { get; init; }
    public SummaryComparison? Baseline { get; init; }
    /// <summary>The run's sweeps (a suite's <c>sweeps</c> entries): each one's ending, its winner and the winner's test on fresh seeds.</summary>
    public IReadOnlyList<SummarySweep> Sweeps { get; init; } = [];
    public DateTimeOffset FinishedAt { get; init; }
}

/// <summary>
/// One sweep of a suite run: how it ended, its winner (the trial selected on the objective, with its values and the
/// objective at its highest rung) and, when it confirmed the winner on fresh seeds, the test verdict with its interval.
/// </summary>
public sealed record SummarySweep(Guid Id, string Name, string Status, string Objective, int Trials, long StepsTrained,
    int? WinnerIndex, string? WinnerValues, double? WinnerObjective, string? Confirmation, double? TestMean, double? TestLower, double? TestUpper, string? Note);

/// <summary>One experiment of the run with its final results.</summary>
public sealed record SummaryExperiment(Guid Id, string? Name, string Kind, string Method, string ConfigurationHash, int Seed,
    string Status, string? FailureReason, long TrainableParameters, double? ImagesPerSecond, IReadOnlyList<SummaryResult> Results);

public sealed record SummaryResult(string Split, string Task, string Domain, string Metric, double Value);

/// <summary>
/// This run against a reference run; <see cref="Regressions"/>, <see cref="Improvements"/> and <see cref="Untested"/>
/// (moves beyond the tolerance that no test could judge) count subsets of <see cref="Rows"/>; each row names its test.
/// </summary>
public sealed record SummaryComparison(Guid RunId, int Regressions, int Improvements, IReadOnlyList<ScoreComparison> Rows, int Untested = 0);

/// <summary>Builds summaries from the database: results of the run, of the previous finished run and of the pinned baseline.</summary>
public static class SuiteRunSummaries
{
    public static async Task<(IReadOnlyList<SummaryExperiment> Experiments, IReadOnlyList<ConfigurationScore> Scores)> LoadAsync(
        PlatformDbContext db, Guid runId, CancellationToken ct)
    {
        var experiments = await db.Experiments.AsNoTracking().Where(e => e.SuiteRunId == runId).OrderBy(e => e.SubmittedAt).ThenBy(e => e.Id)
            .Select(e => new { e.Id, e.Name, e.Kind, e.Method, e.ConfigurationHash, e.Seed, e.Status, e.FailureReason, e.TrainableParameters, e.ImagesPerSecond })
            .ToListAsync(ct);
        var ids = experiments.Select(e => e.Id).ToList();
        var results = await db.FinalResults.AsNoTracking().Where(r => ids.Contains(r.ExperimentId)).ToListAsync(ct);
        var byExperiment = results.ToLookup(r => r.ExperimentId);
        var list = experiments.Select(e => new SummaryExperiment(e.Id, e.Name, e.Kind, e.Method, e.ConfigurationHash, e.Seed, e.Status.ToString(),
            e.FailureReason, e.TrainableParameters, e.ImagesPerSecond,
            byExperiment[e.Id].OrderBy(r => r.Split).ThenBy(r => r.Domain).ThenBy(r => r.Metric)
                .Select(r => new SummaryResult(r.Split, r.Task, r.Domain, r.Metric, r.Value)).ToList())).ToList();
        // Per-example predictions of the succeeded runs: what lets a change be tested paired by seed and example.
        var succeeded = experiments.Where(e => e.Status == ExperimentStatus.Succeeded).Select(e => e.Id).ToList();
        var predictions = new Dictionary<Guid, PredictionsFile>();
        foreach (var (id, hash) in await StoredPredictions.LatestBlobsAsync(db, succeeded, ct))
            if ((await StoredPredictions.ReadAsync(db, hash, ct)).File is { } file) predictions[id] = file;
        return (list, Scores(list, predictions));
    }

    /// <summary>
    /// Test-split means over seeds per configuration × domain × metric, from succeeded experiments only; with the seeds'
    /// per-example predictions where every seed stored them (accuracy).
    /// </summary>
    public static IReadOnlyList<ConfigurationScore> Scores(IEnumerable<SummaryExperiment> experiments, IReadOnlyDictionary<Guid, PredictionsFile>? predictions = null) =>
        experiments.Where(e => e.Status == nameof(ExperimentStatus.Succeeded))
            .SelectMany(e => e.Results.Where(r => r.Split == "test").Select(r => (e, r)))
            .GroupBy(x => (x.e.ConfigurationHash, x.r.Domain, x.r.Metric))
            .Select(g =>
            {
                // Several experiments of one seed (a retried clone) count once: the latest.
                var latest = g.GroupBy(x => x.e.Seed).Select(s => s.Last()).ToList();
                var values = latest.Select(x => x.r.Value).ToList();
                var (mean, std) = RegressionDetector.MeanStd(values);
                Dictionary<int, PredictionSet>? sets = null;
                if (PredictionTables.Supports(g.Key.Metric) && predictions is not null)
                {
                    var found = latest.Select(x => (x.e.Seed, Set: PredictionTables.Model(predictions.GetValueOrDefault(x.e.Id), "test", x.r.Task, x.r.Domain, g.Key.Metric))).ToList();
                    if (found.All(f => f.Set is not null)) sets = found.ToDictionary(f => f.Seed, f => f.Set!);
                }
                return new ConfigurationScore(g.Key.ConfigurationHash, g.Key.Domain, g.Key.Metric, mean, std, values.Count, g.First().e.Name, sets);
            })
            .OrderBy(s => s.Name).ThenBy(s => s.Domain).ThenBy(s => s.Metric)
            .ToList();

    public static async Task<SuiteRunSummary> BuildAsync(PlatformDbContext db, SuiteRun run, Suite suite, DateTimeOffset now, CancellationToken ct)
    {
        var (experiments, scores) = await LoadAsync(db, run.Id, ct);
        var previousId = await db.SuiteRuns.AsNoTracking()
            .Where(r => r.SuiteId == run.SuiteId && r.Id != run.Id && r.CreatedAt < run.CreatedAt && SuiteRunStatuses.Finished.Contains(r.Status))
            .OrderByDescending(r => r.CreatedAt).Select(r => (Guid?)r.Id).FirstOrDefaultAsync(ct);
        var previous = previousId is { } p ? await CompareAsync(db, p, scores, ct) : null;
        var baseline = suite.BaselineRunId is { } b && b != run.Id ? await CompareAsync(db, b, scores, ct) : null;

        var failures = experiments.Where(e => e.Status != nameof(ExperimentStatus.Succeeded)).ToList();
        var sweeps = await SweepsAsync(db, run.Id, ct);
        bool regressed = (previous?.Regressions ?? 0) + (baseline?.Regressions ?? 0) > 0;
        bool improved = (previous?.Improvements ?? 0) + (baseline?.Improvements ?? 0) > 0;
        var status = regressed ? SuiteRunStatuses.Regressed
            : failures.Count > 0 || experiments.Count + sweeps.Count == 0 || sweeps.Any(w => w.Status != SweepStatuses.Finished) ? SuiteRunStatuses.CompletedWithFailures
            : SuiteRunStatuses.Completed;
        return new SuiteRunSummary
        {
            RunId = run.Id, Suite = suite.Name, SuiteVersion = run.SuiteVersion, Status = status, Regressed = regressed, Improved = improved,
            Experiments = experiments, Failures = failures, Configurations = scores, Previous = previous, Baseline = baseline, FinishedAt = now,
            Sweeps = sweeps,
        };
    }

    /// <summary>The run's sweeps as <see cref="Sweeps.SweepViews"/> shows them (one reading of a sweep for the API, the page and the summary).</summary>
    public static async Task<IReadOnlyList<SummarySweep>> SweepsAsync(PlatformDbContext db, Guid runId, CancellationToken ct)
    {
        var started = (await SuiteQueries.SweepsOfRunsAsync(db, [runId], ct))[runId].ToList();
        var list = new List<SummarySweep>(started.Count);
        foreach (var id in started.Select(w => w.Id))
        {
            if (await Web.Sweeps.SweepViews.GetAsync(db, id, ct) is not { } d) continue;
            var winner = d.Summary.Status == SweepStatuses.Finished ? d.Leader : null;
            var c = d.Confirmation;
            list.Add(new SummarySweep(d.Summary.Id, d.Summary.Name, d.Summary.Status, d.Summary.Objective, d.Summary.Trials, d.Summary.StepsTrained,
                winner?.Index, winner is null ? null : string.Join(", ", winner.Values.Select(v => $"{v.Key} = {v.Value.GetRawText()}")),
                winner is null ? null : winner.Rungs[winner.Rungs.Keys.Max()], c?.Verdict, c?.Mean, c?.Lower, c?.Upper, d.Summary.Note));
        }
        return list;
    }

    private static async Task<SummaryComparison> CompareAsync(PlatformDbContext db, Guid referenceRunId, IReadOnlyList<ConfigurationScore> current, CancellationToken ct)
    {
        var (_, reference) = await LoadAsync(db, referenceRunId, ct);
        var rows = RegressionDetector.Compare(current, reference);
        return new SummaryComparison(referenceRunId, rows.Count(r => r.Verdict == Verdicts.Regressed), rows.Count(r => r.Verdict == Verdicts.Improved), rows,
            rows.Count(r => r.Verdict == Verdicts.Untested));
    }
}
