using AdapterLab.Data;
using AdapterLab.Data.Entities;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AdapterLab.Web.Auth;

/// <summary>
/// Startup task: seeds the dashboard roles and the bootstrap credentials (admin API key, the inference host's models:serve key, agent token, enrolment secret,
/// admin user — or, with a generated password, the first admin, who must change it at first sign-in).
/// Idempotent, and safe when several web instances start at once: the work runs under a PostgreSQL advisory lock.
/// Runs before the server listens, so a started app always accepts its bootstrap key.
/// </summary>
public sealed class CredentialBootstrap(IServiceScopeFactory scopes, BootstrapOptions options, ILogger<CredentialBootstrap> log) : IHostedService
{
    // Any constant; only web instances take this lock.
    private const long LockKey = 0x41444C4142_01;

    public async Task StartAsync(CancellationToken ct)
    {
        // PostgreSQL may still be starting next to us (compose, ./platform): retry for a while before giving up.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await SeedAsync(ct);
                return;
            }
            catch (NpgsqlException ex) when (attempt < 15 && !ct.IsCancellationRequested)
            {
                log.LogWarning(ex, "Credential bootstrap could not reach PostgreSQL (attempt {Attempt}); retrying", attempt);
                await Task.Delay(TimeSpan.FromSeconds(2), ct);
            }
        }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    private async Task SeedAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        await using var lockConn = new NpgsqlConnection(db.Database.GetConnectionString());
        await lockConn.OpenAsync(ct);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({LockKey})", lockConn)) await take.ExecuteNonQueryAsync(ct);
        try
        {
            await SeedRolesAsync(scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>());
            if (options.ApiKey is { } key) await SeedApiKeyAsync(db, key, "bootstrap", [Scopes.Admin], ct);
            if (options.InferenceKey is { } inference) await SeedApiKeyAsync(db, inference, "inference", [Scopes.ModelsServe], ct);
            if (options.AgentToken is { } token) await SeedAgentTokenAsync(db, token, options.AgentTokenOwner, ct);
            if (options.EnrolmentSecret is { } enrolment) await SeedEnrolmentAsync(db, enrolment, options.EnrolmentPool, ct);
            if (options is { AdminEmail: { } email, AdminPassword: { } password })
                await SeedAdminAsync(scope.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>(), email, password, options.AdminMustChangePassword);
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({LockKey})", lockConn);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static async Task SeedRolesAsync(RoleManager<IdentityRole> roles)
    {
        foreach (var role in Roles.All)
            if (!await roles.RoleExistsAsync(role))
                Check(await roles.CreateAsync(new IdentityRole(role)), $"create role {role}");
    }

    private async Task SeedApiKeyAsync(PlatformDbContext db, string key, string name, string[] scopes, CancellationToken ct)
    {
        var hash = SecretHash.Of(key);
        if (await db.ApiKeys.AnyAsync(k => k.Hash == hash, ct)) return;
        db.ApiKeys.Add(new ApiKey
        {
            Id = Guid.NewGuid(), Name = name, Prefix = SecretHash.Prefix(key), Hash = hash,
            Scopes = scopes, CreatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync(ct);
        log.LogInformation("Registered the {Name} API key ({Prefix}…, scopes {Scopes})", name, SecretHash.Prefix(key), string.Join(", ", scopes));
    }

    private async Task SeedAgentTokenAsync(PlatformDbContext db, string token, string owner, CancellationToken ct)
    {
        var hash = SecretHash.Of(token);
        if (await db.AgentTokens.AnyAsync(t => t.Hash == hash, ct)) return;
        db.AgentTokens.Add(new AgentToken
        {
            Id = Guid.NewGuid(), Name = owner, Prefix = SecretHash.Prefix(token), Hash = hash, CreatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync(ct);
        log.LogInformation("Registered the bootstrap agent token ({Prefix}…)", SecretHash.Prefix(token));
    }

    private async Task SeedEnrolmentAsync(PlatformDbContext db, string secret, string pool, CancellationToken ct)
    {
        var hash = SecretHash.Of(secret);
        if (await db.AgentEnrolments.AnyAsync(e => e.Hash == hash, ct)) return;
        db.AgentEnrolments.Add(new AgentEnrolment
        {
            Id = Guid.NewGuid(), Name = "bootstrap", Pool = pool, Prefix = SecretHash.Prefix(secret), Hash = hash, CreatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync(ct);
        log.LogInformation("Registered the bootstrap enrolment secret ({Prefix}…) for pool {Pool}", SecretHash.Prefix(secret), pool);
    }

    private async Task SeedAdminAsync(UserManager<PlatformUser> users, string email, string password, bool generated)
    {
        var user = await users.FindByEmailAsync(email);
        if (generated)
        {
            // A generated first password: only on a start with no admin at all, and the admin chooses their own at once.
            if (user is not null || (await users.GetUsersInRoleAsync(Roles.Admin)).Count > 0) return;
            user = new PlatformUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = "Administrator", MustChangePassword = true, LockoutEnabled = true };
            Check(await users.CreateAsync(user, password), $"create admin user {email}");
            Check(await users.AddToRoleAsync(user, Roles.Admin), "add admin role");
            log.LogInformation("Created the first admin {Email} with the generated password; it must be changed at first sign-in", email);
            return;
        }
        if (user is null)
        {
            user = new PlatformUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = "Administrator", LockoutEnabled = true };
            Check(await users.CreateAsync(user, password), $"create admin user {email}");
            log.LogInformation("Created the admin user {Email}", email);
        }
        if (!await users.IsInRoleAsync(user, Roles.Admin)) Check(await users.AddToRoleAsync(user, Roles.Admin), "add admin role");
    }

    private static void Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
            throw new InvalidOperationException($"Could not {what}: {string.Join("; ", result.Errors.Select(e => e.Description))}");
    }
}
