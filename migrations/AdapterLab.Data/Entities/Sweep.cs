namespace AdapterLab.Data.Entities;

/// <summary>
/// A hyper-parameter sweep (<c>SweepDefinition</c>, jsonb): its trials are experiments the orchestrator starts, pauses at
/// rungs, promotes and stops from the results in this database.
/// </summary>
public sealed class Sweep
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";

    /// <summary>The project it belongs to (<see cref="Project"/>).</summary>
    public Guid ProjectId { get; set; } = Project.DefaultId;
    public string DefinitionJson { get; set; } = "{}";
    /// <summary><see cref="SweepStatuses"/>: <c>running</c>, <c>confirming</c>, <c>finished</c> or <c>stopped</c>.</summary>
    public string Status { get; set; } = SweepStatuses.Running;
    /// <summary>Set by a user's stop: the orchestrator starts and promotes nothing more, cancels running trials and stops paused ones.</summary>
    public bool StopRequested { get; set; }
    /// <summary>Why it ended (the budget that ran out, a stop and by whom).</summary>
    public string? Note { get; set; }
    /// <summary>The trial the search chose (best at the highest rung reached); set when the search ends.</summary>
    public int? WinnerTrialIndex { get; set; }
    /// <summary>Whether its trials may be dry runs (set from the platform's setting when it was created).</summary>
    public bool AllowDryRun { get; set; }
    /// <summary>Who created it, as shown; trials are owned by the same owner.</summary>
    public string? Owner { get; set; }
    /// <summary>Who owns it, by id (<c>user:…</c> or <c>key:…</c>, as <see cref="Experiment.OwnerId"/>).</summary>
    public string? OwnerId { get; set; }
    /// <summary>The suite run that started this sweep (a suite's <c>sweeps</c> entry); null for a sweep started on its own.</summary>
    public Guid? SuiteRunId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
}

public static class SweepStatuses
{
    public const string Running = "running";
    /// <summary>The search is over; the winner trains with fresh seeds (<c>confirmSeeds</c>).</summary>
    public const string Confirming = "confirming";
    public const string Finished = "finished";
    public const string Stopped = "stopped";
}

/// <summary>One trial: configuration <see cref="Index"/> of the sweep (a grid point or seeded draw), run as one experiment.</summary>
public sealed class SweepTrial
{
    public Guid SweepId { get; set; }
    public int Index { get; set; }
    /// <summary>The trial's experiment; null when its spec was invalid (<see cref="FailureReason"/>).</summary>
    public Guid? ExperimentId { get; set; }
    public int Bracket { get; set; }
    /// <summary>The rung (index into its bracket's ladder) it trains towards or paused at.</summary>
    public int TargetRung { get; set; }
    /// <summary>The searched values (dotted path → JSON value), jsonb.</summary>
    public string ValuesJson { get; set; } = "{}";
    public string? FailureReason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>The objective of one trial at one rung, recorded once (a rung report delivered twice inserts nothing).</summary>
public sealed class SweepRungResult
{
    public Guid SweepId { get; set; }
    public int TrialIndex { get; set; }
    public int Rung { get; set; }
    public long Step { get; set; }
    public double Value { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    /// <summary>
    /// How the trial was promoted from this rung (<see cref="RungPromotions"/>): among its top 1/η, or within the sweep's
    /// promotion tolerance of its cut; null while it was not (and for promotions made before the kind was recorded).
    /// </summary>
    public string? Promotion { get; set; }
}

/// <summary>
/// A replicate of a trial bound for the last rung (<c>finalRungSeeds</c> above 1): its configuration trained straight
/// through the full budget with the next seed, as its own experiment. The trial's last rung is judged on the mean of its
/// own value and its replicates' <see cref="Value"/>s.
/// </summary>
public sealed class SweepReplicate
{
    public Guid SweepId { get; set; }
    public int TrialIndex { get; set; }
    /// <summary>1, 2, …: seed = the trial's seed + this (wrapping past the largest).</summary>
    public int Replicate { get; set; }
    public Guid ExperimentId { get; set; }
    public int Seed { get; set; }
    /// <summary>Its objective at the full budget, recorded once when it succeeded; null before (or when it did not report it).</summary>
    public double? Value { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RecordedAt { get; set; }
}

/// <summary>The kinds of promotion from a rung (<see cref="SweepRungResult.Promotion"/>).</summary>
public static class RungPromotions
{
    /// <summary>Among the rung's top 1/η when it was promoted.</summary>
    public const string Top = "top";
    /// <summary>Below the top 1/η, within the sweep's promotion tolerance of its cut, with the budget left.</summary>
    public const string Tolerance = "tolerance";
}
