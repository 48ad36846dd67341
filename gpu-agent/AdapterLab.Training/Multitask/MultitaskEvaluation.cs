using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Api;
using AdapterLab.Training.Datasets.ShapesWorld;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Multitask;

/// <summary>
/// Dense evaluation on validation and test of every evaluation domain: each task's metrics, the floors
/// (<see cref="DenseFloors"/>) on the same images (<c>metric@floor</c>), per-image outcomes (values and additive parts) of
/// the model and of each floor for the observer, and in zero-shot task transfer the constant and from-depth baselines.
/// </summary>
public static class MultitaskEvaluation
{
    private const int EvaluationBatch = 64;

    public static List<FinalResult> Evaluate(MultitaskModel model, MultitaskPlan plan, DenseData data, Device device,
        IReadOnlyDictionary<string, Tensor> floors, long step, ITrainingObserver observer)
    {
        model.eval();
        var results = new List<FinalResult>();
        bool zeroShot = plan.Setting == Settings.ZeroShotTaskTransfer && plan.ZeroShotTasks.Count > 0;
        var constants = zeroShot ? DenseFloors.ZeroShotConstants(data.Get(plan.SourceDomain, DataSplit.Train)) : null;
        using var _ = torch.no_grad();
        foreach (var split in new[] { DataSplit.Validation, DataSplit.Test })
        foreach (var domain in plan.EvaluationDomains)
        {
            var d = data.Get(domain, split);
            var metrics = plan.Tasks.ToDictionary(t => t, _ => new DenseMetrics());
            var floorMetrics = plan.Tasks.ToDictionary(t => t, _ => new DenseMetrics());
            var perImage = plan.Tasks.ToDictionary(t => t, t => DenseMetrics.MetricsOf(t).ToDictionary(m => m, _ => new List<double[]>(d.Count)));
            var floorPerImage = plan.Tasks.ToDictionary(t => t, t => DenseMetrics.MetricsOf(t).ToDictionary(m => m, _ => new List<double[]>(d.Count)));
            var constant = plan.ZeroShotTasks.ToDictionary(t => t, _ => new DenseMetrics());
            var fromDepth = new DenseMetrics();
            bool derive = zeroShot && plan.ZeroShotTasks.Contains(Tasks.Normals) && plan.Tasks.Contains(Tasks.Depth);
            for (int start = 0; start < d.Count; start += EvaluationBatch)
            {
                using var scope = torch.NewDisposeScope();
                var rows = Enumerable.Range(start, Math.Min(EvaluationBatch, d.Count - start)).ToArray();
                var batch = DenseData.Batch(d, rows, device);
                var raw = model.Forward(batch.Images, plan.Tasks);
                foreach (var task in plan.Tasks)
                {
                    Accumulate(metrics[task], perImage[task], task, raw[task], batch);
                    Accumulate(floorMetrics[task], floorPerImage[task], task, floors[task].expand_as(raw[task]), batch);
                }
                if (constants is not null)
                    foreach (var task in plan.ZeroShotTasks) Accumulate(constant[task], null, task, constants[task].expand_as(raw[task]), batch);
                if (derive) fromDepth.AddNormals(DenseOutputs.NormalsFromDepth(DenseOutputs.Depth(raw[Tasks.Depth])), batch.Normals, batch.ValidMask);
            }
            string s = split.MetricName();
            foreach (var task in plan.Tasks)
                foreach (var metric in DenseMetrics.MetricsOf(task))
                {
                    results.Add(new FinalResult(s, task, domain, metric, metrics[task].Value(metric)));
                    results.Add(new FinalResult(s, task, domain, Floors.MetricOf(metric), floorMetrics[task].Value(metric)));
                }
            if (constants is not null)
                foreach (var task in plan.ZeroShotTasks)
                    foreach (var metric in DenseMetrics.MetricsOf(task)) results.Add(new FinalResult(s, task, domain, metric + "@constant", constant[task].Value(metric)));
            if (derive) results.Add(new FinalResult(s, Tasks.Normals, domain, "angular-error@from-depth", fromDepth.Value("angular-error")));

            foreach (var task in plan.Tasks)
            {
                var predictions = new EvaluationPredictions
                {
                    Step = step, Split = s, Task = task, Domain = domain, Predictor = EvaluationPredictions.ModelPredictor, ExampleIds = d.ExampleIds,
                    Metrics = perImage[task].ToDictionary(kv => kv.Key, kv => DenseMetrics.PerImage(kv.Key, kv.Value)),
                    MetricParts = perImage[task].ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()),
                };
                observer.OnPredictions(predictions);
                observer.OnPredictions(predictions with
                {
                    Predictor = EvaluationPredictions.FloorPredictor(Floors.ImageBlindPrior),
                    Metrics = floorPerImage[task].ToDictionary(kv => kv.Key, kv => DenseMetrics.PerImage(kv.Key, kv.Value)),
                    MetricParts = floorPerImage[task].ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()),
                });
            }
        }
        return results;
    }

    /// <summary>The prediction a task's raw output decodes to, as the metrics take it.</summary>
    public static Tensor Prediction(string task, Tensor raw) => Tasks.KindOf(task) switch
    {
        Tasks.Segmentation => raw.argmax(1),
        Tasks.Depth => DenseOutputs.Depth(raw),
        Tasks.Normals => DenseOutputs.Normals(raw),
        _ => DenseOutputs.Edges(raw),
    };

    private static void Accumulate(DenseMetrics m, Dictionary<string, List<double[]>>? perImage, string task, Tensor raw, DenseBatch batch)
    {
        var predicted = Prediction(task, raw);
        switch (Tasks.KindOf(task))
        {
            case Tasks.Segmentation: m.AddSegmentation(predicted, batch.Segmentation); break;
            case Tasks.Depth: m.AddDepth(predicted, batch.Depth, batch.ValidMask); break;
            case Tasks.Normals: m.AddNormals(predicted, batch.Normals, batch.ValidMask); break;
            default: m.AddEdges(predicted, batch.Edges); break;
        }
        if (perImage is null) return;
        foreach (var (metric, parts) in DenseMetrics.PerImageParts(task, predicted, batch)) perImage[metric].AddRange(parts);
    }
}
