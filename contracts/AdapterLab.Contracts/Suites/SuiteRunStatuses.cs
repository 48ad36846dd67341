namespace AdapterLab.Contracts.Suites;

/// <summary>Suite-run statuses as stored in <c>suite_runs.status</c> and returned by the API.</summary>
public static class SuiteRunStatuses
{
    /// <summary>Experiments submitted, not all ended yet. At most one per suite.</summary>
    public const string Running = "running";
    /// <summary>Every experiment succeeded and nothing regressed.</summary>
    public const string Completed = "completed";
    /// <summary>Every experiment ended, some failed or were cancelled; nothing that succeeded regressed.</summary>
    public const string CompletedWithFailures = "completed-with-failures";
    /// <summary>Ended, and a configuration's mean moved the wrong way beyond tolerance (vs the previous run or the baseline).</summary>
    public const string Regressed = "regressed";
    /// <summary>A trigger that found a run of the suite still active; nothing was submitted.</summary>
    public const string Skipped = "skipped";
    /// <summary>A scheduled trigger whose estimate did not fit the window (or found no agents); nothing was submitted.</summary>
    public const string Refused = "refused";

    /// <summary>Statuses of runs that finished and can serve as the "previous run" of a comparison.</summary>
    public static readonly IReadOnlyList<string> Finished = [Completed, CompletedWithFailures, Regressed];
}
