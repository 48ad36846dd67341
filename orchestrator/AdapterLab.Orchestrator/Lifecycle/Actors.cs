namespace AdapterLab.Orchestrator.Lifecycle;

/// <summary>Who caused a transition, as written in the audit log.</summary>
public static class Actors
{
    public const string Orchestrator = "orchestrator";
    public const string Reaper = "reaper";
    public static string Agent(string id) => "agent:" + id;
}
