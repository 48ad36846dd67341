using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AdapterLab.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>Registers <see cref="PlatformDbContext"/> (pooled factory + scoped) on the <c>Platform</c> connection string.</summary>
    public static IServiceCollection AddPlatformData(this IServiceCollection services, IConfiguration configuration)
    {
        var cs = BoundedPool(configuration.GetConnectionString("Platform")
                 ?? throw new InvalidOperationException("ConnectionStrings:Platform is not configured"));
        services.AddPooledDbContextFactory<PlatformDbContext>(o => Configure(o, cs));
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContext());
        return services;
    }

    /// <summary>Connections one process may hold when its connection string does not say (Npgsql's default is 100).</summary>
    public const int DefaultMaxPoolSize = 30;

    /// <summary>
    /// The connection string with a bounded pool unless it sets one: the web and the orchestrators share one server
    /// (PostgreSQL allows 100 connections by default), and with Npgsql's default of 100 each, a burst — a thousand agents
    /// logging in through the broker's auth backend at once (bench perf-fleet) — took every slot and requests failed;
    /// bounded, they wait briefly for a connection instead.
    /// </summary>
    public static string BoundedPool(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Maximum Pool Size", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("MaxPoolSize", StringComparison.OrdinalIgnoreCase)) builder.MaxPoolSize = DefaultMaxPoolSize;
        return builder.ConnectionString;
    }

    public static void Configure(DbContextOptionsBuilder o, string connectionString) =>
        o.UseNpgsql(connectionString)
         .UseSnakeCaseNamingConvention();
}
