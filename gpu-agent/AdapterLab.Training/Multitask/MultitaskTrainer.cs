using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Api;
using AdapterLab.Training.Data.DenseFolders;
using AdapterLab.Training.Data.ShapesWorld;
using AdapterLab.Training.Model;
using AdapterLab.Training.Optimisation;
using AdapterLab.Training.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using AdamW = AdapterLab.Training.Optimisation.AdamW;

namespace AdapterLab.Training.Multitask;

/// <summary>
/// Runs a dense multitask experiment (<c>kind: multitask</c>, or <c>evaluate</c> of one). Settings:
/// <list type="bullet">
/// <item><c>multitask</c>: all tasks supervised on the source domain.</item>
/// <item><c>zero-shot-task-transfer</c>: the first half of the steps trains every task on the source domain; the second
/// half fine-tunes on the first target domain with only the tasks not in <c>data.zeroShotTasks</c>. The zero-shot tasks
/// get no target supervision: their decoders (trained on the source) read the target-adapted shared representation, and
/// in <c>vtagml</c> their task vector keeps its affinity-weighted mix. They are evaluated on the target domain beside a
/// constant prediction (<c>metric@constant</c>: majority class, mean log-depth, mean normal, mean edge) and, for normals
/// with depth among the tasks, the normals of the predicted depth (<c>angular-error@from-depth</c>).</item>
/// <item><c>domain-adaptation</c>: labelled source, unlabelled first target domain; <c>adversarial</c> (output-space
/// discriminators on the segmentation softmax and the log-depth maps, λ = 0.01) or <c>pseudo-labels</c>
/// (segmentation pixels predicted with probability &gt; 0.9 on target images).</item>
/// <item><c>domain-generalization</c> (and <c>supervised</c> for single-task): trained on the source; target domains are
/// held out and only evaluated. <c>kind: evaluate</c> re-evaluates the exported weights on other domains.</item>
/// </list>
/// Task affinity (two or more tasks): at every evaluation (and at the end) per-task gradients of the losses w.r.t. φ
/// (the representation entering the adapters) on one training batch give the raw cosine matrix; TROA takes one
/// exponentiated-gradient step per target column with η (default 0.1); <c>cosine</c> is the running mean of the
/// symmetrised cosine; <c>tag-lookahead</c> the running mean of TAG's lookahead ratio (÷ lr) over the shared trainable
/// parameters. All are reported through <see cref="ITrainingObserver.OnAffinity"/> together with the raw matrix.
/// </summary>
public static class MultitaskTrainer
{
    private const int EvaluationBatch = 64;
    private const double AdversarialWeight = 0.01;
    private const double PseudoLabelConfidence = 0.9;
    public const string CheckpointFormat = "adapterlab-multitask-checkpoint-2"; // 2: initialised from the run's own generator

    public static bool Handles(ExperimentSpec spec) =>
        spec.Kind == Kinds.Multitask || (spec.Kind == Kinds.Evaluate && Methods.Dense.Contains(spec.Method.Name));

    public static TrainingOutcome Run(TrainingJob job, ITrainingObserver observer, CancellationToken ct)
    {
        var plan = MultitaskPlan.From(job.Spec);
        if (job.Threads > 0) torch.set_num_threads(job.Threads);
        var device = job.Device is "cuda" or "auto" && torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        Directory.CreateDirectory(job.WorkDirectory);
        var data = new DenseData(plan, job.DataRoot);

        // The run's own generators (never torch's process-global one): concurrent runs in one agent stay reproducible.
        using var random = new RunRandom(plan.Seed);
        using var model = new MultitaskModel(plan, random);
        if (job.BackboneWeightsPath is not null) ViTWeights.Load(model.Encoder, job.BackboneWeightsPath, includeHead: false);
        model.InitialiseAdaptersFromEncoder();
        long trainableCount = 0, totalCount = 0;
        foreach (var (name, p) in model.named_parameters())
        {
            p.requires_grad = model.IsTrainable(name);
            if (!model.IsCounted(name)) continue;
            totalCount += p.numel();
            if (p.requires_grad) trainableCount += p.numel();
        }
        model.to(device);
        model.RefreshBufferReferences();
        string deviceName = device.type == DeviceType.CUDA ? "cuda" : "cpu";

        if (job.Spec.Kind == Kinds.Evaluate)
        {
            if (job.ModelWeightsPath is null) throw new ArgumentException("evaluating a multitask experiment needs its exported weights (ModelWeightsPath)");
            LoadWeights(model, job.ModelWeightsPath);
            observer.OnStarted(new TrainingStart(trainableCount, totalCount, 0, 0, deviceName, RunFacts.Packages()));
            var evaluated = Evaluate(model, plan, data, device);
            observer.OnProgress(0, 0, evaluated.Select(r => new MetricPoint(0, r.Split, r.Task, r.Domain, r.Metric, r.Value)).ToList());
            WriteGallery(model, plan, data, device, 0, job.WorkDirectory, observer);
            return new TrainingOutcome { Results = evaluated, TrainableParameters = trainableCount, TotalParameters = totalCount, PeakMemoryBytes = RunFacts.PeakMemory() };
        }

        var main = model.named_parameters().Where(x => x.parameter.requires_grad && !x.name.StartsWith("discriminators.")).Select(x => (x.name, x.parameter)).ToList();
        var disc = model.named_parameters().Where(x => x.parameter.requires_grad && x.name.StartsWith("discriminators.")).Select(x => (x.name, x.parameter)).ToList();
        IParameterOptimizer optimizer = plan.Optimizer == "sgd" ? new SgdMomentum(main, 0.9, plan.WeightDecay) : new AdamW(main, plan.WeightDecay);
        IParameterOptimizer? discOptimizer = disc.Count > 0 ? new AdamW(disc, 0) : null;
        var schedule = new LearningRateSchedule(plan.LearningRate, plan.TotalSteps, plan.WarmupSteps, plan.CosineSchedule);
        string checkpointPath = Path.Combine(job.WorkDirectory, "checkpoint.safetensors");
        long step = job.ResumeCheckpointPath is null ? 0 : LoadCheckpoint(job.ResumeCheckpointPath, model, plan, optimizer, discOptimizer);

        var sourceTrain = data.Get(plan.SourceDomain, DataSplit.Train);
        if (plan.ShuffleTargets) sourceTrain = sourceTrain.WithShuffledTargets(plan.Seed);
        var sourceOrder = new DataOrder(plan.Seed, sourceTrain.Count, plan.BatchSize);
        DenseSplit? targetTrain = plan.Setting is Settings.ZeroShotTaskTransfer or Settings.DomainAdaptation && plan.TargetDomain is { } td
            ? data.Get(td, DataSplit.Train) : null;
        var targetOrder = targetTrain is null ? null : new DataOrder(plan.Seed + 7919, targetTrain.Count, plan.BatchSize);

        observer.OnStarted(new TrainingStart(trainableCount, totalCount, plan.TotalSteps, step, deviceName, RunFacts.Packages()));
        var clock = new Stopwatch();
        long images = 0;
        while (step < plan.TotalSteps)
        {
            if (ct.IsCancellationRequested)
            {
                SaveCheckpoint(checkpointPath, model, plan, optimizer, discOptimizer, step);
                observer.OnCheckpoint(step, checkpointPath);
                return new TrainingOutcome
                {
                    Cancelled = true, FinalStep = step, CheckpointPath = checkpointPath, TrainableParameters = trainableCount,
                    TotalParameters = totalCount, ImagesPerSecond = RunFacts.Rate(images, clock), PeakMemoryBytes = RunFacts.PeakMemory(),
                };
            }
            clock.Start();
            Dictionary<string, double> losses;
            try
            {
                losses = TrainStep(model, random, plan, optimizer, discOptimizer, schedule.At(step), sourceTrain, sourceOrder, targetTrain, targetOrder, step, device);
            }
            catch (Exception ex) when (ex is ExternalException or InvalidOperationException or ArgumentException)
            {
                throw new TrainingFailedException($"step {step + 1} failed: {ex.Message}", step, ex);
            }
            clock.Stop();
            images += plan.BatchSize;
            double total = losses.Values.Sum();
            if (!double.IsFinite(total)) throw new TrainingFailedException($"loss became {total} at step {step + 1}", step);
            step++;

            var points = new List<MetricPoint> { new(step, "train", "all", plan.SourceDomain, "loss", total) };
            points.AddRange(losses.Select(kv => new MetricPoint(step, "train", kv.Key, plan.SourceDomain, "loss", kv.Value)));
            bool last = step == plan.TotalSteps;
            if (!last && plan.EvalInterval > 0 && step % plan.EvalInterval == 0)
            {
                points.AddRange(Evaluate(model, plan, data, device).Select(r => new MetricPoint(step, r.Split, r.Task, r.Domain, r.Metric, r.Value)));
                MeasureAffinity(model, plan, sourceTrain, sourceOrder, step, schedule.At(step - 1), device, observer);
            }
            observer.OnProgress(step, plan.TotalSteps, points);
            if (!last && plan.CheckpointInterval > 0 && step % plan.CheckpointInterval == 0)
            {
                SaveCheckpoint(checkpointPath, model, plan, optimizer, discOptimizer, step);
                observer.OnCheckpoint(step, checkpointPath);
            }
        }

        MeasureAffinity(model, plan, sourceTrain, sourceOrder, step, schedule.At(Math.Max(0, step - 1)), device, observer);
        var results = Evaluate(model, plan, data, device);
        observer.OnProgress(step, plan.TotalSteps, results.Select(r => new MetricPoint(step, r.Split, r.Task, r.Domain, r.Metric, r.Value)).ToList());
        SaveCheckpoint(checkpointPath, model, plan, optimizer, discOptimizer, step);
        observer.OnCheckpoint(step, checkpointPath);
        WriteGallery(model, plan, data, device, step, job.WorkDirectory, observer);

        var outputPath = Path.Combine(job.WorkDirectory, "multitask.safetensors");
        var tensors = model.named_parameters().Where(x => x.parameter.requires_grad && !x.name.StartsWith("discriminators."))
            .Select(x => TensorData.ToSafetensors(x.name, x.parameter)).ToList();
        tensors.AddRange(model.named_buffers().Select(b => TensorData.ToSafetensors(b.name, b.buffer)));
        SafetensorsWriter.Write(outputPath, tensors, new Dictionary<string, string>
        {
            ["preset"] = plan.Preset.Name, ["method"] = plan.Method, ["tasks"] = string.Join(",", plan.Tasks),
            ["image_size"] = plan.ImageSize.ToString(CultureInfo.InvariantCulture), ["step"] = step.ToString(CultureInfo.InvariantCulture),
        });
        return new TrainingOutcome
        {
            FinalStep = step, Results = results, OutputWeightsPath = outputPath, CheckpointPath = checkpointPath,
            TrainableParameters = trainableCount, TotalParameters = totalCount, ImagesPerSecond = RunFacts.Rate(images, clock), PeakMemoryBytes = RunFacts.PeakMemory(),
        };
    }

    private static DenseBatch Batch(DenseSplit split, int[] rows, Device device) => new(
        split.ImagesTensor(rows, device), split.SegmentationTensor(rows, device), split.DepthTensor(rows, device),
        split.NormalsTensor(rows, device), split.EdgesTensor(rows, device));

    /// <summary>What a discriminator reads: the segmentation softmax or the log-depth map.</summary>
    private static Tensor DiscriminatorInput(string task, Tensor raw) => task == Tasks.Segmentation ? raw.softmax(1) : raw;

    private static Dictionary<string, double> TrainStep(MultitaskModel model, RunRandom random, MultitaskPlan plan, IParameterOptimizer optimizer, IParameterOptimizer? discOptimizer,
        double lr, DenseSplit source, DataOrder sourceOrder, DenseSplit? target, DataOrder? targetOrder, long step, Device device)
    {
        random.BeginStep(step);
        using var scope = torch.NewDisposeScope();
        model.train();
        bool secondPhase = plan.Setting == Settings.ZeroShotTaskTransfer && target is not null && step >= plan.TotalSteps / 2;
        var split = secondPhase ? target! : source;
        var tasks = secondPhase ? plan.Tasks.Except(plan.ZeroShotTasks).ToList() : plan.Tasks.ToList();
        var batch = Batch(split, (secondPhase ? targetOrder! : sourceOrder).Batch(step), device);
        var raw = model.Forward(batch.Images, tasks);
        var values = new Dictionary<string, double>();
        Tensor loss = torch.zeros(1, device: device).squeeze();
        foreach (var task in tasks)
        {
            var l = DenseLosses.For(task, raw[task], batch);
            values[task] = l.item<float>();
            loss = loss + l;
        }

        var adversarial = new List<(OutputDiscriminator D, Tensor Source, Tensor Target)>();
        if (plan.Setting == Settings.DomainAdaptation && target is not null)
        {
            var targetImages = target.ImagesTensor(targetOrder!.Batch(step), device);
            if (plan.Adaptation == AdaptationModes.PseudoLabels)
            {
                var logits = model.Forward(targetImages, [Tasks.Segmentation])[Tasks.Segmentation];
                var (confidence, labels) = logits.detach().softmax(1).max(1);
                var mask = confidence.gt(PseudoLabelConfidence).to(ScalarType.Float32);
                var perPixel = nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.None);
                var pseudo = (perPixel * mask).sum() / mask.sum().clamp_min(1);
                values["pseudo-labels"] = pseudo.item<float>();
                loss = loss + pseudo;
            }
            else
            {
                var advTasks = model.AdversarialTasks.ToList();
                var targetRaw = model.Forward(targetImages, advTasks);
                for (int k = 0; k < advTasks.Count; k++)
                {
                    var d = model.Discriminators[k];
                    var src = DiscriminatorInput(advTasks[k], raw[advTasks[k]]);
                    var tgt = DiscriminatorInput(advTasks[k], targetRaw[advTasks[k]]);
                    var fool = d.forward(tgt);
                    var adv = nn.functional.binary_cross_entropy_with_logits(fool, torch.ones_like(fool)) * AdversarialWeight;
                    values[$"adversarial-{advTasks[k]}"] = adv.item<float>();
                    loss = loss + adv;
                    adversarial.Add((d, src.detach(), tgt.detach()));
                }
            }
        }

        double total = loss.item<float>();
        if (!double.IsFinite(total)) return values;
        optimizer.ZeroGrad();
        discOptimizer?.ZeroGrad();
        loss.backward();
        optimizer.Step(lr);
        if (discOptimizer is not null && adversarial.Count > 0)
        {
            discOptimizer.ZeroGrad();
            Tensor dLoss = torch.zeros(1, device: device).squeeze();
            foreach (var (d, src, tgt) in adversarial)
            {
                var ps = d.forward(src);
                var pt = d.forward(tgt);
                dLoss = dLoss + nn.functional.binary_cross_entropy_with_logits(ps, torch.ones_like(ps))
                              + nn.functional.binary_cross_entropy_with_logits(pt, torch.zeros_like(pt));
            }
            values["discriminator"] = dLoss.item<float>();
            dLoss.backward();
            discOptimizer.Step(lr);
            values.Remove("discriminator"); // reported separately from the model's loss total
        }
        return values;
    }

    /// <summary>Per-task losses on a batch for affinity measurement (deterministic: eval mode).</summary>
    private static Tensor[] TaskLosses(MultitaskModel model, MultitaskPlan plan, Tensor phi, DenseBatch batch)
    {
        Tensor? common = model.SharesTokens ? model.Tokens(phi, 0) : null;
        return plan.Tasks.Select((task, t) => DenseLosses.For(task, model.Decode(task, common ?? model.Tokens(phi, t)), batch)).ToArray();
    }

    public static void MeasureAffinity(MultitaskModel model, MultitaskPlan plan, DenseSplit source, DataOrder order, long step, double lr, Device device, ITrainingObserver observer)
    {
        if (!plan.MeasuresAffinity) return;
        using var scope = torch.NewDisposeScope();
        model.eval();
        int n = plan.Tasks.Count;
        var batch = Batch(source, order.Batch(step), device);
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

    public static List<FinalResult> Evaluate(MultitaskModel model, MultitaskPlan plan, DenseData data, Device device)
    {
        model.eval();
        var results = new List<FinalResult>();
        bool zeroShot = plan.Setting == Settings.ZeroShotTaskTransfer && plan.ZeroShotTasks.Count > 0;
        var constants = zeroShot ? Constants(data.Get(plan.SourceDomain, DataSplit.Train)) : null;
        using var _ = torch.no_grad();
        foreach (var split in new[] { DataSplit.Validation, DataSplit.Test })
        foreach (var domain in plan.EvaluationDomains)
        {
            var d = data.Get(domain, split);
            var metrics = plan.Tasks.ToDictionary(t => t, _ => new DenseMetrics());
            var constant = plan.ZeroShotTasks.ToDictionary(t => t, _ => new DenseMetrics());
            var fromDepth = new DenseMetrics();
            bool derive = zeroShot && plan.ZeroShotTasks.Contains(Tasks.Normals) && plan.Tasks.Contains(Tasks.Depth);
            for (int start = 0; start < d.Count; start += EvaluationBatch)
            {
                using var scope = torch.NewDisposeScope();
                var rows = Enumerable.Range(start, Math.Min(EvaluationBatch, d.Count - start)).ToArray();
                var batch = Batch(d, rows, device);
                var raw = model.Forward(batch.Images, plan.Tasks);
                foreach (var task in plan.Tasks) Accumulate(metrics[task], task, raw[task], batch);
                if (constants is not null)
                    foreach (var task in plan.ZeroShotTasks) Accumulate(constant[task], task, constants[task].expand_as(raw[task]), batch);
                if (derive) fromDepth.AddNormals(DenseOutputs.NormalsFromDepth(DenseOutputs.Depth(raw[Tasks.Depth])), batch.Normals, batch.ValidMask);
            }
            string s = split.MetricName();
            foreach (var task in plan.Tasks)
                foreach (var metric in DenseMetrics.MetricsOf(task)) results.Add(new FinalResult(s, task, domain, metric, metrics[task].Value(metric)));
            if (constants is not null)
                foreach (var task in plan.ZeroShotTasks)
                    foreach (var metric in DenseMetrics.MetricsOf(task)) results.Add(new FinalResult(s, task, domain, metric + "@constant", constant[task].Value(metric)));
            if (derive) results.Add(new FinalResult(s, Tasks.Normals, domain, "angular-error@from-depth", fromDepth.Value("angular-error")));
        }
        return results;
    }

    private static void Accumulate(DenseMetrics m, string task, Tensor raw, DenseBatch batch)
    {
        switch (task)
        {
            case Tasks.Segmentation: m.AddSegmentation(raw.argmax(1), batch.Segmentation); break;
            case Tasks.Depth: m.AddDepth(DenseOutputs.Depth(raw), batch.Depth, batch.ValidMask); break;
            case Tasks.Normals: m.AddNormals(DenseOutputs.Normals(raw), batch.Normals, batch.ValidMask); break;
            default: m.AddEdges(DenseOutputs.Edges(raw), batch.Edges); break;
        }
    }

    /// <summary>Constant "raw outputs" [1, C, 1, 1] from the source training targets: majority class, mean log-depth (non-sky), mean normal, mean edge.</summary>
    private static Dictionary<string, Tensor> Constants(DenseSplit train)
    {
        int classes = DenseTargets.Classes, hw = train.ImageSize * train.ImageSize;
        var counts = new long[classes];
        double logDepth = 0, edges = 0; long valid = 0;
        var normal = new double[3];
        for (int i = 0; i < train.Segmentation.Length; i++)
        {
            counts[train.Segmentation[i]]++;
            edges += train.Edges[i];
            if (train.Segmentation[i] == DenseTargets.SkyClass) continue;
            valid++;
            logDepth += Math.Log(Math.Max(train.Depth[i], 1e-3));
            int image = i / hw, pixel = i % hw;
            for (int c = 0; c < 3; c++) normal[c] += train.Normals[(long)image * 3 * hw + c * hw + pixel];
        }
        var seg = new float[classes];
        seg[Array.IndexOf(counts, counts.Max())] = 10;
        double edgeMean = Math.Clamp(edges / train.Segmentation.Length, 1e-4, 1 - 1e-4);
        return new Dictionary<string, Tensor>
        {
            [Tasks.Segmentation] = torch.tensor(seg, [1, classes, 1, 1]),
            [Tasks.Depth] = torch.tensor(new[] { (float)(logDepth / Math.Max(1, valid)) }, [1, 1, 1, 1]),
            [Tasks.Normals] = torch.tensor(normal.Select(v => (float)(v / Math.Max(1, valid))).ToArray(), [1, 3, 1, 1]),
            [Tasks.Edges] = torch.tensor(new[] { (float)Math.Log(edgeMean / (1 - edgeMean)) }, [1, 1, 1, 1]),
        };
    }

    private static void WriteGallery(MultitaskModel model, MultitaskPlan plan, DenseData data, Device device, long step, string work, ITrainingObserver observer)
    {
        model.eval();
        var entries = new List<Gallery.Entry>();
        using (torch.no_grad())
            foreach (var domain in plan.EvaluationDomains)
            {
                using var scope = torch.NewDisposeScope();
                var d = data.Get(domain, DataSplit.Test);
                var rows = Enumerable.Range(0, Math.Min(Gallery.ImagesPerDomain, d.Count)).ToArray();
                if (rows.Length == 0) continue;
                var images = d.ImagesTensor(rows, device);
                var raw = model.Forward(images, plan.Tasks);
                int e = 3 * d.ImageSize * d.ImageSize;
                for (int r = 0; r < rows.Length; r++)
                    entries.Add(new Gallery.Entry(domain, rows[r], d.Pixels.AsSpan(rows[r] * e, e).ToArray(),
                        plan.Tasks.ToDictionary(t => t, t => (Gallery.PredictionMap(t, raw[t][r]), Gallery.TruthMap(t, d, rows[r])))));
            }
        var path = Path.Combine(work, "gallery.zip");
        Gallery.Write(path, plan.ImageSize, step, plan.Tasks, entries);
        observer.OnArtifact(step, "gallery", path);
    }

    /// <summary>Loads exported weights (every tensor the method trains must be there; buffers too when present).</summary>
    private static void LoadWeights(MultitaskModel model, string path)
    {
        using var reader = SafetensorsReader.Open(path);
        var problems = new List<string>();
        var targets = model.named_parameters().Where(x => x.parameter.requires_grad && !x.name.StartsWith("discriminators."))
            .ToDictionary(x => x.name, x => (Tensor)x.parameter);
        foreach (var (name, b) in model.named_buffers()) if (reader.Contains(name)) targets[name] = b;
        foreach (var (name, t) in targets)
        {
            if (!reader.Contains(name)) problems.Add($"'{name}': missing");
            else if (!reader.Info(name).Shape.SequenceEqual(t.shape)) problems.Add($"'{name}': shape [{string.Join(", ", reader.Info(name).Shape)}], model needs [{string.Join(", ", t.shape)}]");
        }
        if (problems.Count > 0) throw new WeightLoadException(path, problems);
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        foreach (var (name, t) in targets) t.copy_(TensorData.Read(reader, name).to(t.dtype).to(t.device));
    }

    private static void SaveCheckpoint(string path, MultitaskModel model, MultitaskPlan plan, IParameterOptimizer optimizer, IParameterOptimizer? disc, long step)
    {
        var tensors = model.named_parameters().Where(x => x.parameter.requires_grad).Select(x => TensorData.ToSafetensors("model/" + x.name, x.parameter)).ToList();
        tensors.AddRange(model.named_buffers().Select(b => TensorData.ToSafetensors("model/" + b.name, b.buffer)));
        tensors.AddRange(optimizer.State.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => TensorData.ToSafetensors("optim/" + kv.Key, kv.Value)));
        if (disc is not null) tensors.AddRange(disc.State.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => TensorData.ToSafetensors("optim-d/" + kv.Key, kv.Value)));
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string>
        {
            ["format"] = CheckpointFormat, ["step"] = step.ToString(CultureInfo.InvariantCulture), ["seed"] = plan.Seed.ToString(CultureInfo.InvariantCulture),
            ["method"] = plan.Method, ["preset"] = plan.Preset.Name, ["optimizer_steps"] = optimizer.Steps.ToString(CultureInfo.InvariantCulture),
            ["disc_optimizer_steps"] = (disc?.Steps ?? 0).ToString(CultureInfo.InvariantCulture),
        });
    }

    private static long LoadCheckpoint(string path, MultitaskModel model, MultitaskPlan plan, IParameterOptimizer optimizer, IParameterOptimizer? disc)
    {
        using var reader = SafetensorsReader.Open(path);
        if (reader.Metadata.GetValueOrDefault("format") != CheckpointFormat || reader.Metadata.GetValueOrDefault("method") != plan.Method
            || reader.Metadata.GetValueOrDefault("seed") != plan.Seed.ToString(CultureInfo.InvariantCulture))
            throw new WeightLoadException(path, [$"not a {CheckpointFormat} checkpoint of this method and seed"]);
        var targets = model.named_parameters().Where(x => x.parameter.requires_grad).ToDictionary(x => "model/" + x.name, x => (Tensor)x.parameter);
        foreach (var (name, b) in model.named_buffers()) targets["model/" + name] = b;
        foreach (var (name, s) in optimizer.State) targets["optim/" + name] = s;
        if (disc is not null) foreach (var (name, s) in disc.State) targets["optim-d/" + name] = s;
        var missing = targets.Keys.Where(k => !reader.Contains(k)).Select(k => $"'{k}': missing").ToList();
        if (missing.Count > 0) throw new WeightLoadException(path, missing);
        using var scope = torch.NewDisposeScope();
        using (torch.no_grad())
            foreach (var (name, t) in targets) t.copy_(TensorData.Read(reader, name).to(t.dtype).to(t.device));
        optimizer.Steps = long.Parse(reader.Metadata.GetValueOrDefault("optimizer_steps", "0"), CultureInfo.InvariantCulture);
        if (disc is not null) disc.Steps = long.Parse(reader.Metadata.GetValueOrDefault("disc_optimizer_steps", "0"), CultureInfo.InvariantCulture);
        return long.Parse(reader.Metadata["step"], CultureInfo.InvariantCulture);
    }

}

/// <summary>Dense splits of a plan: ShapesWorld (world seed) or a paired-folder dataset inside the data root.</summary>
public sealed class DenseData(MultitaskPlan plan, string? dataRoot)
{
    private DenseFolderDataset? folder;

    public DenseSplit Get(string domain, DataSplit split)
    {
        int count = split switch { DataSplit.Train => plan.TrainSize, DataSplit.Validation => plan.ValidationSize, _ => plan.TestSize };
        if (plan.Spec.Data.Dataset == Datasets.Folder)
        {
            folder ??= DenseFolderDataset.Open(dataRoot, plan.Spec.Data.Path ?? "", plan.ImageSize);
            return folder.Split(split);
        }
        return DenseShapesWorld.Split(ShapesWorldDataset.WorldSeed, domain, split, count, plan.ImageSize);
    }
}
