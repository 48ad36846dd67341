using AdapterLab.Data.Entities;
using AdapterLab.Data.Outbox;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Data;

/// <summary>The platform's schema (everything but Hangfire's own <c>hangfire</c> schema). Snake-case names throughout.</summary>
public sealed class PlatformDbContext(DbContextOptions<PlatformDbContext> options) : IdentityDbContext<PlatformUser>(options)
{
    public DbSet<Experiment> Experiments => Set<Experiment>();
    public DbSet<Attempt> Attempts => Set<Attempt>();
    public DbSet<StateTransition> StateTransitions => Set<StateTransition>();
    public DbSet<MetricPointRow> MetricPoints => Set<MetricPointRow>();
    public DbSet<FinalResultRow> FinalResults => Set<FinalResultRow>();
    public DbSet<Checkpoint> Checkpoints => Set<Checkpoint>();
    public DbSet<Blob> Blobs => Set<Blob>();
    public DbSet<BlobChunk> BlobChunks => Set<BlobChunk>();
    public DbSet<BlobPin> BlobPins => Set<BlobPin>();
    public DbSet<Backbone> Backbones => Set<Backbone>();
    public DbSet<Agent> Agents => Set<Agent>();
    public DbSet<AgentToken> AgentTokens => Set<AgentToken>();
    public DbSet<AgentEnrolment> AgentEnrolments => Set<AgentEnrolment>();
    public DbSet<AffinityMatrix> AffinityMatrices => Set<AffinityMatrix>();
    public DbSet<Suite> Suites => Set<Suite>();
    public DbSet<SuiteRun> SuiteRuns => Set<SuiteRun>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<LeaderboardEntry> LeaderboardEntries => Set<LeaderboardEntry>();
    public DbSet<LeaderboardPin> LeaderboardPins => Set<LeaderboardPin>();
    public DbSet<LeaderboardBoard> LeaderboardBoards => Set<LeaderboardBoard>();
    public DbSet<RefusedMessage> RefusedMessages => Set<RefusedMessage>();
    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();
    public DbSet<RunView> RunViews => Set<RunView>();
    public DbSet<ExperimentEdit> ExperimentEdits => Set<ExperimentEdit>();
    public DbSet<AttemptLogLine> AttemptLogLines => Set<AttemptLogLine>();
    public DbSet<RegisteredModel> RegisteredModels => Set<RegisteredModel>();
    public DbSet<ModelVersion> ModelVersions => Set<ModelVersion>();
    public DbSet<ModelStageChange> ModelStageChanges => Set<ModelStageChange>();
    public DbSet<Sweep> Sweeps => Set<Sweep>();
    public DbSet<Project> Projects => Set<Project>();
    public DbSet<ProjectMember> ProjectMembers => Set<ProjectMember>();
    public DbSet<ProjectQuota> ProjectQuotas => Set<ProjectQuota>();
    public DbSet<ProjectAuditEntry> ProjectAudit => Set<ProjectAuditEntry>();
    public DbSet<BackboneShare> BackboneShares => Set<BackboneShare>();
    public DbSet<SweepTrial> SweepTrials => Set<SweepTrial>();
    public DbSet<SweepRungResult> SweepRungResults => Set<SweepRungResult>();
    public DbSet<SweepReplicate> SweepReplicates => Set<SweepReplicate>();

    protected override void OnModelCreating(ModelBuilder b)
    {
        base.OnModelCreating(b);
        // Trigram indexes answer "name contains" (ILIKE '%…%') without reading every row.
        b.HasPostgresExtension("pg_trgm");

        b.HasDbFunction(typeof(SpecFunctions).GetMethod(nameof(SpecFunctions.SpecValue))!, f =>
        {
            f.HasName("spec_value").HasStoreType("jsonb");
            f.HasParameter("specJson").HasStoreType("jsonb");
            f.HasParameter("path").HasStoreType("text[]");
        });
        b.Entity<RunView>(e =>
        {
            e.ToTable("run_views");
            e.HasKey(x => new { x.OwnerId, x.Name });
            e.Property(x => x.OwnerId).HasMaxLength(80);
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Query).HasMaxLength(4000);
        });

        b.Entity<ExperimentEdit>(e =>
        {
            e.ToTable("experiment_edits");
            e.Property(x => x.Field).HasMaxLength(16);
            e.HasIndex(x => new { x.ExperimentId, x.At });
        });
        b.Entity<RegisteredModel>(e =>
        {
            e.ToTable("registered_models");
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Description).HasMaxLength(2000);
            e.Property(x => x.OwnerId).HasMaxLength(80);
            e.HasMany(x => x.Versions).WithOne(v => v.Model).HasForeignKey(v => v.ModelName).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(x => x.ProjectId);
            e.HasOne<Project>().WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Restrict);
        });
        b.Entity<ModelVersion>(e =>
        {
            e.ToTable("model_versions");
            e.HasIndex(x => new { x.ModelName, x.Version }).IsUnique();
            // At most one production version per model, enforced by the database as well as the promotion code.
            e.HasIndex(x => x.ModelName).IsUnique().HasFilter("stage = 'production'").HasDatabaseName("ix_model_versions_one_production");
            e.HasIndex(x => x.AdapterBlob);
            e.HasIndex(x => x.BackboneBlob);
            e.HasIndex(x => x.SourceExperimentId);
            e.Property(x => x.Stage).HasMaxLength(16);
            e.Property(x => x.AdapterBlob).HasMaxLength(64);
            e.Property(x => x.BackboneBlob).HasMaxLength(64);
            e.Property(x => x.SpecJson).HasColumnType("jsonb");
            e.Property(x => x.MetricsJson).HasColumnType("jsonb");
            e.Property(x => x.RegisteredById).HasMaxLength(80);
        });
        b.Entity<ModelStageChange>(e =>
        {
            e.ToTable("model_stage_changes");
            e.Property(x => x.FromStage).HasMaxLength(16);
            e.Property(x => x.ToStage).HasMaxLength(16);
            e.Property(x => x.Comment).HasMaxLength(1000);
            e.HasIndex(x => new { x.ModelName, x.At });
        });
        b.Entity<Sweep>(e =>
        {
            e.ToTable("sweeps");
            e.Property(x => x.Name).HasMaxLength(63);
            e.Property(x => x.DefinitionJson).HasColumnType("jsonb");
            e.Property(x => x.Status).HasMaxLength(16);
            e.Property(x => x.Note).HasMaxLength(1000);
            e.Property(x => x.OwnerId).HasMaxLength(80);
            e.HasIndex(x => new { x.CreatedAt, x.Id }).IsDescending(true, true);
            // The orchestrator's pass reads the running sweeps only.
            e.HasIndex(x => x.Status).HasFilter("status IN ('running', 'confirming')").HasDatabaseName("ix_sweeps_active");
            e.HasIndex(x => x.ProjectId);
            e.HasOne<Project>().WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(x => x.SuiteRunId).HasFilter("suite_run_id IS NOT NULL");
            e.HasOne<SuiteRun>().WithMany().HasForeignKey(x => x.SuiteRunId).OnDelete(DeleteBehavior.Restrict);
        });
        b.Entity<SweepTrial>(e =>
        {
            e.ToTable("sweep_trials");
            // One row per configuration index: a decision applied twice cannot start the same trial twice.
            e.HasKey(x => new { x.SweepId, x.Index });
            e.HasIndex(x => x.ExperimentId).IsUnique();
            e.Property(x => x.ValuesJson).HasColumnType("jsonb");
            e.Property(x => x.FailureReason).HasMaxLength(2000);
        });
        b.Entity<SweepRungResult>(e =>
        {
            e.ToTable("sweep_rung_results");
            e.HasKey(x => new { x.SweepId, x.TrialIndex, x.Rung });
            e.Property(x => x.Promotion).HasMaxLength(16);
        });
        b.Entity<SweepReplicate>(e =>
        {
            e.ToTable("sweep_replicates");
            // One row per replicate of a trial: a decision applied twice cannot start the same replicate twice.
            e.HasKey(x => new { x.SweepId, x.TrialIndex, x.Replicate });
            e.HasIndex(x => x.ExperimentId).IsUnique();
            e.HasOne<SweepTrial>().WithMany().HasForeignKey(x => new { x.SweepId, x.TrialIndex }).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<AttemptLogLine>(e =>
        {
            e.ToTable("attempt_log_lines");
            e.HasKey(x => new { x.ExperimentId, x.AttemptNumber, x.Sequence });
            e.Property(x => x.Level).HasMaxLength(16);
            e.Property(x => x.Message).HasMaxLength(AttemptLogLine.MaxMessageLength);
        });

        b.Entity<Experiment>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.SpecJson).HasColumnType("jsonb");
            e.Property(x => x.SpecHash).HasMaxLength(64);
            e.Property(x => x.ConfigurationHash).HasMaxLength(64);
            e.Property(x => x.OwnerId).HasMaxLength(80);
            // The dispatch queue: queued experiments by priority then age.
            e.HasIndex(x => new { x.Status, x.Priority, x.SubmittedAt });
            // The dispatcher's queue, in its order, per pool and project: each pass reads the first 1,000 of each project in
            // each pool straight from it (a project at its quota cannot hide another's work behind a long queue) and finds
            // the (pool, project) pairs by skipping through it, whatever the queue's length (bench perf-fleet: 100,000 queued).
            e.HasIndex(x => new { x.Pool, x.ProjectId, x.Priority, x.SubmittedAt, x.Id }).IsDescending(false, false, true, false, false)
                .HasFilter("status = 'Queued' AND NOT cancel_requested").HasDatabaseName("ix_experiments_queue");
            // The experiment list, newest first with the id as tie-breaker (the keyset cursor): unfiltered, and behind each
            // equality filter, so every filtered page is an index scan that stops after the page.
            e.HasIndex(x => new { x.SubmittedAt, x.Id }).IsDescending(true, true);
            // A project's list, newest first (the per-project default of every list).
            e.HasIndex(x => new { x.ProjectId, x.SubmittedAt, x.Id }).IsDescending(false, true, true);
            e.HasOne<Project>().WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Restrict);
            // The runs table's name search (contains, case-insensitive).
            e.HasIndex(x => x.Name).HasMethod("gin").HasOperators("gin_trgm_ops").HasDatabaseName("ix_experiments_name_trgm");
            e.HasIndex(x => new { x.Status, x.SubmittedAt, x.Id }).IsDescending(false, true, true);
            e.HasIndex(x => new { x.Kind, x.SubmittedAt, x.Id }).IsDescending(false, true, true);
            e.HasIndex(x => new { x.Method, x.SubmittedAt, x.Id }).IsDescending(false, true, true);
            e.HasIndex(x => new { x.Suite, x.SubmittedAt, x.Id }).IsDescending(false, true, true);
            e.HasIndex(x => new { x.SourceDomain, x.SubmittedAt, x.Id }).IsDescending(false, true, true);
            // Array filters (tag, task, target domain) use @>, which GIN indexes answer.
            e.HasIndex(x => x.Tags).HasMethod("gin");
            e.HasIndex(x => x.Tasks).HasMethod("gin");
            e.HasIndex(x => x.TargetDomains).HasMethod("gin");
            e.HasIndex(x => x.ConfigurationHash);
            e.HasIndex(x => x.SuiteRunId);
            e.HasIndex(x => x.RequiresBackbone);
            e.HasIndex(x => x.SweepId);
            e.HasMany(x => x.Attempts).WithOne(a => a.Experiment).HasForeignKey(a => a.ExperimentId).OnDelete(DeleteBehavior.Cascade);
            e.Property<uint>("xmin").IsRowVersion();
        });
        b.Entity<Attempt>(e =>
        {
            e.HasIndex(x => new { x.ExperimentId, x.Number }).IsUnique();
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.ProvenanceJson).HasColumnType("jsonb");
            e.HasIndex(x => new { x.Status, x.LeaseExpiresAt });
            e.HasIndex(x => x.AgentId);
        });
        b.Entity<StateTransition>(e => e.HasIndex(x => new { x.ExperimentId, x.At }));
        b.Entity<MetricPointRow>(e =>
        {
            e.ToTable("metric_points");
            e.HasKey(x => new { x.ExperimentId, x.Name, x.Split, x.Task, x.Domain, x.Step });
        });
        b.Entity<FinalResultRow>(e =>
        {
            e.ToTable("final_results");
            e.HasKey(x => new { x.ExperimentId, x.Split, x.Task, x.Domain, x.Metric });
            // The runs table's metric columns: sorted by one metric, a page is an ordered range read that stops after the
            // page; the distinct columns are found by skipping through it.
            e.HasIndex(x => new { x.Split, x.Task, x.Domain, x.Metric, x.Value }).IncludeProperties(x => x.ExperimentId)
                .HasDatabaseName("ix_final_results_column");
        });
        b.Entity<Checkpoint>(e =>
        {
            e.HasIndex(x => new { x.ExperimentId, x.AttemptNumber, x.Step, x.Kind }).IsUnique();
            e.HasIndex(x => x.BlobHash);
        });
        b.Entity<Blob>(e => { e.HasKey(x => x.Hash); e.Property(x => x.Hash).HasMaxLength(64); });
        b.Entity<BlobChunk>(e => { e.HasKey(x => new { x.Hash, x.Index }); e.Property(x => x.Hash).HasMaxLength(64); });
        b.Entity<Backbone>(e =>
        {
            e.HasKey(x => x.Name);
            e.HasIndex(x => x.ProjectId);
            e.HasOne<Project>().WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Restrict);
        });
        b.Entity<Agent>(e => { e.HasKey(x => x.Id); e.HasIndex(x => x.Pool); });
        b.Entity<AgentToken>(e =>
        {
            e.HasIndex(x => x.Hash).IsUnique();
            e.HasIndex(x => x.Name);
            e.Property(x => x.Pool).HasMaxLength(100);
        });
        b.Entity<AgentEnrolment>(e =>
        {
            e.HasIndex(x => x.Hash).IsUnique();
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Pool).HasMaxLength(100);
            e.Property(x => x.Prefix).HasMaxLength(16);
            e.Property(x => x.Hash).HasMaxLength(64);
        });
        b.Entity<RefusedMessage>(e =>
        {
            e.HasIndex(x => x.MessageId).IsUnique();
            e.HasIndex(x => x.At);
            e.Property(x => x.MessageId).HasMaxLength(100);
            e.Property(x => x.MessageType).HasMaxLength(100);
            e.Property(x => x.Sender).HasMaxLength(200);
            e.Property(x => x.ClaimedAgentId).HasMaxLength(200);
            e.Property(x => x.Reason).HasMaxLength(1000);
        });
        b.Entity<AffinityMatrix>(e => e.HasIndex(x => new { x.ExperimentId, x.Step, x.Estimator }).IsUnique());
        b.Entity<Suite>(e =>
        {
            e.HasIndex(x => x.Name).IsUnique();
            e.HasIndex(x => x.ProjectId);
            e.HasOne<Project>().WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Restrict);
        });
        b.Entity<BlobPin>(e =>
        {
            e.HasKey(x => new { x.Hash, x.ExperimentId });
            e.Property(x => x.Hash).HasMaxLength(64);
            e.HasIndex(x => x.ExperimentId);
        });
        b.Entity<SuiteRun>(e =>
        {
            e.HasIndex(x => new { x.SuiteId, x.IdempotencyKey }).IsUnique();
            e.HasIndex(x => new { x.SuiteId, x.CreatedAt });
            e.Property(x => x.SummaryJson).HasColumnType("jsonb");
            e.Property(x => x.PlanJson).HasColumnType("jsonb");
            // At most one active run per suite: a concurrent second trigger loses the insert and is recorded as skipped.
            e.HasIndex(x => x.SuiteId).IsUnique().HasFilter("status = 'running'").HasDatabaseName("ix_suite_runs_one_running_per_suite");
            e.HasIndex(x => x.Status);
        });
        b.Entity<LeaderboardEntry>(e =>
        {
            e.HasKey(x => new { x.ProjectId, x.Board, x.ConfigurationHash });
            // Ranking reads one board of one project in score order; the projection replaces a configuration's rows.
            e.HasIndex(x => new { x.ProjectId, x.Board, x.Mean });
            e.HasIndex(x => new { x.ConfigurationHash, x.ProjectId });
            // Rank ranges count the entries whose interval lies wholly above or below one entry's.
            e.HasIndex(x => new { x.ProjectId, x.Board, x.Lower });
            e.HasIndex(x => new { x.ProjectId, x.Board, x.Upper });
            e.Property(x => x.IntervalMethod).HasMaxLength(24);
            e.Property(x => x.FloorName).HasMaxLength(64);
        });
        b.Entity<LeaderboardPin>(e => e.HasKey(x => new { x.ProjectId, x.Board }));
        b.Entity<LeaderboardBoard>(e => e.HasKey(x => new { x.ProjectId, x.Board }));
        b.Entity<ApiKey>(e =>
        {
            e.HasIndex(x => x.Hash).IsUnique();
            e.HasOne<Project>().WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Restrict);
        });
        b.Entity<Project>(e =>
        {
            e.ToTable("projects");
            e.Property(x => x.Name).HasMaxLength(40);
            e.HasIndex(x => x.Name).IsUnique();
            e.Property(x => x.Description).HasMaxLength(1000);
            e.Property(x => x.CreatedBy).HasMaxLength(256);
            e.HasData(new Project { Id = Project.DefaultId, Name = Project.DefaultName, Description = "Every run made before projects existed, and single-team use.", CreatedBy = "migration", CreatedAt = new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero) });
        });
        b.Entity<ProjectMember>(e =>
        {
            e.ToTable("project_members");
            e.HasKey(x => new { x.ProjectId, x.UserId });
            e.HasIndex(x => x.UserId);
            e.Property(x => x.Role).HasMaxLength(16);
            e.HasOne<Project>().WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<PlatformUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<ProjectQuota>(e =>
        {
            e.ToTable("project_quotas");
            e.HasKey(x => new { x.ProjectId, x.Pool });
            e.Property(x => x.Pool).HasMaxLength(100);
            e.HasOne<Project>().WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<ProjectAuditEntry>(e =>
        {
            e.ToTable("project_audit");
            e.HasIndex(x => new { x.ProjectId, x.At });
            e.Property(x => x.Action).HasMaxLength(32);
            e.Property(x => x.Subject).HasMaxLength(256);
            e.Property(x => x.Detail).HasMaxLength(1000);
            e.Property(x => x.Actor).HasMaxLength(256);
        });
        b.Entity<BackboneShare>(e =>
        {
            e.ToTable("backbone_shares");
            e.HasKey(x => new { x.BackboneName, x.ProjectId });
            e.HasIndex(x => x.ProjectId);
            e.Property(x => x.SharedBy).HasMaxLength(256);
            e.HasOne<Backbone>().WithMany().HasForeignKey(x => x.BackboneName).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Project>().WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<OutboxMessage>(e =>
        {
            e.ToTable("outbox");
            e.Property(x => x.Payload).HasColumnType("jsonb");
            e.HasIndex(x => x.SentAt).HasFilter("sent_at IS NULL");
        });
    }
}
