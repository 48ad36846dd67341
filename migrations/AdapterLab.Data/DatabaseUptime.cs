using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Data;

/// <summary>How long the PostgreSQL server has been up, by its own clock (a restart or failover resets it).</summary>
public static class DatabaseUptime
{
    public static async Task<TimeSpan> ReadAsync(PlatformDbContext db, CancellationToken ct)
    {
        var seconds = await db.Database
            .SqlQueryRaw<double>("""SELECT EXTRACT(EPOCH FROM now() - pg_postmaster_start_time())::float8 AS "Value" """)
            .SingleAsync(ct);
        return TimeSpan.FromSeconds(Math.Max(0, seconds));
    }
}
