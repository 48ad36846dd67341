using AdapterLab.Data;
using AdapterLab.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Runs;

/// <summary>
/// Saved views of the runs table, per owner: a name and the view's query string (filter, columns, sort, grouping). The
/// view named <see cref="RunView.DefaultName"/> is the owner's chosen columns, applied when they open the list bare. A view
/// is shared by its URL; the names are the owner's own.
/// </summary>
public sealed class RunViewStore(IDbContextFactory<PlatformDbContext> dbFactory, TimeProvider clock)
{
    public const int MaxViews = 100, MaxNameLength = 100, MaxQueryLength = 4_000;

    public sealed record View(string Name, string Query, DateTimeOffset UpdatedAt);

    public async Task<IReadOnlyList<View>> ListAsync(string ownerId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.RunViews.AsNoTracking().Where(v => v.OwnerId == ownerId).OrderBy(v => v.Name)
            .Select(v => new View(v.Name, v.Query, v.UpdatedAt)).ToListAsync(ct);
    }

    public async Task<string?> DefaultQueryAsync(string ownerId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.RunViews.AsNoTracking().Where(v => v.OwnerId == ownerId && v.Name == RunView.DefaultName).Select(v => v.Query).FirstOrDefaultAsync(ct);
    }

    /// <summary>What is wrong with a view's name or query (null: nothing).</summary>
    public static (string Field, string Message)? Check(string? name, string? query)
    {
        if (string.IsNullOrWhiteSpace(name)) return ("name", "is required");
        if (name.Length > MaxNameLength) return ("name", $"at most {MaxNameLength} characters");
        if (name.Any(char.IsControl)) return ("name", "holds a control character");
        if (query is null) return ("query", "is required");
        if (query.Length > MaxQueryLength) return ("query", $"at most {MaxQueryLength:N0} characters");
        if (query.Any(char.IsControl)) return ("query", "holds a control character");
        return null;
    }

    /// <summary>Creates or replaces the owner's view <paramref name="name"/>; false when the owner already has <see cref="MaxViews"/> others.</summary>
    public async Task<bool> SaveAsync(string ownerId, string name, string query, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var existing = await db.RunViews.FirstOrDefaultAsync(v => v.OwnerId == ownerId && v.Name == name, ct);
        if (existing is null)
        {
            if (await db.RunViews.CountAsync(v => v.OwnerId == ownerId, ct) >= MaxViews) return false;
            db.RunViews.Add(new RunView { OwnerId = ownerId, Name = name, Query = query, UpdatedAt = clock.GetUtcNow() });
        }
        else
        {
            existing.Query = query;
            existing.UpdatedAt = clock.GetUtcNow();
        }
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) when (existing is null)
        {
            // Saved at the same moment by another request: the last write wins, as for a replace.
            await using var again = await dbFactory.CreateDbContextAsync(ct);
            await again.RunViews.Where(v => v.OwnerId == ownerId && v.Name == name)
                .ExecuteUpdateAsync(u => u.SetProperty(v => v.Query, query).SetProperty(v => v.UpdatedAt, clock.GetUtcNow()), ct);
        }
        return true;
    }

    public async Task<bool> DeleteAsync(string ownerId, string name, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.RunViews.Where(v => v.OwnerId == ownerId && v.Name == name).ExecuteDeleteAsync(ct) > 0;
    }
}
