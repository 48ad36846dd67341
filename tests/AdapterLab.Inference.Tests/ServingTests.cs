using AdapterLab.Training.Serving;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Inference.Tests;

/// <summary>
/// The adapter cache (least recently used out, under a byte budget, never an adapter of the batch being served) and the
/// batcher (concurrent requests for different adapters on one backbone become one forward pass, each answered with its
/// own model's probabilities).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ServingTests : IDisposable
{
    private readonly TrainedAdapters trained = new();

    [Fact]
    public void The_cache_evicts_the_least_recently_used_adapter_to_stay_within_its_budget()
    {
        long lora = trained.Adapters["lora"].Served.Bytes, probe = trained.Adapters["probe"].Served.Bytes, bitfit = trained.Adapters["bitfit"].Served.Bytes;
        using var cache = new AdapterCache(trained, lora + probe + bitfit - 1);
        cache.Adapter("lora");
        cache.Adapter("probe");
        cache.Adapter("lora"); // now the most recent: probe is the least recently used
        cache.Adapter("bitfit");
        Assert.True(cache.Holds("lora") && cache.Holds("bitfit"));
        Assert.False(cache.Holds("probe"));
        Assert.Equal(1, cache.Evictions);
        Assert.True(cache.HeldBytes <= cache.BudgetBytes);
        cache.Adapter("probe");
        Assert.Equal(2, trained.LoadsOf["probe"]);
        Assert.Equal(1, trained.LoadsOf["lora"]);
        // Bytes held are each adapter's own tensor bytes: the backbone is not counted again per adapter.
        Assert.Equal(cache.HeldBytes, new[] { "lora", "bitfit", "probe" }.Where(cache.Holds).Sum(k => trained.Adapters[k].Served.Bytes));
    }

    [Fact]
    public void Adapters_of_the_batch_being_served_are_kept_even_past_the_budget()
    {
        using var cache = new AdapterCache(trained, 1);
        var keep = new HashSet<string> { "lora", "probe" };
        cache.Adapter("lora", keep);
        cache.Adapter("probe", keep);
        Assert.True(cache.Holds("lora") && cache.Holds("probe"));
        cache.Trim();
        Assert.Equal(0, cache.HeldAdapters);
    }

    [Fact]
    public async Task Concurrent_requests_for_different_adapters_share_one_forward_pass_and_get_their_own_answers()
    {
        var keys = new[] { "adaptformer", "lora", "vpt-deep-10", "bitfit", "vpt-shallow-5", "probe" };
        await using var batcher = new PredictionBatcher(new AdapterCache(trained, long.MaxValue), TimeSpan.FromMilliseconds(500), maxImages: 64);
        using var pixels = MixedBatchTests.Images(2 * keys.Length, offset: 80);
        var flat = pixels.data<float>().ToArray();
        int per = 3 * 32 * 32;
        var answers = keys.Select((k, i) => batcher.PredictAsync(k, TrainedAdapters.BackboneSha, flat.AsSpan(2 * i * per, 2 * per).ToArray(), 2)).ToArray();
        var results = await Task.WhenAll(answers);
        Assert.Equal(1, batcher.Batches);
        Assert.Equal(2 * keys.Length, batcher.Images);
        for (int i = 0; i < keys.Length; i++)
        {
            using var _ = torch.no_grad();
            using var own = pixels.narrow(0, 2 * i, 2);
            using var expected = trained.Adapters[keys[i]].Model.forward(own).softmax(-1);
            var want = expected.data<float>().ToArray();
            var got = results[i].SelectMany(r => r).ToArray();
            Assert.Equal(want.Length, got.Length);
            Assert.True(want.Zip(got).All(p => Math.Abs(p.First - p.Second) < 1e-5), $"{keys[i]}: probabilities differ from its model's");
        }
    }

    [Fact]
    public async Task A_bad_request_fails_alone_and_the_rest_of_its_batch_is_served()
    {
        await using var batcher = new PredictionBatcher(new AdapterCache(trained, long.MaxValue), TimeSpan.FromMilliseconds(300));
        using var pixels = MixedBatchTests.Images(1, offset: 0);
        var good = batcher.PredictAsync("lora", TrainedAdapters.BackboneSha, pixels.data<float>().ToArray(), 1);
        var unknown = batcher.PredictAsync("no-such-adapter", TrainedAdapters.BackboneSha, pixels.data<float>().ToArray(), 1);
        var wrongSize = batcher.PredictAsync("probe", TrainedAdapters.BackboneSha, new float[10], 1);
        Assert.Equal(4, (await good)[0].Length);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => unknown);
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => wrongSize);
        Assert.Contains("need 3072 values, got 10", ex.Message);
    }

    public void Dispose() => trained.Dispose();
}
