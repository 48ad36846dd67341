using System.Net.Http.Headers;
using AdapterLab.Data;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>Small helpers several test classes share.</summary>
public static class TestHelpers
{
    /// <summary>A binary request body (<c>application/octet-stream</c>).</summary>
    public static ByteArrayContent Octets(byte[] bytes) => new(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } };

    /// <summary>A context factory over a fixture's <c>Db()</c>, for services under test that take one (blob store, collector).</summary>
    public static IDbContextFactory<PlatformDbContext> DbFactory(Func<PlatformDbContext> create) => new Factory(create);

    private sealed class Factory(Func<PlatformDbContext> create) : IDbContextFactory<PlatformDbContext>
    {
        public PlatformDbContext CreateDbContext() => create();
    }
}
