using AdapterLab.Orchestrator.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdapterLab.Orchestrator.Tests;

/// <summary>Group commit's linger: a writer whose messages can wait holds its first message for others to join the write.</summary>
public sealed class GroupCommitWriterTests
{
    private sealed class Recording(TimeSpan linger) : GroupCommitWriter<int, int>(NullLogger.Instance)
    {
        public readonly List<int[]> Batches = [];
        protected override int MaxWeight => 100;
        protected override TimeSpan Linger => linger;
        public Task<int> AddAsync(int m) => EnqueueAsync(m, CancellationToken.None);

        public override Task<int[]> WriteAsync(IReadOnlyList<int> batch, CancellationToken ct)
        {
            lock (Batches) Batches.Add(batch.ToArray());
            return Task.FromResult(batch.Select(m => m * 10).ToArray());
        }
    }

    [Fact]
    public async Task Messages_arriving_within_the_linger_share_one_write_and_each_gets_its_own_result()
    {
        var writer = new Recording(TimeSpan.FromSeconds(1));
        await writer.StartAsync(CancellationToken.None);
        try
        {
            var first = writer.AddAsync(1);
            await Task.Delay(100);
            var second = writer.AddAsync(2);
            int[] results = await Task.WhenAll(first, second);
            Assert.Equal([10, 20], results);
            Assert.Equal([[1, 2]], writer.Batches);
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Without_a_linger_a_lone_message_is_written_at_once()
    {
        var writer = new Recording(TimeSpan.Zero);
        await writer.StartAsync(CancellationToken.None);
        try
        {
            Assert.Equal(10, await writer.AddAsync(1).WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal([[1]], writer.Batches);
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
        }
    }
}
