using AdapterLab.Contracts.Catalogue;

namespace AdapterLab.Contracts.Specs;

/// <summary>
/// Multitask (dense) rules. Valid method × setting pairs (everything else is rejected):
/// <code>
/// method              | supervised | multitask | zero-shot-task-transfer | domain-adaptation | domain-generalization
/// vtagml              |     –      |    yes    |           yes           |        yes        |          yes
/// multitask-shared    |     –      |    yes    |           yes           |        yes        |          yes
/// multitask-finetune  |     –      |    yes    |           yes           |        yes        |          yes
/// single-task         |    yes     |     –     |            –            |        yes        |          yes
/// </code>
/// Multitask methods need at least two dense tasks, <c>single-task</c> exactly one. <c>zero-shot-task-transfer</c> needs
/// a target domain and <c>data.zeroShotTasks</c> (a proper, non-empty subset of the tasks); <c>domain-adaptation</c> needs
/// a target domain and, for <c>adversarial</c>, segmentation or depth among the tasks, for <c>pseudo-labels</c> segmentation.
/// Affinity estimators only apply to methods with two or more tasks.
/// </summary>
public static partial class SpecValidator
{
    /// <summary>Valid settings per dense method (the table above).</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> DenseSettings = new Dictionary<string, IReadOnlyList<string>>
    {
        [Methods.Vtagml] = [Settings.Multitask, Settings.ZeroShotTaskTransfer, Settings.DomainAdaptation, Settings.DomainGeneralization],
        [Methods.MultitaskShared] = [Settings.Multitask, Settings.ZeroShotTaskTransfer, Settings.DomainAdaptation, Settings.DomainGeneralization],
        [Methods.MultitaskFinetune] = [Settings.Multitask, Settings.ZeroShotTaskTransfer, Settings.DomainAdaptation, Settings.DomainGeneralization],
        [Methods.SingleTask] = [Settings.Supervised, Settings.DomainAdaptation, Settings.DomainGeneralization],
    };

    private static void ValidateMultitask(ExperimentSpec spec, BackbonePreset? preset, ErrorBag e)
    {
        var m = spec.Method;
        var d = spec.Data;
        bool dense = Methods.Dense.Contains(m.Name) && spec.Kind is Kinds.Multitask or Kinds.Evaluate;
        if (!dense)
        {
            if (d.ZeroShotTasks is not null) e.Add("data.zeroShotTasks", "only used by multitask methods in the zero-shot-task-transfer setting");
            if (d.Adaptation is not null) e.Add("data.adaptation", "only used by multitask methods in the domain-adaptation setting");
            if (d.ShuffleTargets is not null) e.Add("data.shuffleTargets", "only used by multitask (dense) experiments: it is the shuffled-task-label control of task affinity");
            if (spec.Kind == Kinds.Multitask && spec.Tasks.Any(t => !Tasks.Dense.Contains(t)))
                e.Add("tasks", $"kind 'multitask' trains dense tasks only ({string.Join(", ", Tasks.Dense)})");
            return;
        }

        if (spec.Tasks.Count == 0) e.Add("tasks", "give at least one dense task");
        for (int i = 0; i < spec.Tasks.Count; i++)
        {
            var task = spec.Tasks[i];
            if (!Tasks.Dense.Contains(Tasks.KindOf(task))) e.Add($"tasks[{i}]", $"'{task}' is not a dense task; expected one of {string.Join(", ", Tasks.Dense)}");
            else if (Tasks.IsCopy(task) && !spec.Tasks.Contains(Tasks.KindOf(task)))
                e.Add($"tasks[{i}]", $"'{task}' repeats '{Tasks.KindOf(task)}' (the affinity's positive control), which must be a task too");
            else if (Tasks.IsCopy(task) && (spec.Kind != Kinds.Multitask || d.Setting != Settings.Multitask))
                e.Add($"tasks[{i}]", "a repeated task (the affinity's positive control) trains only in kind 'multitask', setting 'multitask'");
        }
        if (spec.Tasks.Distinct().Count() != spec.Tasks.Count) e.Add("tasks", "tasks must be distinct");
        if (m.Name == Methods.SingleTask && spec.Tasks.Count != 1) e.Add("tasks", "single-task trains exactly one task");
        if (m.Name != Methods.SingleTask && spec.Tasks.Count < 2) e.Add("tasks", $"'{m.Name}' trains two or more tasks (use single-task for one)");
        if (d.Dataset == Datasets.ShapesWorld && d.LabelFamily is not null) e.Add("data.labelFamily", "only used by classification");

        if (spec.Kind == Kinds.Multitask && DenseSettings.TryGetValue(m.Name, out var settings) && !settings.Contains(d.Setting))
            e.Add("data.setting", $"setting '{d.Setting}' does not apply to method '{m.Name}'; expected one of {string.Join(", ", settings)}");
        bool needsTarget = d.Setting is Settings.ZeroShotTaskTransfer or Settings.DomainAdaptation or Settings.DomainGeneralization;
        if (spec.Kind == Kinds.Multitask && needsTarget && d.TargetDomains.Count == 0)
            e.Add("data.targetDomains", $"setting '{d.Setting}' needs at least one target domain");
        if (needsTarget && d.TargetDomains.Contains(d.SourceDomain))
            e.Add("data.targetDomains", "target domains must differ from the source domain");

        if (d.Setting == Settings.ZeroShotTaskTransfer && spec.Kind == Kinds.Multitask)
        {
            if (d.ZeroShotTasks is null or { Count: 0 }) e.Add("data.zeroShotTasks", "required: the tasks left unsupervised on the target domain");
            else
            {
                if (d.ZeroShotTasks.Any(t => !spec.Tasks.Contains(t))) e.Add("data.zeroShotTasks", "every zero-shot task must be one of the experiment's tasks");
                if (d.ZeroShotTasks.Distinct().Count() >= spec.Tasks.Count) e.Add("data.zeroShotTasks", "at least one task must stay supervised on the target domain");
            }
        }
        else if (d.ZeroShotTasks is not null) e.Add("data.zeroShotTasks", "only used in the zero-shot-task-transfer setting");

        if (d.Setting == Settings.DomainAdaptation && spec.Kind == Kinds.Multitask)
        {
            var mode = d.Adaptation ?? AdaptationModes.Adversarial;
            if (!AdaptationModes.All.Contains(mode)) e.Add("data.adaptation", $"unknown adaptation '{mode}'; expected one of {string.Join(", ", AdaptationModes.All)}");
            else if (mode == AdaptationModes.Adversarial && !spec.Tasks.Any(t => t is Tasks.Segmentation or Tasks.Depth))
                e.Add("data.adaptation", "adversarial adaptation needs segmentation or depth among the tasks (its discriminators read those outputs)");
            else if (mode == AdaptationModes.PseudoLabels && !spec.Tasks.Contains(Tasks.Segmentation))
                e.Add("data.adaptation", "pseudo-labels need segmentation among the tasks");
        }
        else if (d.Adaptation is not null) e.Add("data.adaptation", "only used in the domain-adaptation setting");

        if (d.ShuffleTargets is true && spec.Kind != Kinds.Multitask)
            e.Add("data.shuffleTargets", "only applies when training (kind 'multitask'); evaluation always uses the true labels");

        if (m.AdapterBlocks is { } blocks)
        {
            if (m.Name != Methods.Vtagml) e.Add("method.adapterBlocks", "only used by vtagml");
            else if (blocks < 1 || (preset is not null && blocks > preset.Depth))
                e.Add("method.adapterBlocks", preset is null ? "must be at least 1" : $"must be between 1 and the depth {preset.Depth} of {preset.Name}");
        }
        bool affinity = m.Name != Methods.SingleTask;
        if (m.Estimator is { } est)
        {
            if (!affinity) e.Add("method.estimator", "single-task has no task affinity");
            else if (!Estimators.All.Contains(est)) e.Add("method.estimator", $"unknown estimator '{est}'; expected one of {string.Join(", ", Estimators.All)}");
        }
        if (m.MeasuredEstimators is { } measured)
        {
            if (!affinity) e.Add("method.measuredEstimators", "single-task has no task affinity");
            for (int i = 0; i < measured.Count; i++)
                if (!Estimators.All.Contains(measured[i])) e.Add($"method.measuredEstimators[{i}]", $"unknown estimator '{measured[i]}'; expected one of {string.Join(", ", Estimators.All)}");
            if (measured.Distinct().Count() != measured.Count) e.Add("method.measuredEstimators", "estimators must be distinct");
        }
        if (m.AffinityStep is { } eta && (!affinity || eta <= 0 || eta > 10 || double.IsNaN(eta)))
            e.Add("method.affinityStep", affinity ? "must be greater than 0 and at most 10" : "single-task has no task affinity");
        if (m.AffinityInterval is { } every && (!affinity || every < 1 || every > 100_000))
            e.Add("method.affinityInterval", affinity ? "must be between 1 and 100,000 steps" : "single-task has no task affinity");
    }
}
