using System.Security.Claims;
using System.Text.Json;
using System.Text.RegularExpressions;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Contracts.Specs;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.Web.Experiments;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Registry;

/// <summary>
/// The model registry, shared by the REST API and the dashboard. A version is a succeeded adaptation experiment's adapter
/// (its output blob: trained tensors, head and head statistics) bound to the backbone blob its attempt was dispatched
/// with; registering stores no bytes, only references, so storage stays deduplicated. Creating a model needs
/// <c>experiments:write</c>; further versions and stage moves need the model's owner or an admin. Every registration
/// and stage move writes a <see cref="ModelStageChange"/> in the same transaction; at most one version is in
/// production (promoting another archives it, audited as such; a unique index holds it too).
/// </summary>
public sealed partial class ModelRegistry(IDbContextFactory<PlatformDbContext> dbFactory, TimeProvider clock)
{
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,99}$")]
    private static partial Regex NamePattern();

    public const int MaxDescriptionLength = 2000;
    public const int MaxCommentLength = 1000;

    public enum Outcome { Created, Existing, Changed, Unchanged, NotFound, Forbidden, Invalid, Conflict }

    public sealed record Result(Outcome Outcome, ModelVersionView? Version = null, IReadOnlyDictionary<string, string[]>? Errors = null, string? Detail = null);

    private static Result Invalid(string field, string message) => new(Outcome.Invalid, Errors: new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>Registers the experiment as the model's next version (creating the model); the same experiment registered again answers its existing version.</summary>
    public async Task<Result> RegisterAsync(RegisterModelRequest request, ClaimsPrincipal user, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name)) errors["name"] = ["required"];
        else if (!NamePattern().IsMatch(request.Name)) errors["name"] = ["must be 1 to 100 lower-case letters, digits, '.', '-' or '_', starting with a letter or digit"];
        if (request.ExperimentId is null) errors["experimentId"] = ["required"];
        if (request.Description is { Length: > MaxDescriptionLength } d) errors["description"] = [$"at most {MaxDescriptionLength} characters (got {d.Length})"];
        else if (request.Description?.Any(c => char.IsControl(c) && c != '\n') == true) errors["description"] = ["must not contain control characters other than line breaks"];
        if (errors.Count > 0) return new(Outcome.Invalid, Errors: errors);
        if (!ExperimentAccess.CanSubmit(user)) return new(Outcome.Forbidden, Detail: "registering a model needs experiments:write (a researcher or an admin)");

        string name = request.Name!;
        Guid experimentId = request.ExperimentId!.Value;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var e = await db.Experiments.AsNoTracking().SingleOrDefaultAsync(x => x.Id == experimentId, ct);
        // Registering reads the experiment's weights: it must be one the caller may read (another project's reads as missing).
        if (e is null || !Projects.ProjectAccess.Of(user).CanRead(e.ProjectId)) return Invalid("experimentId", $"no experiment with id {experimentId}");
        if (!ExperimentAccess.CanSubmit(user, e.ProjectId))
            return new(Outcome.Forbidden, Detail: "registering a model of this experiment needs the researcher or admin role in its project");
        if (e.Status != ExperimentStatus.Succeeded || e.OutputBlob is null)
            return Invalid("experimentId", $"only a succeeded experiment has weights to register; {experimentId} is {e.Status}");
        if (!Methods.Registrable.Contains(e.Method))
            return Invalid("experimentId", e.Method == Methods.FullFinetune || e.Kind == Kinds.Pretrain
                ? $"'{e.Method}' trains the whole backbone: it registers as a backbone (POST /api/backbones), not as an adapter"
                : $"'{e.Method}' changes the backbone's encoder, so there is no frozen backbone to bind it to; registered are adapters on a frozen backbone ({string.Join(", ", Methods.Registrable)})");
        var backboneBlob = await db.Attempts.AsNoTracking()
            .Where(a => a.ExperimentId == experimentId && a.Status == ExperimentStatus.Succeeded)
            .OrderByDescending(a => a.Number).Select(a => a.BackboneBlob).FirstOrDefaultAsync(ct) ?? e.BackboneBlob;
        if (backboneBlob is null)
            return Invalid("experimentId", "the experiment ran on a randomly initialised backbone (rebuilt from its seed): there is no backbone file to bind the adapter to");
        var metrics = await ModelLineage.MetricsAsync(db, experimentId, ct);

        var spec = JsonDocument.Parse(e.SpecJson).RootElement;
        string? backboneName = spec.TryGetProperty("backbone", out var bb) && bb.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        return await AddVersionAsync(db, name, request.Description, user, e.ProjectId, v =>
        {
            v.Method = e.Method; v.Preset = e.Preset; v.Dataset = e.Dataset; v.LabelFamily = e.LabelFamily; v.SourceDomain = e.SourceDomain;
            v.AdapterBlob = e.OutputBlob; v.BackboneBlob = backboneBlob; v.BackboneName = backboneName; v.SourceExperimentId = experimentId;
            v.SpecJson = e.SpecJson; v.ConfigurationHash = e.ConfigurationHash; v.MetricsJson = JsonSerializer.Serialize(metrics, Json);
            v.TrainableParameters = e.TrainableParameters; v.TotalParameters = e.TotalParameters;
        }, $"registered from experiment {experimentId}", existing: q => q.Where(v => v.SourceExperimentId == experimentId), ct);
    }

    /// <summary>
    /// Adds the next version of <paramref name="name"/> (creating the model) in one transaction with its audit row; the
    /// version <paramref name="existing"/> finds is answered instead when there is one (a registration repeated).
    /// </summary>
    private async Task<Result> AddVersionAsync(PlatformDbContext db, string name, string? description, ClaimsPrincipal user, Guid project,
        Action<ModelVersion> fill, string comment, Func<IQueryable<ModelVersion>, IQueryable<ModelVersion>>? existing, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow();
        var actor = Auth.Actor.Of(user);
        // Creates the model if absent, then locks its row: concurrent registrations number versions one after another.
        int inserted = await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO registered_models (name, project_id, description, created_by, owner_id, created_at)
            VALUES ({name}, {project}, {description}, {actor.Name}, {actor.OwnerId}, {now}) ON CONFLICT (name) DO NOTHING
            """, ct);
        var model = await db.RegisteredModels.FromSql($"SELECT * FROM registered_models WHERE name = {name} FOR UPDATE").SingleAsync(ct);
        // A model's versions come from one project: another project's adapter is a model of its own.
        if (inserted == 0 && model.ProjectId != project)
            return new(Outcome.Forbidden, Detail: $"model '{name}' belongs to another project; register this adapter under another name");
        if (inserted == 0 && !ExperimentAccess.CanManage(user, model.ProjectId, model.OwnerId))
            return new(Outcome.Forbidden, Detail: $"model '{name}' belongs to {model.CreatedBy}: only its owner or its project's admins may register versions of it");
        if (existing is not null && await existing(db.ModelVersions.AsNoTracking().Where(v => v.ModelName == name)).FirstOrDefaultAsync(ct) is { } known)
            return new(Outcome.Existing, View(known));

        int next = (await db.ModelVersions.Where(v => v.ModelName == name).MaxAsync(v => (int?)v.Version, ct) ?? 0) + 1;
        var version = new ModelVersion { ModelName = name, Version = next, Stage = ModelVersion.Candidate, RegisteredBy = actor.Name, RegisteredById = actor.OwnerId, RegisteredAt = now };
        fill(version);
        db.ModelVersions.Add(version);
        db.ModelStageChanges.Add(new ModelStageChange
        {
            ModelName = name, Version = next, FromStage = null, ToStage = ModelVersion.Candidate, Actor = actor.Name, At = now, Comment = comment,
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new(Outcome.Created, View(version));
    }

    /// <summary>
    /// Imports an adapter trained elsewhere: its safetensors file (already checked and stored, <paramref name="adapterBlob"/>)
    /// with the spec it was trained with, on a named backbone of this platform. It has no experiment, so no metrics.
    /// </summary>
    public async Task<Result> ImportAsync(string name, string? description, AdapterLab.Contracts.Specs.ExperimentSpec spec, string specJson,
        string adapterBlob, string backboneBlob, long trainable, long total, ClaimsPrincipal user, Guid project, CancellationToken ct)
    {
        if (!NamePattern().IsMatch(name)) return Invalid("name", "must be 1 to 100 lower-case letters, digits, '.', '-' or '_', starting with a letter or digit");
        if (description is { Length: > MaxDescriptionLength } d) return Invalid("description", $"at most {MaxDescriptionLength} characters (got {d.Length})");
        if (!ExperimentAccess.CanSubmit(user)) return new(Outcome.Forbidden, Detail: "importing a model needs experiments:write (a researcher or an admin)");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await AddVersionAsync(db, name, description, user, project, v =>
        {
            v.Method = spec.Method.Name; v.Preset = spec.Backbone.Preset; v.Dataset = spec.Data.Dataset; v.LabelFamily = spec.Data.LabelFamily;
            v.SourceDomain = spec.Data.SourceDomain; v.AdapterBlob = adapterBlob; v.BackboneBlob = backboneBlob; v.BackboneName = spec.Backbone.Name;
            v.SpecJson = specJson; v.ConfigurationHash = AdapterLab.Contracts.Specs.ConfigurationIdentity.Hash(spec, backboneBlob);
            v.TrainableParameters = trainable; v.TotalParameters = total;
        }, "imported from a safetensors file", existing: q => q.Where(v => v.AdapterBlob == adapterBlob && v.BackboneBlob == backboneBlob), ct);
    }

    /// <summary>Moves a version to a stage; promoting to production archives the version that held it.</summary>
    public async Task<Result> ChangeStageAsync(string name, int version, StageChangeRequest request, ClaimsPrincipal user, CancellationToken ct)
    {
        if (request.Stage is null || !ModelVersion.Stages.Contains(request.Stage))
            return Invalid("stage", $"must be one of {string.Join(", ", ModelVersion.Stages)}");
        if (request.Comment is { Length: > MaxCommentLength } c) return Invalid("comment", $"at most {MaxCommentLength} characters (got {c.Length})");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var model = await db.RegisteredModels.FromSql($"SELECT * FROM registered_models WHERE name = {name} FOR UPDATE").SingleOrDefaultAsync(ct);
        if (model is null) return new(Outcome.NotFound, Detail: $"no model named '{name}'");
        if (!Projects.ProjectAccess.Of(user).CanRead(model.ProjectId)) return new(Outcome.NotFound, Detail: $"no model named '{name}'");
        if (!ExperimentAccess.CanManage(user, model.ProjectId, model.OwnerId))
            return new(Outcome.Forbidden, Detail: $"only the owner of '{name}' ({model.CreatedBy}) or its project's admins may move its versions between stages");
        var target = await db.ModelVersions.SingleOrDefaultAsync(v => v.ModelName == name && v.Version == version, ct);
        if (target is null) return new(Outcome.NotFound, Detail: $"model '{name}' has no version {version}");
        if (target.Stage == request.Stage) return new(Outcome.Unchanged, View(target));

        var now = clock.GetUtcNow();
        var actor = Auth.Actor.Of(user).Name;
        if (request.Stage == ModelVersion.Production)
        {
            var previous = await db.ModelVersions.SingleOrDefaultAsync(v => v.ModelName == name && v.Stage == ModelVersion.Production, ct);
            if (previous is not null)
            {
                previous.Stage = ModelVersion.Archived;
                db.ModelStageChanges.Add(new ModelStageChange
                {
                    ModelName = name, Version = previous.Version, FromStage = ModelVersion.Production, ToStage = ModelVersion.Archived,
                    Actor = actor, At = now, Comment = $"replaced in production by version {version}",
                });
                // The archive must reach the database before the promotion, or the one-production index would see two.
                await db.SaveChangesAsync(ct);
            }
        }
        db.ModelStageChanges.Add(new ModelStageChange
        {
            ModelName = name, Version = version, FromStage = target.Stage, ToStage = request.Stage, Actor = actor, At = now,
            Comment = string.IsNullOrWhiteSpace(request.Comment) ? null : request.Comment.Trim(),
        });
        target.Stage = request.Stage;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new(Outcome.Changed, View(target));
    }

    /// <summary>The models of the projects in <paramref name="scope"/>, by name.</summary>
    public async Task<List<ModelSummaryView>> ListAsync(Projects.ProjectScope scope, CancellationToken ct)
    {
        var projects = scope.Ids?.ToArray();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var models = await db.RegisteredModels.AsNoTracking().Where(m => projects == null || projects.Contains(m.ProjectId)).OrderBy(m => m.Name)
            .Select(m => new
            {
                m.Name, m.Description, m.CreatedBy, m.CreatedAt,
                Count = m.Versions.Count,
                Latest = m.Versions.OrderByDescending(v => v.Version).Select(v => new { v.Version, v.Method, v.Preset, v.BackboneBlob }).FirstOrDefault(),
                Production = m.Versions.Where(v => v.Stage == ModelVersion.Production).Select(v => (int?)v.Version).FirstOrDefault(),
            })
            .ToListAsync(ct);
        // A model is created with its first version (one transaction); one without any is not listed.
        return models.Where(m => m.Latest is not null).Select(m => new ModelSummaryView(m.Name, m.Description, m.CreatedBy, m.CreatedAt, m.Count, m.Latest!.Version, m.Production,
            m.Latest.Method, m.Latest.Preset, m.Latest.BackboneBlob)).ToList();
    }

    public async Task<ModelView?> GetAsync(string name, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var model = await db.RegisteredModels.AsNoTracking().SingleOrDefaultAsync(m => m.Name == name, ct);
        if (model is null) return null;
        var versions = await db.ModelVersions.AsNoTracking().Where(v => v.ModelName == name).OrderByDescending(v => v.Version).ToListAsync(ct);
        return new ModelView(model.Name, model.Description, model.CreatedBy, model.CreatedAt, versions.Select(View).ToList());
    }

    /// <summary>A version by number, or the model's production version for <c>production</c>, or its newest for <c>latest</c>.</summary>
    public async Task<ModelVersionView?> VersionAsync(string name, string version, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.ModelVersions.AsNoTracking().Where(v => v.ModelName == name);
        var row = version switch
        {
            ModelVersion.Production => await query.SingleOrDefaultAsync(v => v.Stage == ModelVersion.Production, ct),
            "latest" => await query.OrderByDescending(v => v.Version).FirstOrDefaultAsync(ct),
            _ when int.TryParse(version, out int n) => await query.SingleOrDefaultAsync(v => v.Version == n, ct),
            _ => null,
        };
        return row is null ? null : View(row);
    }

    /// <summary>Every version registered from <paramref name="experimentId"/>, newest first.</summary>
    public async Task<List<ModelVersionView>> VersionsOfExperimentAsync(Guid experimentId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await db.ModelVersions.AsNoTracking().Where(v => v.SourceExperimentId == experimentId)
            .OrderByDescending(v => v.RegisteredAt).ToListAsync(ct)).Select(View).ToList();
    }

    /// <summary>Whether <paramref name="user"/> may register versions of <paramref name="name"/> and move their stages (a new name: anyone who may submit).</summary>
    public async Task<bool> CanManageAsync(string name, ClaimsPrincipal user, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var owner = await db.RegisteredModels.AsNoTracking().Where(m => m.Name == name).Select(m => new { m.OwnerId, m.ProjectId }).SingleOrDefaultAsync(ct);
        return owner is null ? ExperimentAccess.CanSubmit(user) : ExperimentAccess.CanManage(user, owner.ProjectId, owner.OwnerId);
    }

    /// <summary>The model's audited stage history, oldest first; null when there is no such model.</summary>
    public async Task<List<ModelStageChangeView>?> HistoryAsync(string name, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.RegisteredModels.AnyAsync(m => m.Name == name, ct)) return null;
        return await db.ModelStageChanges.AsNoTracking().Where(c => c.ModelName == name).OrderBy(c => c.At).ThenBy(c => c.Id)
            .Select(c => new ModelStageChangeView(c.Version, c.FromStage, c.ToStage, c.Comment, c.Actor, c.At)).ToListAsync(ct);
    }

    public async Task<ModelDiffView?> DiffAsync(string name, int from, int to, CancellationToken ct)
    {
        var a = await VersionAsync(name, from.ToString(System.Globalization.CultureInfo.InvariantCulture), ct);
        var b = await VersionAsync(name, to.ToString(System.Globalization.CultureInfo.InvariantCulture), ct);
        if (a is null || b is null) return null;
        return new ModelDiffView(name, from, to, a.BackboneBlob == b.BackboneBlob, a.AdapterBlob == b.AdapterBlob,
            ModelDiff.Spec(a.Spec, b.Spec), ModelDiff.Metrics(a.Metrics, b.Metrics), a.TrainableParameters, b.TrainableParameters);
    }

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static ModelVersionView View(ModelVersion v) => new(
        v.ModelName, v.Version, v.Stage, v.Method, v.Preset, v.Dataset, v.LabelFamily, v.SourceDomain, v.AdapterBlob, v.BackboneBlob,
        v.BackboneName, v.SourceExperimentId, v.ConfigurationHash, v.TrainableParameters, v.TotalParameters,
        JsonSerializer.Deserialize<List<ModelMetric>>(v.MetricsJson, Json) ?? [], v.RegisteredBy, v.RegisteredAt,
        JsonDocument.Parse(v.SpecJson).RootElement.Clone());
}
