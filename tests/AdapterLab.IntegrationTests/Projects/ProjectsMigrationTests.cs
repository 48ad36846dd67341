using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;

namespace AdapterLab.IntegrationTests.Projects;

/// <summary>
/// The migration that brings projects keeps single-team use as it was: every existing row lands in the default project,
/// every user keeps their role there, a researcher's API key acts in it, and the platform keys stay platform keys.
/// </summary>
public sealed class ProjectsMigrationTests
{
    [Fact]
    public async Task Existing_rows_users_and_keys_move_into_the_default_project()
    {
        var cs = await TestEnvironment.CreateDatabaseAsync("projmig");
        try
        {
            var options = new DbContextOptionsBuilder<PlatformDbContext>();
            DataServiceCollectionExtensions.Configure(options, cs);
            await using var db = new PlatformDbContext(options.Options);
            var migrator = db.GetService<IMigrator>();
            var migrations = db.Database.GetMigrations().ToList();
            await migrator.MigrateAsync(migrations[migrations.IndexOf(migrations.Single(m => m.EndsWith("_Projects", StringComparison.Ordinal))) - 1]);

            string researcher = Guid.NewGuid().ToString(), admin = Guid.NewGuid().ToString(), roleless = Guid.NewGuid().ToString();
            Guid userKey = Guid.NewGuid(), adminKey = Guid.NewGuid(), serveKey = Guid.NewGuid(), experiment = Guid.NewGuid();
            await using (var conn = new NpgsqlConnection(cs))
            {
                await conn.OpenAsync();
                async Task Exec(string sql, params object[] args)
                {
                    await using var cmd = new NpgsqlCommand(sql, conn);
                    for (int i = 0; i < args.Length; i++) cmd.Parameters.AddWithValue($"p{i}", args[i]);
                    await cmd.ExecuteNonQueryAsync();
                }
                foreach (var role in new[] { "viewer", "researcher", "admin" })
                    await Exec("""INSERT INTO "AspNetRoles" (id, name, normalized_name) VALUES (@p0, @p0, upper(@p0)) ON CONFLICT DO NOTHING""", role);
                foreach (var (id, role) in new[] { (researcher, "researcher"), (admin, "admin"), (roleless, (string?)null) })
                {
                    await Exec("""INSERT INTO "AspNetUsers" (id, user_name, normalized_user_name, email, email_confirmed, phone_number_confirmed, two_factor_enabled, lockout_enabled, access_failed_count, must_change_password) VALUES (@p0, @p0, upper(@p0), @p0, true, false, false, false, 0, false)""", id);
                    if (role is not null) await Exec("""INSERT INTO "AspNetUserRoles" (user_id, role_id) VALUES (@p0, @p1)""", id, role);
                }
                foreach (var (id, scopes, owner) in new[] { (userKey, "{read,experiments:write}", (string?)researcher), (adminKey, "{admin}", null), (serveKey, "{models:serve}", null) })
                    await Exec("INSERT INTO api_keys (id, name, prefix, hash, scopes, owner_user_id, created_at) VALUES (@p0, 'k', 'p', @p1, @p2::text[], @p3, now())",
                        id, Guid.NewGuid().ToString("N"), scopes, (object?)owner ?? DBNull.Value);
                await Exec("""
                    INSERT INTO experiments (id, attempt_count, cancel_requested, configuration_hash, configuration_version, dataset, kind, method, pool,
                        preset, priority, seed, setting, source_domain, spec_hash, spec_json, status, step, submitted_at, total_parameters, total_steps,
                        trainable_parameters, training_failure_retries, updated_at, tags, target_domains, tasks, name)
                    VALUES (@p0, 0, false, 'c', 1, 'shapesworld', 'adapt', 'lora', 'cpu', 'vit-tiny-ci', 0, 1, 'supervised', 'synthetic',
                        'h', '{}', 'Queued', 0, now(), 0, 1, 0, 0, now(), '{}', '{}', '{}', 'old run')
                    """, experiment);
                await Exec("INSERT INTO suites (id, name, version, definition_json, created_at, updated_at) VALUES (gen_random_uuid(), 'old-suite', 1, '{}', now(), now())");
            }
            await migrator.MigrateAsync();

            db.ChangeTracker.Clear();
            Assert.Equal(Project.DefaultName, (await db.Projects.SingleAsync(p => p.Id == Project.DefaultId)).Name);
            Assert.Equal(Project.DefaultId, (await db.Experiments.SingleAsync(e => e.Id == experiment)).ProjectId);
            Assert.Equal(Project.DefaultId, (await db.Suites.SingleAsync(s => s.Name == "old-suite")).ProjectId);
            var members = await db.ProjectMembers.Where(m => m.ProjectId == Project.DefaultId).ToDictionaryAsync(m => m.UserId, m => m.Role);
            Assert.Equal("researcher", members[researcher]);
            Assert.Equal("admin", members[admin]);
            Assert.Equal("viewer", members[roleless]);
            var keys = await db.ApiKeys.ToDictionaryAsync(k => k.Id, k => k.ProjectId);
            Assert.Equal(Project.DefaultId, keys[userKey]);
            Assert.Null(keys[adminKey]);
            Assert.Null(keys[serveKey]);
            Assert.Single(await db.ProjectAudit.Where(a => a.Action == "project.created").ToListAsync());
        }
        finally
        {
            await TestEnvironment.DropDatabaseAsync(cs);
        }
    }
}
