using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace AdapterLab.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the context without a running service.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<PlatformDbContext>
{
    public PlatformDbContext CreateDbContext(string[] args)
    {
        var o = new DbContextOptionsBuilder<PlatformDbContext>();
        DataServiceCollectionExtensions.Configure(o, Environment.GetEnvironmentVariable("ConnectionStrings__Platform") ?? "Host=127.0.0.1;Database=design");
        return new PlatformDbContext(o.Options);
    }
}
