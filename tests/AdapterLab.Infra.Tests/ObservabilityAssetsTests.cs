using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AdapterLab.Infra.Tests;

/// <summary>
/// The Grafana dashboards and Prometheus alert rules beside the manifests (<c>infra/k8s/components/observability</c>):
/// they parse, and every <c>adapterlab_*</c> series they query is one the services emit — read from the instrument
/// names in the source, so a renamed metric breaks this test rather than a dashboard in production.
/// </summary>
public sealed class ObservabilityAssetsTests
{
    private static readonly string Folder = Path.Combine(RepoRoot.Path, "infra", "k8s", "components", "observability");

    /// <summary>Instrument names (<c>adapterlab.queue.depth</c>) in the hosts' telemetry sources, as Prometheus bases (<c>adapterlab_queue_depth</c>).</summary>
    private static HashSet<string> EmittedBases()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var host in new[] { "web", "orchestrator", "gpu-agent" })
        foreach (var file in Directory.GetFiles(Path.Combine(RepoRoot.Path, host), "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/") && !f.Contains("/bin/")))
        foreach (Match m in Regex.Matches(File.ReadAllText(file), @"Create(?:Histogram|Counter|UpDownCounter|ObservableGauge|ObservableCounter|Gauge)(?:<\w+>)?\(\s*""(adapterlab\.[a-z_.]+)"""))
            names.Add(m.Groups[1].Value.Replace('.', '_'));
        return names;
    }

    /// <summary>A queried series' instrument base: Prometheus adds unit and type suffixes (<c>_seconds</c>, <c>_bytes</c>, <c>_total</c>, <c>_bucket</c>…).</summary>
    private static bool IsEmitted(string series, HashSet<string> bases)
    {
        var name = series;
        for (int i = 0; i < 3; i++)
        {
            if (bases.Contains(name)) return true;
            name = Regex.Replace(name, "_(bucket|sum|count|total|seconds|bytes)$", "");
        }
        return bases.Contains(name);
    }

    private static List<string> Series(string text) =>
        Regex.Matches(text, @"\badapterlab_[a-z_]+").Select(m => m.Value).Distinct().ToList();

    [Fact]
    public void The_source_declares_the_platform_instruments()
    {
        var bases = EmittedBases();
        foreach (var expected in new[] { "adapterlab_queue_depth", "adapterlab_agent_heartbeat_age", "adapterlab_outbox_lag", "adapterlab_training_step", "adapterlab_lease_expiries" })
            Assert.Contains(expected, bases);
        Assert.False(IsEmitted("adapterlab_queue_dept", bases));
    }

    [Fact]
    public void Every_dashboard_panel_queries_series_the_services_emit()
    {
        var bases = EmittedBases();
        var files = Directory.GetFiles(Path.Combine(Folder, "dashboards"), "*.json");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var dashboard = JsonNode.Parse(File.ReadAllText(file))!;
            Assert.False(string.IsNullOrWhiteSpace(dashboard["uid"]?.GetValue<string>()), $"{file}: no uid");
            var panels = dashboard["panels"]!.AsArray();
            Assert.True(panels.Count >= 10, $"{file}: {panels.Count} panels");
            foreach (var panel in panels)
            {
                var targets = panel!["targets"]!.AsArray();
                Assert.NotEmpty(targets);
                foreach (var target in targets)
                {
                    var expr = target!["expr"]!.GetValue<string>();
                    Assert.Equal(expr.Count(c => c == '('), expr.Count(c => c == ')'));
                    foreach (var s in Series(expr))
                        Assert.True(IsEmitted(s, bases), $"{Path.GetFileName(file)} \"{panel["title"]}\": {s} is not emitted by any service");
                }
            }
        }
    }

    [Fact]
    public void Alert_rules_cover_the_stuck_outbox_the_silent_pool_and_the_growing_queue_with_emitted_series()
    {
        var bases = EmittedBases();
        var rules = KubernetesManifestTests.YamlJson.Parse(File.ReadAllText(Path.Combine(Folder, "alerts.rules.yaml")))!;
        var all = rules["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).ToList();
        Assert.Superset(new HashSet<string> { "AdapterLabOutboxStuck", "AdapterLabAgentPoolSilent", "AdapterLabQueueGrowing" },
            all.Select(r => r!["alert"]!.GetValue<string>()).ToHashSet());
        foreach (var rule in all)
        {
            var name = rule!["alert"]!.GetValue<string>();
            var expr = rule["expr"]!.GetValue<string>();
            Assert.Matches(@"^\d+[smh]$", rule["for"]!.GetValue<string>());
            Assert.Contains(rule["labels"]!["severity"]!.GetValue<string>(), new[] { "warning", "critical" });
            Assert.False(string.IsNullOrWhiteSpace(rule["annotations"]!["summary"]!.GetValue<string>()), name);
            Assert.Equal(expr.Count(c => c == '('), expr.Count(c => c == ')'));
            var series = Series(expr);
            Assert.NotEmpty(series);
            foreach (var s in series) Assert.True(IsEmitted(s, bases), $"{name}: {s} is not emitted by any service");
        }
    }
}
