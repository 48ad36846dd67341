using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using AdapterLab.Messaging;
using AdapterLab.Orchestrator.Lifecycle;
using AdapterLab.Orchestrator.Scheduling;
using AdapterLab.Orchestrator.Telemetry;
using AdapterLab.ServiceDefaults.Resilience;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace AdapterLab.Orchestrator.Fleet;

/// <summary>
/// The fleet queue's consumer: agents' announcements, heartbeats and stops — a message per agent every few seconds, a
/// couple of hundred a second from a thousand agents. They are read straight off the broker (RabbitMQ.Client), not
/// through MassTransit's receive pipeline: bench perf-fleet profiled that pipeline at ~650 µs of orchestrator CPU per
/// message, most of it thread hand-offs and one acknowledgement per message, for a message whose whole work is a line in a
/// grouped write. Here the queue is read in rounds (<see cref="ReadAsync"/>): each takes whatever has arrived since the
/// last, checks each sender (<see cref="SenderPolicy"/>, the same boundary as the bus's), stores the reports in one write
/// (<see cref="FleetReportWriter"/>) and acknowledges them all with one multiple-ack: a few wake-ups, a write and an
/// acknowledgement per round, not per message. At least once, as on the bus: a failed write is negatively acknowledged
/// and redelivered; applying a report twice changes nothing. How far the queue has been read is kept for the lease
/// reaper (<see cref="FleetReadHorizon"/>). The topology is MassTransit's own (the queue, its endpoint exchange and the
/// message types' exchanges), so senders publish exactly as before. Unreadable messages are logged and dropped.
/// </summary>
public sealed class FleetIngest(RabbitMqOptions rabbit, IOptions<OrchestratorOptions> options, IDbContextFactory<PlatformDbContext> dbFactory,
    SenderPolicy policy, FleetReportWriter writer, DispatchSignal signal, FleetView fleet, FleetReadHorizon horizon, IBus bus, OrchestratorMetrics metrics,
    TimeProvider time, ILogger<FleetIngest> log) : BackgroundService, IHealthCheck
{
    private volatile bool _consuming;

    /// <summary>Readiness: ready while a session consumes the fleet queue (agents' heartbeats are being read).</summary>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) => Task.FromResult(_consuming
        ? HealthCheckResult.Healthy($"consuming {Queue}")
        : HealthCheckResult.Unhealthy($"not consuming {Queue} (connecting to the broker)"));

    private sealed record Delivery(ulong Tag, string? Sender, FleetEnvelope.Read Read);

    /// <summary>The fleet queue (MassTransit's endpoint name for it, under the platform's prefix).</summary>
    public string Queue => QueueNames.OrchestratorFleet(rabbit.QueuePrefix);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Connecting is retried with the platform's back-off; a session that ends (the broker restarted, the connection
        // dropped) starts the next one at once, with a fresh back-off.
        var reconnect = RetryPipelines.Transient(time, _ => true, log, "Connecting the fleet queue's consumer", maxRetries: int.MaxValue);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await reconnect.ExecuteAsync(async ct => await ConsumeAsync(ct), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.LogWarning(ex, "The fleet queue's consumer stopped; reconnecting");
            }
        }
    }

    /// <summary>One session: connects, declares the topology, consumes until the connection or the host ends.</summary>
    private async Task ConsumeAsync(CancellationToken ct)
    {
        // Named after its queue (one per platform on a shared broker); recovery is this service's own loop.
        var factory = rabbit.ConnectionFactory(Queue);
        factory.AutomaticRecoveryEnabled = false;
        factory.RequestedConnectionTimeout = TimeSpan.FromSeconds(10);
        await using var connection = await factory.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        await DeclareAsync(channel, ct);
        await channel.BasicQosAsync(0, (ushort)RoundSize, false, ct);

        log.LogInformation("Reading the fleet queue {Queue} every {Interval} ms", Queue, options.Value.FleetReadInterval.TotalMilliseconds);
        horizon.SessionStarted();
        _consuming = true;
        long started = time.GetTimestamp();
        try
        {
            await ReadAsync(channel, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && !channel.IsOpen)
        {
            log.LogDebug(ex, "The fleet queue's channel closed during a round");
        }
        finally
        {
            _consuming = false;
        }
        // The broker closed the channel or the connection. A session that ended at once (say, a channel error that
        // recurs) is a failure to back off from, not a reason to reconnect in a tight loop.
        var lasted = time.GetElapsedTime(started);
        log.LogWarning("The fleet queue's session ended after {Lasted}: {Reason}", lasted, channel.CloseReason?.ToString() ?? connection.CloseReason?.ToString());
        if (lasted < TimeSpan.FromSeconds(10)) throw new IOException($"the fleet queue's session ended after {lasted.TotalSeconds:F1} s: {channel.CloseReason}");
    }

    /// <summary>MassTransit's topology for the fleet queue, declared as MassTransit declares it (idempotent on a broker that has it).</summary>
    private async Task DeclareAsync(IChannel channel, CancellationToken ct)
    {
        var arguments = rabbit.QuorumQueues ? new Dictionary<string, object?> { ["x-queue-type"] = "quorum" } : null;
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, arguments: arguments, cancellationToken: ct);
        await channel.ExchangeDeclareAsync(Queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
        await channel.QueueBindAsync(Queue, Queue, "", cancellationToken: ct);
        foreach (var exchange in new[] { bus.Topology.Message<AgentAnnounced>().EntityName, bus.Topology.Message<AttemptHeartbeat>().EntityName, bus.Topology.Message<AgentStopping>().EntityName })
        {
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
            await channel.ExchangeBindAsync(Queue, exchange, "", cancellationToken: ct);
        }
    }

    /// <summary>
    /// Reads the queue in rounds, not message by message: every <see cref="OrchestratorOptions.FleetReadInterval"/> it asks
    /// the broker how many reports wait (one round trip; an idle fleet costs nothing more), consumes until that many have
    /// arrived — the broker sends them back to back, a few socket reads for hundreds — cancels the consumer, stores them
    /// and acknowledges them with one multiple-ack. A consumer left registered would instead receive each report the
    /// moment it is published: a thousand agents' evenly spread announcements arrive one at a time, each costing the
    /// socket's wake-up and two thread hand-offs, which bench perf-fleet profiled as most of the orchestrator's CPU under
    /// a fleet.
    /// </summary>
    private async Task ReadAsync(IChannel channel, CancellationToken ct)
    {
        var interval = options.Value.FleetReadInterval;
        while (!ct.IsCancellationRequested)
        {
            var at = time.GetUtcNow();
            var waiting = (await channel.QueueDeclarePassiveAsync(Queue, ct)).MessageCount;
            horizon.RoundStarted(at, waiting);
            if (waiting > 0) await StoreAsync(channel, await TakeAsync(channel, Math.Min(waiting, RoundSize), ct), ct);
            await Task.Delay(interval, time, ct);
        }
    }

    /// <summary>
    /// Consumes until <paramref name="expected"/> reports have arrived (or <see cref="RoundLimit"/> has passed), then
    /// cancels the consumer; returns every report delivered before the cancellation took effect (at most the prefetch).
    /// </summary>
    private async Task<List<Delivery>> TakeAsync(IChannel channel, uint expected, CancellationToken ct)
    {
        var taken = new List<Delivery>((int)expected);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var unregistered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(channel);
        // The client hands a consumer its deliveries and then its cancellation's confirmation one at a time, in order.
        consumer.ReceivedAsync += (_, d) =>
        {
            // The body is only valid during this call: read it here (a few microseconds).
            taken.Add(new Delivery(d.DeliveryTag, d.BasicProperties.UserId, FleetEnvelope.Parse(d.Body.Span, d.BasicProperties.ContentType)));
            if (taken.Count >= expected) arrived.TrySetResult();
            return Task.CompletedTask;
        };
        consumer.UnregisteredAsync += (_, _) =>
        {
            unregistered.TrySetResult();
            return Task.CompletedTask;
        };
        var tag = await channel.BasicConsumeAsync(Queue, autoAck: false, consumer, ct);
        await arrived.Task.WaitAsync(RoundLimit, time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await channel.BasicCancelAsync(tag, noWait: false, ct);
        // Once the consumer is unregistered, every delivery the broker sent it is in the list.
        await unregistered.Task.WaitAsync(TimeSpan.FromSeconds(30), time, ct);
        return taken;
    }

    /// <summary>
    /// The most reports one round takes: the broker's prefetch, so the round never exceeds what one write takes (the
    /// consumer is cancelled after the count it asked for, but whatever the broker sent before that is in the round too).
    /// </summary>
    private uint RoundSize => (uint)Math.Clamp(options.Value.FleetPrefetch, 1, FleetReportWriter.MaxBatch);

    /// <summary>How long one round waits for the reports the broker said were waiting.</summary>
    private static readonly TimeSpan RoundLimit = TimeSpan.FromMilliseconds(250);

    /// <summary>Stores a round's reports and acknowledges them; on failure they go back to the queue.</summary>
    private async Task StoreAsync(IChannel channel, List<Delivery> batch, CancellationToken ct)
    {
        if (batch.Count == 0) return;
        try
        {
            await ApplyAsync(batch, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            log.LogWarning(ex, "Could not store {Count} fleet reports; they go back to the queue", batch.Count);
            if (channel.IsOpen) await channel.BasicNackAsync(batch[^1].Tag, multiple: true, requeue: true, ct);
            await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
            return;
        }
        await channel.BasicAckAsync(batch[^1].Tag, multiple: true, ct);
        horizon.Stored(batch.Count);
    }

    /// <summary>Checks and stores a batch of deliveries; returns once every accepted one is stored (or is found unstorable on its own).</summary>
    private async Task ApplyAsync(IReadOnlyList<Delivery> batch, CancellationToken ct)
    {
        var accepted = new List<object>(batch.Count);
        // Stop notices: applied after the batch's write (the announcement's upsert ends an agent's stop only when the
        // announcement was sent after the stop notice, by the times the agent put on them).
        var stops = new List<AgentStopping>();
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            foreach (var d in batch)
            {
                if (d.Read.Message is not { } message)
                {
                    log.LogWarning("Dropped an unreadable message {MessageId} from {Sender} on the fleet queue: {Reason}", d.Read.MessageId, d.Sender ?? "(none)", d.Read.Error);
                    metrics.FleetReports("unreadable", "dropped");
                    continue;
                }
                if (await policy.RefusalAsync(db, d.Sender, message, ct) is { } reason)
                {
                    await policy.RecordAsync(db, d.Sender, message, d.Read.MessageId, reason, ct);
                    metrics.FleetReports(message.GetType().Name, "refused");
                    continue;
                }
                if (message is AgentStopping s) stops.Add(s);
                else accepted.Add(message);
            }
        }

        if (accepted.Count > 0)
        {
            var outcomes = await WriteAsync(accepted, ct);
            for (int i = 0; i < accepted.Count; i++)
            {
                if (outcomes[i] is not { } outcome) continue;
                metrics.FleetReports(accepted[i].GetType().Name, "stored");
                if (accepted[i] is AgentAnnounced a) await AnnouncedAsync(a, outcome, ct);
            }
        }
        await StopAsync(stops, accepted, ct);
    }

    /// <summary>
    /// Marks agents stopped as of their stop notices' times (the agent's clock, as on its announcements): an announcement
    /// sent before the notice — still in flight, or redelivered — arriving later does not revive the agent (the upsert
    /// compares the times); one sent after it, in this batch or a later one, is a restart under that identity and does.
    /// A stop notice that arrives after its agent's restart was announced (a redelivery) stops it until its next
    /// announcement, a heartbeat interval.
    /// </summary>
    private async Task StopAsync(List<AgentStopping> stops, List<object> accepted, CancellationToken ct)
    {
        if (stops.Count == 0) return;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        foreach (var stop in stops)
        {
            var at = stop.SentAt == default ? time.GetUtcNow() : stop.SentAt.ToUniversalTime();
            if (accepted.Any(m => m is AgentAnnounced a && a.AgentId == stop.AgentId && a.SentAt > at)) continue;
            await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE agents SET stopped = true, stopped_at = GREATEST(stopped_at, {at}) WHERE id = {stop.AgentId}", ct);
            metrics.FleetReports(nameof(AgentStopping), "stored");
        }
    }

    /// <summary>
    /// One write for the batch; when it fails, each report on its own, so one report the database refuses does not hold
    /// back the rest (it is logged and dropped: null). When none can be stored (the database is down), the failure goes
    /// to the caller, and the batch back to the queue.
    /// </summary>
    private async Task<FleetReportWriter.AnnouncementOutcome?[]> WriteAsync(List<object> accepted, CancellationToken ct)
    {
        try
        {
            return await writer.WriteAsync(accepted, ct);
        }
        catch (Exception ex) when (accepted.Count > 1 && !ct.IsCancellationRequested)
        {
            log.LogWarning(ex, "A write of {Count} fleet reports failed; writing them one at a time", accepted.Count);
        }
        var outcomes = new FleetReportWriter.AnnouncementOutcome?[accepted.Count];
        Exception? last = null;
        for (int i = 0; i < accepted.Count; i++)
        {
            try
            {
                outcomes[i] = (await writer.WriteAsync([accepted[i]], ct))[0];
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                last = ex;
                log.LogError(ex, "Dropped a fleet report the database refused: {Report}", accepted[i]);
                metrics.FleetReports(accepted[i].GetType().Name, "dropped");
            }
        }
        if (last is not null && outcomes.All(o => o is null)) throw last;
        return outcomes;
    }

    /// <summary>
    /// After an announcement is stored (an upsert; an older announcement never overwrites a newer one): wakes the
    /// dispatcher only when it brought capacity it had not seen — every idle agent re-announcing its free slot every few
    /// seconds would otherwise run a dispatch pass per announcement — and tells the agent to stop any attempt it still
    /// runs that has moved on without it.
    /// </summary>
    private async Task AnnouncedAsync(AgentAnnounced m, FleetReportWriter.AnnouncementOutcome outcome, CancellationToken ct)
    {
        if (outcome.NewCapacity)
        {
            fleet.Changed();
            signal.Raise();
        }
        foreach (var r in outcome.Superseded)
        {
            var endpoint = await bus.GetSendEndpoint(QueueNames.AgentAddress(m.QueueName));
            await endpoint.Send(new CancelAttempt { ExperimentId = r.ExperimentId, AttemptNumber = r.AttemptNumber }, ct);
        }
    }
}
