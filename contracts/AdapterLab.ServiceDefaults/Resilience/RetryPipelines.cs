using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace AdapterLab.ServiceDefaults.Resilience;

/// <summary>
/// The platform's retry policy, one way (Polly): exponential back-off with jitter, so agents that lost the broker or
/// the web service together do not come back in lock-step; every wait honours cancellation; time comes from a
/// <see cref="TimeProvider"/> (a fake one in tests). Call-level pipelines rather than an HTTP handler: a streamed
/// upload cannot be replayed by a handler, the call that opens the stream can.
/// </summary>
public static class RetryPipelines
{
    /// <summary>Back-off of <see cref="UntilDelivered"/>: from 200 ms, at most 30 s apart.</summary>
    public static readonly (TimeSpan First, TimeSpan Max) DeliveryBackoff = (TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30));

    /// <summary>Back-off of <see cref="Transient"/>: from 500 ms, at most 15 s apart.</summary>
    public static readonly (TimeSpan First, TimeSpan Max) TransientBackoff = (TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(15));

    /// <summary>
    /// For messages that must reach the broker (an attempt's result): retries any failure until it is delivered, the
    /// caller's token is cancelled (the host stops) or <paramref name="giveUpAfter"/> has passed in all (then
    /// <see cref="TimeoutRejectedException"/>; the orchestrator's lease covers what was never said).
    /// </summary>
    public static ResiliencePipeline UntilDelivered(TimeProvider time, ILogger log, string what, TimeSpan giveUpAfter) =>
        new ResiliencePipelineBuilder { Name = "until-delivered", TimeProvider = time }
            .AddTimeout(giveUpAfter)
            .AddRetry(new RetryStrategyOptions
            {
                // Anything, a timed-out publish included, until the caller or the deadline cancels the pipeline.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !args.Context.CancellationToken.IsCancellationRequested),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = DeliveryBackoff.First,
                MaxDelay = DeliveryBackoff.Max,
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    log.LogWarning("Publishing {Message} failed ({Error}); retry {Retry} in {Delay}", what, args.Outcome.Exception?.Message, args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    /// <summary>
    /// For calls that fail while a peer restarts (connection refused, 5xx, a timed-out request): at most
    /// <paramref name="maxRetries"/> retries of what <paramref name="isTransient"/> accepts (about a minute in all by
    /// default); anything else, and cancellation by the caller, ends at once.
    /// </summary>
    public static ResiliencePipeline Transient(TimeProvider time, Func<Exception, bool> isTransient, ILogger? log = null, string what = "call", int maxRetries = 7) =>
        new ResiliencePipelineBuilder { Name = "transient", TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } ex && !args.Context.CancellationToken.IsCancellationRequested && isTransient(ex)),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TransientBackoff.First,
                MaxDelay = TransientBackoff.Max,
                MaxRetryAttempts = maxRetries,
                OnRetry = args =>
                {
                    log?.LogInformation("{What} failed ({Error}); retry {Retry} of {Max} in {Delay}", what, args.Outcome.Exception?.Message, args.AttemptNumber + 1, maxRetries, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
}
