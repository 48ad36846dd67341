using System.Diagnostics;
using System.Runtime.InteropServices;
using AdapterLab.Contracts.Messages;
using AdapterLab.Contracts.Specs;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Training.Api;
using AdapterLab.Training.Data.ShapesWorld;
using AdapterLab.Training.Model;
using AdapterLab.Training.Optimisation;
using AdapterLab.Training.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using AdamW = AdapterLab.Training.Optimisation.AdamW;

namespace AdapterLab.Training;

/// <summary>Runs one classification experiment (<c>pretrain</c> or <c>adapt</c>) from a <see cref="TrainingJob"/>.</summary>
public static class ExperimentTrainer
{
    private const int EvaluationBatch = 256;

    public static TrainingOutcome Run(TrainingJob job, ITrainingObserver observer, CancellationToken ct)
    {
        if (Multitask.MultitaskTrainer.Handles(job.Spec)) return Multitask.MultitaskTrainer.Run(job, observer, ct);
        var plan = TrainingPlan.From(job.Spec, job.DataRoot);
        if (job.Threads > 0) torch.set_num_threads(job.Threads);
        var device = RunFacts.ChooseDevice(job.Device);
        Directory.CreateDirectory(job.WorkDirectory);

        using var prepared = PreparedModel.Build(plan, job.BackboneWeightsPath, device);
        var model = prepared.Model;
        long trainableCount = prepared.TrainableParameters, totalCount = prepared.TotalParameters;
        if (job.Spec.Kind == Kinds.Evaluate) return EvaluateOnly(job, plan, prepared, device, observer);
        var trainable = prepared.Trainable;

        var optimizer = CreateOptimizer(plan, trainable);
        long step = job.ResumeCheckpointPath is null ? 0 : Checkpoint.Load(job.ResumeCheckpointPath, model, plan, optimizer);
        var schedule = new LearningRateSchedule(plan.LearningRate, plan.TotalSteps, plan.WarmupSteps, plan.CosineSchedule);

        // Started before the training data is generated (and, for the linear probe, its features computed): the attempt
        // shows as Running as soon as the model exists, not seconds later (bench perf-dispatch: submit → Running).
        observer.OnStarted(new TrainingStart(trainableCount, totalCount, plan.TotalSteps, step, device.type == DeviceType.CUDA ? "cuda" : "cpu", RunFacts.Packages()));

        var trainSplit = plan.Split(plan.SourceDomain, DataSplit.Train);
        var order = new DataOrder(plan.Seed, trainSplit.Count, plan.BatchSize);
        using var features = new FeatureCache(model, device);
        Tensor? trainFeatures = plan.CachesFeatures ? features.For(trainSplit) : null;

        string checkpointPath = Path.Combine(job.WorkDirectory, "checkpoint.safetensors");
        string? lastCheckpoint = null;
        var trainClock = new Stopwatch();
        long imagesSeen = 0;

        while (step < plan.TotalSteps)
        {
            if (ct.IsCancellationRequested)
            {
                Checkpoint.Save(checkpointPath, model, plan, optimizer, step, order.Position(step));
                observer.OnCheckpoint(step, checkpointPath);
                return new TrainingOutcome
                {
                    Cancelled = true, FinalStep = step, CheckpointPath = checkpointPath,
                    TrainableParameters = trainableCount, TotalParameters = totalCount,
                    ImagesPerSecond = RunFacts.Rate(imagesSeen, trainClock), PeakMemoryBytes = RunFacts.PeakMemory(),
                };
            }

            trainClock.Start();
            double loss;
            try
            {
                loss = TrainStep(model, plan, optimizer, schedule, trainSplit, trainFeatures, order, step, device);
            }
            catch (Exception ex) when (ex is ExternalException or InvalidOperationException or ArgumentException)
            {
                // libtorch errors (out of memory, shape errors) inside a step are the training's own failure, with the step it reached.
                throw new TrainingFailedException($"step {step + 1} failed: {ex.Message}", step, ex);
            }
            trainClock.Stop();
            imagesSeen += plan.BatchSize;
            if (!double.IsFinite(loss)) throw new TrainingFailedException($"loss became {loss} at step {step + 1}", step);
            step++;

            var points = new List<MetricPoint> { new(step, "train", Tasks.Classification, plan.SourceDomain, "loss", loss) };
            bool last = step == plan.TotalSteps;
            if (!last && plan.EvalInterval > 0 && step % plan.EvalInterval == 0)
                points.AddRange(Evaluate(model, plan, features, device).Select(r => new MetricPoint(step, r.Split, r.Task, r.Domain, r.Metric, r.Value)));
            observer.OnProgress(step, plan.TotalSteps, points);

            if (!last && plan.CheckpointInterval > 0 && step % plan.CheckpointInterval == 0)
            {
                Checkpoint.Save(checkpointPath, model, plan, optimizer, step, order.Position(step));
                lastCheckpoint = checkpointPath;
                observer.OnCheckpoint(step, checkpointPath);
            }
        }

        var results = Evaluate(model, plan, features, device);
        observer.OnProgress(step, plan.TotalSteps, results.Select(r => new MetricPoint(step, r.Split, r.Task, r.Domain, r.Metric, r.Value)).ToList());
        Checkpoint.Save(checkpointPath, model, plan, optimizer, step, order.Position(step));
        lastCheckpoint = checkpointPath;
        observer.OnCheckpoint(step, checkpointPath);

        string? backbonePath = null;
        string outputPath;
        var metadata = new Dictionary<string, string>
        {
            ["preset"] = plan.Model.Preset.Name,
            ["image_size"] = plan.Model.ImageSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["method"] = plan.Method,
            ["label_family"] = plan.LabelFamily,
            ["step"] = step.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (job.Spec.Kind == Kinds.Pretrain)
        {
            backbonePath = Path.Combine(job.WorkDirectory, "backbone.safetensors");
            SafetensorsWriter.Write(backbonePath, ViTWeights.Export(model, ViTWeights.IsBackbone), metadata);
            outputPath = Path.Combine(job.WorkDirectory, "model.safetensors");
            SafetensorsWriter.Write(outputPath, ViTWeights.Export(model, _ => true), metadata);
        }
        else
        {
            // Adapted weights: what training changed plus the head's normalisation statistics, enough to rebuild the
            // model on top of the (stored-once) backbone.
            outputPath = Path.Combine(job.WorkDirectory, "adapted.safetensors");
            var tensors = ViTWeights.Export(model, plan.IsTrainable);
            tensors.AddRange(model.named_buffers().Select(b => TensorData.ToSafetensors(b.name, b.buffer)));
            SafetensorsWriter.Write(outputPath, tensors, metadata);
        }

        return new TrainingOutcome
        {
            FinalStep = step,
            Results = results,
            BackboneWeightsPath = backbonePath,
            OutputWeightsPath = outputPath,
            CheckpointPath = lastCheckpoint,
            TrainableParameters = trainableCount,
            TotalParameters = totalCount,
            ImagesPerSecond = RunFacts.Rate(imagesSeen, trainClock),
            PeakMemoryBytes = RunFacts.PeakMemory(),
        };
    }

    /// <summary>The plan's optimiser over exactly the trainable parameters (frozen ones are never handed to it).</summary>
    public static IParameterOptimizer CreateOptimizer(TrainingPlan plan, IReadOnlyList<(string Name, Parameter Parameter)> trainable) => plan.Optimizer switch
    {
        "adamw" => new AdamW(trainable, plan.WeightDecay),
        "sgd" => new SgdMomentum(trainable, plan.Momentum, plan.WeightDecay),
        _ => throw new ArgumentException($"unknown optimizer '{plan.Optimizer}' (sgd, adamw)"),
    };

    private static TrainingOutcome EvaluateOnly(TrainingJob job, TrainingPlan plan, PreparedModel prepared, Device device, ITrainingObserver observer)
    {
        // evaluate: the evaluated experiment's own tensors (everything its method trains, plus buffers) over the backbone.
        if (job.ModelWeightsPath is not null)
            ViTWeights.LoadTrained(prepared.Model, job.ModelWeightsPath, plan.IsTrainable);
        else if (job.BackboneWeightsPath is null)
            throw new ArgumentException("evaluate needs ModelWeightsPath or BackboneWeightsPath: evaluating random weights is meaningless");
        observer.OnStarted(new TrainingStart(prepared.TrainableParameters, prepared.TotalParameters, 0, 0,
            device.type == DeviceType.CUDA ? "cuda" : "cpu", RunFacts.Packages()));
        using var features = new FeatureCache(prepared.Model, device);
        var results = Evaluate(prepared.Model, plan, features, device);
        observer.OnProgress(0, 0, results.Select(r => new MetricPoint(0, r.Split, r.Task, r.Domain, r.Metric, r.Value)).ToList());
        return new TrainingOutcome
        {
            Results = results,
            TrainableParameters = prepared.TrainableParameters,
            TotalParameters = prepared.TotalParameters,
            PeakMemoryBytes = RunFacts.PeakMemory(),
        };
    }

    /// <summary>One optimisation step (public for the in-process training benchmarks in bench/, which time exactly this).</summary>
    public static double TrainStep(VisionTransformer model, TrainingPlan plan, IParameterOptimizer optimizer, LearningRateSchedule schedule,
        ClassificationSplit split, Tensor? cachedFeatures, DataOrder order, long step, Device device)
    {
        // Reseeding per step makes dropout masks a function of (seed, step): a resumed run draws the same masks. The run's
        // own generators when the model has them (always, when built by PreparedModel): concurrent runs stay independent.
        if (model.Random is { } random) random.BeginStep(step);
        else torch.random.manual_seed(RunRandom.StepSeed(plan.Seed, step));
        using var scope = torch.NewDisposeScope();
        var rows = order.Batch(step);
        var labels = split.LabelsTensor(rows, device);
        Tensor logits;
        if (cachedFeatures is not null)
        {
            model.eval();
            model.SetHeadTraining(true);
            using var index = torch.tensor(rows.Select(r => (long)r).ToArray()).to(device);
            logits = model.Classify(cachedFeatures.index_select(0, index));
        }
        else
        {
            // Frozen parts of the backbone have no mode-dependent layers (no dropout, no BatchNorm), so train mode
            // only affects what trains: adapter dropout and the head's BatchNorm.
            model.train();
            logits = model.forward(split.ImagesTensor(rows, device));
        }
        var loss = nn.functional.cross_entropy(logits, labels);
        double value = loss.item<float>();
        if (!double.IsFinite(value)) return value;
        optimizer.ZeroGrad();
        loss.backward();
        optimizer.Step(schedule.At(step));
        return value;
    }

    private static List<FinalResult> Evaluate(VisionTransformer model, TrainingPlan plan, FeatureCache features, Device device)
    {
        model.eval();
        var results = new List<FinalResult>();
        foreach (var split in new[] { DataSplit.Validation, DataSplit.Test })
        {
            foreach (var domain in plan.EvaluationDomains)
            {
                var data = plan.Split(domain, split);
                long correct = 0;
                using var _ = torch.no_grad();
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
                    var predicted = logits.argmax(1);
                    correct += predicted.eq(data.LabelsTensor(rows, device)).sum().item<long>();
                }
                results.Add(new FinalResult(split.MetricName(), Tasks.Classification, domain, "accuracy", data.Count == 0 ? 0 : (double)correct / data.Count));
            }
        }
        return results;
    }

}
