using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Api;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Multitask;

/// <summary>
/// Task affinity at an evaluation step (two or more tasks): per-task gradients of the losses w.r.t. φ (the
/// representation entering the adapters) on one training batch give the raw cosine matrix; TROA takes one
/// exponentiated-gradient step per target column with η; <c>cosine</c> is the running mean of the symmetrised cosine;
/// <c>tag-lookahead</c> the running mean of TAG's lookahead ratio (÷ lr) over the shared trainable parameters. The
/// estimator the plan names conditions the model; every matrix, with the raw one, goes to
/// <see cref="ITrainingObserver.OnAffinity"/>. The running state lives in the model's buffers, so it checkpoints.
/// </summary>
public static class AffinityMeter
{
    /// <summary>Per-task losses on a batch for affinity measurement (deterministic: eval mode).</summary>
    private static Tensor[] TaskLosses(MultitaskModel model, MultitaskPlan plan, Tensor phi, DenseBatch batch)
    {
        Tensor? common = model.SharesTokens ? model.Tokens(phi, 0) : null;
        return plan.Tasks.Select((task, t) => DenseLosses.For(task, model.Decode(task, common ?? model.Tokens(phi, t)), batch)).ToArray();
    }

    public static void Measure(MultitaskModel model, MultitaskPlan plan, DenseSplit source, DataOrder order, long step, double lr, Device device, ITrainingObserver observer)
    {
        if (!plan.MeasuresAffinity) return;
        using var scope = torch.NewDisposeScope();
        model.eval();
        int n = plan.Tasks.Count;
        var batch = DenseData.Batch(source, order.Batch(step), device);
        Tensor phi;
        using (torch.no_grad()) phi = model.Shared(batch.Images);
        phi = phi.detach().requires_grad_(true);
        var losses = TaskLosses(model, plan, phi, batch);
        var grads = losses.Select((l, i) => torch.autograd.grad([l], [phi], retain_graph: i < n - 1)[0]).ToArray();
        var cosine = TaskAffinity.GradientCosine(grads);

        double updates = model.AffinityUpdates.item<float>();
        var troa = TaskAffinity.TroaStep(Read(model.TroaWeights, n), cosine, plan.AffinityStep);
        var symmetric = new double[n, n];
        var cosineMean = Read(model.CosineMean, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                symmetric[i, j] = 0.5 * (cosine[i, j] + cosine[j, i]);
                cosineMean[i, j] = (cosineMean[i, j] * updates + symmetric[i, j]) / (updates + 1);
            }
        double[,]? tag = null;
        var sharedParameters = model.named_parameters()
            .Where(x => x.parameter.requires_grad && (x.name.StartsWith("adapters.") || x.name.StartsWith("encoder.")))
            .Select(x => (Tensor)x.parameter).ToList();
        if (plan.AllEstimators.Contains(Estimators.TagLookahead) && sharedParameters.Count > 0)
        {
            double lookahead = Math.Max(lr, 1e-6);
            var z = TaskAffinity.TagLookahead(sharedParameters, () =>
            {
                var p = model.Shared(batch.Images);
                return TaskLosses(model, plan, p, batch);
            }, lookahead);
            tag = Read(model.TagMean, n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) tag[i, j] = (tag[i, j] * updates + z[i, j] / lookahead) / (updates + 1);
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

        var order2 = plan.Tasks;
        observer.OnAffinity(step, Estimators.GradientCosine, order2, TaskAffinity.Flatten(cosine));
        foreach (var estimator in plan.AllEstimators)
        {
            var matrix = estimator switch { Estimators.Troa => troa, Estimators.Cosine => cosineMean, _ => tag };
            if (matrix is not null) observer.OnAffinity(step, estimator, order2, TaskAffinity.Flatten(matrix));
        }
    }

    private static double[,] Read(Tensor t, int n) => TaskAffinity.Unflatten(t.detach().cpu().to(ScalarType.Float64).data<double>().ToArray(), n);

    private static void Write(Tensor t, double[,] values)
    {
        using var src = torch.tensor(TaskAffinity.Flatten(values), [values.GetLength(0), values.GetLength(1)]).to(t.dtype).to(t.device);
        t.copy_(src);
    }
}
