using System.Collections.Concurrent;
using AdapterLab.Contracts.Messages;
using AdapterLab.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace AdapterLab.Bench.Perf;

/// <summary>
/// Dry-run agents by the thousand for the fleet benchmark. Each is a real agent as the platform sees it: its own agent
/// token, its own broker connection as <c>agent:&lt;id&gt;</c> (the web's HTTP auth backend admits it; RabbitMQ checks the
/// <c>user_id</c> of everything it publishes), its own queue and exchange, least privilege. It announces itself and
/// heartbeats its attempts every <see cref="HeartbeatInterval"/> (the real agent's cadence), accepts
/// <see cref="RunExperiment"/> only from the orchestrator's broker user, reports the attempt started and prepared, holds
/// it while the fleet is told to (<see cref="Hold"/>), succeeds, and announces its free slot at once — what <c>training.dryRun</c> does on a real
/// agent, without a process per agent. The orchestrator cannot tell them from real agents.
/// </summary>
public sealed class SimulatedFleet(RabbitMqOptions broker, bool quorumQueues, string pool, string orchestratorUser) : IAsyncDisposable
{
    private readonly RabbitMqOptions broker = broker;
    private readonly bool quorumQueues = quorumQueues;
    private readonly string pool = pool;
    private readonly string orchestratorUser = orchestratorUser;
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);

    private readonly List<Agent> agents = [];
    private readonly CancellationTokenSource stop = new();

    private CancellationTokenSource? holding;

    /// <summary>From now on every agent holds the attempts it gets (heartbeating them) until <see cref="Release"/>.</summary>
    public void Hold() => holding = new CancellationTokenSource();

    /// <summary>Every held attempt succeeds now, and new ones succeed at once (a real dry run's course).</summary>
    public void Release()
    {
        var h = holding;
        holding = null;
        h?.Cancel();
    }

    public long Published => Interlocked.Read(ref published);
    public long PublishFailures => Interlocked.Read(ref publishFailures);
    public long Accepted => Interlocked.Read(ref accepted);
    public long Refused => Interlocked.Read(ref refused);
    public long Cancels => Interlocked.Read(ref cancels);
    public long ConnectRetries => Interlocked.Read(ref connectRetries);

    /// <summary>Failed publishes by message type and error (the first 120 characters of its message).</summary>
    public IReadOnlyDictionary<string, int> FailureKinds => failureKinds;
    private readonly ConcurrentDictionary<string, int> failureKinds = new();
    public int Count => agents.Count;
    public int Holding => agents.Sum(a => a.Held.Count);

    private long published, publishFailures, accepted, refused, cancels, connectRetries;

    /// <summary>Connects agents (at most <paramref name="parallel"/> logins at once: each asks the web through the broker).</summary>
    public async Task ConnectAsync(IReadOnlyList<(string Id, string Token)> identities, int parallel, CancellationToken ct)
    {
        using var gate = new SemaphoreSlim(parallel);
        var connected = await Task.WhenAll(identities.Select(async (identity, i) =>
        {
            await gate.WaitAsync(ct);
            try
            {
                // A login the broker refuses once (its auth backend, the web, busy with the others) is tried again.
                for (int attempt = 1; ; attempt++)
                {
                    var agent = new Agent(this, identity.Id);
                    try
                    {
                        await agent.ConnectAsync(identity.Token, ct);
                        return agent;
                    }
                    catch (Exception) when (attempt < 3 && !ct.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref connectRetries);
                        await agent.StopAsync();
                        await Task.Delay(TimeSpan.FromSeconds(attempt), ct);
                    }
                }
            }
            finally { gate.Release(); }
        }));
        lock (agents) agents.AddRange(connected);
        // Heartbeats spread evenly over the interval, as independent agents' would be.
        for (int i = 0; i < connected.Length; i++)
        {
            var offset = TimeSpan.FromMilliseconds(HeartbeatInterval.TotalMilliseconds * i / connected.Length);
            var a = connected[i];
            a.Loop = Task.Run(() => a.HeartbeatLoopAsync(offset, stop.Token));
        }
    }

    /// <summary>Every agent says it is stopping (the orchestrator stops dispatching to it) and disconnects.</summary>
    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        Release();
        foreach (var chunk in agents.Chunk(32))
            await Task.WhenAll(chunk.Select(a => a.StopAsync()));
        stop.Dispose();
    }

    private sealed class Agent(SimulatedFleet fleet, string id)
    {
        private IConnection? connection;
        private IChannel? channel;
        private string queue = "";
        private string source = "";
        public readonly ConcurrentDictionary<(Guid Experiment, int Attempt), byte> Held = new();
        public Task? Loop;

        public async Task ConnectAsync(string token, CancellationToken ct)
        {
            var o = fleet.broker;
            var factory = new ConnectionFactory
            {
                HostName = o.Host, Port = o.Port, VirtualHost = o.VirtualHost, UserName = SenderIdentity.AgentUser(id), Password = token,
                ClientProvidedName = $"bench fleet agent {id}", AutomaticRecoveryEnabled = false, RequestedHeartbeat = TimeSpan.FromSeconds(60),
            };
            connection = await factory.CreateConnectionAsync(ct);
            channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
            // Its queue as MassTransit's receive endpoint declares it: an exchange of the same name bound to the queue
            // (the orchestrator sends to the exchange, QueueNames.AgentAddress).
            queue = QueueNames.Agent(o.QueuePrefix, id);
            source = $"rabbitmq://{o.Host}:{o.Port}/{o.VirtualHost}/{queue}";
            await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                arguments: fleet.quorumQueues ? new Dictionary<string, object?> { ["x-queue-type"] = "quorum" } : null, cancellationToken: ct);
            await channel.QueueBindAsync(queue, queue, "", cancellationToken: ct);
            await channel.BasicQosAsync(0, 16, false, ct);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += OnDeliveryAsync;
            await channel.BasicConsumeAsync(queue, autoAck: false, consumer, ct);
        }

        private async Task OnDeliveryAsync(object sender, BasicDeliverEventArgs ea)
        {
            // Only the orchestrator may tell an agent anything (the real agent's OrchestratorOnlyFilter).
            bool fromOrchestrator = ea.BasicProperties.UserId == fleet.orchestratorUser;
            var run = fromOrchestrator ? RawEnvelope.Read<RunExperiment>(ea.Body) : null;
            var cancel = fromOrchestrator && run is null ? RawEnvelope.Read<CancelAttempt>(ea.Body) : null;
            await channel!.BasicAckAsync(ea.DeliveryTag, multiple: false);
            if (run is not null)
            {
                Interlocked.Increment(ref fleet.accepted);
                _ = Task.Run(() => RunAsync(run));
            }
            // A cancel for an attempt that already ended here (an announcement listed it just before it succeeded): the
            // real agent ignores those too.
            else if (cancel is not null) Interlocked.Increment(ref fleet.cancels);
            else Interlocked.Increment(ref fleet.refused);
        }

        private async Task RunAsync(RunExperiment m)
        {
            var startedAt = DateTimeOffset.UtcNow;
            Held[(m.ExperimentId, m.AttemptNumber)] = 0;
            try
            {
                await PublishAsync(new AttemptStarted
                {
                    ExperimentId = m.ExperimentId, AttemptNumber = m.AttemptNumber, AgentId = id, StartedAt = startedAt, Preparing = true,
                    Provenance = new Provenance { Device = "none (simulated agent)" },
                });
                await PublishAsync(new AttemptPrepared
                {
                    ExperimentId = m.ExperimentId, AttemptNumber = m.AttemptNumber, AgentId = id, StartedAt = startedAt, PreparedAt = DateTimeOffset.UtcNow,
                    Provenance = new Provenance { Device = "none (simulated agent)" },
                });
                if (fleet.holding is { } hold)
                {
                    using var either = CancellationTokenSource.CreateLinkedTokenSource(hold.Token, fleet.stop.Token);
                    await Task.Delay(Timeout.Infinite, either.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                    fleet.stop.Token.ThrowIfCancellationRequested();
                }
                await PublishAsync(new AttemptSucceeded { ExperimentId = m.ExperimentId, AttemptNumber = m.AttemptNumber, FinishedAt = DateTimeOffset.UtcNow });
            }
            catch (OperationCanceledException)
            {
                return;
            }
            finally
            {
                Held.TryRemove((m.ExperimentId, m.AttemptNumber), out _);
            }
            // The slot is free: say so at once, as the real agent does after an attempt ends.
            await PublishAsync(Announcement());
        }

        public async Task HeartbeatLoopAsync(TimeSpan offset, CancellationToken ct)
        {
            try
            {
                await Task.Delay(offset, ct);
                using var timer = new PeriodicTimer(HeartbeatInterval);
                do
                {
                    // The announcement lists the held attempts: it is their heartbeat, as the real agent's is.
                    await PublishAsync(Announcement());
                }
                while (await timer.WaitForNextTickAsync(ct));
            }
            catch (OperationCanceledException)
            {
            }
        }

        private AgentAnnounced Announcement() => new()
        {
            AgentId = id, Pool = fleet.pool, Device = "cpu", DeviceName = "simulated", Host = "bench-fleet", Slots = 1,
            FreeSlots = Math.Max(0, 1 - Held.Count), QueueName = queue, Version = "bench",
            Running = Held.Keys.Select(k => new RunningAttempt(k.Experiment, k.Attempt, 0)).ToList(), SentAt = DateTimeOffset.UtcNow,
        };

        private async Task PublishAsync<T>(T message) where T : class
        {
            var messageId = Guid.NewGuid();
            var props = new BasicProperties
            {
                ContentType = RawEnvelope.ContentType, MessageId = messageId.ToString(), UserId = SenderIdentity.AgentUser(id),
                DeliveryMode = DeliveryModes.Persistent,
            };
            try
            {
                await channel!.BasicPublishAsync(RawEnvelope.Exchange<T>(fleet.broker.QueuePrefix), "", mandatory: false, props,
                    RawEnvelope.Serialize(message, messageId, source));
                Interlocked.Increment(ref fleet.published);
            }
            catch (Exception e)
            {
                // Counted and reported, by kind: a lost heartbeat or report is a finding of the run, not a crash of it.
                Interlocked.Increment(ref fleet.publishFailures);
                var kind = $"{typeof(T).Name}: {e.GetType().Name}: {e.Message[..Math.Min(e.Message.Length, 120)]}";
                fleet.failureKinds.AddOrUpdate(kind, 1, (_, n) => n + 1);
            }
        }

        public async Task StopAsync()
        {
            if (Loop is not null) await Loop;
            try
            {
                if (channel is { IsOpen: true })
                {
                    await PublishAsync(new AgentStopping { AgentId = id, SentAt = DateTimeOffset.UtcNow });
                    // A benchmark's agents leave nothing on the broker (a real agent keeps its queue across restarts).
                    await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
                    await channel.ExchangeDeleteAsync(queue, ifUnused: false);
                    await channel.CloseAsync();
                }
                if (connection is { IsOpen: true }) await connection.CloseAsync();
            }
            catch (Exception)
            {
                // Already gone: the orchestrator finds it stale.
            }
            channel?.Dispose();
            connection?.Dispose();
        }
    }
}
