using System.Net;
using System.Security.Cryptography;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Data.Blobs;
using AdapterLab.Data;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.IntegrationTests.Web;
using AdapterLab.Orchestrator.Checkpoints;
using AdapterLab.Orchestrator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AdapterLab.IntegrationTests.Checkpoints;

/// <summary>
/// Garbage collection that cannot delete live data: a blob an agent uploads for an experiment it holds is pinned until
/// the experiment ends — past any grace period, however long its reference takes to arrive — and a re-upload of the
/// same bytes refreshes the blob's age. Before, an unreferenced upload older than the grace was deleted even while its
/// attempt still ran (a broker outage longer than the grace lost the checkpoint).
/// </summary>
public sealed class BlobPinsTests(WebAppFixture web) : IClassFixture<WebAppFixture>
{
    [Fact]
    public async Task An_uploaded_blob_stays_while_its_experiment_runs_and_goes_after_it_ends()
    {
        var experiment = await web.HoldAttemptAsync();
        using var agent = web.AsAgent();
        var bytes = RandomNumberGenerator.GetBytes(5000);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.Equal(HttpStatusCode.Created, (await agent.PutAsync($"/api/agent/blobs/{hash}", TestHelpers.Octets(bytes))).StatusCode);

        // A day old and still unreferenced (its CheckpointSaved is stuck in a broker outage): kept, it is pinned.
        await using (var db = web.Db())
            await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE blobs SET created_at = now() - interval '1 day' WHERE hash = {hash}");
        var collector = new BlobGarbageCollector(TestHelpers.DbFactory(web.Db), Options.Create(new OrchestratorOptions()), NullLogger<BlobGarbageCollector>.Instance);
        await collector.CollectAsync(TimeSpan.FromHours(1), CancellationToken.None);
        var store = new BlobStore(TestHelpers.DbFactory(web.Db));
        Assert.NotNull(await store.FindAsync(hash, CancellationToken.None));

        // A re-upload of the same bytes refreshes its age.
        Assert.Equal(HttpStatusCode.OK, (await agent.PutAsync($"/api/agent/blobs/{hash}", TestHelpers.Octets(bytes))).StatusCode);
        await using (var db = web.Db())
            Assert.True((await db.Blobs.AsNoTracking().SingleAsync(b => b.Hash == hash)).CreatedAt > DateTimeOffset.UtcNow.AddMinutes(-5));

        // The experiment ends without ever referencing it: the pin is released and, past the grace, the blob goes.
        await using (var db = web.Db())
        {
            await db.Experiments.Where(e => e.Id == experiment).ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, ExperimentStatus.Failed));
            await db.Attempts.Where(a => a.ExperimentId == experiment).ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, ExperimentStatus.Failed));
            await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE blobs SET created_at = now() - interval '1 day' WHERE hash = {hash}");
        }
        await collector.CollectAsync(TimeSpan.FromHours(1), CancellationToken.None);
        Assert.Null(await store.FindAsync(hash, CancellationToken.None));
        await using (var db = web.Db())
            Assert.False(await db.BlobPins.AnyAsync(p => p.ExperimentId == experiment));
    }
}
