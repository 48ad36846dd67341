namespace AdapterLab.Data.Entities;

/// <summary>A named, versioned set of experiment specs × seeds (definition JSON, jsonb).</summary>
public sealed class Suite
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";

    /// <summary>The project it belongs to (<see cref="Project"/>).</summary>
    public Guid ProjectId { get; set; } = Project.DefaultId;
    public int Version { get; set; }
    public string DefinitionJson { get; set; } = "{}";
    public string? Cron { get; set; }
    public TimeSpan? Window { get; set; }
    public Guid? BaselineRunId { get; set; }
    /// <summary>Who may change it (<c>user:…</c> or <c>key:…</c>, as <see cref="Experiment.OwnerId"/>); null for built-in suites, which only admins change.</summary>
    public string? OwnerId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One firing of a suite: its experiments carry its id; the summary is written when they all end.</summary>
public sealed class SuiteRun
{
    public Guid Id { get; set; }
    public Guid SuiteId { get; set; }
    public int SuiteVersion { get; set; }
    public string Status { get; set; } = "";
    public string Trigger { get; set; } = "";
    public string? IdempotencyKey { get; set; }
    public string? TriggeredBy { get; set; }
    public int ExperimentCount { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? SummaryJson { get; set; }
    /// <summary>Why a run was skipped or refused, what was trimmed or reused (plain text for lists).</summary>
    public string? Note { get; set; }
    /// <summary>The run's plan (jsonb): cost estimate, trimmed entries, reused pretrains, submission problems.</summary>
    public string? PlanJson { get; set; }
}
