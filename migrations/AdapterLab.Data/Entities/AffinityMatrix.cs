namespace AdapterLab.Data.Entities;

/// <summary>An N×N task-affinity matrix (row-major, A[i→j] at i·N+j) of one estimator at one evaluation step.</summary>
public sealed class AffinityMatrix
{
    public long Id { get; set; }
    public Guid ExperimentId { get; set; }
    public long Step { get; set; }
    /// <summary><c>troa</c>, <c>cosine</c>, <c>tag-lookahead</c> or <c>gradient-cosine</c> (the raw matrix).</summary>
    public string Estimator { get; set; } = "";
    public string[] TaskOrder { get; set; } = [];
    public double[] Values { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
}
