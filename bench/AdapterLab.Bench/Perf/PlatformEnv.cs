using Npgsql;

namespace AdapterLab.Bench.Perf;

/// <summary>
/// What the platform scenarios need beyond the REST API, from the environment <c>./platform bench</c> sets: the database
/// (owner role; seeding, row counts, clean-up), the broker (orchestrator's user; publishing as simulated agents, the raw
/// round-trip reference), the agent token (blob endpoints) and the run folder (the web process id for its memory).
/// </summary>
public static class PlatformEnv
{
    public static string? Database => Environment.GetEnvironmentVariable("ADAPTERLAB_BENCH_DB");
    public static string? AgentToken => Environment.GetEnvironmentVariable("ADAPTERLAB_AGENT_TOKEN");
    public static string? RunDir => Environment.GetEnvironmentVariable("ADAPTERLAB_RUN_DIR");

    public static AdapterLab.Messaging.RabbitMqOptions? Rabbit()
    {
        var host = Environment.GetEnvironmentVariable("RabbitMq__Host");
        if (string.IsNullOrEmpty(host)) return null;
        return new AdapterLab.Messaging.RabbitMqOptions
        {
            Host = host,
            Port = int.Parse(Environment.GetEnvironmentVariable("RabbitMq__Port") ?? "5672", System.Globalization.CultureInfo.InvariantCulture),
            VirtualHost = Environment.GetEnvironmentVariable("RabbitMq__VirtualHost") ?? "/",
            Username = Environment.GetEnvironmentVariable("RabbitMq__Username") ?? "guest",
            Password = Environment.GetEnvironmentVariable("RabbitMq__Password") ?? "guest",
            QueuePrefix = Environment.GetEnvironmentVariable("RabbitMq__QueuePrefix") ?? "",
        };
    }

    /// <summary>Simulated agents' broker identities (<c>ADAPTERLAB_BENCH_AGENTS</c>: "id=password …", created by <c>./platform bench</c>).</summary>
    public static List<(string AgentId, string Password)> BenchAgents() =>
        (Environment.GetEnvironmentVariable("ADAPTERLAB_BENCH_AGENTS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).Select(p => (p[0], p[1])).ToList();

    public static string RequireDatabase() => Database
        ?? throw new InvalidOperationException("ADAPTERLAB_BENCH_DB is not set (./platform bench sets it to the platform database's owner connection)");

    public static async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        var conn = new NpgsqlConnection(RequireDatabase());
        await conn.OpenAsync(ct);
        return conn;
    }

    public static async Task<T> ScalarAsync<T>(string sql, CancellationToken ct, params (string, object)[] args)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 600 };
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v);
        var r = await cmd.ExecuteScalarAsync(ct);
        return (T)Convert.ChangeType(r!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task ExecAsync(string sql, CancellationToken ct, params (string, object)[] args)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 1800 };
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The web process id from <c>.local/run/web.pid</c>, or null.</summary>
    public static int? WebPid() => ServicePid("web");

    /// <summary>A local service's process id from <c>.local/run/&lt;service&gt;.pid</c> (web, orchestrator), or null.</summary>
    public static int? ServicePid(string service)
    {
        if (RunDir is null) return null;
        var f = Path.Combine(RunDir, service + ".pid");
        return File.Exists(f) && int.TryParse(File.ReadAllText(f).Trim(), out var pid) ? pid : null;
    }

    /// <summary>Whether the platform's broker queues are quorum queues (<c>RabbitMq__QuorumQueues</c>): simulated agents declare theirs alike.</summary>
    public static bool QuorumQueues => bool.TryParse(Environment.GetEnvironmentVariable("RabbitMq__QuorumQueues"), out var q) && q;

    /// <summary>VmRSS and VmHWM (peak) of a process in bytes, from /proc.</summary>
    public static (long Rss, long Peak) Memory(int pid)
    {
        long rss = 0, hwm = 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kb(line);
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kb(line);
            }
        }
        catch (IOException) { }
        return (rss, hwm);
        static long Kb(string line) => long.Parse(line.Split(':')[1].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
