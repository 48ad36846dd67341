using System.Globalization;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Training.Model;
using AdapterLab.Training.Optimisation;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Runs;

/// <summary>
/// The one resumable checkpoint codec, for every kind: safetensors with the stored model tensors (the parameters that
/// train, and every buffer) under <c>model/</c>, each optimiser's state under its prefix (<c>optim/</c>; a multitask
/// run's discriminators under <c>optim-d/</c>), and step, data position, seed, method, preset, optimiser and optimiser
/// step counts in <c>__metadata__</c>. Frozen tensors are not stored: they are rebuilt identically from the backbone file
/// or the seed.
/// <para>Format 3 is this layout; the two format-2 codecs it replaces (<c>adapterlab-checkpoint-2</c>,
/// <c>adapterlab-multitask-checkpoint-2</c>) wrote the same layout and are read. Format 1 drew random initialisation
/// from torch's global generator, so its frozen random tensors cannot be rebuilt and it is refused.</para>
/// </summary>
public static class Checkpoint
{
    public const string Format = "adapterlab-checkpoint-3";

    /// <summary>Formats this codec reads: its own and the two format-2 codecs of the same layout it replaced.</summary>
    public static readonly IReadOnlyList<string> ReadableFormats = [Format, "adapterlab-checkpoint-2", "adapterlab-multitask-checkpoint-2"];

    /// <summary>An optimiser as a checkpoint holds it: its tensors under <paramref name="Prefix"/>, its step count under <paramref name="StepsKey"/>.</summary>
    public sealed record StoredOptimizer(string Prefix, string StepsKey, IParameterOptimizer Optimizer)
    {
        public static StoredOptimizer Main(IParameterOptimizer o) => new("optim/", "optimizer_steps", o);
        public static StoredOptimizer Discriminators(IParameterOptimizer o) => new("optim-d/", "disc_optimizer_steps", o);
    }

    /// <summary>What a run's checkpoint holds and which run it belongs to (a checkpoint of another method, preset, optimiser or seed is refused).</summary>
    /// <param name="IsStored">Which named parameters are stored (those that train); buffers always are.</param>
    public sealed record Layout(nn.Module Model, Func<string, bool> IsStored, IReadOnlyList<StoredOptimizer> Optimizers, string Method, string Preset, string Optimizer, int Seed);

    public static void Save(string path, Layout layout, long step, long dataPosition)
    {
        var tensors = new List<SafetensorsTensor>();
        foreach (var (name, p) in layout.Model.named_parameters())
            if (layout.IsStored(name)) tensors.Add(TensorData.ToSafetensors("model/" + name, p));
        foreach (var (name, b) in layout.Model.named_buffers()) tensors.Add(TensorData.ToSafetensors("model/" + name, b));
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["step"] = step.ToString(CultureInfo.InvariantCulture),
            ["data_position"] = dataPosition.ToString(CultureInfo.InvariantCulture),
            ["seed"] = layout.Seed.ToString(CultureInfo.InvariantCulture),
            ["optimizer"] = layout.Optimizer,
            ["method"] = layout.Method,
            ["preset"] = layout.Preset,
        };
        foreach (var o in layout.Optimizers)
        {
            foreach (var (name, s) in o.Optimizer.State.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                tensors.Add(TensorData.ToSafetensors(o.Prefix + name, s));
            metadata[o.StepsKey] = o.Optimizer.Steps.ToString(CultureInfo.InvariantCulture);
        }
        SafetensorsWriter.Write(path, tensors, metadata);
    }

    /// <summary>Restores stored tensors, buffers and optimiser state; returns the step to continue from.
    /// Everything is validated before anything is copied.</summary>
    public static long Load(string path, Layout layout)
    {
        using var reader = SafetensorsReader.Open(path);
        var problems = new List<string>();
        if (!reader.Metadata.TryGetValue("format", out var format) || !ReadableFormats.Contains(format))
            problems.Add($"not a {Format} file (format '{format ?? "missing"}'; readable: {string.Join(", ", ReadableFormats)})");
        foreach (var (key, expected) in new[] { ("method", layout.Method), ("preset", layout.Preset), ("optimizer", layout.Optimizer) })
            if (reader.Metadata.TryGetValue(key, out var v) && v != expected) problems.Add($"{key} is '{v}', this run uses '{expected}'");
        if (!reader.Metadata.TryGetValue("seed", out var seed) || seed != layout.Seed.ToString(CultureInfo.InvariantCulture))
            problems.Add($"seed is '{seed ?? "missing"}', this run uses {layout.Seed} (the data order would differ)");
        if (!reader.Metadata.TryGetValue("step", out var stepText) || !long.TryParse(stepText, CultureInfo.InvariantCulture, out var step))
        {
            problems.Add("metadata 'step' missing");
            step = 0;
        }

        var targets = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in layout.Model.named_parameters())
            if (layout.IsStored(name)) targets["model/" + name] = p;
        foreach (var (name, b) in layout.Model.named_buffers()) targets["model/" + name] = b;
        foreach (var o in layout.Optimizers)
            foreach (var (name, s) in o.Optimizer.State) targets[o.Prefix + name] = s;

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
        foreach (var o in layout.Optimizers)
            o.Optimizer.Steps = long.Parse(reader.Metadata.GetValueOrDefault(o.StepsKey, "0"), CultureInfo.InvariantCulture);
        return step;
    }
}
