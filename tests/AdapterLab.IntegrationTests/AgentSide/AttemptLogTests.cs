using AdapterLab.Contracts.Messages;
using AdapterLab.GpuAgent.Running;
using Microsoft.Extensions.Logging;

namespace AdapterLab.IntegrationTests.AgentSide;

/// <summary>
/// The agent's side of an attempt's log and system metrics (pure logic, no services): lines numbered and bounded, the
/// log flow scoped to the attempt, progress lines at evaluations, system samples at most every interval.
/// </summary>
public sealed class AttemptLogTests
{
    [Fact]
    public void Lines_are_numbered_cut_and_bounded_with_a_last_line_saying_so()
    {
        var log = new AttemptLog(TimeProvider.System, maxLines: 5);
        for (int i = 0; i < 9; i++) log.Write("Information", i == 2 ? new string('x', AttemptLog.MaxLineLength + 10) : $"line {i}");
        Assert.Equal(9, log.Written);
        var lines = log.Take(100);
        Assert.Equal([0, 1, 2, 3, 4], lines.Select(l => l.Sequence));
        Assert.Equal(AttemptLog.MaxLineLength, lines[2].Message.Length);
        Assert.Contains("log limit reached", lines[4].Message);
        Assert.True(log.IsEmpty);
        // A failed send puts its lines back.
        log.Return(lines.Take(2));
        Assert.Equal([0, 1], log.Take(100).Select(l => l.Sequence));
    }

    [Fact]
    public async Task What_is_logged_on_the_attempts_flow_is_captured_and_nothing_else()
    {
        using var factory = LoggerFactory.Create(b => b.AddProvider(new AttemptLogCapture()).SetMinimumLevel(LogLevel.Debug));
        var logger = factory.CreateLogger("test");
        var log = new AttemptLog(TimeProvider.System);
        logger.LogInformation("before the attempt");
        async Task RunAttemptAsync()
        {
            AttemptLogCapture.Current = log;
            logger.LogInformation("accepted {Id}", 42);
            logger.LogDebug("too chatty to keep");
            await Task.Yield();
            await Task.Run(() => logger.LogWarning(new InvalidOperationException("boom"), "went wrong"));
        }
        await RunAttemptAsync();
        logger.LogInformation("after the attempt");
        var lines = log.Take(10);
        Assert.Equal(["accepted 42", "went wrong"], lines.Select(l => l.Message.Split(Environment.NewLine)[0]));
        Assert.Equal("Warning", lines[1].Level);
        Assert.Contains("InvalidOperationException: boom", lines[1].Message);
    }

    [Fact]
    public void Progress_lines_come_at_evaluations_and_every_twentieth_of_the_run()
    {
        var loss = new MetricPoint(7, "train", "classification", "synthetic", "loss", 0.91234);
        Assert.Null(ProgressLines.Describe(7, 400, [loss]));
        Assert.Equal("step 20/400 · train loss 0.9123", ProgressLines.Describe(20, 400, [loss with { Step = 20 }]));
        Assert.Equal("step 50/400 · train loss 0.9123 · validation/classification/synthetic accuracy 0.4125",
            ProgressLines.Describe(50, 400, [loss, new MetricPoint(50, "validation", "classification", "synthetic", "accuracy", 0.4125)]));
        Assert.NotNull(ProgressLines.Describe(400, 400, []));
        // System samples are not evaluations.
        Assert.Null(ProgressLines.Describe(7, 400, [new MetricPoint(7, SystemMetrics.Split, "", "", SystemMetrics.MemoryMiB, 300)]));
        var multitask = ProgressLines.Describe(20, 400, [loss with { Task = "all" }, loss with { Task = "depth", Value = 0.5 }])!;
        Assert.Contains("train loss all 0.9123, depth 0.5", multitask);
    }

    [Fact]
    public void System_samples_come_at_most_every_interval_or_when_forced()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        var sampler = new SystemSampler(clock);
        sampler.StepTimed(TimeSpan.FromMilliseconds(500), 64);
        sampler.StepTimed(TimeSpan.FromMilliseconds(300), 64);
        var first = sampler.Sample(2, force: false).ToDictionary(p => p.Name, p => p.Value);
        Assert.Equal(1_700_000_000, first[SystemMetrics.WallClock]);
        Assert.Equal(0.4, first[SystemMetrics.StepSeconds], 6);
        Assert.Equal(160, first[SystemMetrics.ImagesPerSecond], 6);
        Assert.True(first[SystemMetrics.MemoryMiB] > 0);

        clock.Now += TimeSpan.FromSeconds(1);
        Assert.Empty(sampler.Sample(3, force: false));
        Assert.Equal(2, sampler.Sample(3, force: true).Count); // no step timed since: only the clock and memory
        clock.Now += SystemSampler.Interval;
        Assert.NotEmpty(sampler.Sample(4, force: false));
    }

    [Fact]
    public void Device_memory_is_sampled_where_a_device_reports_it_and_absent_otherwise()
    {
        var sampler = new SystemSampler(TimeProvider.System, () => 812.5);
        Assert.Equal(812.5, sampler.Sample(1, force: true).Single(p => p.Name == SystemMetrics.DeviceMemoryMiB).Value);
        Assert.DoesNotContain(new SystemSampler(TimeProvider.System, () => null).Sample(1, force: true), p => p.Name == SystemMetrics.DeviceMemoryMiB);
        // This machine has no NVIDIA driver: no figure, and no error.
        if (!System.Runtime.InteropServices.NativeLibrary.TryLoad("libnvidia-ml.so.1", out _)) Assert.Null(DeviceMemory.ProcessMiB());
        else Assert.True(DeviceMemory.ProcessMiB() is null or >= 0);
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
