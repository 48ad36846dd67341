using AdapterLab.Contracts.Predictions;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Api;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Datasets.ShapesWorld;
using AdapterLab.Training.Multitask;
using AdapterLab.Training.Optimisation;
using AdapterLab.Training.Runs;

namespace AdapterLab.Training.Tests;

/// <summary>
/// The shared training core: both kinds run through one loop (train, checkpoint, resume, evaluate), one checkpoint
/// codec (and the format-2 files it replaced), per-example predictions that align by id across experiments, floors that
/// equal hand-computed values, and optimiser parameter groups.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TrainingCoreTests
{
    private sealed class PredictionObserver(CancellationTokenSource? cancel = null, long cancelAt = long.MaxValue) : ITrainingObserver
    {
        public RecordingObserver Inner { get; } = new(cancel, cancelAt);
        public List<EvaluationPredictions> Predictions { get; } = [];
        public void OnStarted(TrainingStart start) => Inner.OnStarted(start);
        public void OnProgress(long step, long totalSteps, IReadOnlyList<MetricPoint> points) => Inner.OnProgress(step, totalSteps, points);
        public void OnCheckpoint(long step, string path) => Inner.OnCheckpoint(step, path);
        public void OnPredictions(EvaluationPredictions predictions) => Predictions.Add(predictions);
    }

    private static ExperimentSpec Multitask(int steps = 4, int seed = 1) => new()
    {
        Kind = Kinds.Multitask,
        Backbone = new BackboneSpec { Preset = "vit-tiny-ci" },
        Method = new MethodSpec { Name = Methods.Vtagml, AdapterBlocks = 1 },
        Tasks = [Tasks.Segmentation, Tasks.Depth, Tasks.Normals, Tasks.Edges],
        Data = new DataSpec { Setting = Settings.Multitask, TrainSize = 16, ValidationSize = 4, TestSize = 6 },
        Training = new TrainingSpec { Steps = steps, BatchSize = 4, Seed = seed, EvalInterval = 2, CheckpointInterval = 2 },
    };

    private static ExperimentSpec RandomBackbone(ExperimentSpec spec) => spec with { Backbone = new BackboneSpec { Preset = "vit-tiny-ci", Source = BackboneSources.Random } };

    private static TrainingOutcome Run(ExperimentSpec spec, ITrainingObserver observer, string? resume = null, CancellationToken ct = default) =>
        ExperimentTrainer.Run(new TrainingJob { Spec = spec, ResumeCheckpointPath = resume, WorkDirectory = TestPaths.TempDirectory(), Threads = 1 }, observer, ct);

    private static Dictionary<string, byte[]> Weights(string path)
    {
        using var reader = SafetensorsReader.Open(path);
        return reader.Tensors.ToDictionary(t => t.Name, t => reader.ReadRaw(t.Name));
    }

    [Fact]
    public void A_multitask_run_cancelled_and_resumed_through_the_shared_loop_matches_an_uninterrupted_one()
    {
        var spec = Multitask();
        var full = Run(spec, new PredictionObserver());

        using var cancel = new CancellationTokenSource();
        var cancelled = Run(spec, new PredictionObserver(cancel, 2), ct: cancel.Token);
        Assert.True(cancelled.Cancelled);
        Assert.Equal(2, cancelled.FinalStep);
        using (var checkpoint = SafetensorsReader.Open(cancelled.CheckpointPath!))
        {
            Assert.Equal(Checkpoint.Format, checkpoint.Metadata["format"]);
            Assert.Contains(checkpoint.Tensors, t => t.Name.StartsWith("optim/adapters.", StringComparison.Ordinal));
        }

        var resumed = Run(spec, new PredictionObserver(), resume: cancelled.CheckpointPath);
        Assert.Equal(4, resumed.FinalStep);
        Assert.Equal(full.Results, resumed.Results);
        Assert.Equal(full.Floors, resumed.Floors);
        var expected = Weights(full.OutputWeightsPath!);
        var actual = Weights(resumed.OutputWeightsPath!);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        Assert.All(expected, kv => Assert.True(kv.Value.AsSpan().SequenceEqual(actual[kv.Key]), $"{kv.Key} differs"));
    }

    /// <summary>The two format-2 codecs this one replaced wrote the same layout: their files still resume; format 1 is refused by name.</summary>
    [Theory]
    [InlineData("adapterlab-multitask-checkpoint-2", true)]
    [InlineData("adapterlab-checkpoint-2", true)]
    [InlineData("adapterlab-checkpoint-1", false)]
    public void Checkpoints_of_the_replaced_format_2_codecs_resume_and_format_1_is_refused(string format, bool readable)
    {
        var spec = Multitask();
        var full = Run(spec, new PredictionObserver());
        using var cancel = new CancellationTokenSource();
        var cancelled = Run(spec, new PredictionObserver(cancel, 2), ct: cancel.Token);

        // Rewrite the checkpoint as the old codec did: its format name, no optimiser name (the multitask codec wrote none).
        var legacy = Path.Combine(TestPaths.TempDirectory(), "legacy.safetensors");
        using (var reader = SafetensorsReader.Open(cancelled.CheckpointPath!))
        {
            var metadata = reader.Metadata.Where(kv => kv.Key != "optimizer").ToDictionary(kv => kv.Key, kv => kv.Value);
            metadata["format"] = format;
            SafetensorsWriter.Write(legacy, reader.Tensors.Select(t => t.DType == SafetensorsDType.I64
                ? SafetensorsTensor.FromInt64(t.Name, t.Shape.ToArray(), reader.ReadInt64(t.Name))
                : SafetensorsTensor.FromFloat32(t.Name, t.Shape.ToArray(), reader.ReadFloat32(t.Name))).ToList(), metadata);
        }

        if (!readable)
        {
            var refused = Assert.ThrowsAny<Exception>(() => Run(spec, new PredictionObserver(), resume: legacy));
            Assert.Contains("adapterlab-checkpoint-1", refused.Message);
            return;
        }
        var resumed = Run(spec, new PredictionObserver(), resume: legacy);
        Assert.Equal(full.Results, resumed.Results);
    }

    [Fact]
    public void Classification_predictions_of_two_experiments_on_one_split_align_by_example_id()
    {
        var probe = new PredictionObserver();
        var finetune = new PredictionObserver();
        var a = Run(RandomBackbone(Specs.Adapt(Methods.LinearProbe)), probe);
        var b = Run(RandomBackbone(Specs.Adapt(Methods.FullFinetune)) with { Training = new TrainingSpec { Steps = 4, BatchSize = 16, Seed = 9 } }, finetune);

        EvaluationPredictions Test(PredictionObserver o, string predictor) =>
            Assert.Single(o.Predictions, p => p is { Split: "test", Domain: "fog" } && p.Predictor == predictor);
        var pa = Test(probe, EvaluationPredictions.ModelPredictor);
        var pb = Test(finetune, EvaluationPredictions.ModelPredictor);
        Assert.Equal(32, pa.ExampleIds.Count);
        Assert.Equal(pa.ExampleIds.Count, pa.ExampleIds.Distinct().Count());
        Assert.Equal(pa.ExampleIds, pb.ExampleIds);
        Assert.Equal(pa.Labels, pb.Labels);
        Assert.StartsWith($"shapesworld/{ShapesWorldDataset.WorldSeed}/{DataSplit.Test.FirstIndex()}", pa.ExampleIds[0]);
        // Validation and test are different images.
        Assert.Empty(pa.ExampleIds.Intersect(Assert.Single(probe.Predictions, p => p is { Split: "validation", Domain: "fog", Predictor: "model" }).ExampleIds));

        // The per-example outcomes are the reported accuracy, and the probabilities are distributions whose argmax is the prediction.
        foreach (var (outcome, p) in new[] { (a, pa), (b, pb) })
        {
            double accuracy = p.Labels!.Zip(p.Predicted!).Count(x => x.First == x.Second) / (double)p.Labels!.Count;
            Assert.Equal(outcome.Results.Single(r => r is { Split: "test", Domain: "fog", Metric: "accuracy" }).Value, accuracy, 12);
            Assert.All(p.Probabilities!.Zip(p.Predicted!), x =>
            {
                Assert.Equal(4, x.First.Length);
                Assert.Equal(1.0, x.First.Sum(), 4);
                Assert.Equal(x.Second, Array.IndexOf(x.First, x.First.Max()));
            });
        }
        // The floor's predictions come on the same examples.
        var floor = Test(probe, EvaluationPredictions.FloorPredictor(Floors.MajorityClass));
        Assert.Equal(pa.ExampleIds, floor.ExampleIds);
        Assert.Single(floor.Predicted!.Distinct());
    }

    [Fact]
    public void The_majority_class_floor_equals_the_hand_computed_rate()
    {
        var spec = RandomBackbone(Specs.Adapt(Methods.LinearProbe, steps: 1));
        var outcome = Run(spec, new PredictionObserver());
        var train = ShapesWorldDataset.Classification(ShapesWorldDataset.WorldSeed, "textured", "object-count", DataSplit.Train, 64, 32).Labels;
        int majority = train.GroupBy(l => l).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        foreach (var (split, domain) in new[] { (DataSplit.Test, "textured"), (DataSplit.Test, "fog"), (DataSplit.Validation, "fog") })
        {
            var labels = ShapesWorldDataset.Classification(ShapesWorldDataset.WorldSeed, domain, "object-count", split, 32, 32).Labels;
            double expected = labels.Count(l => l == majority) / (double)labels.Length;
            var floor = Assert.Single(outcome.Floors, r => r.Split == split.MetricName() && r.Domain == domain);
            Assert.Equal(Floors.MetricOf("accuracy"), floor.Metric);
            Assert.Equal(expected, floor.Value, 12);
        }
        Assert.DoesNotContain(outcome.Results, r => Floors.IsFloor(r.Metric));
    }

    /// <summary>Dense floors against values computed here by hand from the generator's arrays (no torch).</summary>
    [Fact]
    public void Dense_floors_equal_hand_computed_values_and_per_image_outcomes_align()
    {
        var spec = Multitask(steps: 1);
        var observer = new PredictionObserver();
        var outcome = Run(spec, observer);
        int s = 32, hw = s * s;
        var train = DenseShapesWorld.Split(ShapesWorldDataset.WorldSeed, "synthetic", DataSplit.Train, 16, s);
        var test = DenseShapesWorld.Split(ShapesWorldDataset.WorldSeed, "synthetic", DataSplit.Test, 6, s);
        double Floor(string task, string metric) => outcome.Floors.Single(r => r is { Split: "test", Domain: "synthetic" } && r.Task == task && r.Metric == Floors.MetricOf(metric)).Value;

        // Segmentation: per-pixel majority class of the train split, mIoU over classes present in prediction or truth.
        var prior = new int[hw];
        for (int p = 0; p < hw; p++)
        {
            var counts = new int[DenseTargets.Classes];
            for (int i = 0; i < train.Count; i++) counts[train.Segmentation[i * hw + p]]++;
            prior[p] = Array.IndexOf(counts, counts.Max());
        }
        var confusion = new long[DenseTargets.Classes, DenseTargets.Classes];
        for (int i = 0; i < test.Count; i++)
            for (int p = 0; p < hw; p++) confusion[test.Segmentation[i * hw + p], prior[p]]++;
        double iouSum = 0; int present = 0;
        for (int c = 0; c < DenseTargets.Classes; c++)
        {
            long tp = confusion[c, c], fp = 0, fn = 0;
            for (int o = 0; o < DenseTargets.Classes; o++) if (o != c) { fp += confusion[o, c]; fn += confusion[c, o]; }
            if (tp + fp + fn == 0) continue;
            iouSum += (double)tp / (tp + fp + fn); present++;
        }
        Assert.Equal(iouSum / present, Floor(Tasks.Segmentation, "miou"), 6);

        // Depth: per-pixel mean log-depth over non-sky train pixels; RMSE over non-sky test pixels.
        var logMean = new double[hw];
        double all = 0; long allCount = 0;
        var n = new int[hw];
        for (int i = 0; i < train.Count; i++)
            for (int p = 0; p < hw; p++)
                if (train.Segmentation[i * hw + p] != DenseTargets.SkyClass)
                {
                    double v = Math.Log(Math.Max(train.Depth[i * hw + p], 1e-3));
                    logMean[p] += v; n[p]++; all += v; allCount++;
                }
        for (int p = 0; p < hw; p++) logMean[p] = n[p] > 0 ? logMean[p] / n[p] : all / allCount;
        double squared = 0; long valid = 0;
        double meanNx = 0, meanNy = 0, meanNz = 0; long trainValid = 0;
        for (int i = 0; i < train.Count; i++)
            for (int p = 0; p < hw; p++)
                if (train.Segmentation[i * hw + p] != DenseTargets.SkyClass)
                {
                    meanNx += train.Normals[i * 3 * hw + p]; meanNy += train.Normals[i * 3 * hw + hw + p]; meanNz += train.Normals[i * 3 * hw + 2 * hw + p];
                    trainValid++;
                }
        double len = Math.Sqrt(meanNx * meanNx + meanNy * meanNy + meanNz * meanNz);
        // Edges: the per-pixel share of training images with a ground-truth edge there, as a probability.
        var edgeShare = new double[hw];
        for (int i = 0; i < train.Count; i++)
            for (int p = 0; p < hw; p++)
                if (train.Edges[i * hw + p] >= AdapterLab.Contracts.Predictions.DenseMetricParts.EdgeTruth) edgeShare[p]++;
        for (int p = 0; p < hw; p++) edgeShare[p] = Math.Clamp(edgeShare[p] / train.Count, 1e-4, 1 - 1e-4);
        double angleSum = 0, edgeSum = 0;
        for (int i = 0; i < test.Count; i++)
            for (int p = 0; p < hw; p++)
            {
                edgeSum += Math.Abs(edgeShare[p] - test.Edges[i * hw + p]);
                if (test.Segmentation[i * hw + p] == DenseTargets.SkyClass) continue;
                double predicted = Math.Exp(Math.Clamp(logMean[p], -7, 4));
                squared += Math.Pow(Math.Max(predicted, 1e-3) - test.Depth[i * hw + p], 2);
                double cos = (meanNx * test.Normals[i * 3 * hw + p] + meanNy * test.Normals[i * 3 * hw + hw + p] + meanNz * test.Normals[i * 3 * hw + 2 * hw + p]) / len;
                angleSum += Math.Acos(Math.Clamp(cos, -1, 1)) * 180 / Math.PI;
                valid++;
            }
        Assert.Equal(Math.Sqrt(squared / valid), Floor(Tasks.Depth, "rmse"), 3);
        Assert.Equal(angleSum / valid, Floor(Tasks.Normals, "angular-error"), 2);
        Assert.Equal(edgeSum / (test.Count * hw), Floor(Tasks.Edges, "l1"), 5);

        // Per-image outcomes: one value per test image for every metric, aligned with the split's ids; their mean is the
        // reported metric where the metric is a per-pixel mean over a fixed pixel count (edge L1).
        var model = Assert.Single(observer.Predictions, p => p is { Split: "test", Domain: "synthetic", Task: Tasks.Edges, Predictor: "model" });
        Assert.Equal(test.ExampleIds, model.ExampleIds);
        Assert.Equal(6, model.Metrics!["l1"].Length);
        Assert.Equal(outcome.Results.Single(r => r is { Split: "test", Domain: "synthetic", Task: Tasks.Edges, Metric: "l1" }).Value, model.Metrics["l1"].Average(), 5);
        foreach (var task in spec.Tasks)
        {
            var floor = Assert.Single(observer.Predictions, p => p.Split == "test" && p.Task == task && p.Predictor == EvaluationPredictions.FloorPredictor(Floors.ImageBlindPrior));
            Assert.All(floor.Metrics!, kv => Assert.Equal(6, kv.Value.Length));
            // Per-image parts: summed over the images they give every reported dataset-level metric (mIoU from summed
            // intersections and unions, RMSE over all valid pixels, …), for the model and for the floor; each image's own
            // value is its parts' metric.
            var own = Assert.Single(observer.Predictions, p => p is { Split: "test", Domain: "synthetic", Predictor: "model" } && p.Task == task);
            foreach (var (predictions, isFloor) in new[] { (own, false), (floor, true) })
                foreach (var metric in own.Metrics!.Keys)
                {
                    var parts = predictions.MetricParts![metric];
                    Assert.Equal(6, parts.Length);
                    double reported = isFloor ? Floor(task, metric)
                        : outcome.Results.Single(r => r.Split == "test" && r.Domain == "synthetic" && r.Task == task && r.Metric == metric).Value;
                    Assert.Equal(reported, DenseMetricParts.Value(metric, parts), 3);
                    for (int i = 0; i < parts.Length; i++)
                    {
                        double single = DenseMetricParts.Value(metric, [parts[i]]);
                        if (double.IsFinite(single)) Assert.Equal(single, predictions.Metrics![metric][i], 9);
                    }
                }
        }
    }

    [Fact]
    public void Parameter_groups_set_each_groups_rate_and_decay_and_follow_the_schedule()
    {
        var spec = Specs.Adapt(Methods.AdaptFormer) with
        {
            Training = new TrainingSpec
            {
                Steps = 4, BatchSize = 16, Optimizer = "adamw", LearningRate = 1e-3, WeightDecay = 0.05,
                ParameterGroups = new Dictionary<string, ParameterGroupSpec> { ["adapters"] = new() { LearningRate = 4e-3, WeightDecay = 0 } },
            },
        };
        Assert.Empty(SpecValidator.Validate(spec));
        var plan = ClassificationPlan.From(spec);
        using var prepared = PreparedModel.Build(plan, null, TorchSharp.torch.CPU);
        var groups = plan.Optimisation.Groups(prepared.Trainable, plan.GroupOf).ToDictionary(g => g.Name);
        Assert.Equal(["adapters", "head"], groups.Keys.Order());
        Assert.Equal(4.0, groups["adapters"].LearningRateScale, 12);
        Assert.Equal(0, groups["adapters"].WeightDecay);
        Assert.Equal(1.0, groups["head"].LearningRateScale);
        Assert.Equal(0.05, groups["head"].WeightDecay);
        Assert.All(groups["adapters"].Parameters, p => Assert.Contains(".adapter.", p.Name));
        Assert.Equal(prepared.Trainable.Count, groups.Values.Sum(g => g.Parameters.Count));

        var refused = SpecValidator.Validate(spec with { Training = spec.Training with { ParameterGroups = new Dictionary<string, ParameterGroupSpec> { ["nope"] = new() { LearningRate = double.NaN } } } });
        Assert.Contains("training.parameterGroups", refused.Keys);
    }

    /// <summary>A parameter group's rate reaches its parameters: the adapters at 1e-9 barely move while the head trains.</summary>
    [Fact]
    public void A_groups_learning_rate_reaches_its_parameters()
    {
        ExperimentSpec Spec(double? adapterRate) => RandomBackbone(Specs.Adapt(Methods.AdaptFormer)) with
        {
            Training = new TrainingSpec
            {
                Steps = 3, BatchSize = 16, Optimizer = "adamw", LearningRate = 1e-2,
                ParameterGroups = adapterRate is { } r ? new Dictionary<string, ParameterGroupSpec> { ["adapters"] = new() { LearningRate = r } } : null,
            },
        };
        var plan = ClassificationPlan.From(Spec(null));
        using var initial = PreparedModel.Build(plan, null, TorchSharp.torch.CPU);
        var start = initial.Model.named_parameters().Where(p => p.name.Contains("adapter.up")).ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray());
        var slow = Weights(Run(Spec(1e-9), new PredictionObserver()).OutputWeightsPath!);
        var normal = Weights(Run(Spec(null), new PredictionObserver()).OutputWeightsPath!);
        double Moved(Dictionary<string, byte[]> w) => start.Sum(kv =>
            MemoryMarshalFloats(w[kv.Key]).Zip(kv.Value).Sum(x => Math.Abs(x.First - x.Second)));
        Assert.True(Moved(normal) > 1e-3, $"adapters at the run's rate moved {Moved(normal)}");
        Assert.True(Moved(slow) < Moved(normal) * 1e-4, $"adapters at 1e-9 moved {Moved(slow)} vs {Moved(normal)}");
    }

    private static float[] MemoryMarshalFloats(byte[] raw) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).ToArray();

    /// <summary>
    /// The default recipe (no optimizer, rate, decay or warm-up in the spec): AdamW for every method, adapter/prompt/bias
    /// groups undecayed, 10 % warm-up; a tiny run moves every trainable tensor of every method (AdaptMLP's down projection
    /// included, which gets no gradient until up has moved), and methods with a branch report its ratio to the frozen path,
    /// zero before training for the zero-initialised ones and above zero after it.
    /// </summary>
    [Theory]
    [InlineData(Methods.LinearProbe)]
    [InlineData(Methods.FullFinetune)]
    [InlineData(Methods.VptShallow)]
    [InlineData(Methods.VptDeep)]
    [InlineData(Methods.AdaptFormer)]
    [InlineData(Methods.Lora)]
    [InlineData(Methods.BitFit)]
    public void A_tiny_run_of_each_method_moves_every_trainable_tensor_under_the_default_recipe(string method)
    {
        var spec = RandomBackbone(Specs.Adapt(method, steps: 4)) with { Training = new TrainingSpec { Steps = 4, BatchSize = 16, Seed = 5, EvalInterval = 2 } };
        var plan = ClassificationPlan.From(spec);
        Assert.Equal("adamw", plan.Optimisation.Optimizer);
        Assert.Equal(ClassificationPlan.BaseLearningRate(method) * 16 / 256, plan.Optimisation.LearningRate, 12);
        Assert.Equal(10, plan.Optimisation.Schedule(100).WarmupSteps);
        using var initial = PreparedModel.Build(plan, null, TorchSharp.torch.CPU);
        foreach (var g in plan.Optimisation.Groups(initial.Trainable, plan.GroupOf))
            Assert.Equal(g.Name is ParameterGroups.Adapters or ParameterGroups.Prompts or ParameterGroups.Biases ? 0.0 : 0.05, g.WeightDecay);
        var start = initial.Trainable.ToDictionary(t => t.Name, t => t.Parameter.data<float>().ToArray());

        var observer = new PredictionObserver();
        var output = Run(spec, observer).OutputWeightsPath!;
        // The exported weights (q, k, v fused as qkv under the common names) loaded back into a model of the same plan.
        using var trained = PreparedModel.Build(plan, null, TorchSharp.torch.CPU);
        AdapterLab.Training.Model.ViTWeights.LoadTrained(trained.Model, output, plan.IsTrainable);
        var after_ = trained.Trainable.ToDictionary(t => t.Name, t => t.Parameter.data<float>().ToArray());
        foreach (var (name, before) in start)
        {
            var after = after_[name];
            double moved = after.Zip(before).Max(x => Math.Abs(x.First - x.Second));
            Assert.True(moved > 1e-6, $"{method}: {name} did not move ({moved})");
        }

        var ratios = observer.Inner.Points.Where(p => p.Name.StartsWith(ClassificationRun.BranchRatioMetric, StringComparison.Ordinal)).ToList();
        if (method is Methods.LinearProbe or Methods.FullFinetune or Methods.BitFit)
        {
            Assert.Empty(ratios);
            return;
        }
        var sites = ratios.Select(p => p.Name).Distinct().ToList();
        Assert.Equal(method switch { Methods.AdaptFormer => 4, Methods.Lora => 8, Methods.VptDeep => 4, _ => 1 }, sites.Count);
        Assert.All(sites, s => Assert.Equal([2L, 4L], ratios.Where(p => p.Name == s).Select(p => p.Step).Order()));
        Assert.All(ratios.Where(p => p.Step == 4), p => Assert.True(p.Value > 0 && double.IsFinite(p.Value), $"{p.Name} = {p.Value}"));
        if (method is Methods.AdaptFormer or Methods.Lora)
            Assert.All(initial.Model.MeasureBranches(ShapesWorldDataset.Classification(ShapesWorldDataset.WorldSeed, "textured", "object-count", DataSplit.Validation, 8, 32)
                .ImagesTensor([0, 1, 2, 3], TorchSharp.torch.CPU)), r => Assert.Equal(0.0, r.Ratio));
    }

    /// <summary>
    /// Every multitask method trains its fresh decoders at the one decoder rate (the first implementation trained
    /// fine-tuning's and single-task's at the encoder rate, 8× slower); an encoder that trains keeps the encoder rate; an
    /// explicit run rate or a group override still wins.
    /// </summary>
    [Fact]
    public void Every_multitask_method_trains_its_decoders_at_the_one_decoder_rate()
    {
        foreach (var method in Methods.Dense)
        {
            var spec = Multitask() with
            {
                Method = new MethodSpec { Name = method, AdapterBlocks = 1 },
                Tasks = method == Methods.SingleTask ? [Tasks.Depth] : [Tasks.Segmentation, Tasks.Depth],
                Training = new TrainingSpec { Steps = 2, BatchSize = 64 },
            };
            var o = MultitaskPlan.From(spec).Run.Optimisation;
            Assert.Equal(MultitaskPlan.DecoderBaseRate * 64 / 256, o.For(ParameterGroups.Decoders).LearningRate, 12);
            bool encoderTrains = method is Methods.MultitaskFinetune or Methods.SingleTask;
            if (encoderTrains) Assert.Equal(MultitaskPlan.EncoderBaseRate * 64 / 256, o.For(ParameterGroups.Encoder).LearningRate, 12);
            var explicitRate = MultitaskPlan.From(spec with { Training = spec.Training with { LearningRate = 1e-4 } }).Run.Optimisation;
            Assert.Equal(1e-4, explicitRate.For(ParameterGroups.Decoders).LearningRate, 12);
            var overridden = MultitaskPlan.From(spec with { Training = spec.Training with { ParameterGroups = new Dictionary<string, ParameterGroupSpec> { [ParameterGroups.Decoders] = new() { LearningRate = 3e-3 } } } }).Run.Optimisation;
            Assert.Equal(3e-3, overridden.For(ParameterGroups.Decoders).LearningRate, 12);
        }
    }

    /// <summary><c>training.optimizer</c> is honoured for every method of both kinds, and multitask honours <c>training.momentum</c>.</summary>
    [Fact]
    public void The_optimizer_setting_is_honoured_for_every_method()
    {
        foreach (var method in Methods.Classification)
            foreach (var optimizer in new[] { "sgd", "adamw" })
            {
                var spec = Specs.Adapt(method) with { Training = new TrainingSpec { Steps = 4, BatchSize = 16, Optimizer = optimizer } };
                var plan = ClassificationPlan.From(spec);
                using var prepared = PreparedModel.Build(plan, null, TorchSharp.torch.CPU);
                var created = plan.Optimisation.Create(prepared.Trainable, plan.GroupOf);
                Assert.IsType(optimizer == "sgd" ? typeof(SgdMomentum) : typeof(AdamW), created);
                foreach (var t in created.State.Values) t.Dispose();
            }
        foreach (var method in Methods.Dense)
        {
            var spec = Multitask() with
            {
                Method = new MethodSpec { Name = method, AdapterBlocks = 1 },
                Tasks = method == Methods.SingleTask ? [Tasks.Depth] : [Tasks.Segmentation, Tasks.Depth],
                Training = new TrainingSpec { Steps = 2, BatchSize = 4, Optimizer = "sgd", Momentum = 0.5 },
            };
            var plan = MultitaskPlan.From(spec);
            Assert.Equal("sgd", plan.Run.Optimisation.Optimizer);
            Assert.Equal(0.5, plan.Run.Optimisation.Momentum);
        }
    }
}
