using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AdapterLab.Data;
using AdapterLab.IntegrationTests.Infrastructure;
using AdapterLab.IntegrationTests.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;

namespace AdapterLab.IntegrationTests.Security;

/// <summary>
/// Owners are ids, not names: two keys named alike do not share experiments, a new key reusing a revoked key's name
/// inherits nothing, built-in suites are admin-only and a researcher's suite is theirs; the migration maps the names
/// stored before to ids where the name is unambiguous.
/// </summary>
public sealed class OwnershipTests(WebAppFixture web) : IClassFixture<WebAppFixture>
{
    private async Task<string> KeyAsync(string name, params string[] scopes)
    {
        using var admin = web.WithApiKey();
        using var created = await admin.PostAsJsonAsync("/api/keys", new { name, scopes });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    private static async Task<Guid> SubmitAsync(HttpClient client)
    {
        using var response = await client.PostAsync("/api/experiments", new StringContent(WebTestSpecs.AdaptFormer, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task Keys_named_alike_do_not_share_experiments_and_a_reused_name_inherits_nothing()
    {
        var name = "ci-" + Guid.NewGuid().ToString("N")[..6];
        using var first = web.WithApiKey(await KeyAsync(name, "read", "experiments:write"));
        using var twin = web.WithApiKey(await KeyAsync(name, "read", "experiments:write"));
        var mine = await SubmitAsync(first);

        using (var refused = await twin.PostAsync($"/api/experiments/{mine}/cancel", null))
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var details = await first.GetFromJsonAsync<JsonElement>($"/api/experiments/{mine}");
        Assert.StartsWith("key:", details.GetProperty("ownerId").GetString());
        Assert.Equal($"apikey:{name}", details.GetProperty("owner").GetString());

        // Revoke the first key; a new key with its name gets none of its experiments.
        using (var admin = web.WithApiKey())
        {
            var keys = await admin.GetFromJsonAsync<JsonElement>("/api/keys");
            var firstId = keys.EnumerateArray().First(k => k.GetProperty("name").GetString() == name).GetProperty("id").GetGuid();
            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/keys/{firstId}")).StatusCode);
        }
        using var heir = web.WithApiKey(await KeyAsync(name, "read", "experiments:write"));
        using (var refused = await heir.PostAsync($"/api/experiments/{mine}/cancel", null))
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        // An admin still manages it.
        using (var admin = web.WithApiKey())
            Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync($"/api/experiments/{mine}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task Built_in_suites_are_admin_only_and_a_researchers_suite_is_theirs()
    {
        using var alice = web.WithApiKey(await KeyAsync("alice-" + Guid.NewGuid().ToString("N")[..4], "read", "experiments:write"));
        using var bob = web.WithApiKey(await KeyAsync("bob-" + Guid.NewGuid().ToString("N")[..4], "read", "experiments:write"));
        using var admin = web.WithApiKey();

        // A built-in suite, with its cron: refused to a researcher, its stored version unchanged.
        var builtIn = await admin.GetFromJsonAsync<JsonElement>("/api/suites/adapters-smoke");
        int version = builtIn.GetProperty("version").GetInt32();
        var rewrite = "name: adapters-smoke\nschedule: '* * * * *'\nexperiments: []\n";
        using (var refused = await alice.PutAsync("/api/suites/adapters-smoke", new StringContent(rewrite, Encoding.UTF8, "application/yaml")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("built in", await refused.Content.ReadAsStringAsync());
        }
        Assert.Equal(version, (await admin.GetFromJsonAsync<JsonElement>("/api/suites/adapters-smoke")).GetProperty("version").GetInt32());

        // Alice's suite: she changes it, Bob may not, an admin may.
        var suite = "mine-" + Guid.NewGuid().ToString("N")[..6];
        string Definition(int seeds) => JsonSerializer.Serialize(new
        {
            name = suite,
            experiments = new[] { new { name = "probe", seeds = Enumerable.Range(1, seeds).ToArray(), spec = JsonDocument.Parse(WebTestSpecs.AdaptFormer).RootElement } },
        });
        using (var created = await alice.PutAsync($"/api/suites/{suite}", new StringContent(Definition(1), Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using (var changed = await alice.PutAsync($"/api/suites/{suite}", new StringContent(Definition(2), Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        using (var refused = await bob.PutAsync($"/api/suites/{suite}", new StringContent(Definition(3), Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using (var byAdmin = await admin.PutAsync($"/api/suites/{suite}", new StringContent(Definition(3), Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.OK, byAdmin.StatusCode);
    }

    [Fact]
    public async Task The_migration_maps_stored_owner_names_to_ids_where_unambiguous()
    {
        var cs = await TestEnvironment.CreateDatabaseAsync("owners");
        try
        {
            var options = new DbContextOptionsBuilder<PlatformDbContext>();
            AdapterLab.Data.DataServiceCollectionExtensions.Configure(options, cs);
            await using var db = new PlatformDbContext(options.Options);
            var migrator = db.GetService<IMigrator>();
            var migrations = db.Database.GetMigrations().ToList();
            await migrator.MigrateAsync(migrations[migrations.IndexOf(migrations.Single(m => m.EndsWith("_OwnersByIdBlobPinsChunkHashes", StringComparison.Ordinal))) - 1]);

            var user = Guid.NewGuid().ToString();
            Guid soleKey = Guid.NewGuid(), userKey = Guid.NewGuid(), twinA = Guid.NewGuid(), twinB = Guid.NewGuid();
            await using (var conn = new NpgsqlConnection(cs))
            {
                await conn.OpenAsync();
                async Task Exec(string sql, params object[] args)
                {
                    await using var cmd = new NpgsqlCommand(sql, conn);
                    for (int i = 0; i < args.Length; i++) cmd.Parameters.AddWithValue($"p{i}", args[i]);
                    await cmd.ExecuteNonQueryAsync();
                }
                await Exec("""INSERT INTO "AspNetUsers" (id, user_name, normalized_user_name, email, email_confirmed, phone_number_confirmed, two_factor_enabled, lockout_enabled, access_failed_count, must_change_password) VALUES (@p0, 'ada@example.com', 'ADA@EXAMPLE.COM', 'ada@example.com', true, false, false, false, 0, false)""", user);
                foreach (var (id, name, owner) in new[] { (soleKey, "sole", (string?)null), (userKey, "adas-key", user), (twinA, "twin", null), (twinB, "twin", null) })
                    await Exec("INSERT INTO api_keys (id, name, prefix, hash, scopes, owner_user_id, created_at) VALUES (@p0, @p1, 'p', @p2, '{read}', @p3, now())",
                        id, name, Guid.NewGuid().ToString("N"), (object?)owner ?? DBNull.Value);
                foreach (var owner in new[] { "ada@example.com", "apikey:sole", "apikey:adas-key", "apikey:twin", "apikey:gone" })
                    await Exec("""
                        INSERT INTO experiments (id, attempt_count, cancel_requested, configuration_hash, configuration_version, dataset, kind, method, pool,
                            preset, priority, seed, setting, source_domain, spec_hash, spec_json, status, step, submitted_at, total_parameters, total_steps,
                            trainable_parameters, training_failure_retries, updated_at, tags, target_domains, tasks, owner, name)
                        VALUES (gen_random_uuid(), 0, false, 'c', 1, 'shapesworld', 'adapt', 'lora', 'cpu', 'vit-tiny-ci', 0, 1, 'supervised', 'synthetic',
                            'h', '{}', 'Queued', 0, now(), 0, 1, 0, 0, now(), '{}', '{}', '{}', @p0, @p0)
                        """, owner);
            }
            await migrator.MigrateAsync();
            var mapped = await db.Experiments.AsNoTracking().ToDictionaryAsync(e => e.Owner!, e => e.OwnerId);
            Assert.Equal($"user:{user}", mapped["ada@example.com"]);
            Assert.Equal($"key:{soleKey}", mapped["apikey:sole"]);
            Assert.Equal($"user:{user}", mapped["apikey:adas-key"]);
            Assert.Null(mapped["apikey:twin"]);
            Assert.Null(mapped["apikey:gone"]);
        }
        finally
        {
            await TestEnvironment.DropDatabaseAsync(cs);
        }
    }
}
