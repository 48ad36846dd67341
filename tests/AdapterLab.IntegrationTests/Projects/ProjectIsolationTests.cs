using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AdapterLab.Data.Blobs;
using AdapterLab.Data.Entities;
using AdapterLab.Data.Leaderboards;
using AdapterLab.IntegrationTests.Web;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdapterLab.IntegrationTests.Projects;

/// <summary>
/// Projects keep teams apart, through the real web service and PostgreSQL: a viewer of project A sees nothing of project B
/// through the API — lists, detail and everything under it, compare, boards, exports, blob downloads, suites, sweeps,
/// backbones — a researcher cannot submit where they are a viewer, a key scoped to A is refused on B, and membership
/// changes are audited with their actor.
/// </summary>
public sealed partial class ProjectIsolationTests(WebAppFixture web) : IClassFixture<WebAppFixture>
{
    private const string Password = "projects-test-password-1";

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    private async Task<(string Name, Guid Id)> CreateProjectAsync(string prefix)
    {
        using var admin = web.WithApiKey();
        var name = Unique(prefix);
        using var created = await admin.PostAsJsonAsync("/api/projects", new { name, description = "test" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (name, (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
    }

    /// <summary>A user in no project (made directly, as an identity provider would), then given roles through the members API.</summary>
    private async Task<string> UserAsync(params (string Project, string Role)[] roles)
    {
        string email = Unique("member") + "@example.com";
        using (var scope = web.App.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>();
            Assert.True((await users.CreateAsync(new PlatformUser { UserName = email, Email = email, EmailConfirmed = true }, Password)).Succeeded);
        }
        using var admin = web.WithApiKey();
        foreach (var (project, role) in roles)
            using (var put = await admin.PutAsJsonAsync($"/api/projects/{project}/members/{email}", new { role }))
                Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        return email;
    }

    /// <summary>A browser session of <paramref name="email"/>, carrying the antiforgery token the API asks a cookie session for.</summary>
    private async Task<HttpClient> SignInAsync(string email)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() })
        {
            BaseAddress = web.BaseAddress,
        };
        var login = await client.GetStringAsync("/account/login");
        using var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(AntiforgeryToken().Match(login).Groups[1].Value),
            ["Input.Email"] = email,
            ["Input.Password"] = Password,
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var page = await client.GetStringAsync("/experiments");
        client.DefaultRequestHeaders.Add("RequestVerificationToken", WebUtility.HtmlDecode(AntiforgeryToken().Match(page).Groups[1].Value));
        return client;
    }

    /// <summary>Project B's things: a succeeded experiment with results, predictions (a blob) and a board entry; a suite; a sweep; a backbone.</summary>
    private async Task<(Guid Experiment, string Blob, string Suite, Guid Sweep, string Backbone)> PlantInAsync(string project, Guid projectId)
    {
        await using var db = web.Db();
        var e = PlantedExperiments.Add(db, Unique("secret-config"), 1, DateTimeOffset.UtcNow, new Dictionary<string, double> { ["fog"] = 0.61 },
            name: Unique("b-secret"));
        e.ProjectId = projectId;
        var blobs = web.App.Services.GetRequiredService<BlobStore>();
        await PlantedExperiments.PlantPredictionsAsync(db, blobs, e, "fog", 0.61);
        var backbone = Unique("b-backbone");
        db.Backbones.Add(new Backbone { Name = backbone, ProjectId = projectId, Preset = "vit-tiny-ci", Origin = "import", CreatedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();
        await LeaderboardProjection.RefreshAsync(db, e.Id, CancellationToken.None);
        var blob = await db.Checkpoints.Where(c => c.ExperimentId == e.Id).Select(c => c.BlobHash).SingleAsync();

        using var admin = web.WithApiKey();
        var suite = Unique("b-suite");
        var definition = JsonSerializer.Serialize(new { name = suite, experiments = new[] { new { name = "probe", seeds = new[] { 1 }, spec = JsonDocument.Parse(WebTestSpecs.AdaptFormer).RootElement } } });
        using (var put = await admin.PutAsync($"/api/suites/{suite}?project={project}", new StringContent(definition, Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var sweepDefinition = JsonSerializer.Serialize(new
        {
            name = Unique("b-sweep"),
            template = JsonDocument.Parse(WebTestSpecs.AdaptFormer).RootElement,
            space = new Dictionary<string, object> { ["training.learningRate"] = new { type = "choice", values = new[] { 0.001, 0.01 } } },
            objective = new { metric = "accuracy" },
            algorithm = "grid",
            budget = new { maxTrials = 2 },
        });
        using var sweep = await admin.PostAsync($"/api/sweeps?project={project}", new StringContent(sweepDefinition, Encoding.UTF8, "application/json"));
        Assert.True(sweep.StatusCode == HttpStatusCode.Created, await sweep.Content.ReadAsStringAsync());
        var sweepId = (await sweep.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("summary").GetProperty("id").GetGuid();
        return (e.Id, blob, suite, sweepId, backbone);
    }

    [Fact]
    public async Task A_viewer_of_one_project_sees_nothing_of_another_through_the_api()
    {
        var (alpha, _) = await CreateProjectAsync("alpha");
        var (beta, betaId) = await CreateProjectAsync("beta");
        var (secret, blob, suite, sweep, backbone) = await PlantInAsync(beta, betaId);
        // A metric only beta has: the runs table's column picker must not name it to others.
        var secretDomain = Unique("b-domain");
        await using (var pdb = web.Db())
        {
            pdb.FinalResults.Add(new FinalResultRow { ExperimentId = secret, Split = "test", Task = "classification", Domain = secretDomain, Metric = "accuracy", Value = 0.5, AttemptNumber = 1 });
            await pdb.SaveChangesAsync();
        }
        var viewer = await UserAsync((alpha, "viewer"));
        using var client = await SignInAsync(viewer);

        // The projects they may see: alpha only, and it is their current project.
        var projects = await client.GetFromJsonAsync<JsonElement>("/api/projects");
        Assert.Equal([alpha], projects.EnumerateArray().Select(p => p.GetProperty("name").GetString()));

        // Lists and exports: nothing of beta, whichever project is asked for.
        foreach (var url in new[] { "/api/experiments", "/api/experiments?project=*", "/api/experiments?q=" + Uri.EscapeDataString("name ~ b-secret") })
        {
            var page = await client.GetStringAsync(url);
            Assert.DoesNotContain(secret.ToString(), page);
        }
        Assert.DoesNotContain(secret.ToString(), await client.GetStringAsync("/api/experiments/export.csv?project=*"));
        foreach (var url in new[] { $"/api/experiments?project={beta}", $"/api/suites?project={beta}", $"/api/sweeps?project={beta}",
                     $"/api/leaderboards?project={beta}", $"/api/backbones?project={beta}", $"/api/experiments/export.csv?project={beta}" })
        {
            using var refused = await client.GetAsync(url);
            Assert.True(refused.StatusCode == HttpStatusCode.NotFound, $"{url}: {(int)refused.StatusCode}");
            Assert.Contains("project", await refused.Content.ReadAsStringAsync());
        }
        Assert.DoesNotContain(suite, await client.GetStringAsync("/api/suites?project=*"));
        Assert.DoesNotContain(sweep.ToString(), await client.GetStringAsync("/api/sweeps?project=*"));
        Assert.DoesNotContain(backbone, await client.GetStringAsync("/api/backbones?project=*"));
        Assert.Equal(JsonValueKind.Array, (await client.GetFromJsonAsync<JsonElement>("/api/leaderboards")).ValueKind);
        Assert.DoesNotContain("object-count", await client.GetStringAsync("/api/leaderboards"));
        Assert.DoesNotContain(secretDomain, await client.GetStringAsync("/api/runs/columns?project=*"));
        Assert.DoesNotContain(secretDomain, await client.GetStringAsync("/api/runs/columns"));

        // Every per-item URL answers as for a missing item: detail, everything under it, blob downloads, the suite, sweep, backbone.
        foreach (var url in new[]
                 {
                     $"/api/experiments/{secret}", $"/api/experiments/{secret}/metrics", $"/api/experiments/{secret}/transitions",
                     $"/api/experiments/{secret}/edits", $"/api/experiments/{secret}/checkpoints", $"/api/experiments/{secret}/checkpoints/{blob}/download",
                     $"/api/experiments/{secret}/predictions", $"/api/experiments/{secret}/confusion", $"/api/experiments/{secret}/weights",
                     $"/api/experiments/{secret}/affinity", $"/api/experiments/{secret}/gallery", $"/api/experiments/{secret}/attempts/1/logs",
                     $"/api/suites/{suite}", $"/api/suites/{suite}/runs", $"/api/sweeps/{sweep}", $"/api/sweeps/{sweep}/curves", $"/api/backbones/{backbone}",
                 })
        {
            using var response = await client.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{url}: {(int)response.StatusCode}");
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("b-secret", body);
        }
        // Compare reads it as an unknown id; writes find nothing to change.
        using (var compare = await client.GetAsync($"/api/compare?ids={secret}"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, compare.StatusCode);
            Assert.DoesNotContain("b-secret", await compare.Content.ReadAsStringAsync());
        }
        foreach (var url in new[] { $"/api/experiments/{secret}/cancel", $"/api/experiments/{secret}/archive", $"/api/experiments/{secret}/clone", $"/api/sweeps/{sweep}/stop" })
            using (var write = await client.PostAsync(url, null))
                Assert.True(write.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden, $"{url}: {(int)write.StatusCode}");
        await using var db = web.Db();
        Assert.Null((await db.Experiments.AsNoTracking().SingleAsync(e => e.Id == secret)).ArchivedAt);

        // A model in beta (as registered from beta's run): not listed, not readable, no predictions from it.
        var model = Unique("b-model");
        await using (var mdb = web.Db())
        {
            mdb.RegisteredModels.Add(new RegisteredModel { Name = model, ProjectId = betaId, CreatedBy = "test", CreatedAt = DateTimeOffset.UtcNow });
            await mdb.SaveChangesAsync();
        }
        Assert.DoesNotContain(model, await client.GetStringAsync("/api/models?project=*"));
        foreach (var url in new[] { $"/api/models/{model}", $"/api/models/{model}/history", $"/api/models/{model}/versions/latest" })
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(url)).StatusCode);
        using (var predict = await client.PostAsync($"/api/models/{model}/predict", new ByteArrayContent([1, 2, 3])))
            Assert.Equal(HttpStatusCode.NotFound, predict.StatusCode);

        // The same reads as an admin of the platform do find it (the checks above were not vacuous).
        using var admin = web.WithApiKey();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/experiments/{secret}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/experiments/{secret}/checkpoints/{blob}/download")).StatusCode);
        Assert.Contains(secret.ToString(), await admin.GetStringAsync($"/api/experiments?project={beta}"));
        Assert.Contains("object-count", await admin.GetStringAsync($"/api/leaderboards?project={beta}"));
        Assert.Contains(backbone, await admin.GetStringAsync($"/api/backbones?project={beta}"));
        Assert.Contains(secretDomain, await admin.GetStringAsync($"/api/runs/columns?project={beta}"));
        Assert.Contains(secretDomain, await admin.GetStringAsync("/api/runs/columns?project=*"));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/models/{model}")).StatusCode);
    }

    [Fact]
    public async Task A_researcher_submits_only_where_they_are_a_researcher_and_their_role_changes_reach_their_session()
    {
        var (alpha, alphaId) = await CreateProjectAsync("alpha");
        var (beta, betaId) = await CreateProjectAsync("beta");
        var email = await UserAsync((alpha, "viewer"), (beta, "researcher"));
        using var client = await SignInAsync(email);

        using (var refused = await client.PostAsync($"/api/experiments?project={alpha}", new StringContent(WebTestSpecs.AdaptFormer, Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("project", problem.GetProperty("field").GetString());
            Assert.Contains("viewer", problem.GetProperty("detail").GetString());
        }
        Guid id;
        using (var created = await client.PostAsync($"/api/experiments?project={beta}", new StringContent(WebTestSpecs.AdaptFormer, Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        }
        await using (var db = web.Db())
        {
            Assert.Equal(betaId, (await db.Experiments.AsNoTracking().SingleAsync(e => e.Id == id)).ProjectId);
            Assert.Equal(0, await db.Experiments.CountAsync(e => e.ProjectId == alphaId));
        }
        // Their suite and sweep submissions into alpha are refused the same way.
        using (var suite = await client.PutAsync($"/api/suites/{Unique("s")}?project={alpha}", new StringContent("experiments: []\n", Encoding.UTF8, "application/yaml")))
            Assert.Equal(HttpStatusCode.Forbidden, suite.StatusCode);

        // Made a viewer of beta by its admin: their open session loses the right (the claims follow the security stamp).
        using (var admin = web.WithApiKey())
        using (var put = await admin.PutAsJsonAsync($"/api/projects/{beta}/members/{email}", new { role = "viewer" }))
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        using var fresh = await SignInAsync(email);
        using (var now = await fresh.PostAsync($"/api/experiments?project={beta}", new StringContent(WebTestSpecs.AdaptFormer, Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Forbidden, now.StatusCode);

        // Audited with its actor, newest first; the audit is for the project's admins only.
        using (var admin = web.WithApiKey())
        {
            var audit = await admin.GetFromJsonAsync<JsonElement>($"/api/projects/{beta}/audit");
            var entries = audit.EnumerateArray().ToList();
            Assert.Equal("member.role", entries[0].GetProperty("action").GetString());
            Assert.Equal(email, entries[0].GetProperty("subject").GetString());
            Assert.Equal("researcher → viewer", entries[0].GetProperty("detail").GetString());
            Assert.Equal("apikey:bootstrap", entries[0].GetProperty("actor").GetString());
            Assert.Contains(entries, e => e.GetProperty("action").GetString() == "member.added" && e.GetProperty("subject").GetString() == email);
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await fresh.GetAsync($"/api/projects/{beta}/audit")).StatusCode);
    }

    [Fact]
    public async Task A_key_scoped_to_one_project_is_refused_on_another()
    {
        var (alpha, alphaId) = await CreateProjectAsync("alpha");
        var (beta, betaId) = await CreateProjectAsync("beta");
        var (secret, _, _, _, _) = await PlantInAsync(beta, betaId);
        using var admin = web.WithApiKey();
        using var created = await admin.PostAsJsonAsync("/api/keys", new { name = "ci-alpha", scopes = new[] { "read", "experiments:write" }, project = alpha });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(alpha, key.GetProperty("project").GetString());
        using var client = web.WithApiKey(key.GetProperty("key").GetString()!);

        // Its own project by default; nothing of beta, by list, by id or by submission.
        using (var submitted = await client.PostAsync("/api/experiments", new StringContent(WebTestSpecs.AdaptFormer, Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
            var id = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            await using var db = web.Db();
            Assert.Equal(alphaId, (await db.Experiments.AsNoTracking().SingleAsync(e => e.Id == id)).ProjectId);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/experiments?project={beta}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/experiments/{secret}")).StatusCode);
        Assert.DoesNotContain(secret.ToString(), await client.GetStringAsync("/api/experiments?project=*"));
        using (var refused = await client.PostAsync($"/api/experiments?project={beta}", new StringContent(WebTestSpecs.AdaptFormer, Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("project", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        }
        await using (var db = web.Db())
            Assert.Equal(1, await db.Experiments.CountAsync(e => e.ProjectId == betaId));

        // A project key cannot hold a platform scope, nor manage projects.
        using (var beyond = await admin.PostAsJsonAsync("/api/keys", new { name = "x", scopes = new[] { "admin" }, project = alpha }))
            Assert.Equal(HttpStatusCode.BadRequest, beyond.StatusCode);
        using (var create = await client.PostAsJsonAsync("/api/projects", new { name = Unique("mine") }))
            Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        using (var quota = await client.PutAsJsonAsync($"/api/projects/{alpha}/quotas/cpu", new { maxSlots = 99 }))
            Assert.Equal(HttpStatusCode.Forbidden, quota.StatusCode);
    }

    [Fact]
    public async Task A_priority_ceiling_lowers_what_a_project_queues()
    {
        var (gamma, gammaId) = await CreateProjectAsync("gamma");
        using var admin = web.WithApiKey();
        using (var put = await admin.PutAsJsonAsync($"/api/projects/{gamma}/priority-ceiling", new { priorityCeiling = 2 }))
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        using var created = await admin.PostAsync($"/api/experiments?project={gamma}", new StringContent(WebTestSpecs.AdaptFormer, Encoding.UTF8, "application/json"));
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await using var db = web.Db();
        var e = await db.Experiments.AsNoTracking().SingleAsync(x => x.Id == id);
        Assert.Equal(gammaId, e.ProjectId);
        Assert.Equal(2, e.Priority); // the spec asked for 5
        using (var bad = await admin.PutAsJsonAsync($"/api/projects/{gamma}/priority-ceiling", new { priorityCeiling = 5000 }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.True((await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("priorityCeiling", out _));
        }
    }

    [Fact]
    public async Task A_backbone_shared_read_only_is_usable_by_the_other_project_and_an_unshared_one_is_not()
    {
        var (alpha, _) = await CreateProjectAsync("alpha");
        var (beta, betaId) = await CreateProjectAsync("beta");
        var (_, _, _, _, backbone) = await PlantInAsync(beta, betaId);
        var email = await UserAsync((alpha, "admin"));
        using var client = await SignInAsync(email);
        string Spec() => WebTestSpecs.AdaptFormer.Replace("\"source\": \"random\"", $"\"source\": \"named\", \"name\": \"{backbone}\"");

        // Not shared: invisible, and a spec naming it is refused with the field named.
        Assert.DoesNotContain(backbone, await client.GetStringAsync("/api/backbones"));
        using (var refused = await client.PostAsync($"/api/experiments?project={alpha}", new StringContent(Spec(), Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("belongs to another project", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("backbone.name")[0].GetString());
        }
        // Alpha's admin cannot share what is not theirs; beta's (here the platform admin) can, and it is audited on both sides.
        using (var notTheirs = await client.PostAsJsonAsync($"/api/backbones/{backbone}/shares", new { project = alpha }))
            Assert.Equal(HttpStatusCode.NotFound, notTheirs.StatusCode);
        using (var admin = web.WithApiKey())
        using (var share = await admin.PostAsJsonAsync($"/api/backbones/{backbone}/shares", new { project = alpha }))
            Assert.Equal(HttpStatusCode.NoContent, share.StatusCode);

        Assert.Contains(backbone, await client.GetStringAsync("/api/backbones"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/backbones/{backbone}")).StatusCode);
        using (var accepted = await client.PostAsync($"/api/experiments?project={alpha}", new StringContent(Spec(), Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        // Read-only: alpha cannot pass it on.
        var (gamma, _) = await CreateProjectAsync("gamma");
        using (var onward = await client.PostAsJsonAsync($"/api/backbones/{backbone}/shares", new { project = gamma }))
            Assert.Equal(HttpStatusCode.Forbidden, onward.StatusCode);
        var audit = await client.GetFromJsonAsync<JsonElement>($"/api/projects/{alpha}/audit");
        Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("action").GetString() == "backbone.received" && a.GetProperty("subject").GetString() == backbone);
    }
}
