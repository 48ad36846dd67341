using AdapterLab.Contracts.Suites;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AdapterLab.Web.Suites;

/// <summary>Stores suite definitions (a new version on every change) and keeps their Hangfire schedules in step.</summary>
public sealed class SuiteCatalogue(IDbContextFactory<PlatformDbContext> dbFactory, SuiteSchedules schedules, TimeProvider clock)
{
    public sealed record SaveResult(Suite Suite, bool Created, bool Changed);

    /// <summary>Why a caller may not change a suite.</summary>
    public static string NotYours(string name, string? ownerId) => ownerId is null
        ? $"suite '{name}' is built in: only admins change it (store your variant under another name)"
        : $"suite '{name}' belongs to someone else: only its owner or an admin changes it";

    /// <summary>
    /// Validates (expands every spec), then inserts the suite or stores a new version of it. Throws
    /// <see cref="SuiteDefinitionException"/> for an invalid definition. <paramref name="onlyIfAbsent"/>: leave an existing suite alone.
    /// </summary>
    /// <param name="ownerId">Who owns a suite this creates (null: a built-in, which only admins change).</param>
    /// <param name="mayChange">Asked with an existing suite's owner before it is overwritten; false refuses (<see cref="SuiteOwnershipException"/>).</param>
    public async Task<SaveResult> SaveAsync(SuiteDefinition definition, CancellationToken ct, bool onlyIfAbsent = false,
        string? ownerId = null, Func<Suite, bool>? mayChange = null, Guid? projectId = null)
    {
        SuiteExpansion.Expand(definition);
        var json = definition.ToJson();
        var now = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var suite = await db.Suites.SingleOrDefaultAsync(s => s.Name == definition.Name, ct);
        if (suite is not null && (onlyIfAbsent || suite.DefinitionJson == json)) return new(suite, false, false);
        if (suite is not null && mayChange is not null && !mayChange(suite))
            throw new SuiteOwnershipException(NotYours(suite.Name, suite.OwnerId));
        // Registers (or validates) the cron with Hangfire first: an invalid expression is refused before anything is stored.
        try { schedules.Sync(definition.Name, definition.Schedule); }
        catch (ArgumentException ex)
        {
            throw new SuiteDefinitionException(new Dictionary<string, string[]> { ["schedule"] = [ex.Message] });
        }
        bool created = suite is null;
        if (suite is null)
        {
            suite = new Suite { Id = Guid.CreateVersion7(now), Name = definition.Name, ProjectId = projectId ?? Project.DefaultId, Version = 1, CreatedAt = now, OwnerId = ownerId };
            db.Suites.Add(suite);
        }
        else suite.Version++;
        suite.DefinitionJson = json;
        suite.Cron = definition.Schedule;
        suite.Window = definition.Window;
        suite.UpdatedAt = now;
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another instance seeded the same suite at the same moment.
            db.ChangeTracker.Clear();
            return new(await db.Suites.AsNoTracking().SingleAsync(s => s.Name == definition.Name, ct), false, false);
        }
        return new(suite, created, true);
    }

    /// <summary>Re-registers every stored suite's schedule (Hangfire's storage may have been reset; crons may have changed elsewhere).</summary>
    public async Task SyncSchedulesAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        foreach (var s in await db.Suites.AsNoTracking().Select(s => new { s.Name, s.Cron }).ToListAsync(ct))
            schedules.Sync(s.Name, s.Cron);
    }
}

/// <summary>
/// At web start: imports the built-in suites from the repository's <c>suites/</c> folder (a suite already stored, perhaps
/// edited through the API, is left as it is unless <c>Suites:OverwriteBuiltIns</c> is true), then syncs every schedule.
/// </summary>
public sealed class BuiltInSuites(SuiteCatalogue catalogue, IConfiguration configuration, ILogger<BuiltInSuites> log) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        bool overwrite = configuration.GetValue("Suites:OverwriteBuiltIns", false);
        foreach (var (file, text) in SuiteFiles.BuiltIn())
        {
            try
            {
                var result = await catalogue.SaveAsync(SuiteFiles.Parse(text), ct, onlyIfAbsent: !overwrite);
                if (result.Changed) log.LogInformation("Built-in suite {Suite} v{Version} imported from {File}", result.Suite.Name, result.Suite.Version, file);
            }
            catch (Exception ex) when (ex is SuiteDefinitionException or FormatException)
            {
                // A broken suite file must not keep the web from starting; the unit tests catch it first.
                log.LogError(ex, "Built-in suite file {File} is invalid", file);
            }
        }
        await catalogue.SyncSchedulesAsync(ct);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>The caller may not change this suite (it is built in, or someone else's).</summary>
public sealed class SuiteOwnershipException(string message) : Exception(message);
