namespace AdapterLab.Data.Entities;

/// <summary>One metric value; the key (experiment, name, split, task, domain, step) makes a duplicate insert a no-op.</summary>
public sealed class MetricPointRow
{
    public Guid ExperimentId { get; set; }
    public string Name { get; set; } = "";
    public string Split { get; set; } = "";
    public string Task { get; set; } = "";
    public string Domain { get; set; } = "";
    public long Step { get; set; }
    public int AttemptNumber { get; set; }
    public double Value { get; set; }
}
