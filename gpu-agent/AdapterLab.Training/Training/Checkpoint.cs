using System.Globalization;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Training.Model;
using AdapterLab.Training.Optimisation;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Training;

/// <summary>
/// Resumable checkpoints as safetensors: trainable tensors and buffers under <c>model/</c>, optimiser state under
/// <c>optim/</c>, and step, data position, seed and optimiser step count in <c>__metadata__</c>.
/// Frozen tensors are not stored: they are rebuilt identically from the backbone file or the seed. Format 2: random
/// initialisation comes from the run's own generator (<see cref="RunRandom"/>); format 1 drew it from torch's global
/// generator, so its frozen random tensors cannot be rebuilt and such a checkpoint is refused.
/// </summary>
public static class Checkpoint
{
    public const string Format = "adapterlab-checkpoint-2";

    public static void Save(string path, VisionTransformer model, TrainingPlan plan, IParameterOptimizer optimizer, long step, long dataPosition)
    {
        var tensors = new List<SafetensorsTensor>();
        foreach (var (name, p) in model.named_parameters())
            if (plan.IsTrainable(name)) tensors.Add(TensorData.ToSafetensors("model/" + name, p));
        foreach (var (name, b) in model.named_buffers()) tensors.Add(TensorData.ToSafetensors("model/" + name, b));
        foreach (var (name, s) in optimizer.State.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            tensors.Add(TensorData.ToSafetensors("optim/" + name, s));
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["step"] = step.ToString(CultureInfo.InvariantCulture),
            ["data_position"] = dataPosition.ToString(CultureInfo.InvariantCulture),
            ["seed"] = plan.Seed.ToString(CultureInfo.InvariantCulture),
            ["optimizer"] = plan.Optimizer,
            ["optimizer_steps"] = optimizer.Steps.ToString(CultureInfo.InvariantCulture),
            ["method"] = plan.Method,
            ["preset"] = plan.Model.Preset.Name,
        };
        SafetensorsWriter.Write(path, tensors, metadata);
    }

    /// <summary>Restores trainable tensors, buffers and optimiser state; returns the step to continue from.
    /// Everything is validated before anything is copied.</summary>
    public static long Load(string path, VisionTransformer model, TrainingPlan plan, IParameterOptimizer optimizer)
    {
        using var reader = SafetensorsReader.Open(path);
        var problems = new List<string>();
        if (!reader.Metadata.TryGetValue("format", out var format) || format != Format)
            problems.Add($"not a {Format} file (format '{format ?? "missing"}')");
        foreach (var key in new[] { "method", "preset", "optimizer" })
        {
            string expected = key switch { "method" => plan.Method, "preset" => plan.Model.Preset.Name, _ => plan.Optimizer };
            if (reader.Metadata.TryGetValue(key, out var v) && v != expected) problems.Add($"{key} is '{v}', this run uses '{expected}'");
        }
        if (!reader.Metadata.TryGetValue("seed", out var seed) || seed != plan.Seed.ToString(CultureInfo.InvariantCulture))
            problems.Add($"seed is '{seed ?? "missing"}', this run uses {plan.Seed} (the data order would differ)");
        if (!reader.Metadata.TryGetValue("step", out var stepText) || !long.TryParse(stepText, CultureInfo.InvariantCulture, out var step))
        {
            problems.Add("metadata 'step' missing");
            step = 0;
        }

        var targets = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in model.named_parameters())
            if (plan.IsTrainable(name)) targets["model/" + name] = p;
        foreach (var (name, b) in model.named_buffers()) targets["model/" + name] = b;
        foreach (var (name, s) in optimizer.State) targets["optim/" + name] = s;

        foreach (var (name, target) in targets)
        {
            if (!reader.Contains(name)) { problems.Add($"'{name}': missing"); continue; }
            var info = reader.Info(name);
            if (!info.Shape.SequenceEqual(target.shape))
                problems.Add($"'{name}': shape [{string.Join(", ", info.Shape)}], model needs [{string.Join(", ", target.shape)}]");
        }
        foreach (var info in reader.Tensors)
            if (!targets.ContainsKey(info.Name)) problems.Add($"'{info.Name}': unexpected tensor");
        if (problems.Count > 0) throw new WeightLoadException(path, problems);

        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        foreach (var (name, target) in targets)
        {
            var t = TensorData.Read(reader, name);
            target.copy_(t.to(target.dtype).to(target.device));
        }
        optimizer.Steps = long.Parse(reader.Metadata.GetValueOrDefault("optimizer_steps", "0"), CultureInfo.InvariantCulture);
        return step;
    }
}
