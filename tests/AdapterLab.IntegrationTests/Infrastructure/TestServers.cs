using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>
/// A PostgreSQL (through a role that may create databases: every fixture gets a fresh one) and a RabbitMQ vhost (every
/// fixture gets its own queue and exchange prefix). The shared pair comes from <c>./platform test</c>'s environment;
/// fault-injection tests start a private pair they may restart (<see cref="PrivateServers"/>).
/// </summary>
public sealed record TestServers(string AdminConnectionString, string RabbitHost, int RabbitPort, string RabbitVirtualHost, string RabbitUser, string RabbitPassword)
{
    public static TestServers FromEnvironment() => FromVariables(name => Environment.GetEnvironmentVariable(name));

    public static TestServers FromVariables(Func<string, string?> get) => new(
        get("ADAPTERLAB_TEST_POSTGRES") ?? throw new InvalidOperationException("ADAPTERLAB_TEST_POSTGRES is not set: run the tests with ./platform test"),
        get("ADAPTERLAB_TEST_RABBITMQ_HOST") ?? "127.0.0.1",
        int.Parse(get("ADAPTERLAB_TEST_RABBITMQ_PORT") ?? "5672"),
        get("ADAPTERLAB_TEST_RABBITMQ_VHOST") ?? "/",
        get("ADAPTERLAB_TEST_RABBITMQ_USER") ?? "guest",
        get("ADAPTERLAB_TEST_RABBITMQ_PASSWORD") ?? "guest");

    /// <summary>Creates an empty database with the platform's schema; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string purpose)
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
    public async Task DropDatabaseAsync(string connectionString)
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
            // Leftover test databases are harmless; the next ./platform test starts from a fresh role.
        }
    }

    /// <summary>Broker settings for one isolated platform instance (its own queue and exchange prefix).</summary>
    public Dictionary<string, string?> RabbitSettings(string prefix) => new()
    {
        ["RabbitMq:Host"] = RabbitHost,
        ["RabbitMq:Port"] = RabbitPort.ToString(),
        ["RabbitMq:VirtualHost"] = RabbitVirtualHost,
        ["RabbitMq:Username"] = RabbitUser,
        ["RabbitMq:Password"] = RabbitPassword,
        ["RabbitMq:QueuePrefix"] = prefix,
    };
}
