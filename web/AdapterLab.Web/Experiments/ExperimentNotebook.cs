using System.Security.Claims;
using System.Text.Json;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Web.Experiments;

/// <summary>
/// The run page as a lab notebook, shared by the REST API and the dashboard: the owner (or an admin) edits an experiment's
/// name, tags and markdown notes after submission, in any status, archived or not. Each field that changes is written
/// with an audit row (<see cref="ExperimentEdit"/>: before, after, who, when) in the same transaction; an edit that
/// changes nothing writes nothing. Validation names the field, as a submission's does.
/// </summary>
public sealed class ExperimentNotebook(IDbContextFactory<PlatformDbContext> dbFactory, TimeProvider clock)
{
    public const int MaxNameLength = 200;
    public const int MaxNotesLength = 50_000;
    public const int MaxTags = 32;
    public const int MaxTagLength = 64;

    /// <summary>An edit: a null field is left as it is; an empty name or notes clears it; an empty tag list removes every tag.</summary>
    public sealed record Edit(string? Name = null, IReadOnlyList<string>? Tags = null, string? Notes = null);

    public enum Outcome { Changed, Unchanged, NotFound, Forbidden, Invalid }

    public sealed record Result(Outcome Outcome, IReadOnlyDictionary<string, string[]>? Errors = null, string? Detail = null);

    /// <summary>Field errors of an edit (empty when valid), keyed as the API's JSON names them.</summary>
    public static Dictionary<string, string[]> Validate(Edit edit)
    {
        var errors = new Dictionary<string, string[]>();
        if (edit.Name is { } name)
        {
            if (name.Length > MaxNameLength) errors["name"] = [$"at most {MaxNameLength} characters (got {name.Length})"];
            else if (name.Any(char.IsControl)) errors["name"] = ["must not contain control characters (line breaks, tabs)"];
        }
        if (edit.Tags is { } tags)
        {
            if (tags.Count > MaxTags) errors["tags"] = [$"at most {MaxTags} tags (got {tags.Count})"];
            for (int i = 0; i < Math.Min(tags.Count, MaxTags); i++)
            {
                var t = tags[i];
                if (string.IsNullOrWhiteSpace(t) || t.Trim().Length > MaxTagLength) errors[$"tags[{i}]"] = [$"must be 1 to {MaxTagLength} characters"];
                else if (t.Any(char.IsControl)) errors[$"tags[{i}]"] = ["must not contain control characters"];
            }
        }
        if (edit.Notes is { } notes && notes.Length > MaxNotesLength)
            errors["notes"] = [$"at most {MaxNotesLength:N0} characters (got {notes.Length:N0})"];
        return errors;
    }

    public async Task<Result> EditAsync(Guid id, Edit edit, ClaimsPrincipal user, CancellationToken ct)
    {
        var errors = Validate(edit);
        if (errors.Count > 0) return new(Outcome.Invalid, errors);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Row-locked for the read-compare-write, so two concurrent edits are audited in the order they applied.
        await db.Database.ExecuteSqlInterpolatedAsync($"SELECT 1 FROM experiments WHERE id = {id} FOR UPDATE", ct);
        var e = await db.Experiments.SingleOrDefaultAsync(x => x.Id == id, ct);
        if (e is null || !Projects.ProjectAccess.Of(user).CanRead(e.ProjectId)) return new(Outcome.NotFound, Detail: $"no experiment with id {id}");
        if (!ExperimentAccess.CanManage(user, e.ProjectId, e.OwnerId))
            return new(Outcome.Forbidden, Detail: "only the experiment's owner or an admin may edit its name, tags and notes");

        var now = clock.GetUtcNow();
        var actor = Auth.Actor.Of(user).Name;
        var edits = new List<ExperimentEdit>();
        void Audit(string field, string? before, string? after) =>
            edits.Add(new ExperimentEdit { ExperimentId = id, Field = field, OldValue = before, NewValue = after, Actor = actor, At = now });

        if (edit.Name is { } rawName)
        {
            var name = rawName.Trim() is { Length: > 0 } n ? n : null;
            if (name != e.Name) { Audit(ExperimentEdit.NameField, e.Name, name); e.Name = name; }
        }
        if (edit.Tags is { } rawTags)
        {
            // Trimmed, duplicates dropped, first occurrence's order kept.
            var tags = rawTags.Select(t => t.Trim()).Distinct(StringComparer.Ordinal).ToArray();
            if (!tags.SequenceEqual(e.Tags))
            {
                Audit(ExperimentEdit.TagsField, JsonSerializer.Serialize(e.Tags), JsonSerializer.Serialize(tags));
                e.Tags = tags;
            }
        }
        if (edit.Notes is { } rawNotes)
        {
            var notes = string.IsNullOrWhiteSpace(rawNotes) ? null : rawNotes.Replace("\r\n", "\n");
            if (notes != e.Notes) { Audit(ExperimentEdit.NotesField, e.Notes, notes); e.Notes = notes; }
        }
        if (edits.Count == 0) return new(Outcome.Unchanged);
        e.UpdatedAt = now;
        db.ExperimentEdits.AddRange(edits);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new(Outcome.Changed);
    }

    /// <summary>The experiment's notebook history, oldest first; null when there is no such experiment.</summary>
    public async Task<List<ExperimentEditView>?> HistoryAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Experiments.AnyAsync(e => e.Id == id, ct)) return null;
        return await db.ExperimentEdits.AsNoTracking().Where(x => x.ExperimentId == id).OrderBy(x => x.At).ThenBy(x => x.Id)
            .Select(x => new ExperimentEditView(x.Field, x.OldValue, x.NewValue, x.Actor, x.At)).ToListAsync(ct);
    }
}

/// <summary>One audited change of an experiment's name, tags (JSON arrays) or notes.</summary>
public sealed record ExperimentEditView(string Field, string? OldValue, string? NewValue, string Actor, DateTimeOffset At);
