using AdapterLab.Contracts.Lifecycle;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.IntegrationTests.Faults;

/// <summary>
/// Agents on separate hosts — two network namespaces that reach the broker and the web over veth addresses, never
/// loopback: work spreads across both; when one host's link goes down mid-run, it is declared lost and its run resumes
/// on the other host from its checkpoint, ending bit-identical (same weights hash) to an uninterrupted twin.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class WhenAHostIsCutOff(FaultPlatform platform)
{
    [Fact]
    public async Task Work_spreads_and_a_cut_off_hosts_run_resumes_elsewhere_bit_identical()
    {
        int[] ports = [platform.Servers.RabbitPort, platform.WebAddress.Port];
        await using var east = await NetworkHost.CreateAsync(1, ports);
        await using var west = await NetworkHost.CreateAsync(2, ports);
        Task<AgentProcess> AgentOn(NetworkHost host, string name) => platform.StartAgentProcessAsync(name + "-" + Guid.NewGuid().ToString("N")[..6], extra: new Dictionary<string, string?>
        {
            ["RabbitMq:Host"] = host.Gateway.ToString(),
            ["Agent:ApiUrl"] = $"http://{host.Gateway}:{platform.WebAddress.Port}/",
        }, prefix: host.Exec);
        await using var a = await AgentOn(east, "east");
        await using var b = await AgentOn(west, "west");
        await platform.AwaitOnlyTheseAgentsLiveAsync(a.Id, b.Id);

        // Work spreads: four short runs, both hosts take some (each agent has one slot).
        var spread = new List<Guid>();
        for (int i = 0; i < 4; i++) spread.Add(await platform.SubmitAsync(FaultSpecs.Pretrain(steps: 30, seed: 10 + i)));
        foreach (var id in spread) await platform.WaitForStatusAsync(id, "Succeeded", TimeSpan.FromMinutes(4));
        await using (var db = platform.Db())
        {
            var hosts = await db.Attempts.Where(x => spread.Contains(x.ExperimentId)).Select(x => x.AgentId).Distinct().ToListAsync();
            Assert.True(hosts.Contains(a.Id) && hosts.Contains(b.Id), $"work went only to {string.Join(", ", hosts)}; east log:\n{a.Log}\nwest log:\n{b.Log}");
        }

        // A long run; cut the link of whichever host holds it once it has checkpointed.
        var victim = await platform.SubmitAsync(FaultSpecs.Pretrain(steps: 60, seed: 42));
        string holder = "";
        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            var checkpoint = await db.Checkpoints.AnyAsync(c => c.ExperimentId == victim && c.Kind == "resume" && c.Step >= 10);
            holder = await db.Attempts.Where(x => x.ExperimentId == victim).Select(x => x.AgentId).FirstOrDefaultAsync() ?? "";
            return checkpoint;
        }, TimeSpan.FromMinutes(3), () => "no checkpoint of the long run");
        var (cut, survivor) = holder == a.Id ? (east, b) : (west, a);
        await cut.CutLink();
        await platform.WaitForStatusAsync(victim, "Succeeded", TimeSpan.FromMinutes(4));

        // The twin: the same configuration, trained straight through on the surviving host.
        var twin = await platform.SubmitAsync(FaultSpecs.Pretrain(steps: 60, seed: 42));
        await platform.WaitForStatusAsync(twin, "Succeeded", TimeSpan.FromMinutes(4));

        await using (var db = platform.Db())
        {
            var attempts = await db.Attempts.Where(x => x.ExperimentId == victim).OrderBy(x => x.Number).ToListAsync();
            Assert.Equal(holder, attempts[0].AgentId);
            Assert.Equal(ExperimentStatus.Lost, attempts[0].Status);
            Assert.Equal(survivor.Id, attempts[^1].AgentId);
            Assert.True(attempts[^1].StartStep >= 10, $"the run restarted at step {attempts[^1].StartStep} instead of resuming");
            var weights = await db.Experiments.Where(e => e.Id == victim || e.Id == twin).Select(e => new { e.Id, Hash = e.BackboneBlob ?? e.OutputBlob }).ToListAsync();
            Assert.All(weights, w => Assert.NotNull(w.Hash));
            Assert.True(weights[0].Hash == weights[1].Hash, "the resumed run's weights differ from its uninterrupted twin's");
        }
    }
}
