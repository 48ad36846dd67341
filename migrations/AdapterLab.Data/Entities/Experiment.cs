using AdapterLab.Contracts.Lifecycle;

namespace AdapterLab.Data.Entities;

/// <summary>An experiment: its spec, where it is in the lifecycle, and the summary fields lists and boards query.</summary>
public sealed class Experiment
{
    public Guid Id { get; set; }
    public string? Name { get; set; }

    /// <summary>The project it belongs to (<see cref="Project"/>).</summary>
    public Guid ProjectId { get; set; } = Project.DefaultId;
    public string Kind { get; set; } = "";
    public string Method { get; set; } = "";
    public string Preset { get; set; } = "";
    public string Dataset { get; set; } = "";
    public string? LabelFamily { get; set; }
    public string SourceDomain { get; set; } = "";
    public string[] TargetDomains { get; set; } = [];
    public string[] Tasks { get; set; } = [];
    public string Setting { get; set; } = "";
    public int Seed { get; set; }
    /// <summary>Canonical spec JSON (jsonb).</summary>
    public string SpecJson { get; set; } = "{}";
    public string SpecHash { get; set; } = "";
    /// <summary>
    /// The configuration (experiments that differ only by seed share it): the science of the spec with the pinned backbone's
    /// sha256 (<c>ConfigurationIdentity</c>); recomputed at dispatch when the backbone is pinned.
    /// </summary>
    public string ConfigurationHash { get; set; } = "";
    /// <summary>The <c>ConfigurationIdentity.Version</c> <see cref="ConfigurationHash"/> was computed under (the migrator recomputes older rows).</summary>
    public int ConfigurationVersion { get; set; } = 1;
    public ExperimentStatus Status { get; set; }
    public int Priority { get; set; }
    public string Pool { get; set; } = "cpu";
    public string[] Tags { get; set; } = [];
    public string? Suite { get; set; }
    public Guid? SuiteRunId { get; set; }
    /// <summary>Who submitted it, as shown (a user's email, or <c>apikey:&lt;name&gt;</c>); display only — see <see cref="OwnerId"/>.</summary>
    public string? Owner { get; set; }
    /// <summary>
    /// Who owns it, by id — what access checks compare: <c>user:&lt;user id&gt;</c> (a person, or a key they own) or
    /// <c>key:&lt;API key id&gt;</c> (a key no user owns). Null only for old rows whose name matched no single user or key
    /// (then only admins manage them).
    /// </summary>
    public string? OwnerId { get; set; }
    public DateTimeOffset SubmittedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>Number of the latest attempt (0 before the first dispatch).</summary>
    public int AttemptCount { get; set; }
    public long Step { get; set; }
    public long TotalSteps { get; set; }
    /// <summary>Why a queued experiment is not running yet.</summary>
    public string? WaitingReason { get; set; }
    public string? FailureReason { get; set; }
    public long TrainableParameters { get; set; }
    public long TotalParameters { get; set; }
    /// <summary>Named backbone this experiment needs (waits until it is ready).</summary>
    public string? RequiresBackbone { get; set; }
    /// <summary>Experiment whose output backbone this experiment needs.</summary>
    public Guid? RequiresExperiment { get; set; }
    /// <summary>Name under which a pretrain registers its backbone.</summary>
    public string? RegistersBackbone { get; set; }
    public string? OutputBlob { get; set; }
    public string? BackboneBlob { get; set; }
    public double? ImagesPerSecond { get; set; }
    public long? PeakMemoryBytes { get; set; }
    public bool CancelRequested { get; set; }
    /// <summary>Number of automatic retries after training failures used so far.</summary>
    public int TrainingFailureRetries { get; set; }
    /// <summary>
    /// W3C <c>traceparent</c> of the request that submitted it: the dispatcher sends each attempt under it, so one trace
    /// runs from the submission through dispatch to the agent's reports (null when nothing traced the submission).
    /// </summary>
    public string? TraceParent { get; set; }
    /// <summary>
    /// When it was archived (null: not archived): an archived run leaves lists and leaderboards — not the database; compare
    /// by id, its page and the API still read it, and restoring brings it back.
    /// </summary>
    public DateTimeOffset? ArchivedAt { get; set; }
    /// <summary>Who archived it (display name, as <see cref="Owner"/>).</summary>
    public string? ArchivedBy { get; set; }
    /// <summary>The owner's lab notebook for the run (markdown, edited after submission; every change audited in <c>experiment_edits</c>).</summary>
    public string? Notes { get; set; }

    /// <summary>The sweep this experiment is a trial of, if any.</summary>
    public Guid? SweepId { get; set; }
    /// <summary>A sweep trial's rung: its next attempt trains to this step and pauses (null: to the end).</summary>
    public long? PauseAtStep { get; set; }

    public List<Attempt> Attempts { get; set; } = [];
}
