using System.Diagnostics;
using AdapterLab.Bench.Perf;
using AdapterLab.Bench.Runner;
using AdapterLab.Contracts.Messages;
using MassTransit;
using Npgsql;
using NpgsqlTypes;

namespace AdapterLab.Bench.Scenarios.Perf;

/// <summary>
/// Scenario 5, event ingestion: N simulated agents publish batched <see cref="AttemptProgressed"/> messages straight to
/// the broker (as the agent does, through MassTransit) for N running experiments created in the database; the figure is
/// metric-point rows landed in PostgreSQL per second (first publish → last row counted), next to the publish rate of the
/// same messages in the same run. Target ≥ 5,000 points/s. The experiments are removed afterwards.
/// </summary>
public sealed class PerfIngestScenario(PlatformClient client, string resultsDir, bool quick) : IScenario
{
    public string Name => "perf-ingest";

    public async Task RunAsync(CancellationToken ct)
    {
        _ = client;
        var report = new PerfReport(Name, quick);
        // N = 4 agents, as the target is stated; the full run sends more per agent (a longer steady state) and repeats.
        int agents = 4, messagesPerAgent = quick ? 50 : 400, pointsPerMessage = 50;
        int repeats = quick ? 1 : 3;
        var o = PlatformEnv.Rabbit() ?? throw new InvalidOperationException("RabbitMq__* is not set (./platform bench sets it)");
        // Each simulated agent publishes as its own broker identity (the orchestrator accepts a report only from the
        // agent holding the attempt), through a bus of its own, stamped like the agent's.
        var identities = PlatformEnv.BenchAgents();
        if (identities.Count < agents) throw new InvalidOperationException($"ADAPTERLAB_BENCH_AGENTS names {identities.Count} simulated agents, {agents} needed (./platform bench perf-ingest creates them)");
        var buses = new List<IBusControl>();
        foreach (var (agentId, password) in identities.Take(agents))
        {
            var user = AdapterLab.Messaging.SenderIdentity.AgentUser(agentId);
            var b = Bus.Factory.CreateUsingRabbitMq(cfg =>
            {
                cfg.Host(o.Host, (ushort)o.Port, o.VirtualHost, h =>
                {
                    h.Username(user);
                    h.Password(password);
                    h.PublisherConfirmation = true;
                });
                AdapterLab.Messaging.BusRegistration.ApplyConventions(cfg, user, "");
            });
            await b.StartAsync(ct);
            buses.Add(b);
        }
        var rates = new List<double>();
        var publishRates = new List<double>();
        try
        {
            for (int r = 0; r < repeats; r++)
            {
                var ids = await HeldAttempts.CreateAsync(identities.Take(agents).Select(i => i.AgentId).ToList(), "bench-ingest", ct);
                try
                {
                    long expected = (long)agents * messagesPerAgent * pointsPerMessage;
                    var clock = Stopwatch.StartNew();
                    await Task.WhenAll(ids.Select((id, a) => Task.Run(async () =>
                    {
                        // Each agent keeps a few publishes in flight, as a reporting agent with a send buffer would.
                        var inflight = new List<Task>();
                        for (int m = 0; m < messagesPerAgent; m++)
                        {
                            var points = new List<MetricPoint>(pointsPerMessage);
                            for (int p = 0; p < pointsPerMessage; p++)
                            {
                                long step = (long)m * pointsPerMessage + p + 1;
                                points.Add(new MetricPoint(step, "train", "classification", "synthetic", "loss", 1.0 / step));
                            }
                            inflight.Add(buses[a].Publish(new AttemptProgressed
                            {
                                ExperimentId = id, AttemptNumber = 1, Step = (long)(m + 1) * pointsPerMessage, TotalSteps = (long)messagesPerAgent * pointsPerMessage,
                                Points = points, ImagesPerSecond = 100,
                            }, ct));
                            if (inflight.Count >= 8) { await Task.WhenAll(inflight); inflight.Clear(); }
                        }
                        await Task.WhenAll(inflight);
                    }, ct)));
                    double published = clock.Elapsed.TotalSeconds;
                    publishRates.Add(expected / published);
                    long landed = 0;
                    var deadline = clock.Elapsed + TimeSpan.FromSeconds(quick ? 120 : 300);
                    while (clock.Elapsed < deadline)
                    {
                        landed = await PlatformEnv.ScalarAsync<long>("SELECT count(*) FROM metric_points WHERE experiment_id = ANY(@ids)", ct, ("ids", ids));
                        if (landed >= expected) break;
                        await Task.Delay(50, ct);
                    }
                    double seconds = clock.Elapsed.TotalSeconds;
                    rates.Add(landed / seconds);
                    Console.WriteLine($"  round {r + 1}: {landed}/{expected} points in {seconds:0.00} s ({landed / seconds:0} points/s); published in {published:0.00} s");
                    if (landed < expected) report.Note($"round {r + 1}: only {landed} of {expected} points landed before the deadline");
                }
                finally
                {
                    await HeldAttempts.RemoveAsync(ids, ct);
                }
            }
        }
        finally
        {
            foreach (var b in buses) await b.StopAsync(CancellationToken.None);
        }
        var landedRate = Distribution.Of(rates);
        var publishRate = Distribution.Of(publishRates);
        report.Add(new Figure($"metric points persisted per second ({agents} agents, {pointsPerMessage} points per message)", landedRate.Median, "points/s")
        {
            Reference = "publish rate of the same messages (points/s)", ReferenceValue = publishRate.Median, Ratio = landedRate.Median / publishRate.Median,
            Target = "≥ 5,000 points/s", Met = landedRate.Median >= 5000, Repeats = rates.Count,
            Note = $"{(double)agents * messagesPerAgent / (agents * messagesPerAgent * (double)pointsPerMessage / landedRate.Median):0} progress messages/s",
        });
        await report.WriteAsync(resultsDir, ct);
    }
}
