namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>
/// One running platform shared by every test in the <see cref="SharedPlatformCollection"/>, with one backbone pretrained
/// once for the whole run (<see cref="BackboneName"/>), so tests that adapt a backbone do not each pay for a pretrain.
/// Tests in the collection run one after another against the same agent.
/// </summary>
public sealed class SharedPlatform : PlatformFixture
{
    public string BackboneName { get; } = "fixture-vit-tiny-ci";
    public Guid PretrainId { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        PretrainId = await SubmitAsync(Specs.Pretrain(BackboneName, steps: 20));
        await WaitForStatusAsync(PretrainId, "Succeeded", TimeSpan.FromMinutes(5));
    }
}

/// <summary>Tests that share <see cref="SharedPlatform"/>.</summary>
[CollectionDefinition(Name)]
public sealed class SharedPlatformCollection : ICollectionFixture<SharedPlatform>
{
    public const string Name = "shared platform";
}
