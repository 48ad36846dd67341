using System.Security.Claims;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Data;
using AdapterLab.Web.Experiments;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Dashboard;

/// <summary>An experiment an agent is running now.</summary>
public sealed record ActiveAttemptRow(Guid ExperimentId, string? ExperimentName, int Attempt, string Status, long Step, long TotalSteps, DateTimeOffset? LastHeartbeatAt);

/// <summary>An agent as the dashboard shows it.</summary>
public sealed record AgentRow(
    string Id, string Pool, string Device, string DeviceName, long DeviceMemoryBytes, string Host, int Slots, int ReportedFreeSlots, string Version,
    DateTimeOffset FirstSeenAt, DateTimeOffset LastSeenAt, bool Stopped, int ConsecutiveFailures, bool Quarantined,
    string? QuarantineReason, IReadOnlyList<ActiveAttemptRow> Active);

/// <summary>Reads the fleet and lifts quarantine (API and Agents page share it).</summary>
public sealed class AgentDirectory(IDbContextFactory<PlatformDbContext> dbFactory, ILogger<AgentDirectory> log)
{
    public enum LiftOutcome { Lifted, NotFound, Forbidden }

    public async Task<IReadOnlyList<AgentRow>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var agents = await db.Agents.AsNoTracking().OrderBy(a => a.Pool).ThenBy(a => a.Id).ToListAsync(ct);
        var active = await db.Attempts.AsNoTracking()
            .Where(a => a.Status == ExperimentStatus.Dispatched || a.Status == ExperimentStatus.Running)
            .Select(a => new { a.AgentId, Row = new ActiveAttemptRow(a.ExperimentId, a.Experiment!.Name, a.Number, a.Status.ToString(), a.Step, a.Experiment.TotalSteps, a.LastHeartbeatAt) })
            .ToListAsync(ct);
        var byAgent = active.ToLookup(a => a.AgentId, a => a.Row);
        return agents.Select(a => new AgentRow(a.Id, a.Pool, a.Device, a.DeviceName, a.DeviceMemoryBytes, a.Host, a.Slots, a.ReportedFreeSlots, a.Version, a.FirstSeenAt,
            a.LastSeenAt, a.Stopped, a.ConsecutiveFailures, a.Quarantined, a.QuarantineReason, byAgent[a.Id].ToList())).ToList();
    }

    public async Task<LiftOutcome> LiftQuarantineAsync(string id, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!ExperimentAccess.IsAdmin(user)) return LiftOutcome.Forbidden;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // The dispatcher reads the agents table on every pass, so clearing the flag is all it takes.
        var changed = await db.Agents.Where(a => a.Id == id).ExecuteUpdateAsync(s => s
            .SetProperty(a => a.Quarantined, false)
            .SetProperty(a => a.QuarantineReason, (string?)null)
            .SetProperty(a => a.ConsecutiveFailures, 0), ct);
        if (changed == 0) return LiftOutcome.NotFound;
        log.LogInformation("{Actor} lifted the quarantine of agent {Agent}", AdapterLab.Web.Auth.Actor.Of(user).Name, id);
        return LiftOutcome.Lifted;
    }
}
