namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>The shared test servers that <c>./platform test</c> provides (see <see cref="TestServers"/>).</summary>
public static class TestEnvironment
{
    private static readonly Lazy<TestServers> Shared = new(TestServers.FromEnvironment);

    public static TestServers Servers => Shared.Value;

    public static string AdminConnectionString => Servers.AdminConnectionString;

    public static Task<string> CreateDatabaseAsync(string purpose) => Servers.CreateDatabaseAsync(purpose);

    public static Task DropDatabaseAsync(string connectionString) => Servers.DropDatabaseAsync(connectionString);

    public static Dictionary<string, string?> RabbitSettings(string prefix) => Servers.RabbitSettings(prefix);
}
