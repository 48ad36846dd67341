using AdapterLab.Data;
using AdapterLab.Data.Blobs;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.Orchestrator;
using AdapterLab.Orchestrator.Checkpoints;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AdapterLab.IntegrationTests.Checkpoints;

/// <summary>The blob garbage collector against real PostgreSQL: an unreferenced blob past its grace period goes, with its chunks and its size reported; a referenced one stays.</summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class BlobGarbageCollectorTests(SharedPlatform platform)
{
    [Fact]
    public async Task An_unreferenced_blob_past_its_grace_is_reclaimed_and_a_referenced_one_is_kept()
    {
        var store = new BlobStore(TestHelpers.DbFactory(platform.Db));
        var unreferenced = Guid.NewGuid().ToByteArray().Concat(new byte[1000]).ToArray();
        var (garbage, size, _) = await store.PutAsync(new MemoryStream(unreferenced), null, CancellationToken.None);
        await using (var db = platform.Db())
            await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE blobs SET created_at = now() - interval '1 day' WHERE hash = {garbage}");

        var collector = new BlobGarbageCollector(TestHelpers.DbFactory(platform.Db), Options.Create(new OrchestratorOptions()), NullLogger<BlobGarbageCollector>.Instance);
        var (blobs, bytes) = await collector.CollectAsync(TimeSpan.FromHours(1), CancellationToken.None);

        Assert.True(blobs >= 1);
        Assert.True(bytes >= size);
        Assert.Null(await store.FindAsync(garbage, CancellationToken.None));
        await using (var db = platform.Db())
        {
            Assert.Equal(0, await db.Database.SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM blob_chunks WHERE hash = {garbage}").SingleAsync());
            // The shared platform's backbone is referenced: it survives every pass.
            var backbone = await db.Backbones.AsNoTracking().SingleAsync(b => b.Name == platform.BackboneName);
            Assert.NotNull(await store.FindAsync(backbone.BlobHash!, CancellationToken.None));
        }
    }

    [Fact]
    public async Task A_blob_only_a_registered_model_version_refers_to_is_kept()
    {
        // A registered adapter outlives its experiment's other references: the version alone keeps its blobs.
        var store = new BlobStore(TestHelpers.DbFactory(platform.Db));
        var (adapter, _, _) = await store.PutAsync(new MemoryStream(Guid.NewGuid().ToByteArray()), null, CancellationToken.None);
        var (backbone, _, _) = await store.PutAsync(new MemoryStream(Guid.NewGuid().ToByteArray()), null, CancellationToken.None);
        string name = "gc-kept-" + Guid.NewGuid().ToString("N")[..8];
        await using (var db = platform.Db())
        {
            db.RegisteredModels.Add(new AdapterLab.Data.Entities.RegisteredModel { Name = name, CreatedBy = "test", CreatedAt = DateTimeOffset.UtcNow });
            db.ModelVersions.Add(new AdapterLab.Data.Entities.ModelVersion
            {
                ModelName = name, Version = 1, Method = "lora", Preset = "vit-tiny-ci", AdapterBlob = adapter, BackboneBlob = backbone,
                RegisteredBy = "test", RegisteredAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
            await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE blobs SET created_at = now() - interval '1 day' WHERE hash IN ({adapter}, {backbone})");
        }
        var collector = new BlobGarbageCollector(TestHelpers.DbFactory(platform.Db), Options.Create(new OrchestratorOptions()), NullLogger<BlobGarbageCollector>.Instance);
        await collector.CollectAsync(TimeSpan.FromHours(1), CancellationToken.None);
        Assert.NotNull(await store.FindAsync(adapter, CancellationToken.None));
        Assert.NotNull(await store.FindAsync(backbone, CancellationToken.None));
    }
}
