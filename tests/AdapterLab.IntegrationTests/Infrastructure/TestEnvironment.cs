using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>
/// The real services the tests run against, as <c>./platform test</c> provides them: a PostgreSQL role that may create
/// databases (every fixture gets a fresh one) and a RabbitMQ vhost (every fixture gets its own queue and exchange prefix).
/// </summary>
public static class TestEnvironment
{
    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("ADAPTERLAB_TEST_POSTGRES")
        ?? throw new InvalidOperationException("ADAPTERLAB_TEST_POSTGRES is not set: run the tests with ./platform test");

    /// <summary>Creates an empty database with the platform's schema; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string purpose)
    {
        var name = $"t_{purpose}_{Guid.NewGuid():N}".ToLowerInvariant();
        if (name.Length > 60) name = name[..60];
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        var cs = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true }.ConnectionString;
        var options = new DbContextOptionsBuilder<PlatformDbContext>();
        DataServiceCollectionExtensions.Configure(options, cs);
        await using var db = new PlatformDbContext(options.Options);
        await db.Database.MigrateAsync();
        return cs;
    }

    /// <summary>Drops a database created by <see cref="CreateDatabaseAsync"/> (best effort).</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        try
        {
            await using var admin = new NpgsqlConnection(AdminConnectionString);
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // Leftover test databases are harmless; ./platform test removes them at the next run.
        }
    }

    /// <summary>Broker settings for one isolated platform instance (its own queue and exchange prefix).</summary>
    public static Dictionary<string, string?> RabbitSettings(string prefix) => new()
    {
        ["RabbitMq:Host"] = Env("ADAPTERLAB_TEST_RABBITMQ_HOST", "127.0.0.1"),
        ["RabbitMq:Port"] = Env("ADAPTERLAB_TEST_RABBITMQ_PORT", "5672"),
        ["RabbitMq:VirtualHost"] = Env("ADAPTERLAB_TEST_RABBITMQ_VHOST", "/"),
        ["RabbitMq:Username"] = Env("ADAPTERLAB_TEST_RABBITMQ_USER", "guest"),
        ["RabbitMq:Password"] = Env("ADAPTERLAB_TEST_RABBITMQ_PASSWORD", "guest"),
        ["RabbitMq:QueuePrefix"] = prefix,
    };

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) ?? fallback;
}
