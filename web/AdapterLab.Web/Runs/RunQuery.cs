namespace AdapterLab.Web.Runs;

/// <summary>
/// A parsed runs-table filter (<see cref="RunQueryParser"/>): conditions on built-in fields, final metrics and spec fields,
/// tags and free-text search, combined with <c>and</c>, <c>or</c>, <c>not</c> and parentheses.
/// </summary>
public abstract record RunCondition;

public sealed record AllOf(IReadOnlyList<RunCondition> Parts) : RunCondition;

public sealed record AnyOf(IReadOnlyList<RunCondition> Parts) : RunCondition;

public sealed record Not(RunCondition Inner) : RunCondition;

/// <summary><c>tag:demo</c>: the run carries this tag (exactly).</summary>
public sealed record HasTag(string Tag) : RunCondition;

/// <summary>A bare word or quoted phrase: the name contains it (case-insensitive).</summary>
public sealed record NameContains(string Text) : RunCondition;

/// <summary><c>field op value</c>.</summary>
public sealed record Comparison(RunField Field, CompareOp Op, string Value, bool Quoted) : RunCondition;

public enum CompareOp { Equal, NotEqual, Greater, GreaterOrEqual, Less, LessOrEqual, Contains, NotContains }

/// <summary>What a condition or a column reads.</summary>
public abstract record RunField
{
    /// <summary>The text a user writes for it (and the column key's body).</summary>
    public abstract string Text { get; }
}

/// <summary>A column of the experiments table (<see cref="BuiltinFields"/>).</summary>
public sealed record BuiltinField(BuiltinFieldInfo Info) : RunField
{
    public override string Text => Info.Name;
}

/// <summary>
/// A final metric: <c>split.metric</c>, <c>split.domain.metric</c>, <c>split.task.metric</c> or
/// <c>split.task.domain.metric</c>; a missing task or domain matches any (a filter holds when any such result does).
/// </summary>
public sealed record MetricField(string Split, string? Task, string? Domain, string Metric) : RunField
{
    public override string Text => string.Join('.', new[] { Split, Task, Domain, Metric }.Where(s => s is not null));

    /// <summary>True when it names one result row per run (what a sortable column needs).</summary>
    public bool IsExact => Task is not null && Domain is not null;
}

/// <summary>A field of the spec as submitted, by its JSON path (<c>training.learningRate</c>, <c>method.rank</c>).</summary>
public sealed record SpecField(IReadOnlyList<string> Path) : RunField
{
    public override string Text => string.Join('.', Path);
}

public enum BuiltinKind { Text, Number, Array, Time }

/// <summary>A built-in field: its name in queries, its column, how it compares.</summary>
public sealed record BuiltinFieldInfo(string Name, string Column, BuiltinKind Kind, string Description);

public static class BuiltinFields
{
    public static readonly IReadOnlyList<BuiltinFieldInfo> All =
    [
        new("name", "name", BuiltinKind.Text, "the run's name"),
        new("kind", "kind", BuiltinKind.Text, "pretrain, adapt, multitask or evaluate"),
        new("method", "method", BuiltinKind.Text, "the method's name"),
        new("status", "status", BuiltinKind.Text, "Queued, Running, Succeeded, Failed, …"),
        new("preset", "preset", BuiltinKind.Text, "the backbone preset"),
        new("dataset", "dataset", BuiltinKind.Text, "shapesworld or folder"),
        new("label", "label_family", BuiltinKind.Text, "the label family"),
        new("source", "source_domain", BuiltinKind.Text, "the source domain"),
        new("setting", "setting", BuiltinKind.Text, "supervised, multitask, …"),
        new("suite", "suite", BuiltinKind.Text, "the suite it belongs to"),
        new("owner", "owner", BuiltinKind.Text, "who submitted it"),
        new("pool", "pool", BuiltinKind.Text, "the agent pool"),
        new("tag", "tags", BuiltinKind.Array, "one of its tags"),
        new("task", "tasks", BuiltinKind.Array, "one of its tasks"),
        new("domain", "domain", BuiltinKind.Array, "its source or a target domain"),
        new("seed", "seed", BuiltinKind.Number, "the training seed"),
        new("priority", "priority", BuiltinKind.Number, "the queue priority"),
        new("params", "trainable_parameters", BuiltinKind.Number, "trainable parameters"),
        new("totalParams", "total_parameters", BuiltinKind.Number, "all parameters"),
        new("steps", "total_steps", BuiltinKind.Number, "planned training steps"),
        new("attempts", "attempt_count", BuiltinKind.Number, "attempts so far"),
        new("imagesPerSecond", "images_per_second", BuiltinKind.Number, "training throughput"),
        new("trainSeconds", "train_seconds", BuiltinKind.Number, "wall-clock training time (start to finish)"),
        new("submitted", "submitted_at", BuiltinKind.Time, "submission time (a date or an ISO instant)"),
        new("finished", "finished_at", BuiltinKind.Time, "finish time"),
    ];

    private static readonly Dictionary<string, BuiltinFieldInfo> ByName = All.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);

    public static BuiltinFieldInfo? Find(string name) => ByName.GetValueOrDefault(name);
}

/// <summary>A filter the parser refused: what is wrong and where (0-based character position).</summary>
public sealed class RunQueryException(string message, int position) : Exception(message)
{
    public int Position { get; } = position;
}
