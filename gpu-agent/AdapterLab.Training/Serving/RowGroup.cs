namespace AdapterLab.Training.Serving;

/// <summary><paramref name="Rows"/> consecutive images of a mixed batch that one adapter serves.</summary>
public sealed record RowGroup(ServedAdapter Adapter, int Rows);
