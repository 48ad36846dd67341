using AdapterLab.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AdapterLab.Training.Training;

/// <summary>
/// A model built for a plan: seeded initialisation, backbone weights loaded, frozen parts with requires_grad off,
/// moved to the device. <see cref="Trainable"/> is exactly what the optimiser may touch.
/// </summary>
public sealed class PreparedModel : IDisposable
{
    private PreparedModel(VisionTransformer model, IReadOnlyList<(string Name, Parameter Parameter)> trainable, long trainableCount, long totalCount)
    {
        Model = model;
        Trainable = trainable;
        TrainableParameters = trainableCount;
        TotalParameters = totalCount;
    }

    public VisionTransformer Model { get; }
    public IReadOnlyList<(string Name, Parameter Parameter)> Trainable { get; }
    public long TrainableParameters { get; }
    public long TotalParameters { get; }

    public static PreparedModel Build(TrainingPlan plan, string? backboneWeightsPath, Device device)
    {
        // Everything random at construction (a random backbone, adapters, prompts, head) comes from the seed, so a
        // resumed attempt rebuilds identical frozen tensors and only restores the trainable ones from its checkpoint.
        torch.random.manual_seed(plan.Seed);
        var model = new VisionTransformer(plan.Model);
        try
        {
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
            return new PreparedModel(model, trainable, trainableCount, totalCount);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public void Dispose() => Model.Dispose();
}
