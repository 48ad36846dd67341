using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AdapterLab.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>Registers <see cref="PlatformDbContext"/> (pooled factory + scoped) on the <c>Platform</c> connection string.</summary>
    public static IServiceCollection AddPlatformData(this IServiceCollection services, IConfiguration configuration)
    {
        var cs = configuration.GetConnectionString("Platform")
                 ?? throw new InvalidOperationException("ConnectionStrings:Platform is not configured");
        services.AddPooledDbContextFactory<PlatformDbContext>(o => Configure(o, cs));
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContext());
        return services;
    }

    public static void Configure(DbContextOptionsBuilder o, string connectionString) =>
        o.UseNpgsql(connectionString)
         .UseSnakeCaseNamingConvention();
}
