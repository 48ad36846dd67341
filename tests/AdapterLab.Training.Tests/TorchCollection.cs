using TorchSharp;

namespace AdapterLab.Training.Tests;

/// <summary>
/// Every test that touches torch joins this collection: one torch thread (fast and reproducible on 2 shared cores)
/// and no parallel tests, because torch's global RNG and thread pool are process-wide.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TorchCollection : ICollectionFixture<TorchFixture>
{
    public const string Name = "torch";
}

public sealed class TorchFixture
{
    public TorchFixture() => torch.set_num_threads(1);
}
