using AdapterLab.Data;
using Npgsql;

namespace AdapterLab.Orchestrator.Tests;

/// <summary>Each service bounds its PostgreSQL pool unless its connection string says otherwise.</summary>
public sealed class ConnectionPoolTests
{
    [Fact]
    public void A_connection_string_without_a_pool_size_gets_the_platform_bound()
    {
        var cs = DataServiceCollectionExtensions.BoundedPool("Host=db;Database=adapterlab;Username=u;Password=p");
        Assert.Equal(DataServiceCollectionExtensions.DefaultMaxPoolSize, new NpgsqlConnectionStringBuilder(cs).MaxPoolSize);
    }

    [Theory]
    [InlineData("Host=db;Maximum Pool Size=7")]
    [InlineData("Host=db;MaxPoolSize=7")]
    public void An_explicit_pool_size_is_kept(string connectionString) =>
        Assert.Equal(7, new NpgsqlConnectionStringBuilder(DataServiceCollectionExtensions.BoundedPool(connectionString)).MaxPoolSize);
}
