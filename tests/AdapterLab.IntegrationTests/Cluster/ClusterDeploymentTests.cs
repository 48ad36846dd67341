using System.Diagnostics;
using AdapterLab.Contracts.Lifecycle;
using AdapterLab.Data;
using AdapterLab.Data.Entities;
using AdapterLab.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using YamlDotNet.RepresentationModel;

namespace AdapterLab.IntegrationTests.Cluster;

/// <summary>
/// The parts of the Kubernetes deployment (<c>infra/k8s</c>) that run against real services: the services' init
/// containers wait for the schema (<c>AdapterLab.Migrator --wait</c>), and KEDA's PostgreSQL trigger counts the pool's
/// live experiments on the platform's real schema.
/// </summary>
public sealed class ClusterDeploymentTests
{
    [Fact]
    public async Task Migrator_wait_holds_until_the_schema_is_applied()
    {
        var name = $"t_wait_{Guid.NewGuid():N}"[..30];
        await using (var admin = new NpgsqlConnection(TestEnvironment.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        var cs = new NpgsqlConnectionStringBuilder(TestEnvironment.AdminConnectionString) { Database = name }.ConnectionString;
        try
        {
            using var waiter = Migrator("--wait", cs);
            using var _ = new Killer(waiter);
            await Task.Delay(TimeSpan.FromSeconds(4));
            Assert.False(waiter.HasExited, "--wait returned before any migration was applied");

            using var migrator = Migrator(cs);
            await migrator.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
            Assert.Equal(0, migrator.ExitCode);
            await waiter.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
            Assert.Equal(0, waiter.ExitCode);
        }
        finally
        {
            await TestEnvironment.DropDatabaseAsync(cs);
        }
    }

    [Fact]
    public async Task The_keda_trigger_counts_the_pools_live_experiments()
    {
        var cs = await TestEnvironment.CreateDatabaseAsync("keda");
        try
        {
            var o = new DbContextOptionsBuilder<PlatformDbContext>();
            DataServiceCollectionExtensions.Configure(o, cs);
            await using (var db = new PlatformDbContext(o.Options))
            {
                var statuses = new[] { ExperimentStatus.Queued, ExperimentStatus.Queued, ExperimentStatus.Running, ExperimentStatus.Dispatched, ExperimentStatus.Succeeded, ExperimentStatus.Failed };
                foreach (var (status, i) in statuses.Select((s, i) => (s, i)))
                    db.Experiments.Add(new Experiment { Id = Guid.NewGuid(), Kind = "adapt", Status = status, Pool = "cuda", SubmittedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow });
                db.Experiments.Add(new Experiment { Id = Guid.NewGuid(), Kind = "adapt", Status = ExperimentStatus.Queued, Pool = "cpu", SubmittedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow });
                await db.SaveChangesAsync();
            }

            await using var connection = new NpgsqlConnection(cs);
            await connection.OpenAsync();
            await using var query = new NpgsqlCommand(TriggerQuery(), connection);
            Assert.Equal(4L, Convert.ToInt64(await query.ExecuteScalarAsync()));
        }
        finally
        {
            await TestEnvironment.DropDatabaseAsync(cs);
        }
    }

    private static string TriggerQuery()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(RepoRoot.Path, "infra", "k8s", "components", "keda", "scaledobject.yaml"))));
        var scaled = yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).Single(d => d["kind"].ToString() == "ScaledObject");
        var trigger = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)scaled["spec"])["triggers"]).Children.Single();
        return ((YamlMappingNode)trigger["metadata"])["query"].ToString();
    }

    /// <summary>Ends a process the test started, whatever the outcome.</summary>
    private sealed class Killer(Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    private static Process Migrator(params string[] args)
    {
        var dll = Path.Combine(RepoRoot.Path, "migrations", "AdapterLab.Migrator", "bin", RepoRoot.Configuration, "net10.0", "AdapterLab.Migrator.dll");
        Assert.True(File.Exists(dll), "build the solution first: " + dll);
        var psi = new ProcessStartInfo("dotnet", [dll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment.Remove("ConnectionStrings__Platform");
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
