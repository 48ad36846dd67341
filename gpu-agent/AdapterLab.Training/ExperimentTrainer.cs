using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Api;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Multitask;
using AdapterLab.Training.Pretraining;
using AdapterLab.Training.Runs;
using TorchSharp;

namespace AdapterLab.Training;

/// <summary>Runs one experiment of any kind from a <see cref="TrainingJob"/>: builds the kind's run and hands it to the one <see cref="TrainingLoop"/>.</summary>
public static class ExperimentTrainer
{
    public static TrainingOutcome Run(TrainingJob job, ITrainingObserver observer, CancellationToken ct)
    {
        Native.TorchThreads.Use(job.Threads);
        Directory.CreateDirectory(job.WorkDirectory);
        using ITrainingRun run = MultitaskRun.Handles(job.Spec) ? new MultitaskRun(MultitaskPlan.From(job.Spec), job)
            : MaePlan.Handles(job.Spec) ? new MaeRun(MaePlan.From(job.Spec, job.DataRoot), job)
            : new ClassificationRun(ClassificationPlan.From(job.Spec, job.DataRoot), job);
        return job.Spec.Kind == Kinds.Evaluate ? TrainingLoop.Evaluate(run, job, observer) : TrainingLoop.Train(run, job, observer, ct);
    }
}
