using System.Security.Claims;
using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Projects;

/// <summary>Things that belong to a project and are addressed by id or name.</summary>
public enum ProjectItem { Experiment, Sweep, Suite, SuiteRun, Backbone, Model }

/// <summary>
/// The read check for one item: may this principal see it? An item of a project they cannot read answers exactly like
/// an item that does not exist (404), so ids and names do not leak across projects. The API checks every per-item URL
/// here in one place (<see cref="ProjectGateMiddleware"/>: experiments and everything under them — logs, metrics,
/// predictions, checkpoints and their downloads, weights, affinity — sweeps, suites, suite runs, backbones); the
/// dashboard's pages ask the same question before they show an item.
/// </summary>
public sealed class ProjectGate(IDbContextFactory<PlatformDbContext> dbFactory)
{
    /// <summary>False when the item exists and the principal may not read it; true otherwise (a missing item is the endpoint's own 404).</summary>
    public async Task<bool> CanReadAsync(ClaimsPrincipal user, ProjectItem kind, string key, CancellationToken ct)
    {
        var access = ProjectAccess.Of(user);
        if (access.Everything) return true;
        // A key no name can have (control characters, absurd length) names nothing: the endpoint answers it.
        if (!ProjectNames.IsLookup(key, 200)) return true;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var readable = access.Roles.Keys.ToArray();
        switch (kind)
        {
            case ProjectItem.Experiment when Guid.TryParse(key, out var id):
                return !await db.Experiments.AnyAsync(e => e.Id == id && !readable.Contains(e.ProjectId), ct);
            case ProjectItem.Sweep when Guid.TryParse(key, out var id):
                return !await db.Sweeps.AnyAsync(s => s.Id == id && !readable.Contains(s.ProjectId), ct);
            case ProjectItem.SuiteRun when Guid.TryParse(key, out var id):
                return !await db.SuiteRuns.AnyAsync(r => r.Id == id && db.Suites.Any(s => s.Id == r.SuiteId && !readable.Contains(s.ProjectId)), ct);
            case ProjectItem.Suite:
                return !await db.Suites.AnyAsync(s => s.Name == key && !readable.Contains(s.ProjectId), ct);
            case ProjectItem.Backbone:
                // Its own project's members, and those of every project it is shared with (read-only).
                return !await db.Backbones.AnyAsync(b => b.Name == key && !readable.Contains(b.ProjectId)
                    && !db.BackboneShares.Any(s => s.BackboneName == b.Name && readable.Contains(s.ProjectId)), ct);
            case ProjectItem.Model:
                return !await db.RegisteredModels.AnyAsync(m => m.Name == key && !readable.Contains(m.ProjectId), ct);
            default:
                return true;
        }
    }
}
