namespace AdapterLab.Bench.Scenarios;

/// <summary>One benchmark scenario: runs against the live platform and writes <c>bench/results/&lt;name&gt;.json</c> and <c>.md</c>.</summary>
public interface IScenario
{
    string Name { get; }
    Task RunAsync(CancellationToken ct);
}
