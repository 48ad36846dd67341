using System.Diagnostics;
using System.Runtime.InteropServices;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Api;
using AdapterLab.Training.Model;

namespace AdapterLab.Training.Runs;

/// <summary>
/// The one training loop every kind runs: resume from a checkpoint, steps under the schedule, evaluation and checkpoint
/// cadence, cancellation (checkpoint first), failures of the training itself (<see cref="TrainingFailedException"/> with
/// the step reached), the final evaluation and outputs.
/// </summary>
public static class TrainingLoop
{
    public static TrainingOutcome Train(ITrainingRun run, TrainingJob job, ITrainingObserver observer, CancellationToken ct)
    {
        var plan = run.Plan;
        var layout = run.CheckpointLayout;
        long step = job.ResumeCheckpointPath is null ? 0 : Checkpoint.Load(job.ResumeCheckpointPath, layout);
        var schedule = plan.Optimisation.Schedule(plan.TotalSteps);

        // bf16 products with fp32 master weights on this thread for the whole run (steps, evaluations, the linear
        // probe's cached features); fp32 where the option is off (CPU).
        string precision = Autocast.Effective(plan.Precision, run.Device);
        using var autocast = Autocast.Enter(precision);

        // Started before the training data is generated (and, for the linear probe, its features computed): the attempt
        // shows as Running as soon as the model exists, not seconds later (bench perf-dispatch: submit → Running).
        observer.OnStarted(new TrainingStart(run.TrainableParameters, run.TotalParameters, plan.TotalSteps, step, run.Device, RunFacts.Packages(), Described(plan, precision, run.Device)));
        run.PrepareTraining();

        string checkpointPath = Path.Combine(job.WorkDirectory, "checkpoint.safetensors");
        var clock = new Stopwatch();
        var memory = new RunFacts.MemoryPeak();
        long images = 0;
        void SaveCheckpoint()
        {
            Checkpoint.Save(checkpointPath, layout, step, run.DataPosition(step));
            observer.OnCheckpoint(step, checkpointPath);
        }

        long stopAt = job.PauseAtStep is { } rung && rung < plan.TotalSteps ? rung : plan.TotalSteps;
        while (step < stopAt)
        {
            if (ct.IsCancellationRequested)
            {
                SaveCheckpoint();
                return Outcome(run, step, clock, images, memory) with { Cancelled = true, CheckpointPath = checkpointPath };
            }

            long stepStarted = Stopwatch.GetTimestamp();
            clock.Start();
            StepLoss loss;
            try
            {
                loss = run.Step(step, schedule.At(step), observer);
            }
            catch (Exception ex) when (ex is ExternalException or InvalidOperationException or ArgumentException)
            {
                // libtorch errors (out of memory, shape errors) inside a step are the training's own failure, with the step it
                // reached; running out of device memory says so first (a smaller batch or model is the remedy, not a retry).
                if (ex.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase))
                    throw new TrainingFailedException($"out of {run.Device} memory at step {step + 1} (batch {plan.BatchSize}): {ex.Message.Split('\n', 2)[0]}", step, ex);
                throw new TrainingFailedException($"step {step + 1} failed: {ex.Message}", step, ex);
            }
            clock.Stop();
            observer.OnStepTimed(Stopwatch.GetElapsedTime(stepStarted), plan.BatchSize);
            memory.Sample();
            images += plan.BatchSize;
            if (!double.IsFinite(loss.Total))
            {
                // Which terms: a NaN in one task's loss and a diverging total tell different stories.
                var terms = string.Join(", ", loss.Points.Where(p => p.Split == "train").Select(p => $"{p.Task}/{p.Name} {p.Value:G4}"));
                throw new TrainingFailedException($"loss became {loss.Total} at step {step + 1}{(terms.Length > 0 ? $" ({terms})" : "")}", step);
            }
            step++;

            var points = new List<MetricPoint>(loss.Points);
            bool last = step == stopAt;
            if (!last && plan.EvalInterval > 0 && step % plan.EvalInterval == 0)
            {
                points.AddRange(AsPoints(step, Split(run.Evaluate(step, observer)).Results));
                points.AddRange(run.Measure(step, observer));
                memory.Sample();
            }
            observer.OnProgress(step, plan.TotalSteps, points);
            if (!last && plan.CheckpointInterval > 0 && step % plan.CheckpointInterval == 0) SaveCheckpoint();
        }

        if (step < plan.TotalSteps)
        {
            // At the rung: the sweep decides on validation; the test split is left unread until the search is over.
            var validation = Split(run.Evaluate(step, observer)).Results.Where(r => r.Split == "validation").ToList();
            observer.OnProgress(step, plan.TotalSteps, AsPoints(step, validation));
            SaveCheckpoint();
            return Outcome(run, step, clock, images, memory) with { Paused = true, Results = validation, CheckpointPath = checkpointPath };
        }

        var measured = run.Measure(step, observer);
        var (results, floors) = Split(run.Evaluate(step, observer));
        observer.OnProgress(step, plan.TotalSteps, [.. measured, .. AsPoints(step, results)]);
        SaveCheckpoint();
        var outputs = run.WriteOutputs(step, job.WorkDirectory, observer);
        memory.Sample();
        return Outcome(run, step, clock, images, memory) with
        {
            Results = results,
            Floors = floors,
            BackboneWeightsPath = outputs.BackboneWeightsPath,
            OutputWeightsPath = outputs.OutputWeightsPath,
            CheckpointPath = checkpointPath,
        };
    }

    /// <summary><c>kind: evaluate</c>: the evaluated experiment's weights over the backbone, evaluated once, no training.</summary>
    public static TrainingOutcome Evaluate(ITrainingRun run, TrainingJob job, ITrainingObserver observer)
    {
        var memory = new RunFacts.MemoryPeak();
        string precision = Autocast.Effective(run.Plan.Precision, run.Device);
        using var autocast = Autocast.Enter(precision);
        run.LoadEvaluatedWeights(job);
        observer.OnStarted(new TrainingStart(run.TrainableParameters, run.TotalParameters, 0, 0, run.Device, RunFacts.Packages(), Described(run.Plan, precision, run.Device)));
        var (results, floors) = Split(run.Evaluate(0, observer));
        observer.OnProgress(0, 0, AsPoints(0, results));
        run.WriteEvaluationArtifacts(job.WorkDirectory, observer);
        memory.Sample();
        return new TrainingOutcome
        {
            Results = results,
            Floors = floors,
            TrainableParameters = run.TrainableParameters,
            TotalParameters = run.TotalParameters,
            PeakMemoryBytes = memory.Bytes,
        };
    }

    /// <summary>The precision for the provenance: what was computed in, and why bf16 was not when it was asked for.</summary>
    private static string Described(RunPlan plan, string effective, string device) =>
        plan.Precision == Autocast.Bf16 && effective != Autocast.Bf16 ? $"{effective} (bf16 is off on {device})" : effective;

    /// <summary>The model's results apart from the floors' (<c>metric@floor</c>), which are reported on their own.</summary>
    private static (List<FinalResult> Results, List<FinalResult> Floors) Split(IReadOnlyList<FinalResult> evaluated) =>
        (evaluated.Where(r => !Floors.IsFloor(r.Metric)).ToList(), evaluated.Where(r => Floors.IsFloor(r.Metric)).ToList());

    private static List<MetricPoint> AsPoints(long step, IEnumerable<FinalResult> results) =>
        results.Select(r => new MetricPoint(step, r.Split, r.Task, r.Domain, r.Metric, r.Value)).ToList();

    private static TrainingOutcome Outcome(ITrainingRun run, long step, Stopwatch clock, long images, RunFacts.MemoryPeak memory) => new()
    {
        FinalStep = step,
        TrainableParameters = run.TrainableParameters,
        TotalParameters = run.TotalParameters,
        ImagesPerSecond = RunFacts.Rate(images, clock),
        PeakMemoryBytes = memory.Bytes,
    };
}
