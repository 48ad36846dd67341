using System.Text.Json;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Suites;
using AdapterLab.Data;
using AdapterLab.Web.Notifications;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Suites;

/// <summary>
/// Follows running suite runs to their end — the platform's job, not Hangfire's. Woken by every experiment status change
/// this instance hears and, as a safety net (a restart, a missed message, results planted by hand), every few seconds.
/// A run ends when all its experiments are terminal and all its sweeps have ended: the summary is computed and the status set with a conditional
/// update, so several web instances may track the same run and exactly one writes it.
/// </summary>
public sealed class SuiteRunTracker(
    IDbContextFactory<PlatformDbContext> dbFactory, ExperimentNotifications notifications, TimeProvider clock,
    IConfiguration configuration, ILogger<SuiteRunTracker> log) : BackgroundService
{
    /// <summary>A run whose submissions have not all landed after this long is summarised with what it has.</summary>
    private static readonly TimeSpan SubmissionGrace = TimeSpan.FromMinutes(5);

    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Raised after a run ends (dashboard pages refresh).</summary>
    public event Action<Guid, string>? RunFinished;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(configuration.GetValue("Suites:TrackIntervalSeconds", 5.0));
        notifications.StatusChanged += OnStatusChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try { await CheckAsync(stoppingToken); }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    log.LogWarning(ex, "Suite run tracking failed; retrying");
                }
                try { await _wake.WaitAsync(interval, stoppingToken); }
                catch (OperationCanceledException) { break; }
            }
        }
        finally { notifications.StatusChanged -= OnStatusChanged; }
    }

    private void OnStatusChanged(Contracts.Messages.ExperimentStatusChanged change)
    {
        if (change.Status is not (nameof(ExperimentStatus.Succeeded) or nameof(ExperimentStatus.Failed) or nameof(ExperimentStatus.Cancelled))) return;
        if (_wake.CurrentCount == 0) { try { _wake.Release(); } catch (SemaphoreFullException) { } }
    }

    /// <summary>Finishes every running run whose experiments have all ended; returns how many it finished.</summary>
    public async Task<int> CheckAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var running = await db.SuiteRuns.AsNoTracking().Where(r => r.Status == SuiteRunStatuses.Running).ToListAsync(ct);
        int finished = 0;
        foreach (var run in running)
        {
            var counts = await db.Experiments.Where(e => e.SuiteRunId == run.Id)
                .GroupBy(e => e.Status == ExperimentStatus.Succeeded || e.Status == ExperimentStatus.Failed || e.Status == ExperimentStatus.Cancelled)
                .Select(g => new { Terminal = g.Key, Count = g.Count() }).ToListAsync(ct);
            int ended = counts.Where(c => c.Terminal).Sum(c => c.Count), total = counts.Sum(c => c.Count);
            var now = clock.GetUtcNow();
            if (ended < total) continue;
            if (total < run.ExperimentCount && now - run.CreatedAt < SubmissionGrace) continue;
            // The run's sweeps end on their own (finished or stopped) once their trials and confirmations have.
            if (await db.Sweeps.AnyAsync(s => s.SuiteRunId == run.Id && (s.Status == Data.Entities.SweepStatuses.Running || s.Status == Data.Entities.SweepStatuses.Confirming), ct)) continue;

            var suite = await db.Suites.AsNoTracking().SingleAsync(s => s.Id == run.SuiteId, ct);
            var summary = await SuiteRunSummaries.BuildAsync(db, run, suite, now, ct);
            var json = JsonSerializer.Serialize(summary, SuiteViews.Json);
            var updated = await db.SuiteRuns.Where(r => r.Id == run.Id && r.Status == SuiteRunStatuses.Running)
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, summary.Status).SetProperty(r => r.FinishedAt, now)
                    .SetProperty(r => r.SummaryJson, json), ct);
            if (updated == 0) continue;
            finished++;
            log.LogInformation("Suite {Suite}: run {Run} ended {Status} ({Experiments} experiments, {Failures} failed, regressions vs previous {Prev}, vs baseline {Base})",
                suite.Name, run.Id, summary.Status, summary.Experiments.Count, summary.Failures.Count, summary.Previous?.Regressions ?? 0, summary.Baseline?.Regressions ?? 0);
            RunFinished?.Invoke(run.Id, summary.Status);
        }
        return finished;
    }
}
