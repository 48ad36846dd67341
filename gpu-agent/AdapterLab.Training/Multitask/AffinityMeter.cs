using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Api;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Multitask;

/// <summary>
/// One task-affinity update (two or more tasks), every <see cref="MultitaskPlan.AffinityInterval"/> steps: per-task gradients
/// of the losses w.r.t. φ (the representation entering the adapters) on the <see cref="MultitaskPlan.AffinityBatches"/>
/// batches the last steps trained on, taken together; from their Gram matrix the directional transfer statistic r (raw,
/// asymmetric) and the cosine; TROA takes one exponentiated-gradient step per target column along r; <c>cosine</c> is the
/// running mean of the symmetrised cosine; <c>tag-lookahead</c> the running mean of TAG's lookahead ratio at the fixed
/// <see cref="MultitaskPlan.TagLookaheadRate"/>. The estimator the plan names conditions the model; W, the raw r and the
/// raw cosine go to <see cref="ITrainingObserver.OnAffinity"/> at every update. The running state lives in the model's
/// buffers, so it checkpoints; the batches are a function of the step, so a resumed run updates identically.
/// </summary>
public static class AffinityMeter
{
    /// <summary>Per-task losses on a batch for affinity measurement (deterministic: eval mode).</summary>
    private static Tensor[] TaskLosses(MultitaskModel model, MultitaskPlan plan, Tensor phi, DenseBatch batch)
    {
        Tensor? common = model.SharesTokens ? model.Tokens(phi, 0) : null;
        return plan.Tasks.Select((task, t) => DenseLosses.For(task, model.Decode(task, common ?? model.Tokens(phi, t)), batch)).ToArray();
    }

    /// <param name="step">Steps taken so far (1-based: the update after step <paramref name="step"/>).</param>
    public static void Measure(MultitaskModel model, MultitaskPlan plan, DenseSplit source, DataOrder order, long step, Device device, ITrainingObserver observer)
    {
        if (!plan.MeasuresAffinity) return;
        using var scope = torch.NewDisposeScope();
        model.eval();
        int n = plan.Tasks.Count;
        var gram = new double[n, n];
        DenseBatch? first = null;
        for (int k = 0; k < MultitaskPlan.AffinityBatches; k++)
        {
            using var batchScope = torch.NewDisposeScope();
            var batch = DenseData.Batch(source, order.Batch(Math.Max(0, step - 1 - k)), device);
            Tensor phi;
            using (torch.no_grad()) phi = model.Shared(batch.Images);
            phi = phi.detach().requires_grad_(true);
            var losses = TaskLosses(model, plan, phi, batch);
            var grads = losses.Select((l, i) => torch.autograd.grad([l], [phi], retain_graph: i < n - 1)[0]).ToArray();
            var g = TaskAffinity.Gram(grads);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) gram[i, j] += g[i, j];
            if (k == 0)
            {
                first = batch;
                Tensor?[] kept = [batch.Images, batch.Segmentation, batch.Depth, batch.Normals, batch.Edges, batch.DepthValid, batch.NormalsValid];
                batchScope.MoveToOuter(kept.OfType<Tensor>().ToArray());
            }
        }
        var transfer = TaskAffinity.TransferFromGram(gram);
        var cosine = TaskAffinity.CosineFromGram(gram);

        double updates = model.AffinityUpdates.item<float>();
        var troa = TaskAffinity.TroaStep(Read(model.TroaWeights, n), transfer, plan.AffinityStep);
        var cosineMean = Read(model.CosineMean, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                cosineMean[i, j] = (cosineMean[i, j] * updates + 0.5 * (cosine[i, j] + cosine[j, i])) / (updates + 1);
        double[,]? tag = null;
        var sharedParameters = model.named_parameters()
            .Where(x => x.parameter.requires_grad && (x.name.StartsWith("adapters.") || x.name.StartsWith("encoder.")))
            .Select(x => (Tensor)x.parameter).ToList();
        if (plan.AllEstimators.Contains(Estimators.TagLookahead) && sharedParameters.Count > 0)
        {
            var z = TaskAffinity.TagLookahead(sharedParameters, () => TaskLosses(model, plan, model.Shared(first!.Images), first), MultitaskPlan.TagLookaheadRate);
            tag = Read(model.TagMean, n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) tag[i, j] = (tag[i, j] * updates + z[i, j]) / (updates + 1);
        }

        using (torch.no_grad())
        {
            Write(model.TroaWeights, troa);
            Write(model.CosineMean, cosineMean);
            if (tag is not null) Write(model.TagMean, tag);
            model.AffinityUpdates.add_(1);
            var conditioning = plan.Estimator switch
            {
                Estimators.Troa => troa,
                Estimators.Cosine => TaskAffinity.ConditioningWeights(cosineMean),
                _ => tag is null ? Read(model.Conditioning, n) : TaskAffinity.ConditioningWeights(tag),
            };
            Write(model.Conditioning, conditioning);
        }

        var taskOrder = plan.Tasks;
        observer.OnAffinity(step, Estimators.GradientCosine, taskOrder, TaskAffinity.Flatten(cosine));
        observer.OnAffinity(step, Estimators.DirectionalTransfer, taskOrder, TaskAffinity.Flatten(transfer));
        foreach (var estimator in plan.AllEstimators)
        {
            var matrix = estimator switch { Estimators.Troa => troa, Estimators.Cosine => cosineMean, _ => tag };
            if (matrix is not null) observer.OnAffinity(step, estimator, taskOrder, TaskAffinity.Flatten(matrix));
        }
    }

    private static double[,] Read(Tensor t, int n) => TaskAffinity.Unflatten(t.detach().cpu().to(ScalarType.Float64).data<double>().ToArray(), n);

    private static void Write(Tensor t, double[,] values)
    {
        using var src = torch.tensor(TaskAffinity.Flatten(values), [values.GetLength(0), values.GetLength(1)]).to(t.dtype).to(t.device);
        t.copy_(src);
    }
}
