using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AdapterLab.Messaging;

namespace AdapterLab.GpuAgent;

/// <summary>
/// The agent's identity before anything starts: its id and agent token, and its broker credential
/// (<c>agent:&lt;id&gt;</c> with the token as password — the web answers the broker's HTTP auth backend).
/// <para>
/// With no <c>Agent:Token</c> but an <c>Agent:EnrolmentSecret</c> (a pool's, e.g. every replica of a Deployment), the
/// agent enrols once at <c>POST /api/agents/enrol</c> and keeps the id, pool and token it gets in
/// <c>&lt;work directory&gt;/agent-identity.json</c> (mode 600), so a restart reuses them instead of enrolling again.
/// </para>
/// </summary>
public static partial class AgentIdentity
{
    public const string FileName = "agent-identity.json";

    private sealed record Stored(string AgentId, string Pool, string Token);

    /// <summary>Fills <c>Agent:Id</c>, <c>Agent:Token</c>, <c>Agent:Pool</c> (enrolment) and the broker credential into <paramref name="configuration"/>.</summary>
    public static void Resolve(IConfiguration configuration, ILogger log)
    {
        var options = configuration.GetSection(AgentOptions.Section).Get<AgentOptions>() ?? new AgentOptions();
        if (string.IsNullOrWhiteSpace(options.Token) && !string.IsNullOrWhiteSpace(options.EnrolmentSecret))
        {
            var identity = LoadOrEnrol(options, log);
            configuration[$"{AgentOptions.Section}:Id"] = identity.AgentId;
            configuration[$"{AgentOptions.Section}:Token"] = identity.Token;
            configuration[$"{AgentOptions.Section}:Pool"] = identity.Pool;
            options = configuration.GetSection(AgentOptions.Section).Get<AgentOptions>()!;
        }

        // The agent's broker identity is its own (agent:<id>): the orchestrator accepts its reports only from it.
        var brokerUser = configuration[$"{RabbitMqOptions.Section}:Username"];
        var expectedUser = SenderIdentity.AgentUser(options.ResolvedId);
        if (string.IsNullOrEmpty(brokerUser)) configuration[$"{RabbitMqOptions.Section}:Username"] = expectedUser;
        else if (brokerUser != expectedUser)
            throw new InvalidOperationException($"RabbitMq:Username is '{brokerUser}', but agent '{options.ResolvedId}' must connect to the broker as '{expectedUser}' " +
                                                "(each agent has its own broker identity; leave the setting empty to use it)");
        // Its agent token is its broker password unless one is set (a broker-side user, e.g. in tests).
        if (string.IsNullOrEmpty(configuration[$"{RabbitMqOptions.Section}:Password"]) && !string.IsNullOrEmpty(options.Token))
            configuration[$"{RabbitMqOptions.Section}:Password"] = options.Token;
    }

    private static Stored LoadOrEnrol(AgentOptions options, ILogger log)
    {
        var directory = string.IsNullOrWhiteSpace(options.WorkDirectory) ? Path.Combine(Path.GetTempPath(), "adapterlab-agent") : options.WorkDirectory;
        var path = Path.Combine(directory, FileName);
        if (File.Exists(path))
        {
            var stored = JsonSerializer.Deserialize<Stored>(File.ReadAllText(path), JsonSerializerOptions.Web);
            if (stored is { AgentId.Length: > 0, Token.Length: > 0 })
            {
                log.LogInformation("Agent identity {AgentId} (pool {Pool}) from {Path}", stored.AgentId, stored.Pool, path);
                return stored;
            }
        }
        var wanted = string.IsNullOrWhiteSpace(options.Id) ? Sanitised(options.ResolvedId) : options.Id;
        var enrolled = Enrol(options, wanted, log) ?? Enrol(options, null, log)
                       ?? throw new InvalidOperationException("enrolment refused twice");
        Directory.CreateDirectory(directory);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(enrolled, JsonSerializerOptions.Web));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
        log.LogInformation("Enrolled as agent {AgentId} in pool {Pool}; identity kept in {Path}", enrolled.AgentId, enrolled.Pool, path);
        return enrolled;
    }

    /// <summary>One enrolment; null when the wanted id is taken (409) so the caller can ask for a fresh one.</summary>
    private static Stored? Enrol(AgentOptions options, string? agentId, ILogger log)
    {
        using var http = new HttpClient { BaseAddress = new Uri(options.ApiUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        var deadline = DateTime.UtcNow.AddSeconds(options.EnrolmentWaitSeconds);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                using var response = http.PostAsJsonAsync("api/agents/enrol", new { secret = options.EnrolmentSecret, agentId }).GetAwaiter().GetResult();
                if (response.StatusCode == HttpStatusCode.Conflict && agentId is not null) return null;
                if (!response.IsSuccessStatusCode)
                    throw new InvalidOperationException($"enrolment refused ({(int)response.StatusCode}): {response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
                var body = response.Content.ReadFromJsonAsync<JsonElement>().GetAwaiter().GetResult();
                return new Stored(body.GetProperty("agentId").GetString()!, body.GetProperty("pool").GetString()!, body.GetProperty("token").GetString()!);
            }
            catch (HttpRequestException ex) when (DateTime.UtcNow < deadline)
            {
                // The web may still be starting next to us (compose, a new cluster).
                log.LogWarning("Enrolment: web API at {ApiUrl} not reachable yet (attempt {Attempt}): {Error}", options.ApiUrl, attempt, ex.Message);
                Thread.Sleep(TimeSpan.FromSeconds(2));
            }
        }
    }

    private static string Sanitised(string id)
    {
        var s = InvalidIdCharacters().Replace(id.ToLowerInvariant(), "-").Trim('-', '.', '_');
        return s.Length == 0 ? "agent" : s.Length > 63 ? s[..63] : s;
    }

    [GeneratedRegex("[^a-z0-9._-]")]
    private static partial Regex InvalidIdCharacters();
}
