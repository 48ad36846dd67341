using System.Text.RegularExpressions;
using AdapterLab.Data;
using AdapterLab.Data.Security;
using AdapterLab.Messaging;
using AdapterLab.Web.Auth;

namespace AdapterLab.Web.Agents;

/// <summary>
/// RabbitMQ's HTTP auth backend (<c>rabbitmq_auth_backend_http</c>), answered by the web: an agent connects to the broker
/// as <c>agent:&lt;id&gt;</c> with its agent token as the password, so the broker needs no account per agent, the web needs
/// no broker administrator credential, and revoking the token revokes broker access. The broker tries its internal users
/// first (the services' own) and asks here for everything else.
/// <list type="bullet">
/// <item><c>POST /broker-auth/user</c>: allow when the password is a live agent token whose name is the agent id.</item>
/// <item><c>POST /broker-auth/vhost</c>: only the platform's vhost, and only while the agent has a live token.</item>
/// <item><c>POST /broker-auth/resource</c> and <c>/topic</c>: an agent's least privilege
/// (<see cref="BrokerPermissions.Agent"/>: read its own queue, publish only agent reports), again only while it has a live
/// token — so after a revocation every new channel, declaration and publish target is refused.</item>
/// </list>
/// The broker posts form fields and reads <c>allow</c> or <c>deny</c> from the body. It asks again for every new channel
/// and whenever a channel's small permission cache was cleared (an idle channel clears it), so a revoked agent's open
/// connection is refused almost at once (a test run: a publish on a fresh channel, 403); a busy channel could still pass
/// cached checks, so the orchestrator also refuses every report of an agent without a live token (<c>SenderCheckFilter</c>)
/// and dispatches nothing to it. Measured: about 40 calls for a whole training run plus an enrolment (the broker caches
/// per channel), not one per message.
/// </summary>
public static class BrokerAuthApi
{
    public const string Path = "/broker-auth";

    public static IEndpointRouteBuilder MapBrokerAuthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Path).AllowAnonymous().ExcludeFromDescription().DisableAntiforgery();
        api.MapPost("/user", User);
        api.MapPost("/vhost", VirtualHost);
        api.MapPost("/resource", Resource);
        api.MapPost("/topic", Resource);
        return app;
    }

    private const string Allow = "allow", Deny = "deny";

    private static async Task<IResult> User(HttpRequest request, PlatformDbContext db, TimeProvider clock, ILoggerFactory logs, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var agent = SenderIdentity.AgentIdOf(form["username"].ToString());
        string password = form["password"].ToString();
        if (agent is null || password.Length == 0) return Text(Deny);
        var now = clock.GetUtcNow();
        var token = await AgentCredentials.LiveTokenAsync(db, SecretHash.Of(password), now, ct);
        if (token is null || token.Name != agent)
        {
            logs.CreateLogger(typeof(BrokerAuthApi)).LogWarning("Broker login refused for agent {AgentId}: {Reason}", agent,
                token is null ? "no live agent token with that password" : "the token belongs to another agent");
            return Text(Deny);
        }
        await AgentCredentials.TouchAsync(db, token, now, ct);
        return Text(Allow);
    }

    private static async Task<IResult> VirtualHost(HttpRequest request, PlatformDbContext db, RabbitMqOptions rabbit, TimeProvider clock, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var agent = SenderIdentity.AgentIdOf(form["username"].ToString());
        if (agent is null || form["vhost"].ToString() != rabbit.VirtualHost) return Text(Deny);
        return Text((await AgentCredentials.StandingAsync(db, agent, clock.GetUtcNow(), ct)).Live ? Allow : Deny);
    }

    private static async Task<IResult> Resource(HttpRequest request, PlatformDbContext db, RabbitMqOptions rabbit, TimeProvider clock, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var agent = SenderIdentity.AgentIdOf(form["username"].ToString());
        if (agent is null || form["vhost"].ToString() != rabbit.VirtualHost) return Text(Deny);
        if (!Permitted(rabbit.QueuePrefix, agent, form["resource"].ToString(), form["name"].ToString(), form["permission"].ToString())) return Text(Deny);
        return Text((await AgentCredentials.StandingAsync(db, agent, clock.GetUtcNow(), ct)).Live ? Allow : Deny);
    }

    /// <summary>Whether an agent's least privilege allows <paramref name="permission"/> on the exchange, queue or topic <paramref name="name"/>.</summary>
    public static bool Permitted(string queuePrefix, string agentId, string resource, string name, string permission)
    {
        if (resource is not ("exchange" or "queue" or "topic")) return false;
        var (configure, write, read) = Compiled(queuePrefix, agentId);
        Regex? pattern = permission switch { "configure" => configure, "write" => write, "read" => read, _ => null };
        return pattern is not null && name.Length <= 255 && pattern.IsMatch(name);
    }

    // Each agent's three patterns built once (a thousand agents logging in at once used to rebuild them on every check,
    // past the static regex cache, and a 100 ms match timeout fired when the web was starved of CPU: the broker saw a 500
    // and closed the agent's connection — bench perf-fleet). No timeout: the patterns are the platform's own (anchored
    // literals, one `.+` before a literal), so a match is at worst quadratic in the name, which the broker caps at 255
    // bytes — microseconds. (RegexOptions.NonBacktracking was tried: its automata took gigabytes for a thousand agents.)
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), (Regex, Regex, Regex)> compiled = new();

    private static (Regex Configure, Regex Write, Regex Read) Compiled(string queuePrefix, string agentId)
    {
        if (compiled.TryGetValue((queuePrefix, agentId), out var known)) return known;
        var (configure, write, read) = BrokerPermissions.Agent(queuePrefix, agentId);
        const RegexOptions options = RegexOptions.CultureInvariant;
        var built = (new Regex(configure, options), new Regex(write, options), new Regex(read, options));
        if (compiled.Count >= 10_000) compiled.Clear();
        return compiled[(queuePrefix, agentId)] = built;
    }

    private static IResult Text(string body) => Results.Text(body, "text/plain");
}
