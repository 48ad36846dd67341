using System.Text;
using AdapterLab.Contracts.Messages;
using AdapterLab.Orchestrator.Fleet;
using MassTransit;
using MassTransit.Context;
using MassTransit.Serialization;

namespace AdapterLab.Orchestrator.Tests;

/// <summary>
/// The fleet queue's reader (<see cref="FleetEnvelope"/>) against what MassTransit itself writes — the agents still send
/// through MassTransit — and against hostile bodies: it reads or names why not, and never throws.
/// </summary>
public sealed class FleetEnvelopeTests
{
    private static readonly string ContentType = SystemTextJsonMessageSerializer.JsonContentType.MediaType;

    /// <summary>The bytes MassTransit's serializer puts on the wire for <paramref name="message"/>.</summary>
    private static byte[] Wire<T>(T message) where T : class
    {
        var context = new MessageSendContext<T>(message) { MessageId = NewId.NextGuid() };
        return SystemTextJsonMessageSerializer.Instance.GetMessageBody(context).GetBytes();
    }

    private static readonly AgentAnnounced Announcement = new()
    {
        AgentId = "vm-7", Pool = "gpu", Device = "cuda", DeviceName = "A100", DeviceMemoryBytes = 80L << 30, Host = "node-3", Slots = 2, FreeSlots = 1,
        QueueName = "adapterlab-agent-vm-7", Version = "1.2.3", SentAt = new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero),
        Running = [new RunningAttempt(Guid.NewGuid(), 2, 140)],
    };

    [Fact]
    public void Reads_each_fleet_message_as_MassTransit_writes_it()
    {
        var announced = FleetEnvelope.Parse(Wire(Announcement), ContentType);
        Assert.Null(announced.Error);
        var a = Assert.IsType<AgentAnnounced>(announced.Message);
        Assert.Equal(Announcement with { Running = [] }, a with { Running = [] });
        Assert.Equal(Announcement.Running, a.Running);
        Assert.NotNull(announced.MessageId);

        var beat = new AttemptHeartbeat { ExperimentId = Guid.NewGuid(), AttemptNumber = 3, AgentId = "vm-7", Step = 99, SentAt = DateTimeOffset.UnixEpoch };
        Assert.Equal(beat, FleetEnvelope.Parse(Wire(beat), ContentType).Message);
        Assert.Equal(new AgentStopping { AgentId = "vm-7" }, FleetEnvelope.Parse(Wire(new AgentStopping { AgentId = "vm-7" }), ContentType).Message);
    }

    [Fact]
    public void Names_why_it_cannot_read_a_body()
    {
        Assert.Contains("content type", FleetEnvelope.Parse(Wire(Announcement), "application/json").Error);
        Assert.Contains("content type", FleetEnvelope.Parse(Wire(Announcement), null).Error);
        // A message type the fleet queue does not carry (a result sent to the wrong queue).
        var result = FleetEnvelope.Parse(Wire(new CancelAttempt { ExperimentId = Guid.NewGuid(), AttemptNumber = 1 }), ContentType);
        Assert.Null(result.Message);
        Assert.Contains("not carried by the fleet queue", result.Error);
        Assert.Contains("bytes", FleetEnvelope.Parse(new byte[FleetEnvelope.MaxBytes + 1], ContentType).Error);
        var nullList = System.Text.RegularExpressions.Regex.Replace(Encoding.UTF8.GetString(Wire(Announcement)), "\"running\":\\s*\\[", "\"running\": null, \"x\": [");
        Assert.Equal("a required field is null", FleetEnvelope.Parse(Encoding.UTF8.GetBytes(nullList), ContentType).Error);
        Assert.Contains("no message object", FleetEnvelope.Parse(
            Encoding.UTF8.GetBytes($$"""{"messageType":["{{MessageUrn.ForTypeString<AgentStopping>()}}"],"message":42}"""), ContentType).Error);
    }

    /// <summary>Hostile bodies: random bytes, and a real envelope truncated, bit-flipped or spliced at random.</summary>
    [Fact]
    public void Never_throws_on_hostile_bodies()
    {
        var random = new Random(20261206);
        var valid = Wire(Announcement);
        for (int i = 0; i < 3000; i++)
        {
            byte[] body;
            switch (i % 4)
            {
                case 0:
                    body = new byte[random.Next(0, 600)];
                    random.NextBytes(body);
                    break;
                case 1:
                    body = valid[..random.Next(0, valid.Length)];
                    break;
                case 2:
                    body = (byte[])valid.Clone();
                    for (int k = random.Next(1, 6); k > 0; k--) body[random.Next(body.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                default:
                    var text = Encoding.UTF8.GetString(valid);
                    int at = random.Next(text.Length);
                    string[] junk = ["null", "[]", "{}", "\"", "1e999", "-1", "\"\\u0000\"", "{\"a\":", "true"];
                    body = Encoding.UTF8.GetBytes(text[..at] + junk[random.Next(junk.Length)] + text[Math.Min(text.Length, at + random.Next(0, 20))..]);
                    break;
            }
            var read = FleetEnvelope.Parse(body, ContentType);
            Assert.True((read.Message is null) != (read.Error is null), $"body {i}: exactly one of message and error");
        }
    }
}
