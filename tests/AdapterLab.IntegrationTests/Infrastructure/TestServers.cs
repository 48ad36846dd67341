using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>
/// A PostgreSQL (through a role that may create databases: every fixture gets a fresh one) and a RabbitMQ vhost (every
/// fixture gets its own queue and exchange prefix). The shared pair comes from <c>./platform test</c>'s environment;
/// fault-injection tests start a private pair they may restart (<see cref="PrivateServers"/>).
/// </summary>
public sealed record TestServers(string AdminConnectionString, string RabbitHost, int RabbitPort, string RabbitVirtualHost, string RabbitUser, string RabbitPassword,
    int RabbitManagementPort = 15672, string? RabbitAdminUser = null, string? RabbitAdminPassword = null)
{
    public static TestServers FromEnvironment() => FromVariables(name => Environment.GetEnvironmentVariable(name));

    public static TestServers FromVariables(Func<string, string?> get) => new(
        get("ADAPTERLAB_TEST_POSTGRES") ?? throw new InvalidOperationException("ADAPTERLAB_TEST_POSTGRES is not set: run the tests with ./platform test"),
        get("ADAPTERLAB_TEST_RABBITMQ_HOST") ?? "127.0.0.1",
        int.Parse(get("ADAPTERLAB_TEST_RABBITMQ_PORT") ?? "5672"),
        get("ADAPTERLAB_TEST_RABBITMQ_VHOST") ?? "/",
        get("ADAPTERLAB_TEST_RABBITMQ_USER") ?? "guest",
        get("ADAPTERLAB_TEST_RABBITMQ_PASSWORD") ?? "guest",
        int.Parse(get("ADAPTERLAB_TEST_RABBITMQ_MGMT_PORT") ?? "15672"),
        get("ADAPTERLAB_TEST_RABBITMQ_ADMIN_USER"),
        get("ADAPTERLAB_TEST_RABBITMQ_ADMIN_PASSWORD"));

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

    /// <summary>
    /// Broker settings for one isolated platform instance (its own queue and exchange prefix). The services use the test
    /// user, and each side is told that it is the web's and the orchestrator's identity; agents get their own
    /// (<see cref="AgentBrokerSettingsAsync"/>).
    /// </summary>
    public Dictionary<string, string?> RabbitSettings(string prefix) => new()
    {
        ["RabbitMq:Host"] = RabbitHost,
        ["RabbitMq:Port"] = RabbitPort.ToString(),
        ["RabbitMq:VirtualHost"] = RabbitVirtualHost,
        ["RabbitMq:Username"] = RabbitUser,
        ["RabbitMq:Password"] = RabbitPassword,
        ["RabbitMq:QueuePrefix"] = prefix,
        ["Orchestrator:WebBrokerUsers:0"] = RabbitUser,
        ["Agent:OrchestratorBrokerUsers:0"] = RabbitUser,
    };

    /// <summary>
    /// The broker credentials of one agent: its own user <c>agent:&lt;id&gt;</c> with the least privilege of an agent on
    /// this prefix (<see cref="AdapterLab.Messaging.BrokerPermissions.Agent"/>), created or updated through the
    /// management API with the test run's administrator.
    /// </summary>
    public async Task<Dictionary<string, string?>> AgentBrokerSettingsAsync(string prefix, string agentId)
    {
        var user = AdapterLab.Messaging.SenderIdentity.AgentUser(agentId);
        var password = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(RabbitPassword + "|" + user)))[..32];
        await BrokerAdmin.PutUserAsync(this, user, password, AdapterLab.Messaging.BrokerPermissions.Agent(prefix, agentId));
        return new Dictionary<string, string?> { ["RabbitMq:Username"] = user, ["RabbitMq:Password"] = password };
    }
}
