using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Multitask;

/// <summary>Task-affinity estimators (pure functions; matrices row = source i, column = target j, row-major).</summary>
public static class TaskAffinity
{
    /// <summary>
    /// One exponentiated-gradient (mirror-descent, negative-entropy map) step on the simplex for one target:
    /// w[i] ← w[i]·exp(η·c[i]) / Σₖ w[k]·exp(η·c[k]) (the loss gradient for source i is −c[i]); computed in log space.
    /// </summary>
    public static double[] ExponentiatedGradientStep(IReadOnlyList<double> w, IReadOnlyList<double> cosine, double eta)
    {
        int n = w.Count;
        var logits = new double[n];
        for (int i = 0; i < n; i++) logits[i] = Math.Log(Math.Max(w[i], 1e-300)) + eta * cosine[i];
        double max = logits.Max();
        double sum = 0;
        for (int i = 0; i < n; i++) sum += logits[i] = Math.Exp(logits[i] - max);
        for (int i = 0; i < n; i++) logits[i] /= sum;
        return logits;
    }

    /// <summary>TROA: one EG step per target column j of W (A[i→j] = W[i, j], each column on the simplex) along the transfer statistic r[·→j].</summary>
    public static double[,] TroaStep(double[,] w, double[,] transfer, double eta)
    {
        int n = w.GetLength(0);
        var next = new double[n, n];
        for (int j = 0; j < n; j++)
        {
            var column = Enumerable.Range(0, n).Select(i => w[i, j]).ToArray();
            var c = Enumerable.Range(0, n).Select(i => transfer[i, j]).ToArray();
            var updated = ExponentiatedGradientStep(column, c, eta);
            for (int i = 0; i < n; i++) next[i, j] = updated[i];
        }
        return next;
    }

    /// <summary>
    /// The directional transfer statistic (ml-spec): r[i→j] = ⟨gᵢ, gⱼ⟩ / ‖gⱼ‖², clipped to [−1, 1] — the first-order share
    /// of task j's own loss decrease that a step along task i's gradient buys (r[j→j] = 1; 0 where gⱼ vanishes). Unlike
    /// the cosine it is asymmetric: a task whose gradient contains another's transfers fully to it, not back.
    /// </summary>
    public static double[,] DirectionalTransfer(IReadOnlyList<Tensor> gradients) => TransferFromGram(Gram(gradients));

    /// <summary>r from the Gram matrix G[i, j] = ⟨gᵢ, gⱼ⟩ (summed over batches: the gradients of several batches as one vector).</summary>
    public static double[,] TransferFromGram(double[,] gram)
    {
        int n = gram.GetLength(0);
        var r = new double[n, n];
        for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            r[i, j] = i == j ? 1 : gram[j, j] == 0 ? 0 : Math.Clamp(gram[i, j] / gram[j, j], -1, 1);
        return r;
    }

    /// <summary>Pairwise cosine of flattened per-task gradients (c_ii = 1; 0 where a gradient vanishes).</summary>
    public static double[,] GradientCosine(IReadOnlyList<Tensor> gradients) => CosineFromGram(Gram(gradients));

    public static double[,] CosineFromGram(double[,] gram)
    {
        int n = gram.GetLength(0);
        var c = new double[n, n];
        for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            c[i, j] = i == j ? 1 : gram[i, i] * gram[j, j] == 0 ? 0 : gram[i, j] / Math.Sqrt(gram[i, i] * gram[j, j]);
        return c;
    }

    /// <summary>G[i, j] = ⟨gᵢ, gⱼ⟩ of flattened gradients, in float64.</summary>
    public static double[,] Gram(IReadOnlyList<Tensor> gradients)
    {
        int n = gradients.Count;
        var g = new double[n, n];
        using var scope = torch.NewDisposeScope();
        var flat = gradients.Select(x => x.flatten().to(ScalarType.Float64)).ToArray();
        for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++)
            g[i, j] = g[j, i] = flat[i].dot(flat[j]).item<double>();
        return g;
    }

    /// <summary>
    /// TAG lookahead (Fifty et al. 2021): Z[i→j] = 1 − L_j(θ_s − lr·∇θ_s L_i) / L_j(θ_s), one plain SGD lookahead step on
    /// the shared parameters per source task i, weights restored afterwards; the ratio in float64 from the losses' values.
    /// <paramref name="losses"/> evaluates every task's loss on the same batch (it must be deterministic: no dropout);
    /// <paramref name="lr"/> is a fixed lookahead rate, never the schedule's.
    /// </summary>
    public static double[,] TagLookahead(IReadOnlyList<Tensor> shared, Func<Tensor[]> losses, double lr)
    {
        using var scope = torch.NewDisposeScope();
        var before = losses();
        int n = before.Length;
        var baseline = before.Select(LossValue).ToArray();
        var z = new double[n, n];
        // All gradients first: the lookahead edits the shared tensors in place, which would invalidate the graph.
        var allGrads = Enumerable.Range(0, n)
            .Select(i => torch.autograd.grad([before[i]], shared.ToList(), retain_graph: i < n - 1, allow_unused: true).ToArray())
            .ToArray();
        for (int i = 0; i < n; i++)
        {
            var grads = allGrads[i];
            var saved = shared.Select(p => p.detach().clone()).ToArray();
            using (torch.no_grad())
                for (int k = 0; k < shared.Count; k++)
                    if (grads[k] is { } g && !g.IsInvalid) shared[k].sub_(g * lr);
            using (torch.no_grad())
            {
                var after = losses();
                for (int j = 0; j < n; j++) z[i, j] = baseline[j] == 0 ? 0 : 1 - LossValue(after[j]) / baseline[j];
            }
            using (torch.no_grad())
                for (int k = 0; k < shared.Count; k++) shared[k].copy_(saved[k]);
        }
        return z;
    }

    private static double LossValue(Tensor loss)
    {
        using var wide = loss.detach().to(ScalarType.Float64);
        return wide.item<double>();
    }

    /// <summary>‖A − Aᵀ‖_F / ‖A‖_F.</summary>
    public static double Asymmetry(double[,] a)
    {
        int n = a.GetLength(0);
        double diff = 0, norm = 0;
        for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) { diff += Math.Pow(a[i, j] - a[j, i], 2); norm += a[i, j] * a[i, j]; }
        return norm == 0 ? 0 : Math.Sqrt(diff / norm);
    }

    /// <summary>
    /// Column weights that mix task embeddings for each target: a matrix's non-negative part, each column normalised
    /// to the simplex (a column without positive entries falls back to the task itself).
    /// </summary>
    public static double[,] ConditioningWeights(double[,] a)
    {
        int n = a.GetLength(0);
        var w = new double[n, n];
        for (int j = 0; j < n; j++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += Math.Max(0, a[i, j]);
            for (int i = 0; i < n; i++) w[i, j] = sum <= 1e-12 ? (i == j ? 1 : 0) : Math.Max(0, a[i, j]) / sum;
        }
        return w;
    }

    public static double[] Flatten(double[,] a) => a.Cast<double>().ToArray();

    public static double[,] Unflatten(IReadOnlyList<double> values, int n)
    {
        var a = new double[n, n];
        for (int i = 0; i < n * n; i++) a[i / n, i % n] = values[i];
        return a;
    }
}
