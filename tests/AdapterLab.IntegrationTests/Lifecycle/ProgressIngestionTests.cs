using AdapterLab.Contracts.Messages;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.Messaging;
using AdapterLab.Orchestrator.Results;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace AdapterLab.IntegrationTests.Lifecycle;

/// <summary>
/// Progress reports are stored in batches (one statement for many reports): duplicates within a batch, across batches
/// and from the broker store each point once; reports of a superseded or lost attempt are fenced off; a later attempt's
/// value replaces an earlier attempt's.
/// </summary>
[Collection(SharedPlatformCollection.Name)]
public sealed class ProgressIngestionTests(SharedPlatform platform) : IAsyncLifetime
{
    private readonly List<Guid> _created = [];

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>The experiments a test made up leave the shared platform again.</summary>
    public async Task DisposeAsync()
    {
        if (_created.Count == 0) return;
        await using var db = platform.Db();
        var ids = _created.ToArray();
        await db.MetricPoints.Where(p => ids.Contains(p.ExperimentId)).ExecuteDeleteAsync();
        await db.AttemptLogLines.Where(l => ids.Contains(l.ExperimentId)).ExecuteDeleteAsync();
        await db.Experiments.Where(e => ids.Contains(e.Id)).ExecuteDeleteAsync(); // attempts cascade
    }

    [Fact]
    public async Task A_batch_with_duplicates_and_a_lost_attempt_stores_each_live_point_once()
    {
        var resumed = await CreateRunningAsync(attempt: 2, lostAttempts: 1);
        var other = await CreateRunningAsync(attempt: 1);
        await using (var db = platform.Db())
        {
            // Attempt 1 measured step 1 before it was lost; attempt 2 measures it again after resuming.
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO metric_points (experiment_id, name, split, task, domain, step, attempt_number, value)
                VALUES ({resumed}, 'loss', 'train', 'classification', 'synthetic', 1, 1, 99.0)
                """);
        }
        var first = Report(resumed, 2, from: 1, to: 10, value: s => 1.0 / s);
        var overlapping = Report(resumed, 2, from: 6, to: 15, value: s => 1.0 / s);
        var fromLostAttempt = Report(resumed, 1, from: 100, to: 105, value: _ => 7.0);
        var otherReport = Report(other, 1, from: 1, to: 5, value: s => s);
        var batch = new[] { first, first, overlapping, fromLostAttempt, otherReport, overlapping };

        var writer = platform.OrchestratorServices.GetRequiredService<MetricPointWriter>();
        var news = await writer.WriteAsync(batch, CancellationToken.None);
        var again = await writer.WriteAsync(batch, CancellationToken.None); // the whole batch redelivered

        await using var check = platform.Db();
        var points = await check.MetricPoints.AsNoTracking().Where(p => p.ExperimentId == resumed).OrderBy(p => p.Step).ToListAsync();
        Assert.Equal(Enumerable.Range(1, 15).Select(s => (long)s), points.Select(p => p.Step));
        Assert.All(points, p => Assert.Equal(2, p.AttemptNumber));
        Assert.All(points, p => Assert.Equal(1.0 / p.Step, p.Value, 12)); // step 1: attempt 2's value replaced attempt 1's 99
        Assert.Equal(5, await check.MetricPoints.CountAsync(p => p.ExperimentId == other));

        var e = await check.Experiments.AsNoTracking().SingleAsync(x => x.Id == resumed);
        Assert.Equal(15, e.Step);
        Assert.Equal(15, (await check.Attempts.AsNoTracking().SingleAsync(a => a.ExperimentId == resumed && a.Number == 2)).Step);
        Assert.Equal(0, (await check.Attempts.AsNoTracking().SingleAsync(a => a.ExperimentId == resumed && a.Number == 1)).Step);

        // One piece of news per live experiment, with the batch's last report of it; none for the lost attempt's report.
        foreach (var result in new[] { news, again })
        {
            Assert.Null(result[3]);
            Assert.Single(result, n => n?.ExperimentId == resumed);
            Assert.Single(result, n => n?.ExperimentId == other);
            Assert.Equal(15, result[5]!.Step);
            Assert.Equal("Running", result[5]!.Status);
        }
    }

    [Fact]
    public async Task Reports_delivered_twice_over_the_broker_store_each_point_once()
    {
        var id = await CreateRunningAsync(attempt: 1);
        await using var agent = await AgentBusAsync();
        var bus = agent.Bus;
        var reports = Enumerable.Range(0, 40).Select(i => Report(id, 1, from: i * 25 + 1, to: i * 25 + 25, value: s => 1.0 / s)).ToList();
        // Every report twice, all at once: the orchestrator groups what arrives together.
        await Task.WhenAll(reports.Concat(reports).Select(r => bus.Publish(r)));

        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.Experiments.AsNoTracking().Where(e => e.Id == id).Select(e => e.Step).SingleAsync() == 1000
                   && await db.MetricPoints.CountAsync(p => p.ExperimentId == id) == 1000;
        }, TimeSpan.FromMinutes(1), () => "not every point landed");
        await using var check = platform.Db();
        var steps = await check.MetricPoints.AsNoTracking().Where(p => p.ExperimentId == id).Select(p => p.Step).OrderBy(s => s).ToListAsync();
        Assert.Equal(Enumerable.Range(1, 1000).Select(s => (long)s), steps);
    }

    [Fact]
    public async Task A_binding_an_older_orchestrator_left_to_the_lifecycle_queue_is_removed()
    {
        var bus = platform.OrchestratorServices.GetRequiredService<IBus>();
        var rabbit = platform.OrchestratorServices.GetRequiredService<AdapterLab.Messaging.RabbitMqOptions>();
        var source = bus.Topology.Message<AttemptProgressed>().EntityName;
        var lifecycle = QueueNames.Orchestrator(rabbit.QueuePrefix);
        var factory = new ConnectionFactory { HostName = rabbit.Host, Port = rabbit.Port, VirtualHost = rabbit.VirtualHost, UserName = rabbit.Username, Password = rabbit.Password };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var id = await CreateRunningAsync(attempt: 1);

        // What an older orchestrator left on the broker: reports also reach the lifecycle queue, which skips them.
        await channel.ExchangeBindAsync(lifecycle, source, "");
        await using var agent = await AgentBusAsync();
        await agent.Bus.Publish(Report(id, 1, from: 1, to: 5, value: s => s));
        await Eventually.TrueAsync(async () => await SkippedAsync() == 1, TimeSpan.FromSeconds(30), () => "the old binding did not deliver to the lifecycle queue");

        var cleanup = new AdapterLab.Orchestrator.Topology.LegacyBindings(bus, rabbit, Microsoft.Extensions.Logging.Abstractions.NullLogger<AdapterLab.Orchestrator.Topology.LegacyBindings>.Instance);
        Assert.True(await cleanup.RemoveAsync(CancellationToken.None) >= 1);
        await agent.Bus.Publish(Report(id, 1, from: 6, to: 10, value: s => s));
        await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.MetricPoints.CountAsync(p => p.ExperimentId == id) == 10;
        }, TimeSpan.FromSeconds(30), () => "the second report did not land");
        await Task.Delay(500);
        Assert.Equal(1u, await SkippedAsync());

        async Task<uint> SkippedAsync()
        {
            await using var probe = await connection.CreateChannelAsync();
            try
            {
                return (await probe.QueueDeclarePassiveAsync(lifecycle + "_skipped")).MessageCount;
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                return 0; // not declared: nothing was ever skipped
            }
        }
    }

    [Fact]
    public async Task Log_lines_over_the_broker_are_stored_once_bounded_and_searchable_through_the_api()
    {
        var id = await CreateRunningAsync(attempt: 1);
        await using var agent = await AgentBusAsync();
        var now = DateTimeOffset.UtcNow;
        var lines = Enumerable.Range(0, 10).Select(i => new LogLine(i, now.AddMilliseconds(i), i == 7 ? "Warning" : "Information", $"line {i} of the attempt"))
            .Append(new LogLine(10, now, "Information", new string('x', 10_000)))          // cut to the stored maximum
            .Append(new LogLine(11, now, "Error", "nul\0inside 100%_done"))                // NUL stripped; LIKE wildcards are literal
            .Append(new LogLine(Data.Entities.AttemptLogLine.MaxLinesPerAttempt, now, "Information", "past the bound")) // dropped
            .Append(new LogLine(-1, now, "Information", "negative"))                         // dropped
            .ToList();
        var batch = new AttemptLogged { ExperimentId = id, AttemptNumber = 1, Lines = lines };
        await Task.WhenAll(agent.Bus.Publish(batch), agent.Bus.Publish(batch));
        async Task LandedAsync(int count) => await Eventually.TrueAsync(async () =>
        {
            await using var db = platform.Db();
            return await db.AttemptLogLines.CountAsync(l => l.ExperimentId == id) == count;
        }, TimeSpan.FromMinutes(1), () => $"not every log line landed (expected {count})");
        await LandedAsync(12);
        // Once stored, a line sent again with other text changes nothing (the progress queue consumes concurrently, so
        // the rewrite goes after the first batch has landed, with a new line that says when it has been handled).
        await agent.Bus.Publish(new AttemptLogged { ExperimentId = id, AttemptNumber = 1, Lines = [new LogLine(3, now, "Error", "rewritten"), new LogLine(12, now, "Information", "marker")] });
        await LandedAsync(13);
        await using (var db = platform.Db())
        {
            var stored = await db.AttemptLogLines.AsNoTracking().Where(l => l.ExperimentId == id).OrderBy(l => l.Sequence).ToListAsync();
            Assert.Equal(Enumerable.Range(0, 13), stored.Select(l => l.Sequence));
            Assert.Equal("line 3 of the attempt", stored[3].Message);
            Assert.Equal(Data.Entities.AttemptLogLine.MaxMessageLength, stored[10].Message.Length);
            Assert.Equal("nulinside 100%_done", stored[11].Message);
        }

        async Task<System.Text.Json.JsonElement> Get(string query)
        {
            using var r = await platform.Api.GetAsync($"/api/experiments/{id}/attempts/1/logs{query}");
            Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
            return System.Text.Json.JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        }
        static List<int> Seqs(System.Text.Json.JsonElement page) => page.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("sequence").GetInt32()).ToList();

        Assert.Equal(Enumerable.Range(0, 13), Seqs(await Get("")));
        var first = await Get("?limit=5");
        Assert.Equal([0, 1, 2, 3, 4], Seqs(first));
        Assert.True(first.GetProperty("more").GetBoolean());
        Assert.Equal([5, 6, 7, 8, 9], Seqs(await Get($"?limit=5&after={first.GetProperty("next").GetInt32()}")));
        Assert.Equal([3], Seqs(await Get("?q=LINE%203")));                 // case-insensitive contains
        Assert.Equal([11], Seqs(await Get("?q=100%25_")));                 // % and _ taken literally
        Assert.Empty(Seqs(await Get("?q=%25%25%25x")));
        Assert.Equal([7, 11], Seqs(await Get("?level=warning,Error")));

        // Bad input names its field; unknown experiments and attempts are 404s.
        foreach (var (query, field) in new[] { ("?after=-2", "after"), ("?limit=0", "limit"), ("?limit=5000", "limit"), ("?level=loud", "level"), ("?q=" + new string('q', 201), "q") })
        {
            using var r = await platform.Api.GetAsync($"/api/experiments/{id}/attempts/1/logs{query}");
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains($"\"{field}\"", await r.Content.ReadAsStringAsync());
        }
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await platform.Api.GetAsync($"/api/experiments/{id}/attempts/2/logs")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await platform.Api.GetAsync($"/api/experiments/{Guid.NewGuid()}/attempts/1/logs")).StatusCode);
    }

    /// <summary>A bus with the broker identity of the (fictitious) agent that holds these tests' attempts: the orchestrator accepts progress only from it.</summary>
    private async Task<AgentBus> AgentBusAsync()
    {
        var settings = await platform.AgentBusSettingsAsync(Agent);
        return await AgentBus.StartAsync(settings);
    }

    private const string Agent = "progress-test";

    private static AttemptProgressed Report(Guid id, int attempt, int from, int to, Func<int, double> value) => new()
    {
        ExperimentId = id,
        AttemptNumber = attempt,
        Step = to,
        TotalSteps = 1000,
        Points = Enumerable.Range(from, to - from + 1).Select(s => new MetricPoint(s, "train", "classification", "synthetic", "loss", value(s))).ToList(),
        ImagesPerSecond = 100,
    };

    /// <summary>A Running experiment whose current attempt (on a fictitious agent, lease a day out) is <paramref name="attempt"/>; earlier ones were lost.</summary>
    private async Task<Guid> CreateRunningAsync(int attempt, int lostAttempts = 0)
    {
        var id = Guid.CreateVersion7();
        _created.Add(id);
        await using var db = platform.Db();
        await db.Database.ExecuteSqlInterpolatedAsync($$"""
            INSERT INTO experiments (id, name, kind, method, preset, dataset, label_family, source_domain, target_domains, tasks, setting, seed, spec_json, spec_hash, configuration_hash, status, priority, pool, tags, submitted_at, updated_at, started_at, attempt_count, step, total_steps, trainable_parameters, total_parameters, cancel_requested, training_failure_retries)
            VALUES ({{id}}, 'progress test', 'pretrain', 'supervised', 'vit-tiny-ci', 'shapesworld', 'largest-shape', 'synthetic', '{}', '{classification}', 'supervised', 1, '{}'::jsonb, md5({{id.ToString()}}), md5({{id.ToString()}}), 'Running', 0, 'progress-test', '{}', now(), now(), now(), {{attempt}}, 0, 1000, 0, 0, false, 0)
            """);
        for (int n = 1; n <= attempt; n++)
        {
            var status = n <= lostAttempts ? "Lost" : "Running";
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO attempts (experiment_id, number, agent_id, status, dispatched_at, started_at, lease_expires_at, step, start_step)
                VALUES ({id}, {n}, 'progress-test', {status}, now(), now(), now() + interval '1 day', 0, 0)
                """);
        }
        return id;
    }
}
