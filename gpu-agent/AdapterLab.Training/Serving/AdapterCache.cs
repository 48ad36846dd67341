namespace AdapterLab.Training.Serving;

/// <summary>
/// Adapters (and dense models) held in memory under a byte budget, evicting the least recently used first; the ones of
/// the batch being assembled are never evicted (a batch may exceed the budget on its own: it is served, then trimmed).
/// Backbones are held apart, once each. Used by one thread (the batcher's worker), so it takes no locks.
/// </summary>
public sealed class AdapterCache(IServingSource source, long budgetBytes) : IDisposable
{
    private readonly Dictionary<string, LinkedListNode<IServedWeights>> adapters = new(StringComparer.Ordinal);
    private readonly LinkedList<IServedWeights> recency = new(); // most recent first
    private readonly Dictionary<string, ServedBackbone> backbones = new(StringComparer.OrdinalIgnoreCase);

    public long BudgetBytes { get; } = budgetBytes;

    /// <summary>Bytes of adapter tensors held now.</summary>
    public long HeldBytes { get; private set; }

    public int HeldAdapters => adapters.Count;
    public int Loads { get; private set; }
    public int Evictions { get; private set; }

    public bool Holds(string key) => adapters.ContainsKey(key);

    /// <summary>The adapter, loaded if absent, now the most recently used; others are evicted to fit, except <paramref name="keep"/>.</summary>
    public ServedAdapter Adapter(string key, IReadOnlySet<string>? keep = null) => Get(key, source.LoadAdapter, keep);

    /// <summary>
    /// The dense model, loaded if absent, under the same budget and recency as adapters; its encoder shares the tensors
    /// of its backbone when that backbone is held here (its bytes then count only its own).
    /// </summary>
    public ServedDenseModel Dense(string key, IReadOnlySet<string>? keep = null) => Get(key, k =>
    {
        var model = source.LoadDense(k);
        if (backbones.TryGetValue(model.BackboneSha256, out var backbone)) model.ShareBackbone(backbone);
        return model;
    }, keep);

    private T Get<T>(string key, Func<string, T> load, IReadOnlySet<string>? keep) where T : class, IServedWeights
    {
        if (adapters.TryGetValue(key, out var node))
        {
            recency.Remove(node);
            recency.AddFirst(node);
            return node.Value as T ?? throw new InvalidOperationException($"'{key}' is held as a {node.Value.GetType().Name}, not a {typeof(T).Name}");
        }
        var loaded = load(key);
        Loads++;
        adapters[key] = recency.AddFirst(loaded);
        HeldBytes += loaded.Bytes;
        Trim(keep, justLoaded: key);
        return loaded;
    }

    /// <summary>The backbone with this hash, loaded once.</summary>
    public ServedBackbone Backbone(string sha256)
    {
        if (!backbones.TryGetValue(sha256, out var b)) backbones[sha256] = b = source.LoadBackbone(sha256);
        return b;
    }

    /// <summary>Evicts least recently used adapters until the held bytes fit the budget (sparing <paramref name="keep"/>).</summary>
    public void Trim(IReadOnlySet<string>? keep = null, string? justLoaded = null)
    {
        var node = recency.Last;
        while (HeldBytes > BudgetBytes && node is not null)
        {
            var previous = node.Previous;
            var key = node.Value.Key;
            if (key != justLoaded && keep?.Contains(key) != true)
            {
                recency.Remove(node);
                adapters.Remove(key);
                HeldBytes -= node.Value.Bytes;
                node.Value.Dispose();
                Evictions++;
            }
            node = previous;
        }
    }

    public void Dispose()
    {
        foreach (var a in recency) a.Dispose();
        recency.Clear();
        adapters.Clear();
        foreach (var b in backbones.Values) b.Dispose();
        backbones.Clear();
        HeldBytes = 0;
    }
}
