namespace AdapterLab.Training.Serving;

/// <summary>Weights the serving cache holds under its byte budget: an adapter on a shared backbone, or a dense model.</summary>
public interface IServedWeights : IDisposable
{
    /// <summary>The name it is served under (a registered model's name and version).</summary>
    string Key { get; }

    /// <summary>Bytes of tensor data held.</summary>
    long Bytes { get; }
}
