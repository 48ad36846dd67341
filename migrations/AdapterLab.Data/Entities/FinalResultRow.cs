namespace AdapterLab.Data.Entities;

/// <summary>A final metric of an experiment per split × task × domain.</summary>
public sealed class FinalResultRow
{
    public Guid ExperimentId { get; set; }
    public string Split { get; set; } = "";
    public string Task { get; set; } = "";
    public string Domain { get; set; } = "";
    public string Metric { get; set; } = "";
    public double Value { get; set; }
    public int AttemptNumber { get; set; }
}
