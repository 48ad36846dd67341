using AdapterLab.ServiceDefaults.Resilience;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.Timeout;

namespace AdapterLab.ServiceDefaults.Tests;

/// <summary>The platform's retry pipelines on a fake clock: back-off bounds and jitter, cancellation, deadlines, what is not retried.</summary>
public sealed class RetryPipelinesTests
{
    /// <summary>A fake clock that records every back-off wait a pipeline asks for, so a test can jump straight to its end.</summary>
    private sealed class SteppingClock : FakeTimeProvider
    {
        public readonly System.Collections.Concurrent.ConcurrentQueue<TimeSpan> Pending = new();
        public readonly List<TimeSpan> Waits = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            // Back-off waits (at most the longest cap); not the deadline's own timer.
            if (period == Timeout.InfiniteTimeSpan && dueTime > TimeSpan.Zero && dueTime <= RetryPipelines.DeliveryBackoff.Max)
                Pending.Enqueue(dueTime);
            return base.CreateTimer(callback, state, dueTime, period);
        }

        /// <summary>Moves the clock to the end of each wait the pipeline starts until <paramref name="run"/> finishes.</summary>
        public async Task<T> Drive<T>(Task<T> run)
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!run.IsCompleted && DateTime.UtcNow < deadline)
            {
                if (Pending.TryDequeue(out var due))
                {
                    Waits.Add(due);
                    Advance(due);
                }
                else await Task.Delay(1);
            }
            return await run;
        }
    }

    /// <summary>The waits between <paramref name="failures"/> failed tries and the try that succeeds.</summary>
    private static async Task<List<TimeSpan>> DelaysOf(Func<TimeProvider, ResiliencePipeline> build, int failures)
    {
        var time = new SteppingClock();
        var pipeline = build(time);
        int tries = 0;
        var run = pipeline.ExecuteAsync(_ =>
        {
            if (++tries <= failures) throw new HttpRequestException("connection refused");
            return ValueTask.FromResult(tries);
        }, CancellationToken.None).AsTask();
        Assert.Equal(failures + 1, await time.Drive(run));
        Assert.Equal(failures, time.Waits.Count);
        return time.Waits;
    }

    [Fact]
    public async Task Delivery_backs_off_with_jitter_inside_its_bounds_and_grows()
    {
        var runs = new List<List<TimeSpan>>();
        for (int r = 0; r < 8; r++)
            runs.Add(await DelaysOf(t => RetryPipelines.UntilDelivered(t, NullLogger.Instance, "test", TimeSpan.FromHours(1)), failures: 12));
        Assert.All(runs.SelectMany(d => d), d => Assert.InRange(d, TimeSpan.Zero, RetryPipelines.DeliveryBackoff.Max));
        // Jitter: eight runs do not wait the same.
        Assert.True(runs.Select(d => string.Join(",", d.Select(x => x.Ticks))).Distinct().Count() > 1, "no jitter: every run waited the same");
        // Exponential: the late retries wait far longer than the first ones, and reach the cap's order.
        double early = runs.Average(d => d.Take(2).Average(x => x.TotalMilliseconds));
        double late = runs.Average(d => d.TakeLast(3).Average(x => x.TotalMilliseconds));
        Assert.True(early < 1_000, $"first waits average {early:0} ms");
        Assert.True(late > 8_000, $"late waits average {late:0} ms");
    }

    [Fact]
    public async Task Transient_gives_up_after_its_retries_and_leaves_other_errors_alone()
    {
        var time = new SteppingClock();
        var pipeline = RetryPipelines.Transient(time, ex => ex is HttpRequestException, maxRetries: 3);
        int tries = 0;
        var run = pipeline.ExecuteAsync<int>(_ => { tries++; throw new HttpRequestException("503"); }, CancellationToken.None).AsTask();
        await Assert.ThrowsAsync<HttpRequestException>(() => time.Drive(run));
        Assert.Equal(4, tries);

        tries = 0;
        await Assert.ThrowsAsync<InvalidDataException>(() => pipeline.ExecuteAsync<int>(_ => { tries++; throw new InvalidDataException("sha256 mismatch"); }, CancellationToken.None).AsTask());
        Assert.Equal(1, tries);

        var delays = await DelaysOf(t => RetryPipelines.Transient(t, ex => ex is HttpRequestException), failures: 7);
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, RetryPipelines.TransientBackoff.Max));
    }

    [Fact]
    public async Task A_wait_ends_at_once_when_the_caller_cancels()
    {
        var time = new FakeTimeProvider();
        var pipeline = RetryPipelines.UntilDelivered(time, NullLogger.Instance, "test", TimeSpan.FromHours(1));
        using var cts = new CancellationTokenSource();
        int tries = 0;
        var run = pipeline.ExecuteAsync(_ => { tries++; throw new HttpRequestException("broker down"); }, cts.Token).AsTask();
        // Let it fail a few times, then cancel while it waits: no clock movement is needed for it to stop.
        for (int i = 0; i < 40 && tries < 3; i++) { time.Advance(TimeSpan.FromSeconds(1)); await Task.Delay(1); }
        Assert.True(tries >= 3);
        int before = tries;
        cts.Cancel();
        var stopped = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.Same(run, stopped);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(before, tries);
    }

    [Fact]
    public async Task Delivery_stops_at_its_deadline()
    {
        var time = new SteppingClock();
        var pipeline = RetryPipelines.UntilDelivered(time, NullLogger.Instance, "test", TimeSpan.FromMinutes(2));
        int tries = 0;
        var run = pipeline.ExecuteAsync<int>(_ => { tries++; throw new HttpRequestException("broker down"); }, CancellationToken.None).AsTask();
        var started = time.GetUtcNow();
        await Assert.ThrowsAsync<TimeoutRejectedException>(() => time.Drive(run));
        // It stops during the wait that crosses the deadline, not after it.
        Assert.InRange(time.GetUtcNow() - started, TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(2) + RetryPipelines.DeliveryBackoff.Max);
        Assert.InRange(tries, 5, 40);
    }

    [Fact]
    public async Task A_timed_out_try_is_retried_while_the_caller_still_waits()
    {
        var time = new SteppingClock();
        var pipeline = RetryPipelines.UntilDelivered(time, NullLogger.Instance, "test", TimeSpan.FromHours(1));
        int tries = 0;
        var run = pipeline.ExecuteAsync(_ =>
        {
            if (++tries == 1) throw new OperationCanceledException("publish timed out after 30 s");
            return ValueTask.FromResult(tries);
        }, CancellationToken.None).AsTask();
        Assert.Equal(2, await time.Drive(run));
    }
}
