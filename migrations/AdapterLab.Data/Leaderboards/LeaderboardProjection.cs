using Microsoft.EntityFrameworkCore;

namespace AdapterLab.Data.Leaderboards;

/// <summary>
/// Keeps <c>leaderboard_entries</c> up to date on write, per project (boards are a project's: the same configuration in
/// two projects is two entries): recomputes the boards of one configuration in one project from its succeeded
/// experiments (the latest per seed, test split for the score, validation beside it), then the summary row
/// (<c>leaderboard_boards</c>: configuration count, last update) of every board the configuration can appear on. Idempotent;
/// call it inside the transaction that stores an experiment's final results (the orchestrator does) or after planting results.
/// </summary>
public static class LeaderboardProjection
{
    /// <summary>Refreshes every board entry of the configuration <paramref name="experimentId"/> belongs to, in its project.</summary>
    public static Task<int> RefreshAsync(PlatformDbContext db, Guid experimentId, CancellationToken ct) =>
        db.Database.ExecuteSqlRawAsync(RefreshSql, [experimentId], ct);

    /// <summary>Rebuilds every entry (backfill after a migration or a bulk import).</summary>
    public static Task<int> RebuildAsync(PlatformDbContext db, CancellationToken ct) =>
        db.Database.ExecuteSqlRawAsync(RebuildSql, ct);

    private const string ThisConfiguration = "(SELECT configuration_hash FROM experiments WHERE id = {0})";
    private const string ThisProject = "(SELECT project_id FROM experiments WHERE id = {0})";

    private const string RefreshSql = "DELETE FROM leaderboard_entries WHERE configuration_hash = " + ThisConfiguration + " AND project_id = " + ThisProject + ";\n"
        + LatestSql + " AND e.configuration_hash = " + ThisConfiguration + " AND e.project_id = " + ThisProject + OrderSql + UpsertSql + GroupSql + RecountSql;

    private const string RebuildSql = "DELETE FROM leaderboard_entries;\n" + LatestSql + OrderSql + UpsertSql + GroupSql + BoardsRebuildSql;

    /// <summary>
    /// The boards the configuration can be on: those of any of its experiments' test results, whatever their status — a
    /// superset of the boards it was on before this refresh and of those it is on now. Each is recounted (an index-only
    /// count over the board), or dropped when no entry is left on it.
    /// </summary>
    private const string TouchedBoards = """
        SELECT DISTINCT concat_ws('.', e.dataset, coalesce(e.label_family, '-'), r.domain, r.task, r.metric) AS board
        FROM experiments e JOIN final_results r ON r.experiment_id = e.id AND r.split = 'test'
        WHERE e.configuration_hash = (SELECT configuration_hash FROM experiments WHERE id = {0})
          AND e.project_id = (SELECT project_id FROM experiments WHERE id = {0})
        """;

    private const string RecountSql = """

        INSERT INTO leaderboard_boards (project_id, board, dataset, label_family, domain, task, metric, configurations, updated_at)
        SELECT t.project_id, t.board, f.dataset, f.label_family, f.domain, f.task, f.metric,
               (SELECT count(*)::int FROM leaderboard_entries c WHERE c.project_id = t.project_id AND c.board = t.board), now()
        FROM (SELECT (SELECT project_id FROM experiments WHERE id = {0}) AS project_id, b.board FROM (
        """ + TouchedBoards + """
        ) b) t
        CROSS JOIN LATERAL (SELECT x.dataset, x.label_family, x.domain, x.task, x.metric FROM leaderboard_entries x
                            WHERE x.project_id = t.project_id AND x.board = t.board LIMIT 1) f
        ORDER BY t.board -- concurrent refreshes lock shared boards in the same order
        ON CONFLICT (project_id, board) DO UPDATE SET configurations = excluded.configurations, updated_at = excluded.updated_at;
        DELETE FROM leaderboard_boards b
        WHERE b.project_id = (SELECT project_id FROM experiments WHERE id = {0}) AND b.board IN (
        """ + TouchedBoards + """
        ) AND NOT EXISTS (SELECT 1 FROM leaderboard_entries x WHERE x.project_id = b.project_id AND x.board = b.board);
        """;

    /// <summary>Recomputes every board's summary from the entries (after a rebuild or a bulk removal of entries).</summary>
    private const string BoardsRebuildSql = """

        DELETE FROM leaderboard_boards;
        INSERT INTO leaderboard_boards (project_id, board, dataset, label_family, domain, task, metric, configurations, updated_at)
        SELECT project_id, board, min(dataset), min(label_family), min(domain), min(task), min(metric), count(*)::int, max(updated_at)
        FROM leaderboard_entries GROUP BY project_id, board;
        """;

    /// <summary>Recomputes every board's summary (after entries were removed in bulk, e.g. a bench reset).</summary>
    public static Task<int> RecountBoardsAsync(PlatformDbContext db, CancellationToken ct) =>
        db.Database.ExecuteSqlRawAsync(BoardsRebuildSql, ct);

    private const string LatestSql = """
        WITH latest AS (
            SELECT DISTINCT ON (e.project_id, e.configuration_hash, e.seed) e.*
            FROM experiments e
            WHERE e.status = 'Succeeded' AND e.archived_at IS NULL
        """;

    private const string OrderSql = """

            ORDER BY e.project_id, e.configuration_hash, e.seed, e.finished_at DESC NULLS LAST, e.id DESC
        )

        """;

    private const string UpsertSql = """
        INSERT INTO leaderboard_entries (project_id, board, configuration_hash, dataset, label_family, domain, task, metric, name, kind, method,
            preset, mean, std, seeds, validation_mean, trainable_parameters, total_parameters, steps, images_per_second,
            train_seconds, suite_run_id, suite, latest_experiment_id, updated_at)
        SELECT e.project_id, concat_ws('.', e.dataset, coalesce(e.label_family, '-'), r.domain, r.task, r.metric),
               e.configuration_hash, e.dataset, coalesce(e.label_family, '-'), r.domain, r.task, r.metric,
               (array_agg(e.name ORDER BY e.finished_at DESC NULLS LAST))[1],
               min(e.kind), min(e.method), min(e.preset),
               avg(r.value), coalesce(stddev_samp(r.value), 0), count(*)::int,
               avg(v.value),
               max(e.trainable_parameters), max(e.total_parameters), max(e.step),
               avg(e.images_per_second),
               avg(extract(epoch FROM (e.finished_at - e.started_at))),
               (array_agg(e.suite_run_id ORDER BY e.finished_at DESC NULLS LAST))[1],
               (array_agg(e.suite ORDER BY e.finished_at DESC NULLS LAST))[1],
               (array_agg(e.id ORDER BY e.finished_at DESC NULLS LAST))[1],
               now()
        FROM latest e
        JOIN final_results r ON r.experiment_id = e.id AND r.split = 'test'
        LEFT JOIN final_results v ON v.experiment_id = e.id AND v.split = 'validation'
                                  AND v.task = r.task AND v.domain = r.domain AND v.metric = r.metric

        """;

    private const string GroupSql = """
        GROUP BY e.project_id, e.configuration_hash, e.dataset, coalesce(e.label_family, '-'), r.domain, r.task, r.metric
        ON CONFLICT (project_id, board, configuration_hash) DO UPDATE SET
            name = excluded.name, kind = excluded.kind, method = excluded.method, preset = excluded.preset,
            mean = excluded.mean, std = excluded.std, seeds = excluded.seeds, validation_mean = excluded.validation_mean,
            trainable_parameters = excluded.trainable_parameters, total_parameters = excluded.total_parameters,
            steps = excluded.steps, images_per_second = excluded.images_per_second, train_seconds = excluded.train_seconds,
            suite_run_id = excluded.suite_run_id, suite = excluded.suite, latest_experiment_id = excluded.latest_experiment_id,
            updated_at = excluded.updated_at;
        """;
}
