using Hangfire;

namespace AdapterLab.Web.Suites;

/// <summary>
/// One Hangfire recurring job per scheduled suite (<c>suite:&lt;name&gt;</c>), in UTC. Misfires are <see cref="MisfireHandlingMode.Relaxed"/>:
/// however many occurrences were missed while the platform was down, one job fires when it comes back, not N.
/// </summary>
public sealed class SuiteSchedules(IRecurringJobManager recurring, ILogger<SuiteSchedules> log)
{
    public static string JobId(string suite) => $"suite:{suite}";

    /// <summary>Adds, updates or removes the suite's recurring job to match <paramref name="cron"/>.</summary>
    public void Sync(string suite, string? cron)
    {
        if (string.IsNullOrWhiteSpace(cron))
        {
            recurring.RemoveIfExists(JobId(suite));
            return;
        }
        recurring.AddOrUpdate<SuiteTriggerJob>(JobId(suite), job => job.FireAsync(suite, CancellationToken.None), cron,
            new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc, MisfireHandling = MisfireHandlingMode.Relaxed });
        log.LogInformation("Suite {Suite} scheduled: {Cron} (UTC)", suite, cron);
    }

    /// <summary>Fires the suite's recurring job now, through Hangfire (as the schedule would).</summary>
    public void TriggerNow(string suite) => recurring.Trigger(JobId(suite));
}

/// <summary>
/// What Hangfire runs when a suite's schedule fires: creates the run (or records a skip/refusal) and returns at once.
/// Tracking the run is <see cref="SuiteRunTracker"/>'s job.
/// </summary>
public sealed class SuiteTriggerJob(SuiteRunLauncher launcher, ILogger<SuiteTriggerJob> log)
{
    [AutomaticRetry(Attempts = 2)]
    [JobDisplayName("Fire suite {0}")]
    public async Task FireAsync(string suite, CancellationToken ct)
    {
        var result = await launcher.LaunchAsync(new SuiteLaunch(suite, "schedule", new AdapterLab.Web.Auth.Actor("schedule", null)), ct);
        log.LogInformation("Scheduled trigger of suite {Suite}: {Outcome} {Run} {Detail}", suite, result.Outcome, result.Run?.Id, result.Detail);
    }
}
