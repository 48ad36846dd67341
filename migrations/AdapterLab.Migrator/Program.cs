using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;

// Applies the platform's EF Core migrations to the database named by ConnectionStrings__Platform (or the first argument).
var cs = args.FirstOrDefault() ?? Environment.GetEnvironmentVariable("ConnectionStrings__Platform");
if (string.IsNullOrWhiteSpace(cs))
{
    Console.Error.WriteLine("usage: AdapterLab.Migrator <connection string>  (or set ConnectionStrings__Platform)");
    return 2;
}
var options = new DbContextOptionsBuilder<PlatformDbContext>();
DataServiceCollectionExtensions.Configure(options, cs);
await using var db = new PlatformDbContext(options.Options);
var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
Console.WriteLine(pending.Count == 0 ? "migrator: schema is up to date" : $"migrator: applying {pending.Count} migration(s): {string.Join(", ", pending)}");
await db.Database.MigrateAsync();
var recomputed = await AdapterLab.Data.Configurations.ConfigurationBackfill.RunAsync(db, CancellationToken.None);
if (recomputed > 0) Console.WriteLine($"migrator: recomputed {recomputed} configuration hash(es) (science only, pinned backbone) and rebuilt the leaderboards");
Console.WriteLine("migrator: done");
return 0;
