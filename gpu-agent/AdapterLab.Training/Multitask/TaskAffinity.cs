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

    /// <summary>TROA: one EG step per target column j of W (A[i→j] = W[i, j], each column on the simplex).</summary>
    public static double[,] TroaStep(double[,] w, double[,] cosine, double eta)
    {
        int n = w.GetLength(0);
        var next = new double[n, n];
        for (int j = 0; j < n; j++)
        {
            var column = Enumerable.Range(0, n).Select(i => w[i, j]).ToArray();
            var c = Enumerable.Range(0, n).Select(i => cosine[i, j]).ToArray();
            var updated = ExponentiatedGradientStep(column, c, eta);
            for (int i = 0; i < n; i++) next[i, j] = updated[i];
        }
        return next;
    }

    /// <summary>Pairwise cosine of flattened per-task gradients (c_ii = 1; 0 where a gradient vanishes).</summary>
    public static double[,] GradientCosine(IReadOnlyList<Tensor> gradients)
    {
        int n = gradients.Count;
        var c = new double[n, n];
        using var scope = torch.NewDisposeScope();
        var flat = gradients.Select(g => g.flatten().to(ScalarType.Float64)).ToArray();
        var norms = flat.Select(f => f.norm().item<double>()).ToArray();
        for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            c[i, j] = i == j ? 1 : norms[i] * norms[j] == 0 ? 0 : flat[i].dot(flat[j]).item<double>() / (norms[i] * norms[j]);
        return c;
    }

    /// <summary>
    /// TAG lookahead (Fifty et al. 2021): Z[i→j] = 1 − L_j(θ_s − lr·∇θ_s L_i) / L_j(θ_s), one plain SGD lookahead step on
    /// the shared parameters per source task i, weights restored afterwards. <paramref name="losses"/> evaluates every
    /// task's loss on the same batch (it must be deterministic: no dropout).
    /// </summary>
    public static double[,] TagLookahead(IReadOnlyList<Tensor> shared, Func<Tensor[]> losses, double lr)
    {
        using var scope = torch.NewDisposeScope();
        var before = losses();
        int n = before.Length;
        var baseline = before.Select(l => l.item<float>()).Select(v => (double)v).ToArray();
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
                for (int j = 0; j < n; j++) z[i, j] = baseline[j] == 0 ? 0 : 1 - after[j].item<float>() / baseline[j];
            }
            using (torch.no_grad())
                for (int k = 0; k < shared.Count; k++) shared[k].copy_(saved[k]);
        }
        return z;
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
