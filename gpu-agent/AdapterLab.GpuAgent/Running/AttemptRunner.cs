using System.Reflection;
using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Specs;
using AdapterLab.GpuAgent.Api;
using AdapterLab.Training;
using AdapterLab.Training.Api;
using AdapterLab.Training.Native;
using AdapterLab.GpuAgent.Telemetry;
using MassTransit;
using Microsoft.Extensions.Options;

namespace AdapterLab.GpuAgent.Running;

/// <summary>
/// Runs one accepted attempt on a dedicated thread: fetch the pinned weights, train, upload the outputs, report the end.
/// Whatever happens, exactly one of Succeeded, Paused (a sweep trial at its rung), Failed or Cancelled is published for the attempt.
/// </summary>
public sealed class AttemptRunner(IBus bus, ReliablePublisher publisher, BlobClient blobs, AttemptRegistry registry, HeartbeatLoop heartbeat, AgentMetrics metrics, IOptions<AgentOptions> options, ILogger<AttemptRunner> log)
{
    private static readonly string GitCommit = Environment.GetEnvironmentVariable("ADAPTERLAB_GIT_COMMIT")
        ?? typeof(AttemptRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+').ElementAtOrDefault(1)
        ?? "unknown";

    /// <summary>Starts the attempt on its own thread; returns false when it is already running here.</summary>
    public bool Start(RunExperiment message)
    {
        var state = new RunningAttemptState(message.ExperimentId, message.AttemptNumber);
        if (!registry.TryAdd(state)) return false;
        var thread = new Thread(() =>
        {
            try
            {
                RunAsync(message, state).GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                // An exception escaping a thread ends the process; every path in RunAsync reports, so this is the last net.
                log.LogError(ex, "Attempt {Attempt} of {ExperimentId} ended abnormally", message.AttemptNumber, message.ExperimentId);
            }
        })
        {
            IsBackground = true,
            Name = $"attempt-{message.ExperimentId:N}-{message.AttemptNumber}",
        };
        thread.Start();
        return true;
    }

    private async Task RunAsync(RunExperiment m, RunningAttemptState state)
    {
        var o = options.Value;
        var work = Path.Combine(o.ResolvedWorkDirectory, $"{m.ExperimentId:N}-{m.AttemptNumber}");
        Directory.CreateDirectory(work);
        var spec = SpecJson.Deserialize(m.SpecJson);
        var provenance = new Provenance
        {
            SpecHash = m.SpecHash,
            BackboneHash = m.BackboneBlob,
            DataGeneratorVersion = ShapesWorldCatalogue.GeneratorVersion,
            GitCommit = GitCommit,
            Packages = new Dictionary<string, string>
            {
                ["dotnet"] = Environment.Version.ToString(),
                ["MassTransit"] = typeof(IBus).Assembly.GetName().Version?.ToString() ?? "",
            },
            Seed = spec.Training.Seed,
            Host = Environment.MachineName,
        };
        using var _ = log.BeginScope(new Dictionary<string, object> { ["ExperimentId"] = m.ExperimentId, ["Attempt"] = m.AttemptNumber });
        var acceptedAt = DateTimeOffset.UtcNow;
        await using var reporter = new AttemptReporter(bus, publisher, blobs, state, o.ResolvedId, provenance, acceptedAt, TimeSpan.FromSeconds(o.FlushSeconds),
            (elapsed, images) => metrics.Step(spec.Kind, spec.Method.Name, elapsed, images));
        // From here on, what this flow logs is also the attempt's log on the platform (restored when the method returns).
        AttemptLogCapture.Current = reporter.Log;
        try
        {
            // Running from the moment the slot is held: the orchestrator records it now, and the facts that only
            // preparation knows (parameter counts, device, resume step) follow in AttemptPrepared once the weights are
            // fetched and the model is built (bench perf-dispatch: submit → Running).
            await publisher.PublishAsync(new AttemptStarted
            {
                ExperimentId = m.ExperimentId,
                AttemptNumber = m.AttemptNumber,
                AgentId = o.ResolvedId,
                Provenance = provenance,
                TotalSteps = spec.Training.Steps ?? 0,
                StartedAt = acceptedAt,
                Preparing = true,
            });
            log.LogInformation("Accepted experiment {ExperimentId} attempt {Attempt}; preparing", m.ExperimentId, m.AttemptNumber);

            if (spec.Training.DryRun == true)
            {
                await DryRunAsync(m, spec, provenance, acceptedAt);
                return;
            }

            string? backbone = null, model = null, resume = null;
            try
            {
                if (m.BackboneBlob is { } b) backbone = await blobs.DownloadAsync(b, state.StopToken);
                if (m.ModelBlob is { } mb) model = await blobs.DownloadAsync(mb, state.StopToken);
                if (m.ResumeBlob is { } r) resume = await blobs.DownloadAsync(r, state.StopToken);
            }
            catch (BlobCorruptedException ex)
            {
                await PublishFailedAsync(m, state, $"stored weights are corrupted: {ex.Message}", training: false, corruptBlob: ex.Hash);
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or BlobTransferException or IOException)
            {
                await PublishFailedAsync(m, state, $"could not fetch weights: {ex.Message}", training: false);
                return;
            }
            catch (OperationCanceledException) when (state.StopToken.IsCancellationRequested)
            {
                // Stopped while preparing (the attempt is already Running): a cancel, or the agent shutting down. Nothing
                // trained, so no new checkpoint; the attempt's own resume checkpoint stays the one to resume from.
                if (state.CancelledByUser)
                    await publisher.PublishAsync(new AttemptCancelled { ExperimentId = m.ExperimentId, AttemptNumber = m.AttemptNumber, Step = 0 });
                else
                    await PublishHandedBackAsync(m, state, $"agent {o.ResolvedId} stopped while preparing", step: null, resumeBlob: null);
                return;
            }

            log.LogInformation("Training experiment {ExperimentId} attempt {Attempt} ({Kind}/{Method})", m.ExperimentId, m.AttemptNumber, spec.Kind, spec.Method.Name);
            var job = new TrainingJob
            {
                Spec = spec,
                BackboneWeightsPath = backbone,
                ModelWeightsPath = model,
                ResumeCheckpointPath = resume,
                PauseAtStep = m.PauseAtStep,
                WorkDirectory = work,
                DataRoot = string.IsNullOrWhiteSpace(o.DataRoot) ? null : o.DataRoot,
                Device = spec.Resources.Device == "auto" ? o.Device : spec.Resources.Device,
                Threads = o.Threads,
            };
            var outcome = ExperimentTrainer.Run(job, reporter, state.StopToken);
            await reporter.FlushAsync();

            if (outcome.Cancelled)
            {
                if (state.CancelledByUser)
                {
                    await publisher.PublishAsync(new AttemptCancelled { ExperimentId = m.ExperimentId, AttemptNumber = m.AttemptNumber, Step = outcome.FinalStep, ResumeBlob = reporter.LastCheckpointBlob });
                    log.LogInformation("Attempt cancelled at step {Step}", outcome.FinalStep);
                }
                else
                {
                    await PublishHandedBackAsync(m, state, $"agent {o.ResolvedId} stopped; checkpoint at step {reporter.LastCheckpointStep}", reporter.LastCheckpointStep, reporter.LastCheckpointBlob);
                }
                return;
            }

            if (outcome.Paused)
            {
                // A sweep trial at its rung: the checkpoint was uploaded (OnCheckpoint) before this report names it.
                await publisher.PublishAsync(new AttemptPaused
                {
                    ExperimentId = m.ExperimentId,
                    AttemptNumber = m.AttemptNumber,
                    Step = outcome.FinalStep,
                    ResumeBlob = reporter.LastCheckpointBlob ?? "",
                    Results = outcome.Results,
                    PausedAt = DateTimeOffset.UtcNow,
                });
                log.LogInformation("Attempt paused at its rung, step {Step}", outcome.FinalStep);
                return;
            }

            reporter.PublishPredictions(work, outcome.FinalStep);
            string? output = null, backboneOut = null;
            if (outcome.OutputWeightsPath is { } op) output = (await blobs.UploadAsync(op, CancellationToken.None)).Hash;
            if (outcome.BackboneWeightsPath is { } bp) backboneOut = (await blobs.UploadAsync(bp, CancellationToken.None)).Hash;
            await publisher.PublishAsync(new AttemptSucceeded
            {
                ExperimentId = m.ExperimentId,
                AttemptNumber = m.AttemptNumber,
                Step = outcome.FinalStep,
                Results = outcome.Results,
                OutputBlob = output,
                BackboneBlob = backboneOut,
                ImagesPerSecond = outcome.ImagesPerSecond,
                PeakMemoryBytes = outcome.PeakMemoryBytes,
                FinishedAt = DateTimeOffset.UtcNow,
            });
            log.LogInformation("Attempt succeeded at step {Step}", outcome.FinalStep);
        }
        catch (TrainingFailedException ex) when (LibTorchFaults.IsScalarRace(ex))
        {
            // The binding's fault, not the run's: requeued, resumed from the last checkpoint (LibTorchFaults).
            await reporter.FlushAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            var first = ex.Message.Split('\n', 2)[0];
            await PublishFailedAsync(m, state, $"libtorch read a released scalar at step {ex.LastStep + 1} (TorchSharp finaliser race; requeued to resume from the last checkpoint): {first}", training: false, ex.LastStep);
        }
        catch (TrainingFailedException ex)
        {
            await reporter.FlushAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await PublishFailedAsync(m, state, ex.Message, training: true, ex.LastStep);
        }
        catch (Exception ex) when (ex is HttpRequestException or BlobTransferException)
        {
            await PublishFailedAsync(m, state, $"checkpoint transfer failed: {ex.Message}", training: false);
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Attempt failed");
            await PublishFailedAsync(m, state, $"{ex.GetType().Name}: {ex.Message}", training: true);
        }
        finally
        {
            registry.Remove(state);
            // Announce the freed slot now rather than at the next heartbeat: the next experiment starts at once.
            await heartbeat.AnnounceNowAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>
    /// <c>training.dryRun</c> (benchmarks, enabled per platform): the attempt has been accepted and reported Running like any
    /// other; it then reports preparation with the catalogue's parameter counts and succeeds at step 0 without building a
    /// model, fetching weights or producing results.
    /// </summary>
    private async Task DryRunAsync(RunExperiment m, ExperimentSpec spec, Provenance provenance, DateTimeOffset acceptedAt)
    {
        var counts = spec.Kind is Kinds.Pretrain or Kinds.Adapt or Kinds.Evaluate ? ModelCatalogue.Count(spec) : null;
        await publisher.PublishAsync(new AttemptPrepared
        {
            ExperimentId = m.ExperimentId,
            AttemptNumber = m.AttemptNumber,
            AgentId = options.Value.ResolvedId,
            Provenance = provenance with { Device = "none (dry run)" },
            TrainableParameters = counts?.Trainable ?? 0,
            TotalParameters = counts?.Total ?? 0,
            TotalSteps = spec.Training.Steps ?? 0,
            StartedAt = acceptedAt,
            PreparedAt = DateTimeOffset.UtcNow,
        });
        await publisher.PublishAsync(new AttemptSucceeded { ExperimentId = m.ExperimentId, AttemptNumber = m.AttemptNumber, FinishedAt = DateTimeOffset.UtcNow });
        log.LogInformation("Dry run: attempt accepted and ended without training");
    }

    /// <summary>The agent is shutting down: the attempt goes back to the queue (no retry spent), resumable from <paramref name="resumeBlob"/>.</summary>
    private async Task PublishHandedBackAsync(RunExperiment m, RunningAttemptState state, string reason, long? step, string? resumeBlob)
    {
        log.LogInformation("Handing attempt {Attempt} back: {Reason}", m.AttemptNumber, reason);
        await publisher.PublishAsync(new AttemptFailed
        {
            ExperimentId = m.ExperimentId,
            AttemptNumber = m.AttemptNumber,
            Reason = reason,
            LastStep = step ?? 0,
            TrainingFailure = false,
            HandedBack = true,
            ResumeBlob = resumeBlob,
            FailedAt = DateTimeOffset.UtcNow,
        });
    }

    private async Task PublishFailedAsync(RunExperiment m, RunningAttemptState state, string reason, bool training, long? step = null, string? corruptBlob = null)
    {
        log.LogWarning("Attempt failed ({Kind}): {Reason}", training ? "training" : "infrastructure", reason);
        await publisher.PublishAsync(new AttemptFailed
        {
            ExperimentId = m.ExperimentId,
            AttemptNumber = m.AttemptNumber,
            Reason = reason,
            LastStep = step ?? state.Step,
            TrainingFailure = training,
            FailedAt = DateTimeOffset.UtcNow,
            CorruptBlob = corruptBlob,
        });
    }
}
