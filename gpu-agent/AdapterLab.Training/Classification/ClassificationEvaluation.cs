using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Api;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Classification;

/// <summary>
/// Accuracy on validation and test of every evaluation domain, each example's outcome (id, label, predicted class,
/// probabilities) handed to the observer, and the majority-class floor evaluated on the same examples.
/// </summary>
public static class ClassificationEvaluation
{
    private const int EvaluationBatch = 256;

    /// <summary>The floor's class: the most frequent training label (the lowest index on a tie).</summary>
    public static int MajorityClass(IReadOnlyList<int> trainLabels, int classes)
    {
        var counts = new long[Math.Max(1, classes)];
        foreach (var label in trainLabels) counts[label]++;
        return Array.IndexOf(counts, counts.Max());
    }

    public static List<FinalResult> Evaluate(VisionTransformer model, ClassificationPlan plan, FeatureCache features, Device device,
        int majorityClass, long step, ITrainingObserver observer)
    {
        model.eval();
        var results = new List<FinalResult>();
        foreach (var split in new[] { DataSplit.Validation, DataSplit.Test })
        {
            foreach (var domain in plan.EvaluationDomains)
            {
                var data = plan.Split(domain, split);
                var predicted = new int[data.Count];
                var probabilities = new float[data.Count][];
                int[][]? classesOf = plan.Model.Classes > EvaluationPredictions.MaxFullProbabilityClasses ? new int[data.Count][] : null;
                using (torch.no_grad())
                    for (int start = 0; start < data.Count; start += EvaluationBatch)
                    {
                        using var scope = torch.NewDisposeScope();
                        var rows = Enumerable.Range(start, Math.Min(EvaluationBatch, data.Count - start)).ToArray();
                        Tensor logits;
                        if (plan.CachesFeatures)
                        {
                            using var index = torch.arange(start, start + rows.Length, device: device);
                            logits = model.Classify(features.For(data).index_select(0, index));
                        }
                        else logits = model.forward(data.ImagesTensor(rows, device));
                        Collect(logits, start, predicted, probabilities, classesOf);
                    }

                long correct = 0, floorCorrect = 0;
                for (int i = 0; i < data.Count; i++)
                {
                    if (predicted[i] == data.Labels[i]) correct++;
                    if (majorityClass == data.Labels[i]) floorCorrect++;
                }
                string s = split.MetricName();
                results.Add(new FinalResult(s, Tasks.Classification, domain, "accuracy", data.Count == 0 ? 0 : (double)correct / data.Count));
                results.Add(new FinalResult(s, Tasks.Classification, domain, Floors.MetricOf("accuracy"), data.Count == 0 ? 0 : (double)floorCorrect / data.Count));

                var basis = new EvaluationPredictions
                {
                    Step = step, Split = s, Task = Tasks.Classification, Domain = domain, Predictor = EvaluationPredictions.ModelPredictor,
                    ExampleIds = data.ExampleIds, Labels = data.Labels.ToArray(), Predicted = predicted,
                    Probabilities = probabilities, ProbabilityClasses = classesOf,
                };
                observer.OnPredictions(basis);
                observer.OnPredictions(basis with
                {
                    Predictor = EvaluationPredictions.FloorPredictor(Floors.MajorityClass),
                    Predicted = Enumerable.Repeat(majorityClass, data.Count).ToArray(),
                    Probabilities = null, ProbabilityClasses = null,
                });
            }
        }
        return results;
    }

    /// <summary>
    /// Several heads (supervised pretraining on <c>data.labelFamilies</c>): per family, accuracy on validation and test of
    /// every evaluation domain as metric <c>accuracy:&lt;family&gt;</c>, beside its majority-class floor. Per-example
    /// predictions are single-label only and are not stored for these runs.
    /// </summary>
    public static List<FinalResult> EvaluateHeads(VisionTransformer model, ClassificationPlan plan, IReadOnlyList<AdapterLab.Contracts.Catalogue.LabelFamily> heads,
        Device device, IReadOnlyList<int> trainLabels)
    {
        model.eval();
        var strides = new int[heads.Count];
        for (int h = 0, stride = 1; h < heads.Count; stride *= heads[h].Classes.Count, h++) strides[h] = stride;
        int Own(int label, int h) => label / strides[h] % heads[h].Classes.Count;
        var majority = Enumerable.Range(0, heads.Count).Select(h => MajorityClass(trainLabels.Select(l => Own(l, h)).ToList(), heads[h].Classes.Count)).ToArray();
        var results = new List<FinalResult>();
        foreach (var split in new[] { DataSplit.Validation, DataSplit.Test })
            foreach (var domain in plan.EvaluationDomains)
            {
                var data = plan.Split(domain, split);
                var correct = new long[heads.Count];
                var floorCorrect = new long[heads.Count];
                using (torch.no_grad())
                    for (int start = 0; start < data.Count; start += EvaluationBatch)
                    {
                        using var scope = torch.NewDisposeScope();
                        var rows = Enumerable.Range(start, Math.Min(EvaluationBatch, data.Count - start)).ToArray();
                        var logits = model.forward(data.ImagesTensor(rows, device));
                        long offset = 0;
                        for (int h = 0; h < heads.Count; h++)
                        {
                            int c = heads[h].Classes.Count;
                            var predicted = logits.narrow(1, offset, c).argmax(1).cpu().data<long>().ToArray();
                            offset += c;
                            for (int i = 0; i < rows.Length; i++)
                            {
                                int truth = Own(data.Labels[rows[i]], h);
                                if (predicted[i] == truth) correct[h]++;
                                if (majority[h] == truth) floorCorrect[h]++;
                            }
                        }
                    }
                for (int h = 0; h < heads.Count; h++)
                {
                    string metric = $"accuracy:{heads[h].Name}";
                    results.Add(new FinalResult(split.MetricName(), Tasks.Classification, domain, metric, data.Count == 0 ? 0 : (double)correct[h] / data.Count));
                    results.Add(new FinalResult(split.MetricName(), Tasks.Classification, domain, Floors.MetricOf(metric), data.Count == 0 ? 0 : (double)floorCorrect[h] / data.Count));
                }
            }
        return results;
    }

    /// <summary>Argmax and probabilities of a batch of logits (every class, or the top k with their indices).</summary>
    private static void Collect(Tensor logits, int start, int[] predicted, float[][] probabilities, int[][]? classesOf)
    {
        var argmax = logits.argmax(1).cpu().data<long>().ToArray();
        var p = logits.softmax(1).cpu();
        int n = argmax.Length;
        if (classesOf is null)
        {
            int c = (int)p.shape[1];
            var flat = p.contiguous().data<float>().ToArray();
            for (int i = 0; i < n; i++) probabilities[start + i] = flat.AsSpan(i * c, c).ToArray();
        }
        else
        {
            int k = EvaluationPredictions.MaxFullProbabilityClasses;
            var (values, indices) = p.topk(k, dim: 1);
            var v = values.contiguous().data<float>().ToArray();
            var ix = indices.contiguous().data<long>().ToArray();
            for (int i = 0; i < n; i++)
            {
                probabilities[start + i] = v.AsSpan(i * k, k).ToArray();
                classesOf[start + i] = ix.AsSpan(i * k, k).ToArray().Select(x => (int)x).ToArray();
            }
        }
        for (int i = 0; i < n; i++) predicted[start + i] = (int)argmax[i];
    }
}
