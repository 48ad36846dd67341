using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;

// Applies the platform's EF Core migrations to the database named by ConnectionStrings__Platform (or the first argument).
// --wait: applies nothing, waits until the schema is up to date (a service's init container on Kubernetes, while the
// migrator Job runs), then exits 0.
bool wait = args.Contains("--wait");
var cs = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? Environment.GetEnvironmentVariable("ConnectionStrings__Platform");
if (string.IsNullOrWhiteSpace(cs))
{
    Console.Error.WriteLine("usage: AdapterLab.Migrator [--wait] <connection string>  (or set ConnectionStrings__Platform)");
    return 2;
}
var options = new DbContextOptionsBuilder<PlatformDbContext>();
DataServiceCollectionExtensions.Configure(options, cs);
await using var db = new PlatformDbContext(options.Options);
if (wait)
{
    for (int attempt = 1; ; attempt++)
    {
        try
        {
            var waiting = (await db.Database.GetPendingMigrationsAsync()).ToList();
            if (waiting.Count == 0)
            {
                Console.WriteLine("migrator: schema is up to date");
                return 0;
            }
            Console.WriteLine($"migrator: waiting for {waiting.Count} migration(s) to be applied ({waiting[^1]})");
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException)
        {
            Console.WriteLine($"migrator: database not reachable yet (attempt {attempt}): {ex.Message}");
        }
        await Task.Delay(TimeSpan.FromSeconds(3));
    }
}
var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
Console.WriteLine(pending.Count == 0 ? "migrator: schema is up to date" : $"migrator: applying {pending.Count} migration(s): {string.Join(", ", pending)}");
await db.Database.MigrateAsync();
var recomputed = await AdapterLab.Data.Configurations.ConfigurationBackfill.RunAsync(db, CancellationToken.None);
if (recomputed > 0) Console.WriteLine($"migrator: recomputed {recomputed} configuration hash(es) (science only, pinned backbone) and rebuilt the leaderboards");
Console.WriteLine("migrator: done");
return 0;
