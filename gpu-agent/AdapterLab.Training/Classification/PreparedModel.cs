using AdapterLab.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Classification;

/// <summary>
/// A model built for a plan: initialised from the run's own <see cref="RunRandom"/> (seeded with the plan's seed, never
/// torch's process-global generator), backbone weights loaded, frozen parts with requires_grad off, moved to the device.
/// <see cref="Trainable"/> is exactly what the optimiser may touch. Owns the model and its random numbers.
/// </summary>
public sealed class PreparedModel : IDisposable
{
    private readonly RunRandom random;

    private PreparedModel(VisionTransformer model, RunRandom random, IReadOnlyList<(string Name, Parameter Parameter)> trainable, long trainableCount, long totalCount)
    {
        Model = model;
        this.random = random;
        Trainable = trainable;
        TrainableParameters = trainableCount;
        TotalParameters = totalCount;
    }

    public VisionTransformer Model { get; }
    public IReadOnlyList<(string Name, Parameter Parameter)> Trainable { get; }
    public long TrainableParameters { get; }
    public long TotalParameters { get; }

    public static PreparedModel Build(ClassificationPlan plan, string? backboneWeightsPath, Device device)
    {
        // Everything random at construction (a random backbone, adapters, prompts, head) comes from the seed, so a
        // resumed attempt rebuilds identical frozen tensors and only restores the trainable ones from its checkpoint.
        // The draws come from the run's own generator: a concurrent run in the same process cannot disturb them.
        var random = new RunRandom(plan.Seed);
        VisionTransformer? model = null;
        try
        {
            model = new VisionTransformer(plan.Model, random);
            if (backboneWeightsPath is not null) ViTWeights.Load(model, backboneWeightsPath, includeHead: false);
            long trainableCount = 0, totalCount = 0;
            foreach (var (name, p) in model.named_parameters())
            {
                bool train = plan.IsTrainable(name);
                p.requires_grad = train;
                totalCount += p.numel();
                if (train) trainableCount += p.numel();
            }
            model.to(device);
            // Collected after the move: on CUDA the parameters are new tensors.
            var trainable = model.named_parameters().Where(p => plan.IsTrainable(p.name)).Select(p => (p.name, p.parameter)).ToList();
            return new PreparedModel(model, random, trainable, trainableCount, totalCount);
        }
        catch
        {
            model?.Dispose();
            random.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Model.Dispose();
        random.Dispose();
    }
}
