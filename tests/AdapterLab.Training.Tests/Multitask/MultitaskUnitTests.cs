using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Multitask;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Tests.Multitask;

[Collection(TorchCollection.Name)]
public sealed class MultitaskUnitTests
{
    internal static ExperimentSpec Spec(string method = Methods.Vtagml, string[]? tasks = null, string setting = Settings.Multitask) => new()
    {
        Kind = Kinds.Multitask,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci" },
        Method = new MethodSpec { Name = method, AdapterBlocks = method == Methods.Vtagml ? 1 : null },
        Tasks = tasks ?? [Tasks.Segmentation, Tasks.Depth, Tasks.Normals, Tasks.Edges],
        Data = new DataSpec { Setting = setting, TrainSize = 16, ValidationSize = 8, TestSize = 8 },
        Training = new TrainingSpec { Steps = 2, BatchSize = 4 },
    };

    [Fact]
    public void Taa_bias_is_block_diagonal_and_equals_blockdiag_beta_when_A_is_zero()
    {
        torch.random.manual_seed(3);
        var taa = new TaskAdaptedAttention(96, 3, 64, 8, 64);
        var omega = torch.randn(2, 64);
        var bias = taa.Bias(omega);
        Assert.Equal(new long[] { 2, 65, 65 }, bias.shape);
        var (_, beta) = taa.Film(omega);
        var b = bias.data<float>().ToArray();
        var be = beta.data<float>().ToArray();
        for (int s = 0; s < 2; s++)
            for (int i = 0; i < 65; i++)
                for (int j = 0; j < 65; j++)
                {
                    float v = b[s * 65 * 65 + i * 65 + j];
                    if (i == 0 || j == 0 || (i - 1) / 8 != (j - 1) / 8) Assert.Equal(0f, v); // CLS row/column and off-block: exactly 0
                    else Assert.Equal(be[s * 8 + (j - 1) % 8], v, 6); // A = 0 ⇒ each diagonal block is β broadcast over rows
                }
        // A ≠ 0 keeps the structure.
        using (torch.no_grad()) taa.Matrix.normal_();
        var b2 = taa.Bias(omega).data<float>().ToArray();
        for (int i = 1; i < 65; i++) for (int j = 1; j < 65; j++)
            if ((i - 1) / 8 != (j - 1) / 8) Assert.Equal(0f, b2[i * 65 + j]);
    }

    [Fact]
    public void Tsn_equals_the_frozen_layer_norm_when_its_generator_is_zero()
    {
        torch.random.manual_seed(4);
        var tsn = new TaskScaledNorm(96, 64);
        var ln = nn.LayerNorm([96], eps: 1e-6);
        using (torch.no_grad())
        {
            ln.weight!.normal_(1, 0.2); ln.bias!.normal_(0, 0.2);
            var p = tsn.named_parameters().ToDictionary(x => x.name, x => x.parameter);
            p["weight"].copy_(ln.weight); p["bias"].copy_(ln.bias);
        }
        var x = torch.randn(2, 65, 96);
        var omega = torch.randn(2, 64) * 5;
        Assert.True(torch.allclose(tsn.forward(x, omega), ln.forward(x), 1e-5, 1e-5));
    }

    [Fact]
    public void Exponentiated_gradient_step_stays_on_the_simplex_and_matches_the_worked_example()
    {
        var w = TaskAffinity.ExponentiatedGradientStep([0.25, 0.25, 0.25, 0.25], [1, 0.5, 0, -0.5], 1.0);
        Assert.Equal(1.0, w.Sum(), 12);
        Assert.All(w, v => Assert.True(v > 0));
        double z = Math.Exp(1) + Math.Exp(0.5) + 1 + Math.Exp(-0.5);
        Assert.Equal(Math.Exp(1) / z, w[0], 12);
        Assert.Equal(0.455, w[0], 3); Assert.Equal(0.276, w[1], 3); Assert.Equal(0.167, w[2], 3); Assert.Equal(0.102, w[3], 3);
        var troa = TaskAffinity.TroaStep(new double[,] { { 0.7, 0.3 }, { 0.3, 0.7 } }, new double[,] { { 1, -0.2 }, { 0.4, 1 } }, 0.1);
        for (int j = 0; j < 2; j++) Assert.Equal(1.0, troa[0, j] + troa[1, j], 12);
        Assert.True(TaskAffinity.Asymmetry(troa) > 0);
    }

    [Fact]
    public void Tag_affinity_is_positive_for_identical_tasks_and_negative_for_opposed_targets()
    {
        var shared = torch.zeros(3).requires_grad_(true);
        var a = torch.tensor(new float[] { 1, -2, 0.5f });
        var z = TaskAffinity.TagLookahead([shared], () =>
        [
            (shared - a).pow(2).sum(),
            (shared - a).pow(2).sum(),
            (shared + a).pow(2).sum(),
        ], 0.1);
        Assert.True(z[0, 1] > 0 && z[1, 0] > 0);
        Assert.True(z[0, 2] < 0 && z[2, 0] < 0);
        Assert.Equal(0f, shared.data<float>().ToArray().Select(Math.Abs).Max()); // restored
    }

    [Fact]
    public void Rotate_loss_is_zero_for_a_one_pixel_shifted_prediction()
    {
        torch.random.manual_seed(5);
        var target = torch.randn(2, 3, 16, 16);
        var shifted = torch.roll(target, [1, -1], [2, 3]); // prediction = target moved by one pixel (down, left)
        Assert.True(DenseLosses.Rotate(shifted, target).item<float>() < 1e-6);
        Assert.True(DenseLosses.Rotate(torch.roll(target, [2], [2]), target).item<float>() > 0.1);
        var mask = torch.ones(2, 1, 16, 16);
        Assert.True(DenseLosses.Rotate(shifted, target, mask).item<float>() < 1e-6);
    }

    [Fact]
    public void Normals_agree_with_the_depth_gradient_on_smooth_object_surfaces()
    {
        const int size = 64;
        double sum = 0; int count = 0;
        for (int index = 0; index < 40; index++)
        {
            var scene = SceneGenerator.Generate(ShapesWorldDataset.WorldSeed, index);
            var g = SceneRenderer.Geometry(scene, size);
            int hw = size * size;
            for (int y = 2; y < size - 2; y++)
            for (int x = 2; x < size - 2; x++)
            {
                int i = y * size + x, id = g.ObjectId[i];
                if (id <= 0) continue;
                bool smooth = true;
                for (int dy = -2; dy <= 2 && smooth; dy++) for (int dx = -2; dx <= 2; dx++) if (g.ObjectId[i + dy * size + dx] != id) { smooth = false; break; }
                if (!smooth || g.Normals[2 * hw + i] < 0.5) continue;
                double gx = (g.Depth[i + 1] - g.Depth[i - 1]) * size / 2.0, gy = (g.Depth[i + size] - g.Depth[i - size]) * size / 2.0;
                double len = Math.Sqrt(gx * gx + gy * gy + 1);
                double cos = (gx * g.Normals[i] + gy * g.Normals[hw + i] + g.Normals[2 * hw + i]) / len;
                sum += Math.Acos(Math.Clamp(cos, -1, 1)) * 180 / Math.PI;
                count++;
                var n = Math.Sqrt(Math.Pow(g.Normals[i], 2) + Math.Pow(g.Normals[hw + i], 2) + Math.Pow(g.Normals[2 * hw + i], 2));
                Assert.Equal(1.0, n, 4);
            }
        }
        Assert.True(count > 1000, $"{count} smooth pixels");
        Assert.True(sum / count < 3, $"mean angle between normals and depth-gradient normals {sum / count:F2}°");
    }

    [Fact]
    public void Segmentation_boundaries_appear_in_the_edge_map_and_edges_ignore_the_domain()
    {
        const int size = 32;
        int boundaries = 0, detected = 0;
        for (int index = 0; index < 30; index++)
        {
            var scene = SceneGenerator.Generate(ShapesWorldDataset.WorldSeed, index);
            var g = SceneRenderer.Geometry(scene, size);
            var seg = DenseTargets.Segmentation(scene, g);
            var edges = DenseTargets.Edges(g);
            Assert.All(edges, e => Assert.InRange(e, 0f, 1f));
            for (int y = 0; y < size; y++)
            for (int x = 0; x + 1 < size; x++)
            {
                int i = y * size + x;
                if (g.ObjectId[i] == g.ObjectId[i + 1]) continue;
                boundaries++;
                if (Math.Max(edges[i], edges[i + 1]) > 0.05) detected++;
            }
        }
        Assert.True(boundaries > 100);
        Assert.True(detected >= 0.98 * boundaries, $"{detected}/{boundaries} boundaries found in the edge map");
        var a = DenseShapesWorld.Split(ShapesWorldDataset.WorldSeed, "synthetic", DataSplit.Test, 4, size);
        var b = DenseShapesWorld.Split(ShapesWorldDataset.WorldSeed, "fog", DataSplit.Test, 4, size);
        Assert.Equal(a.Edges, b.Edges);
        Assert.Equal(a.Segmentation, b.Segmentation);
        Assert.NotEqual(a.Pixels, b.Pixels);
        Assert.True(a.Segmentation.Distinct().Count() >= 5 || a.Segmentation.Distinct().Count() >= 3);
    }

    [Fact]
    public void The_negative_control_moves_each_tasks_targets_from_another_image_scrambles_them_and_keeps_each_mask_with_its_targets()
    {
        const int size = 32, n = 64;
        var split = DenseShapesWorld.Split(ShapesWorldDataset.WorldSeed, "synthetic", DataSplit.Train, n, size);
        var shuffled = split.WithShuffledTargets(seed: 3);
        Assert.Equal(split.Pixels, shuffled.Pixels);
        int plane = size * size;
        float[] Valid(DenseSplit s) => s.Segmentation.Select(c => c == DenseTargets.SkyClass ? 0f : 1f).ToArray();
        // Each image's (depth, mask) pairs, order-free: the control's image i holds exactly the pairs of one original image.
        string Pairs(float[] depth, float[] mask, int image) => string.Join(",", Enumerable.Range(image * plane, plane).Select(k => (depth[k], mask[k])).Order());
        var originals = Enumerable.Range(0, n).Select(j => Pairs(split.Depth, Valid(split), j)).ToList();
        var sources = Enumerable.Range(0, n).Select(i => originals.IndexOf(Pairs(shuffled.Depth, shuffled.DepthValid!, i))).ToArray();
        Assert.DoesNotContain(-1, sources); // a mask from another image than its depth would break the pairs (sky depth counted)
        Assert.Equal(n, sources.Distinct().Count());
        Assert.True(sources.Where((j, i) => j != i).Count() >= n / 2, "most images' depth comes from another image");
        // The normals' mask travels with the normals, not with the depth.
        Assert.NotEqual(shuffled.DepthValid, shuffled.NormalsValid);
        // Spatially scrambled: the layout prior (sky on top) is gone — per-position sky frequency is flat.
        double Spread(int[] seg)
        {
            var freq = Enumerable.Range(0, plane).Select(k => Enumerable.Range(0, n).Count(i => seg[i * plane + k] == DenseTargets.SkyClass) / (double)n).ToArray();
            double mean = freq.Average();
            return Math.Sqrt(freq.Sum(f => (f - mean) * (f - mean)) / plane);
        }
        Assert.True(Spread(shuffled.Segmentation) < 0.5 * Spread(split.Segmentation), $"layout survives: {Spread(shuffled.Segmentation):0.000} vs {Spread(split.Segmentation):0.000}");
        // A batch carries the control's masks, and the losses use them.
        var batch = DenseData.Batch(shuffled, [0, 1, 2, 3], torch.CPU);
        Assert.Equal(shuffled.DepthValid!.AsSpan(0, 4 * plane).ToArray(), batch.DepthMask.data<float>().ToArray());
        // Reproducible from the seed, different for another.
        Assert.Equal(shuffled.Normals, split.WithShuffledTargets(seed: 3).Normals);
        Assert.NotEqual(shuffled.Normals, split.WithShuffledTargets(seed: 4).Normals);
        Assert.Null(split.DepthValid);
    }

    [Fact]
    public void Troa_is_asymmetric_when_one_tasks_gradient_contains_the_others_and_cosine_is_not()
    {
        // g₂ = g₁ + b with b ⟂ g₁ and ‖b‖ = 2‖g₁‖: a step on task 2 buys task 1 all of its own decrease (r[2→1] = 1), a
        // step on task 1 buys task 2 only ‖g₁‖² / ‖g₂‖² = 1/5 of its own (r[1→2] = 0.2).
        var g1 = torch.tensor(new double[] { 1, 0, 0 });
        var g2 = torch.tensor(new double[] { 1, 2, 0 });
        var r = TaskAffinity.DirectionalTransfer([g1, g2]);
        Assert.Equal(1.0, r[1, 0], 12);
        Assert.Equal(0.2, r[0, 1], 12);
        Assert.Equal(1.0, r[0, 0]); Assert.Equal(1.0, r[1, 1]);
        var cosine = TaskAffinity.GradientCosine([g1, g2]);
        Assert.Equal(cosine[0, 1], cosine[1, 0], 12);
        // TROA from its uniform start, a few updates: target 1 keeps weighing task 2 as much as itself, target 2 does not.
        var w = new double[,] { { 0.5, 0.5 }, { 0.5, 0.5 } };
        for (int k = 0; k < 4; k++) w = TaskAffinity.TroaStep(w, r, 0.5);
        Assert.Equal(0.5, w[1, 0], 12);
        Assert.True(w[0, 1] < 0.25, $"W[1→2] = {w[0, 1]}");
        Assert.True(TaskAffinity.Asymmetry(w) > 0.2);
        // Clipped to [−1, 1]: a large opposed gradient cannot dominate.
        var opposed = TaskAffinity.DirectionalTransfer([torch.tensor(new double[] { -10, 0 }), torch.tensor(new double[] { 1, 0 })]);
        Assert.Equal(-1.0, opposed[0, 1]);
        Assert.Equal(TaskAffinity.TransferFromGram(TaskAffinity.Gram([g1, g2])), r);
    }

    [Fact]
    public void Edge_loss_balances_the_classes_and_the_ods_f_measure_sweeps_one_threshold_for_the_set()
    {
        // HED: positives weighted by the negative share β, negatives by 1 − β — a map predicting "no edge" everywhere
        // pays as much on the rare edges as a map predicting "edge" everywhere pays on the background.
        var edges = torch.zeros(1, 1, 4, 4);
        edges[0, 0, 0, 0] = torch.tensor(1f);
        var none = DenseLosses.BalancedEdges(torch.full(1, 1, 4, 4, -4f), edges).item<float>();
        var all = DenseLosses.BalancedEdges(torch.full(1, 1, 4, 4, 4f), edges).item<float>();
        Assert.Equal(none, all, 3);
        // ODS: parts [TP…, FP…, FN…] per threshold, summed over images, the best threshold's F.
        int t = AdapterLab.Contracts.Predictions.DenseMetricParts.EdgeThresholds.Count;
        var parts = new double[3 * t];
        for (int k = 0; k < t; k++) { parts[k] = 10 - k * 0.5; parts[t + k] = 10 - k * 0.5; parts[2 * t + k] = k * 0.5; }
        double best = Enumerable.Range(0, t).Max(k => 2 * parts[k] / (2 * parts[k] + parts[t + k] + parts[2 * t + k]));
        Assert.Equal(best, AdapterLab.Contracts.Predictions.DenseMetricParts.Formula("odsf")!(parts), 12);
        Assert.Equal(["odsf", "l1"], DenseMetrics.MetricsOf(Tasks.Edges));
        // The accumulator and the per-image parts agree.
        var predicted = torch.rand(3, 1, 8, 8, generator: new Generator(5));
        var target = torch.rand(3, 1, 8, 8, generator: new Generator(6));
        var m = new DenseMetrics();
        m.AddEdges(predicted, target);
        var batch = new DenseBatch(torch.zeros(3, 3, 8, 8), torch.ones(3, 8, 8, dtype: ScalarType.Int64), torch.ones(3, 1, 8, 8), torch.ones(3, 3, 8, 8), target);
        var perImage = DenseMetrics.PerImageParts(Tasks.Edges, predicted, batch)["odsf"];
        Assert.Equal(m.Value("odsf"), AdapterLab.Contracts.Predictions.DenseMetricParts.Value("odsf", perImage), 12);
    }

    [Fact]
    public void Vtagml_starts_as_the_pretrained_encoder_up_to_the_taa_beta_and_trains_only_adapters_embeddings_and_decoders()
    {
        torch.random.manual_seed(1);
        var plan = MultitaskPlan.From(Spec());
        using var model = new MultitaskModel(plan);
        model.InitialiseAdaptersFromEncoder();
        Assert.Single(model.Adapters);
        Assert.All(model.named_parameters().Where(p => model.IsTrainable(p.name)).Select(p => p.name),
            n => Assert.True(n.StartsWith("adapters.") || n.StartsWith("task_embeddings") || n.StartsWith("decoders.")));
        var x = torch.randn(2, 3, 32, 32);
        var outputs = model.Forward(x, plan.Tasks);
        Assert.Equal(new long[] { 2, 6, 32, 32 }, outputs[Tasks.Segmentation].shape);
        Assert.Equal(new long[] { 2, 3, 32, 32 }, outputs[Tasks.Normals].shape);
    }

    [Fact]
    public void Validator_accepts_the_documented_pairs_and_rejects_the_rest()
    {
        Assert.Empty(SpecValidator.Validate(Spec()));
        Assert.Empty(SpecValidator.Validate(Spec(Methods.SingleTask, [Tasks.Depth], Settings.Supervised)));
        Assert.Contains("data.setting", SpecValidator.Validate(Spec(Methods.SingleTask, [Tasks.Depth], Settings.Multitask)).Keys);
        Assert.Contains("tasks", SpecValidator.Validate(Spec(Methods.SingleTask)).Keys);
        Assert.Contains("data.setting", SpecValidator.Validate(Spec(Methods.Vtagml, null, Settings.Supervised)).Keys);
        var zeroShot = Spec(Methods.Vtagml, null, Settings.ZeroShotTaskTransfer);
        Assert.Contains("data.zeroShotTasks", SpecValidator.Validate(zeroShot with { Data = zeroShot.Data with { TargetDomains = ["fog"] } }).Keys);
        Assert.Empty(SpecValidator.Validate(zeroShot with { Data = zeroShot.Data with { TargetDomains = ["fog"], ZeroShotTasks = [Tasks.Normals] } }));
        var da = Spec(Methods.MultitaskShared, [Tasks.Normals, Tasks.Edges], Settings.DomainAdaptation);
        Assert.Contains("data.adaptation", SpecValidator.Validate(da with { Data = da.Data with { TargetDomains = ["fog"] } }).Keys);
        Assert.Contains("method.estimator", SpecValidator.Validate(Spec() with { Method = new MethodSpec { Name = Methods.Vtagml, Estimator = "nope" } }).Keys);
    }
}
