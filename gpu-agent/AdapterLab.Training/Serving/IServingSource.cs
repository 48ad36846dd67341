namespace AdapterLab.Training.Serving;

/// <summary>Where served weights come from (a registry's blobs on local disk, or tensors in memory in tests and benchmarks).</summary>
public interface IServingSource
{
    /// <summary>Loads the backbone whose weights file hashes to <paramref name="sha256"/>.</summary>
    ServedBackbone LoadBackbone(string sha256);

    /// <summary>Loads the adapter served under <paramref name="key"/>.</summary>
    ServedAdapter LoadAdapter(string key);

    /// <summary>Loads the dense multitask model served under <paramref name="key"/>.</summary>
    ServedDenseModel LoadDense(string key) => throw new KeyNotFoundException($"this source serves no dense model '{key}'");
}
